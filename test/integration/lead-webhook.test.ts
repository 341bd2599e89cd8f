// The CRM webhook on the real stack (Temporal, Postgres, the simulated telephony where every callee is a lead):
// a local receiver drops the first attempt's connection and answers 503 to the second, then 200; it checks each
// request's HMAC-SHA256 signature (computed here with node:crypto, not with the code under test) and that the
// idempotency key is the same on every attempt of a lead. A second campaign's receiver always answers 503: its
// deliveries end failed after the configured attempts, and the API and `minibot campaign status` show it; a third
// receiver refuses with 410: failed at the first attempt. The call never waits for its delivery.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../api/app';
import { makeContacts, startWorkers, testStack, waitUntil, type RunningWorkers, type TestStack } from '../helpers/stack';
import { runMinibot } from '../helpers/minibot-cli';
import { leadDeliveryWorkflowId } from '../../workflows/definitions';

const KEY = 'webhook-test-key-0123456789';
const SECRET_A = 'whsec-a-3f9c2b7e41d8a6c05e';
const SECRET_B = 'whsec-b-77aa01cc93de5b1f42';
const SECRET_C = 'whsec-c-0b1c2d3e4f5a6b7c8d';
let stack: TestStack;
let workers: RunningWorkers;
let api: Server;
let base = '';
let dir = '';

interface Received { at: number; key: string; timestamp: string; signature: string; body: string; validSignature: boolean; answered: number | 'dropped' }
interface Receiver { server: Server; url: string; requests: Received[] }

/** A CRM stand-in: `answer(n)` decides the n-th request (1-based) of each idempotency key. */
async function receiver(secret: string, answer: (n: number) => number | 'drop'): Promise<Receiver> {
  const requests: Received[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const key = String(req.headers['idempotency-key'] ?? '');
    const timestamp = String(req.headers['x-minibot-timestamp'] ?? '');
    const signature = String(req.headers['x-minibot-signature'] ?? '');
    const want = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
    const n = requests.filter((r) => r.key === key).length + 1;
    const a = answer(n);
    requests.push({ at: Date.now(), key, timestamp, signature, body, validSignature: signature === want, answered: a === 'drop' ? 'dropped' : a });
    if (a === 'drop') return void req.socket.destroy();
    res.writeHead(a, { 'content-type': 'application/json' }).end('{}');
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { server, requests, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/crm/leads?token=abc` };
}

const receivers: Receiver[] = [];

before(async () => {
  // 500 ms first retry (5 s × the campaigns' 0.1 time scale), doubling; 4 attempts at most.
  stack = await testStack({ LEAD_WEBHOOK_RETRY_INITIAL_MS: '5000', LEAD_WEBHOOK_MAX_ATTEMPTS: '4', LEAD_WEBHOOK_TIMEOUT_MS: '5000' });
  workers = await startWorkers(stack, { speed: 20, seed: 'webhook', lineMix: { answer: 100 }, personaMix: { lead: 100 } });
  api = createApp({ cfg: stack.cfg, prisma: stack.prisma, client: stack.client }, { apiKey: KEY, rateLimitPerMinute: 100_000 }).listen(0, '127.0.0.1');
  await new Promise((r) => api.once('listening', r));
  base = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'minibot-webhook-'));
});

after(async () => {
  for (const r of receivers) {
    r.server.closeAllConnections();
    r.server.close();
  }
  api?.closeAllConnections();
  api?.close();
  await workers?.stop();
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown) {
  const r = await fetch(base + path, {
    method, headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, text: await r.text() };
}

async function launch(name: string, contacts: number, webhook: { url: string; secret: string }): Promise<string> {
  const { source } = await makeContacts(stack.prisma, contacts);
  const r = await call('POST', '/campaigns', {
    name, contact_source: source, max_concurrent_calls: contacts, max_attempts: 1, time_scale: 0.1, ignore_window: true,
    lead_webhook_url: webhook.url, lead_webhook_secret: webhook.secret,
  });
  assert.equal(r.status, 201, r.text);
  assert.ok(!r.text.includes(webhook.secret), 'the create answer does not hold the secret');
  return JSON.parse(r.text).id as string;
}

async function deliveries(campaignId: string) {
  return stack.prisma.leadDelivery.findMany({ where: { campaignId }, include: { tries: { orderBy: { attempt: 'asc' } }, call: true }, orderBy: { callId: 'asc' } });
}

test('the webhook fields are validated, naming the field', async () => {
  // 400: the OpenAPI document forbids it (a missing pair, a short secret); 422: a rule it cannot state refuses it.
  const cases: [Record<string, unknown>, string, RegExp, number][] = [
    [{ lead_webhook_url: 'http://crm.example.com/hook', lead_webhook_secret: SECRET_A }, 'lead_webhook_url', /https/, 422],
    [{ lead_webhook_url: 'https://user:pw@crm.example.com/hook', lead_webhook_secret: SECRET_A }, 'lead_webhook_url', /credentials/, 422],
    [{ lead_webhook_url: 'ftp://crm.example.com/hook', lead_webhook_secret: SECRET_A }, 'lead_webhook_url', /http/, 400],
    [{ lead_webhook_url: 'https://crm.example.com/hook' }, 'lead_webhook_secret', /required/, 400],
    [{ lead_webhook_url: 'https://crm.example.com/hook', lead_webhook_secret: 'short' }, 'lead_webhook_secret', /16/, 400],
    [{ lead_webhook_secret: SECRET_A }, 'lead_webhook_url', /required/, 400],
  ];
  for (const [extra, field, reason, status] of cases) {
    const before = await stack.prisma.campaign.count({ where: { name: 'refused' } });
    const r = await call('POST', '/campaigns?launch=false', { name: 'refused', ...extra });
    assert.equal(r.status, status, r.text);
    const issues = JSON.parse(r.text).error.issues as { field: string; reason: string }[];
    assert.ok(issues.some((i) => i.field === `body.${field}` && reason.test(i.reason)), `${JSON.stringify(extra)}: ${r.text}`);
    assert.ok(!r.text.includes(SECRET_A), 'the error does not echo the secret');
    assert.equal(await stack.prisma.campaign.count({ where: { name: 'refused' } }), before, 'nothing written');
  }
});

test('leads are delivered signed, with one idempotency key across retries (connection dropped, 503, then 200)', async () => {
  const a = await receiver(SECRET_A, (n) => (n === 1 ? 'drop' : n === 2 ? 503 : 200));
  receivers.push(a);
  const id = await launch('webhook A', 3, { url: a.url, secret: SECRET_A });
  await waitUntil('three leads delivered', async () => (await stack.prisma.leadDelivery.count({ where: { campaignId: id, state: 'delivered' } })) === 3, 120_000);

  const calls = await stack.prisma.call.findMany({ where: { campaignId: id }, orderBy: { id: 'asc' } });
  assert.equal(calls.length, 3);
  assert.deepEqual(calls.map((c) => c.outcome), ['lead', 'lead', 'lead']);
  const leadsApi = JSON.parse((await call('GET', `/campaigns/${id}/leads`)).text).items as { call_id: string }[];
  for (const c of calls) {
    const key = `lead-${c.id}`;
    const reqs = a.requests.filter((r) => r.key === key);
    assert.deepEqual(reqs.map((r) => r.answered), ['dropped', 503, 200], `attempts of ${key}`);
    assert.ok(reqs.every((r) => r.validSignature), 'every attempt is signed with the campaign secret over timestamp.body');
    assert.ok(reqs.every((r) => Math.abs(Number(r.timestamp) - r.at / 1000) < 60), 'the timestamp is the attempt\'s time');
    // Same lead, same content on every attempt; it is the API's lead.
    const bodies = reqs.map((r) => JSON.parse(r.body));
    assert.deepEqual(bodies[0], bodies[2]);
    assert.deepEqual(bodies[0], { event: 'lead.created', idempotency_key: key, campaign_id: id, lead: leadsApi.find((l) => l.call_id === c.id) });
    // The call did not wait for its delivery: its workflow had closed before the receiver accepted the lead.
    const desc = await stack.client.workflow.getHandle(c.workflowId).describe();
    assert.equal(desc.status.name, 'COMPLETED');
    assert.ok(desc.closeTime!.getTime() < reqs[2]!.at, `call closed ${desc.closeTime!.toISOString()} before the delivery at ${new Date(reqs[2]!.at).toISOString()}`);
    const delivery = await stack.client.workflow.getHandle(leadDeliveryWorkflowId(c.workflowId)).result();
    assert.deepEqual(delivery, { state: 'delivered', attempts: 3 });
  }
  assert.equal(a.requests.length, 9);
  const rows = await deliveries(id);
  for (const d of rows) {
    assert.equal(d.idempotencyKey, `lead-${d.callId}`);
    assert.equal(d.attempts, 3);
    assert.equal(d.lastStatus, 200);
    assert.ok(d.deliveredAt);
    assert.deepEqual(d.tries.map((t) => [t.attempt, t.httpStatus, t.error === null ? null : t.error.replace(/\(.*\)/, '(…)')]), [
      [1, null, 'connection failed (…)'], [2, 503, 'HTTP 503'], [3, 200, null],
    ]);
  }
  const campaign = JSON.parse((await call('GET', `/campaigns/${id}`)).text);
  assert.deepEqual(campaign.lead_webhook, { url: a.url.replace(/\?.*/, '?…'), secret_set: true });
  assert.deepEqual(campaign.lead_deliveries, { pending: 0, retrying: 0, delivered: 3, failed: 0, problems: [] });
  assert.ok(!JSON.stringify(campaign).includes(SECRET_A) && !JSON.stringify(campaign).includes('token=abc'));
});

test('deliveries that keep failing end failed after the attempts, shown by the API and `minibot campaign status`', async () => {
  const b = await receiver(SECRET_B, () => 503);
  const c = await receiver(SECRET_C, () => 410);
  receivers.push(b, c);
  const idB = await launch('webhook B', 2, { url: b.url, secret: SECRET_B });
  const idC = await launch('webhook C', 1, { url: c.url, secret: SECRET_C });
  await waitUntil('B\'s deliveries to fail', async () => (await stack.prisma.leadDelivery.count({ where: { campaignId: idB, state: 'failed' } })) === 2, 120_000);
  await waitUntil('C\'s delivery to fail', async () => (await stack.prisma.leadDelivery.count({ where: { campaignId: idC, state: 'failed' } })) === 1, 60_000);
  // B: 4 attempts each (the configured maximum), all 503; C: refused at once, never retried.
  for (const d of await deliveries(idB)) {
    assert.deepEqual(d.tries.map((t) => [t.attempt, t.httpStatus]), [[1, 503], [2, 503], [3, 503], [4, 503]]);
    assert.equal(b.requests.filter((r) => r.key === `lead-${d.callId}`).length, 4);
    assert.deepEqual(await stack.client.workflow.getHandle(leadDeliveryWorkflowId(d.call.workflowId)).result(), {
      state: 'failed', attempts: 4, reason: 'lead delivery attempt 4 failed: HTTP 503',
    });
  }
  const [dc] = await deliveries(idC);
  assert.deepEqual(dc!.tries.map((t) => [t.attempt, t.httpStatus, t.error]), [[1, 410, 'HTTP 410']]);
  assert.equal(c.requests.length, 1);

  const campaign = JSON.parse((await call('GET', `/campaigns/${idB}`)).text);
  assert.equal(campaign.lead_deliveries.failed, 2);
  assert.equal(campaign.lead_deliveries.delivered, 0);
  assert.deepEqual(campaign.lead_deliveries.problems.map((p: any) => [p.state, p.attempts, p.last_status, p.last_error]).sort(), [
    ['failed', 4, 503, 'HTTP 503'], ['failed', 4, 503, 'HTTP 503'],
  ]);

  const env = { TEMPORAL_TASK_QUEUE: stack.cfg.TEMPORAL_TASK_QUEUE };
  const status = await runMinibot(['campaign', 'status', idB], env);
  assert.equal(status.code, 0, status.err);
  assert.match(status.out, /lead webhook\s+0 delivered, 0 retrying, 2 failed, 0 pending/);
  assert.equal((status.out.match(/failed call [0-9a-f-]{36}\s+4 attempts, last: HTTP 503/g) ?? []).length, 2, status.out);
  const json = await runMinibot(['campaign', 'status', idC, '--json'], env);
  assert.equal(json.code, 0, json.err);
  assert.deepEqual({ ...json.json().leadDeliveries, problems: json.json().leadDeliveries.problems.map((p: any) => p.last_error) }, {
    pending: 0, retrying: 0, delivered: 0, failed: 1, problems: ['HTTP 410'],
  });
});

test('`minibot campaign launch --lead-webhook` stores the URL and the secret read from a file; the API never shows the secret', async () => {
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, `${SECRET_C}\n`);
  const env = { TEMPORAL_TASK_QUEUE: stack.cfg.TEMPORAL_TASK_QUEUE };
  const r = await runMinibot(['campaign', 'launch', '--name', 'cli webhook', '--draft', '--json', '--lead-webhook', 'https://crm.example.com/minibot', '--lead-webhook-secret-file', secretFile], env);
  assert.equal(r.code, 0, r.err);
  const id = r.json().id as string;
  const row = await stack.prisma.campaign.findUniqueOrThrow({ where: { id } });
  assert.equal(row.leadWebhookUrl, 'https://crm.example.com/minibot');
  assert.equal(row.leadWebhookSecret, SECRET_C);
  const got = await call('GET', `/campaigns/${id}`);
  assert.deepEqual(JSON.parse(got.text).lead_webhook, { url: 'https://crm.example.com/minibot', secret_set: true });
  assert.deepEqual(JSON.parse(got.text).lead_deliveries, { pending: 0, retrying: 0, delivered: 0, failed: 0, problems: [] });
  assert.ok(!got.text.includes(SECRET_C));
  const list = await call('GET', '/campaigns?limit=200');
  assert.ok(!list.text.includes(SECRET_C));

  const missing = await runMinibot(['campaign', 'launch', '--name', 'x', '--draft', '--lead-webhook', 'https://crm.example.com/m', '--lead-webhook-secret-file', join(dir, 'nope')], env);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /--lead-webhook-secret-file: cannot read .*nope \(ENOENT\)/);
  const noSecret = await runMinibot(['campaign', 'launch', '--name', 'x', '--draft', '--lead-webhook', 'https://crm.example.com/m'], env);
  assert.equal(noSecret.code, 2);
  assert.match(noSecret.err, /lead_webhook_secret: required with lead_webhook_url/);
});
