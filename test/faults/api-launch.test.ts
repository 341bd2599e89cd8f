// Fault e: the API process SIGKILLed in the middle of POST /campaigns/:id/launch, then the same request
// repeated: one campaign, one workflow, and it runs to completion.
// The deterministic "middle": this test holds the campaign row's lock (SELECT … FOR UPDATE), so the launch
// blocks inside its transaction — Postgres shows its backend waiting on the lock — and is killed there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createCampaign } from '../../api/services/campaigns';
import { campaignFigures } from '../../api/services/stats';
import { campaignWorkflowId, type CampaignStatus } from '../../workflows/definitions';
import { makeContacts, startWorkers, testStack, waitUntil, type RunningWorkers, type TestStack } from '../helpers/stack';
import { ownTemporal, startApi, type ApiProcess } from '../helpers/own-services';

const KEY = `fault-launch-${randomUUID()}`;
let stack: TestStack;
let workers: RunningWorkers | undefined;
const apis: ApiProcess[] = [];

before(async () => {
  stack = await testStack();
});
after(async () => {
  for (const a of apis) await a.kill();
  await workers?.stop();
  await stack?.close();
});

const apiEnv = () => ({ DATABASE_URL: process.env.DATABASE_URL!, TEMPORAL_ADDRESS: stack.cfg.TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE: stack.cfg.TEMPORAL_TASK_QUEUE, API_KEY: KEY });
const launch = (api: ApiProcess, id: string) =>
  fetch(`${api.base}/campaigns/${id}/launch`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, signal: AbortSignal.timeout(30_000) });

function workflowExecutions(workflowId: string): unknown[] {
  const r = spawnSync(process.env.TEMPORAL_CLI!, ['workflow', 'list', '--address', stack.cfg.TEMPORAL_ADDRESS, '--namespace', stack.cfg.TEMPORAL_NAMESPACE,
    '--query', `WorkflowId="${workflowId}"`, '-o', 'json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const text = r.stdout.trim();
  return text ? (JSON.parse(text) as unknown[]) : [];
}

test('API killed inside POST /campaigns/:id/launch, request repeated: one campaign, one workflow, completed', async () => {
  const { ids, source } = await makeContacts(stack.prisma, 4);
  const name = `fault-launch-${randomUUID()}`;
  const c = await createCampaign(stack.prisma, { name, max_concurrent_calls: 2, contact_source: source, time_scale: 1 / 50, retry_delay_seconds: 5, ignore_window: true });
  const workflowId = campaignWorkflowId(c.id);

  const first = await startApi(apiEnv());
  apis.push(first);
  const holder = new pg.Client({ connectionString: process.env.DATABASE_URL });
  const observer = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await holder.connect();
  await observer.connect();
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM campaigns WHERE id = $1 FOR UPDATE', [c.id]);
    const pending = launch(first, c.id).then((r) => r.status, (e: Error) => e);
    // The launch is inside its transaction, waiting for the row: kill the API there. (Observed from another
    // session: inside a transaction pg_stat_activity is a snapshot taken at its first read.)
    await waitUntil('the launch blocked on the campaign row lock', async () => {
      const r = await observer.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' AND query ILIKE '%FROM campaigns%FOR UPDATE%'`);
      if (r.rows[0].n === 1) return true;
      if (process.env.DEBUG_FAULTS) console.error(first.output(), await Promise.race([pending, new Promise((x) => setTimeout(() => x('pending'), 10))]), (await holder.query(`SELECT state, wait_event_type, left(query, 120) q FROM pg_stat_activity WHERE datname = current_database()`)).rows);
      return false;
    }, 60_000);
    await first.kill('SIGKILL');
    const outcome = await pending;
    assert.ok(outcome instanceof Error, `the killed request got no answer (got ${String(outcome)})`);
    await assert.rejects(stack.client.workflow.getHandle(workflowId).describe(), WorkflowNotFoundError, 'killed before the workflow was started');
  } finally {
    await holder.query('ROLLBACK').catch(() => undefined);
    await holder.end();
    await observer.end();
  }
  const afterKill = await stack.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } });
  assert.equal(afterKill.status, 'draft', 'nothing half-written: the campaign is still a draft');
  assert.equal(afterKill.workflowId, null, 'nothing half-written: no launch recorded');

  workers = await startWorkers(stack, { speed: 50, seed: 'fault-launch' });
  const second = await startApi(apiEnv());
  apis.push(second);
  const r1 = await launch(second, c.id);
  assert.equal(r1.status, 202);
  assert.deepEqual(await r1.json(), { campaign_id: c.id, workflow_id: workflowId, started: true });
  const r2 = await launch(second, c.id);
  assert.equal(r2.status, 202);
  assert.deepEqual(await r2.json(), { campaign_id: c.id, workflow_id: workflowId, started: false }, 'a repeat starts nothing');

  const status = (await stack.client.workflow.getHandle(workflowId).result()) as CampaignStatus;
  assert.equal(status.state, 'completed');
  // A repeat after completion starts no second run either.
  const r3 = await launch(second, c.id);
  assert.equal(r3.status, 409);

  assert.equal(workflowExecutions(workflowId).length, 1, 'exactly one workflow execution of the campaign');
  assert.equal(await stack.prisma.campaign.count({ where: { name } }), 1, 'exactly one campaign');
  const row = await stack.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } });
  assert.equal(row.status, 'completed');
  assert.equal(row.workflowId, workflowId);
  const f = await campaignFigures(stack.prisma, c.id);
  assert.equal(f.contacts, ids.length);
  assert.equal(f.open, 0);
  assert.equal(f.doubleDials, 0);
});

test('API killed while its workflow start is in flight (Temporal frozen), request repeated: one workflow, completed', async () => {
  // A Temporal of this test's own, frozen (SIGSTOP) while the launch's start request is on its way: the API is
  // killed past its database writes, waiting for Temporal; whether Temporal then acts on the buffered request
  // or not, the repeated launch must end with exactly one workflow.
  const own = await ownTemporal('launch');
  const st = await testStack({ TEMPORAL_ADDRESS: own.address });
  let frozen = false;
  let w: RunningWorkers | undefined;
  try {
    const { source } = await makeContacts(st.prisma, 3);
    const c = await createCampaign(st.prisma, { name: `fault-launch-frozen-${randomUUID()}`, max_concurrent_calls: 2, contact_source: source, time_scale: 1 / 50, retry_delay_seconds: 5, ignore_window: true });
    const workflowId = campaignWorkflowId(c.id);
    const env = { DATABASE_URL: process.env.DATABASE_URL!, TEMPORAL_ADDRESS: own.address, TEMPORAL_TASK_QUEUE: st.cfg.TEMPORAL_TASK_QUEUE, API_KEY: KEY };
    const first = await startApi(env);
    apis.push(first);
    // Connected to Temporal before it freezes, so the start request is written on an open connection.
    assert.equal((await fetch(`${first.base}/health`)).status, 200);
    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL });
    const observer = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await holder.connect();
    await observer.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM campaigns WHERE id = $1 FOR UPDATE', [c.id]);
      const pending = launch(first, c.id).then((r) => r.status, (e: Error) => e);
      await waitUntil('the launch blocked on the campaign row lock', async () => {
        const r = await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%FROM campaigns%FOR UPDATE%'`);
        return r.rows[0].n === 1;
      }, 60_000);
      process.kill(own.pid(), 'SIGSTOP');
      frozen = true;
      await holder.query('ROLLBACK');
      // Past its writes (launch recorded, uncommitted), the API now waits for Temporal: kill it there.
      await waitUntil('the launch waiting for Temporal inside its transaction', async () => {
        const r = await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction' AND query ILIKE 'UPDATE "public"."campaigns"%'`);
        return r.rows[0].n === 1;
      }, 30_000);
      await first.kill('SIGKILL');
      assert.ok((await pending) instanceof Error, 'the killed request got no answer');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      await observer.end();
      if (frozen) process.kill(own.pid(), 'SIGCONT');
    }
    // Its transaction died with it: the launch record was never committed.
    const afterKill = await st.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } });
    assert.equal(afterKill.status, 'draft');
    assert.equal(afterKill.workflowId, null);

    w = await startWorkers(st, { speed: 50, seed: 'fault-launch-frozen' });
    const second = await startApi(env);
    apis.push(second);
    const r = await launch(second, c.id);
    assert.equal(r.status, 202);
    const body = (await r.json()) as { workflow_id: string; started: boolean };
    assert.equal(body.workflow_id, workflowId);
    console.error(`[api-launch] frozen-Temporal case: the killed launch's start ${body.started ? 'never reached Temporal (the repeat started it)' : 'was carried out by Temporal (the repeat found it)'}`);
    const status = (await st.client.workflow.getHandle(workflowId).result()) as CampaignStatus;
    assert.equal(status.state, 'completed');
    const list = spawnSync(process.env.TEMPORAL_CLI!, ['workflow', 'list', '--address', own.address, '--query', `WorkflowId="${workflowId}"`, '-o', 'json'], { encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    assert.equal((JSON.parse(list.stdout.trim() || '[]') as unknown[]).length, 1, 'exactly one workflow execution of the campaign');
    const row = await st.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } });
    assert.equal(row.status, 'completed');
    assert.equal(row.workflowId, workflowId);
    assert.equal((await campaignFigures(st.prisma, c.id)).doubleDials, 0);
  } finally {
    await w?.stop();
    await st.close();
    await own.stop();
  }
});
