// Fault e, its second half: the API process SIGKILLed while its launch's workflow start is in flight, then the
// same request repeated: one workflow, and it runs to completion. (The first half — the API killed inside the
// launch before it reaches Temporal — is the fault tier's `api-launch-kill`, test/faults/faults.ts.)
// The deterministic "middle": the campaign row's lock held (launch-interrupt.ts), Temporal frozen, lock released.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createCampaign } from '../../services/campaigns';
import { campaignFigures } from '../../services/stats';
import { campaignWorkflowId, type CampaignStatus } from '../../workflows/definitions';
import { makeContacts, startWorkers, testStack, type RunningWorkers } from '../helpers/stack';
import { ownTemporal, startApi, type ApiProcess } from '../helpers/own-services';
import { holdCampaignRow, launchRequest, workflowExecutions } from '../helpers/launch-interrupt';

const KEY = `fault-launch-${randomUUID()}`;
const apis: ApiProcess[] = [];

after(async () => {
  for (const a of apis) await a.kill();
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
    const lock = await holdCampaignRow(process.env.DATABASE_URL!, c.id);
    try {
      const pending = launchRequest(first, KEY, c.id).then((r) => r.status, (e: Error) => e);
      await lock.launchBlocked();
      process.kill(own.pid(), 'SIGSTOP');
      frozen = true;
      await lock.release();
      // Past its writes (launch recorded, uncommitted), the API now waits for Temporal: kill it there.
      await lock.launchPastItsWrites();
      await first.kill('SIGKILL');
      assert.ok((await pending) instanceof Error, 'the killed request got no answer');
    } finally {
      await lock.close();
      if (frozen) process.kill(own.pid(), 'SIGCONT');
    }
    // Its transaction died with it: the launch record was never committed.
    const afterKill = await st.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } });
    assert.equal(afterKill.status, 'draft');
    assert.equal(afterKill.workflowId, null);

    w = await startWorkers(st, { speed: 50, seed: 'fault-launch-frozen' });
    const second = await startApi(env);
    apis.push(second);
    const r = await launchRequest(second, KEY, c.id);
    assert.equal(r.status, 202);
    const body = (await r.json()) as { workflow_id: string; started: boolean };
    assert.equal(body.workflow_id, workflowId);
    console.error(`[api-launch] frozen-Temporal case: the killed launch's start ${body.started ? 'never reached Temporal (the repeat started it)' : 'was carried out by Temporal (the repeat found it)'}`);
    const status = (await st.client.workflow.getHandle(workflowId).result()) as CampaignStatus;
    assert.equal(status.state, 'completed');
    assert.equal(workflowExecutions(process.env.TEMPORAL_CLI!, own.address, 'default', workflowId).length, 1, 'exactly one workflow execution of the campaign');
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
