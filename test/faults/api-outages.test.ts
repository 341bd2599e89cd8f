// The API (and the CLI) with Postgres stopped (pg_ctl stop -m immediate) and with the Temporal server
// SIGKILLed, on a Postgres and a Temporal of this test's own: every operation of the OpenAPI document answers
// within 5 s (a request still unanswered then is aborted and fails the test); those that need the dead service
// answer 503 naming it, the others keep serving; /health says which part is down; nothing is half-written;
// everything serves again once the service is back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createPrisma, type PrismaClient } from '../../prisma/client';
import { createCampaign } from '../../services/campaigns';
import { SNAPSHOT_SHARED_MS } from '../../api/routes/stats';
import { sleep } from '../../scripts/services/process';
import { makeContacts, waitUntil } from '../helpers/stack';
import { runMinibot } from '../helpers/minibot-cli';
import { ownPostgres, ownTemporal, startApi, type ApiProcess, type OwnPostgres, type OwnTemporal } from '../helpers/own-services';

const KEY = `fault-outage-${randomUUID()}`;
let pgs: OwnPostgres;
let temporal: OwnTemporal;
let prisma: PrismaClient;
let api: ApiProcess;
const ids = { contact: '', campaign: '', call: '', doneContact: 0n };
const timings: Record<string, number[]> = {};

interface Op { method: string; path: string; operationId: string; needs: string[]; hasBody: boolean }
let ops: Op[] = [];

/** A valid request per operation: a 503 must come from the service, not from validation. */
function request(op: Op): { path: string; body?: unknown } {
  const path = op.path
    .replace('/contacts/{id}', `/contacts/${ids.contact}`)
    .replace('/campaigns/{id}', `/campaigns/${ids.campaign}`)
    .replace('/calls/{id}', `/calls/${ids.call}`);
  assert.ok(!path.includes('{'), `no sample parameter for ${op.path}`);
  const bodies: Record<string, unknown> = {
    postContacts: { phone: `+33612${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}` },
    putContactsId: { status: 'pending' },
    postCampaigns: { name: `outage-${randomUUID().slice(0, 8)}`, ignore_window: true, contact_ids: [ids.contact] },
    postCampaignsIdConcurrency: { max_concurrent_calls: 2 },
  };
  // Required query parameters, so that the request is valid and only the service can refuse it.
  const queries: Record<string, string> = { getContactsCanDial: '?phone=%2B33612345678' };
  if (op.hasBody) assert.ok(op.operationId in bodies, `no sample body for ${op.operationId}`);
  return { path: path + (queries[op.operationId] ?? ''), body: bodies[op.operationId] };
}

async function call(op: Op, phase: string): Promise<{ status: number; json: any }> {
  const r = request(op);
  const t0 = performance.now();
  const ctl = new AbortController();
  // Bounded: an answer that has not come within 5 s aborts the request and fails the test ("nothing hangs").
  const timer = setTimeout(() => ctl.abort(new Error(`${op.method.toUpperCase()} ${op.path} (${phase}): no answer within 5 s`)), 5000);
  try {
    const res = await fetch(api.base + r.path, {
      method: op.method.toUpperCase(), signal: ctl.signal,
      headers: { authorization: `Bearer ${KEY}`, ...(r.body ? { 'content-type': 'application/json' } : {}) },
      body: r.body ? JSON.stringify(r.body) : undefined,
    });
    const isStream = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
    const text = isStream ? '' : await res.text();
    (timings[phase] ??= []).push(performance.now() - t0);
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON (metrics, stream) */
    }
    return { status: res.status, json };
  } finally {
    clearTimeout(timer);
    ctl.abort();
  }
}

const health = async () => {
  const r = await fetch(`${api.base}/health`, { signal: AbortSignal.timeout(5000) });
  return { status: r.status, json: (await r.json()) as any };
};

const minibot = runMinibot;

before(async () => {
  pgs = await ownPostgres('outage');
  temporal = await ownTemporal('outage');
  prisma = createPrisma(pgs.url);
  const contacts = await makeContacts(prisma, 2);
  ids.contact = contacts.ids[0]!;
  ids.campaign = (await createCampaign(prisma, { name: 'outage draft', ignore_window: true })).id;
  // A finished call of a completed campaign: POST /calls/:id/retry has something to retry.
  const done = await createCampaign(prisma, { name: 'outage done', ignore_window: true });
  await prisma.campaign.update({ where: { id: done.id }, data: { status: 'completed' } });
  const cc = await prisma.campaignContact.create({ data: { campaignId: done.id, contactId: contacts.ids[1]!, state: 'done', attempts: 1 } });
  ids.doneContact = cc.id;
  ids.call = (await prisma.call.create({
    data: { campaignId: done.id, contactId: contacts.ids[1]!, attempt: 1, workflowId: `call-${done.id}-${contacts.ids[1]}-1`, phone: contacts.phones[1]!, status: 'completed', outcome: 'no_answer', endedAt: new Date() },
  })).id;
  api = await startApi({ DATABASE_URL: pgs.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: `outage-${randomUUID().slice(0, 8)}`, API_KEY: KEY });
  const doc = (await (await fetch(`${api.base}/openapi.json`)).json()) as { paths: Record<string, Record<string, any>> };
  ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, o]) => ({
    method, path, operationId: o.operationId as string, needs: (o['x-needs'] ?? []) as string[], hasBody: Boolean(o.requestBody),
  }))).filter((o) => o.path !== '/health');
  assert.ok(ops.length >= 20, `the document lists the operations (${ops.length})`);
  for (const op of ops) {
    assert.ok(op.needs.includes('postgres'), `${op.operationId} declares its dependencies`);
    const r = await call(op, 'healthy');
    assert.ok(r.status < 500, `${op.method} ${op.path} serves before the outage (${r.status} ${JSON.stringify(r.json)})`);
  }
});

after(async () => {
  await api?.kill();
  await prisma?.$disconnect().catch(() => undefined);
  await temporal?.stop();
  pgs?.remove();
  const figures = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, { requests: v.length, maxMs: Math.round(Math.max(...v)) }]));
  console.error(`[api-outages] answer times: ${JSON.stringify(figures)}`);
});

test('Postgres stopped: every endpoint answers 503 naming postgres, /health says the database is down, the CLI says so; all serve again after restart', async () => {
  pgs.kill();
  // A live snapshot computed just before the outage may still be shared with a stream opened within its window:
  // past it, the stream must find the database down.
  await sleep(SNAPSHOT_SHARED_MS + 100);
  for (const op of ops) {
    const r = await call(op, 'postgres down');
    assert.equal(r.status, 503, `${op.method} ${op.path}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json?.error?.code, 'service_unavailable', `${op.method} ${op.path}`);
    assert.equal(r.json?.error?.dependency, 'postgres', `${op.method} ${op.path}`);
  }
  const h = await health();
  assert.equal(h.status, 503);
  assert.equal(h.json.database, 'down');
  assert.equal(h.json.temporal, 'healthy');
  assert.deepEqual(h.json.down, ['postgres']);
  assert.equal(api.child.exitCode, null, 'the API process survived the outage');

  // The CLI against the same stopped cluster.
  const cli = await minibot(['campaign', 'list'], { DATABASE_URL: pgs.url, TEMPORAL_ADDRESS: temporal.address });
  assert.equal(cli.code, 4, cli.err);
  assert.match(cli.err, new RegExp(`Postgres \\(the database\\) is unreachable at 127\\.0\\.0\\.1:${pgs.port}: .*npm run dev:up.*DATABASE_URL`));
  assert.doesNotMatch(cli.err, /^\s+at /m, 'no stack trace');

  await pgs.start();
  await waitUntil('the API healthy again', async () => (await health()).status === 200, 60_000);
  for (const op of ops) {
    const r = await call(op, 'postgres back');
    assert.ok(r.status < 500, `${op.method} ${op.path} serves again (${r.status} ${JSON.stringify(r.json)})`);
  }
});

test('Temporal SIGKILLed: what needs it answers 503 naming temporal, the rest serves; a campaign created meanwhile stays a launchable draft', async () => {
  // The earlier rounds retried the call: make it retryable again, so that the retry reaches Temporal.
  await prisma.campaignContact.update({ where: { id: ids.doneContact }, data: { state: 'done', nextAttemptAt: null } });
  await temporal.kill();
  for (const op of ops) {
    const r = await call(op, 'temporal down');
    if (op.needs.includes('temporal')) {
      assert.equal(r.status, 503, `${op.method} ${op.path}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json?.error?.dependency, 'temporal', `${op.method} ${op.path}`);
    } else {
      assert.ok(r.status < 500, `${op.method} ${op.path} does not need Temporal and serves (${r.status} ${JSON.stringify(r.json)})`);
    }
  }
  const h = await health();
  assert.equal(h.status, 503);
  assert.equal(h.json.temporal, 'down');
  assert.equal(h.json.database, 'healthy');
  assert.deepEqual(h.json.down, ['temporal']);

  // Nothing half-written: the campaign created while Temporal is down is a draft with no launch recorded,
  // and the retry refused with 503 left the contact where it was.
  const create = await call(ops.find((o) => o.operationId === 'postCampaigns')!, 'temporal down');
  assert.equal(create.status, 503);
  const draftId = create.json.error.campaign_id as string;
  const draft = await prisma.campaign.findUniqueOrThrow({ where: { id: draftId } });
  assert.equal(draft.status, 'draft');
  assert.equal(draft.workflowId, null);
  assert.equal((await prisma.campaignContact.findUniqueOrThrow({ where: { id: ids.doneContact } })).state, 'done');

  const cli = await minibot(['campaign', 'status', ids.campaign], { DATABASE_URL: pgs.url, TEMPORAL_ADDRESS: temporal.address });
  assert.equal(cli.code, 5, cli.err);
  assert.match(cli.err, new RegExp(`Temporal is unreachable at ${temporal.address.replace(/\./g, '\\.')}: .*npm run dev:up.*TEMPORAL_ADDRESS`));
  assert.doesNotMatch(cli.err, /^\s+at /m, 'no stack trace');

  await temporal.start();
  await waitUntil('the API healthy again', async () => (await health()).status === 200, 60_000);
  for (const op of ops) {
    const r = await call(op, 'temporal back');
    assert.ok(r.status < 500, `${op.method} ${op.path} serves again (${r.status} ${JSON.stringify(r.json)})`);
  }
  // The draft is launched now, once.
  const launch = await fetch(`${api.base}/campaigns/${draftId}/launch`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, signal: AbortSignal.timeout(5000) });
  assert.equal(launch.status, 202);
  assert.equal(((await launch.json()) as any).started, true);
  assert.equal((await prisma.campaign.findUniqueOrThrow({ where: { id: draftId } })).workflowId, `campaign-${draftId}`);
});
