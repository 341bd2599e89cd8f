// REST API against the real stack (Temporal dev server + Postgres from scripts/test.ts, workers in this
// process with the simulated telephony): every endpoint, authentication, validation, the OpenAPI document.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createApp } from '../../api/app';
import { campaignStatus } from '../../services/campaigns';
import { createPrisma } from '../../prisma/client';
import { makeContacts, startWorkers, testStack, waitUntil, type RunningWorkers, type TestStack } from '../helpers/stack';

const KEY = 'k'.repeat(8) + '-api-test-key-0123456789';
let stack: TestStack;
let workers: RunningWorkers;
let server: Server;
let base: string;

async function listen(app: ReturnType<typeof createApp>): Promise<{ server: Server; base: string }> {
  const s = app.listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  return { server: s, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

async function call(method: string, path: string, o: { body?: unknown; raw?: string; key?: string | null; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.key !== null) headers.authorization = `Bearer ${o.key ?? KEY}`;
  if (o.body !== undefined || o.raw !== undefined) headers['content-type'] ??= 'application/json';
  const r = await fetch(base + path, { method, headers, body: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)) });
  const text = await r.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: r.status, json, text, headers: r.headers };
}

before(async () => {
  stack = await testStack();
  workers = await startWorkers(stack, { speed: 50, seed: 'api-test' });
  ({ server, base } = await listen(createApp({ cfg: stack.cfg, prisma: stack.prisma, client: stack.client }, { apiKey: KEY, rateLimitPerMinute: 100_000 })));
});

after(async () => {
  server?.closeAllConnections();
  server?.close();
  await workers?.stop();
  await stack?.close();
});

describe('authentication and headers', () => {
  test('/health is public and really probes the database and Temporal', async () => {
    const r = await call('GET', '/health', { key: null });
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'healthy');
    assert.equal(r.json.database, 'healthy');
    assert.equal(r.json.temporal, 'healthy');
    assert.equal(typeof r.json.checks.database.latency_ms, 'number');
    assert.equal(typeof r.json.checks.temporal.latency_ms, 'number');
  });

  test('/health answers 503 when the database is down', async () => {
    const dead = createPrisma('postgresql://nobody:nothing@127.0.0.1:1/none');
    const app = createApp({ cfg: stack.cfg, prisma: dead, client: stack.client }, { apiKey: KEY });
    const l = await listen(app);
    try {
      const r = await fetch(l.base + '/health');
      const j = (await r.json()) as any;
      assert.equal(r.status, 503);
      assert.equal(j.status, 'unhealthy');
      assert.equal(j.database, 'down');
      assert.equal(j.temporal, 'healthy');
    } finally {
      l.server.close();
      await dead.$disconnect();
    }
  });

  test('missing, malformed and wrong keys get 401 without detail; the key never appears in answers', async () => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer' }, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, { authorization: `Bearer ${KEY}x` }, { authorization: `Bearer ${KEY.slice(0, -1)}` }]) {
      for (const path of ['/contacts', '/campaigns', '/metrics', '/stats/realtime', '/no/such/route']) {
        const r = await call('GET', path, { key: null, headers });
        assert.equal(r.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.equal(r.json.error.code, 'unauthorized');
        assert.ok(!r.text.includes(KEY.slice(0, 12)), 'no key in the answer');
        assert.ok(!/at .*\.ts:\d+/.test(r.text), 'no stack trace');
        assert.match(r.headers.get('www-authenticate') ?? '', /Bearer/);
      }
    }
  });

  test('security headers, request ids (given or generated), unknown routes are JSON 404', async () => {
    const r = await call('GET', '/nope', { headers: { 'x-request-id': 'abc-123' } });
    assert.equal(r.status, 404);
    assert.equal(r.json.request_id, 'abc-123');
    assert.equal(r.headers.get('x-request-id'), 'abc-123');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    assert.equal(r.headers.get('x-powered-by'), null);
    const g = await call('GET', '/nope', { headers: { 'x-request-id': '<script>' } });
    assert.match(g.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  test('rate limiting answers 429 past the limit', async () => {
    const l = await listen(createApp({ cfg: stack.cfg, prisma: stack.prisma, client: stack.client }, { apiKey: KEY, rateLimitPerMinute: 5 }));
    try {
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) codes.push((await fetch(l.base + '/health')).status);
      assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429]);
    } finally {
      l.server.close();
    }
  });

  test('the server refuses to start without API_KEY in production, and prints a generated key in development', async () => {
    const env = { ...process.env, API_KEY: '', API_PORT: '0' };
    const prod = spawnSync(process.execPath, ['--import', 'tsx', 'api/server.ts'], { env: { ...env, NODE_ENV: 'production' }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(prod.status, 2);
    assert.match(prod.stderr, /API_KEY/);
    const dev = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], { env: { ...env, NODE_ENV: 'development' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    dev.stderr.on('data', (d) => (err += d));
    try {
      await waitUntil('the API to listen', async () => /MiniBot API on/.test(err), 60_000);
      const m = /generated key for this run:\n\s+(\S+)/.exec(err);
      assert.ok(m, err);
      const port = /127\.0\.0\.1:(\d+)/.exec(err)![1];
      assert.equal((await fetch(`http://127.0.0.1:${port}/contacts`, { headers: { authorization: `Bearer ${m[1]}` } })).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/contacts`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    } finally {
      dev.kill('SIGTERM');
    }
  });
});

describe('contacts', () => {
  test('create (normalised to E.164), read, list with filters and cursor pages, update, conflict', async () => {
    const digits = String(Math.floor(Math.random() * 1e7)).padStart(7, '0');
    const spaced = `07 8${digits[0]} ${digits.slice(1, 3)} ${digits.slice(3, 5)} ${digits.slice(5)}`;
    const e164 = `+3378${digits}`;
    const c = await call('POST', '/contacts', { body: { name: 'Test', first_name: 'Zoé', phone: spaced, email: 'Test@Test.com', departement: '2a', consent: { given_at: '2025-01-02T10:00:00Z', source: 'web_form', wording_version: 'v3', proof: 'form-1' } } });
    assert.equal(c.status, 201, c.text);
    assert.deepEqual(c.json.consent, { given_at: '2025-01-02T10:00:00.000Z', source: 'web_form', wording_version: 'v3', proof: 'form-1' });
    assert.equal(c.json.phone, e164);
    assert.equal(c.json.last_name, 'Test');
    assert.equal(c.json.email, 'test@test.com');
    assert.equal(c.json.departement, '2A');
    const row = await stack.prisma.contact.findUniqueOrThrow({ where: { id: c.json.id } });
    assert.equal(row.phone, e164);
    assert.equal(row.consentSource, 'web_form');
    assert.equal(row.consentWordingVersion, 'v3');

    const dup = await call('POST', '/contacts', { body: { name: 'Autre', phone: e164 } });
    assert.equal(dup.status, 409);
    assert.equal(dup.json.error.contact_id, c.json.id);

    const got = await call('GET', `/contacts/${c.json.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.json.first_name, 'Zoé');

    const { source } = await makeContacts(stack.prisma, 7);
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const p: Awaited<ReturnType<typeof call>> = await call('GET', `/contacts?source=${source}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(p.status, 200);
      assert.equal(p.json.total, 7);
      pages.push(...p.json.items.map((i: any) => i.id));
      cursor = p.json.next_cursor;
    } while (cursor);
    assert.equal(pages.length, 7);
    assert.equal(new Set(pages).size, 7);

    const upd = await call('PUT', `/contacts/${c.json.id}`, { body: { status: 'qualified' } });
    assert.equal(upd.status, 200);
    assert.equal(upd.json.status, 'qualified');
    assert.equal((await stack.prisma.contact.findUniqueOrThrow({ where: { id: c.json.id } })).status, 'qualified');
    const q = await call('GET', `/contacts?status=qualified&limit=500`);
    assert.ok(q.json.items.some((i: any) => i.id === c.json.id));

    const out = await call('PUT', `/contacts/${c.json.id}`, { body: { opt_out: true } });
    assert.equal(out.json.opt_out, true);
    assert.equal(out.json.status, 'opted_out');
    assert.ok(await stack.prisma.dncEntry.findUnique({ where: { phone: e164 } }), 'opt-out goes on the DNC list');

    assert.equal((await call('GET', '/contacts/00000000-0000-4000-8000-000000000000')).status, 404);
    assert.equal((await call('PUT', '/contacts/00000000-0000-4000-8000-000000000000', { body: { status: 'qualified' } })).status, 404);
  });

  test('bad payloads are 4xx naming the field, and write nothing', async () => {
    const before = await stack.prisma.contact.count();
    const bad: [unknown, number, string][] = [
      // Spelled like a number but in no range, or a premium-rate line: the document allows it, a rule refuses it.
      [{ name: 'X', phone: '12' }, 422, 'body.phone'],
      [{ name: 'X', phone: '08 99 12 34 56' }, 422, 'body.phone'],
      [{ name: 'X' }, 400, 'body.phone'],
      [{ name: 'X', phone: '0612345670', extra: 1 }, 400, 'body'],
      [{ name: 'X', phone: '0612345671', email: 'nope' }, 400, 'body.email'],
      [{ name: 'X', phone: '0612345672', status: 'vip' }, 400, 'body.status'],
      [{ name: 'X', phone: '0612345673', departement: '99' }, 400, 'body.departement'],
      [{ name: 'X', phone: '0612345674', consent: { given_at: '2099-01-01T00:00:00Z', source: 'x' } }, 422, 'body.consent.given_at'],
      [{ name: 'X', phone: '0612345674', departement: ' 75' }, 400, 'body.departement'],
      [{ name: '   ', phone: '0612345674' }, 400, 'body.name'],
      [{ name: 'X', phone: '06\t12 34 56 78' }, 400, 'body.phone'],
      [{ name: "Robert'); DROP TABLE contacts;--", phone: "0612345675' OR '1'='1" }, 400, 'body.phone'],
      [{ name: 'x'.repeat(201), phone: '0612345676' }, 400, 'body.name'],
      [{ name: 'A\u0000B', phone: '0612345677' }, 400, 'body.name'],
      [{ name: 'A\ud800B', phone: '0612345678' }, 400, 'body.name'],
      [{ name: 'evil\u202Egnp.exe', phone: '0612345679' }, 400, 'body.name'],
      [{ name: 'Bell\u0007', phone: '0612345680' }, 400, 'body.name'],
      [{ name: ['array'], phone: '0612345681' }, 400, 'body.name'],
      [{ name: 'X', last_name: 'Y', phone: '0612345682' }, 400, 'body.name'],
      [[1, 2, 3], 400, 'body'],
      ['just a string', 400, 'body'],
    ];
    for (const [body, status, field] of bad) {
      const r = await call('POST', '/contacts', { body });
      assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 80)} → ${r.text}`);
      assert.ok(r.json.error.issues.some((i: any) => i.field === field), `${field} named in ${r.text}`);
    }
    const raw: [string, number][] = [
      ['{"name": "X", "phone": ', 400], // truncated JSON
      [JSON.stringify({ name: 'x'.repeat(200), phone: '0612345683', consent: { source: 'y'.repeat(100_000), given_at: '2025-01-01T00:00:00Z' } }), 413],
    ];
    for (const [body, status] of raw) assert.equal((await call('POST', '/contacts', { raw: body })).status, status);
    assert.equal((await call('POST', '/contacts', { raw: 'name=X&phone=0612345684', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 400);
    for (const [path, field] of [
      ['/contacts?limit=100000', 'query.limit'], ['/contacts?limit=-1', 'query.limit'], ['/contacts?status=1%27%20OR%201=1', 'query.status'],
      ['/contacts?cursor=AA.A', 'query.cursor'], ['/contacts?foo=bar', 'query'], ['/contacts/1%20OR%201=1', 'path.id'], ['/contacts?source=%00', 'query.source'],
      ['/campaigns?offset=1e9', 'query.offset'], ['/stats/latency?since=yesterday', 'query.since'], ['/calls/active?campaign_id=x', 'query.campaign_id'],
    ] as const) {
      const r = await call('GET', path);
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.ok(r.json.error.issues.some((i: any) => i.field === field), `${path}: ${field} in ${r.text}`);
    }
    assert.equal((await call('PUT', '/contacts/00000000-0000-4000-8000-000000000000', { body: {} })).status, 400);
    const notOurs = await call('GET', '/contacts?cursor=AAAA');
    assert.deepEqual([notOurs.status, notOurs.json.error.issues[0].field], [422, 'query.cursor'], 'base64url, but not a cursor of ours');
    assert.equal(await stack.prisma.contact.count(), before, 'nothing written');
  });
});

describe('campaigns, calls and statistics on a real campaign', () => {
  let campaignId: string;
  let total: number;

  test('POST /campaigns creates and starts the workflow; pause / resume are Temporal signals', async () => {
    const { source, ids } = await makeContacts(stack.prisma, 24);
    total = ids.length;
    const bad = await call('POST', '/campaigns', { body: { name: 'x', scenario: 'No Such!', max_concurrent_calls: 0, schedule: { start_time: '25:00' } } });
    assert.equal(bad.status, 400);
    for (const f of ['body.scenario', 'body.max_concurrent_calls', 'body.schedule.start_time']) assert.ok(bad.json.error.issues.some((i: any) => i.field === f), f);
    // A well-formed name no loader knows: a rule (the folders may change while the API runs), not the document.
    const unknown = await call('POST', '/campaigns', { body: { name: 'x', scenario: 'nope' } });
    assert.deepEqual([unknown.status, unknown.json.error.issues.map((i: any) => i.field)], [422, ['body.scenario']]);
    assert.match(unknown.json.error.issues[0].reason, /unknown scenario "nope" \(known: .*production/);
    const before = await stack.prisma.campaign.count();
    assert.equal((await call('POST', '/campaigns', { body: { name: 'x', unknown_field: true } })).status, 400);
    assert.equal(await stack.prisma.campaign.count(), before);

    const r = await call('POST', '/campaigns', {
      body: { name: 'API test', scenario: 'production', max_concurrent_calls: 2, contact_limit: 50, contact_source: source, max_attempts: 1, time_scale: 0.02, ignore_window: true, schedule: { start_time: '10:30', end_time: '17:00' } },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.started, true);
    assert.equal(r.json.schedule.start_time, '10:30');
    campaignId = r.json.id;
    await waitUntil('calls to start', async () => (await stack.prisma.call.count({ where: { campaignId } })) > 0);

    assert.equal((await call('POST', `/campaigns/${campaignId}/pause`)).status, 202);
    await waitUntil('the workflow to report paused', async () => (await campaignStatus(stack.client, campaignId)).state === 'paused');
    const g = await call('GET', `/campaigns/${campaignId}`);
    assert.equal(g.status, 200);
    assert.equal(g.json.workflow.execution_status, 'running');
    assert.equal(g.json.workflow.state, 'paused');
    assert.match(g.json.web_ui ?? '', /\/workflows\/campaign-/);
    await waitUntil('paused in the database', async () => (await stack.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } })).status === 'paused');

    const active = await call('GET', `/calls/active?campaign_id=${campaignId}`);
    assert.equal(active.status, 200);
    assert.equal(active.json.items.length, active.json.total);
    assert.ok(active.json.items.every((c: any) => c.campaign_id === campaignId && c.web_ui));
    assert.ok(active.json.total <= 2, 'never more than the cap');

    assert.equal((await call('POST', `/campaigns/${campaignId}/resume`)).status, 202);
    await waitUntil('the campaign to complete', async () => (await stack.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } })).status === 'completed', 120_000);
  });

  test('stats and analytics match the call records', async () => {
    const s = await call('GET', `/campaigns/${campaignId}/stats`);
    assert.equal(s.status, 200);
    const calls = await stack.prisma.call.findMany({ where: { campaignId } });
    assert.equal(s.json.contacts, total);
    assert.equal(s.json.settled, total);
    assert.equal(s.json.progress, 1);
    assert.equal(s.json.calls_dialed, calls.length);
    assert.equal(s.json.active_calls, 0);
    const outcomes: Record<string, number> = {};
    for (const c of calls) if (c.outcome) outcomes[c.outcome] = (outcomes[c.outcome] ?? 0) + 1;
    assert.deepEqual(s.json.outcomes, outcomes);
    assert.ok(s.json.max_concurrent_measured <= 2);

    const a = await call('GET', `/campaigns/${campaignId}/analytics`);
    assert.equal(a.status, 200);
    assert.equal(a.json.calls, calls.length);
    assert.equal(a.json.leads, calls.filter((c) => c.outcome === 'lead').length);
    assert.equal(a.json.answered, calls.filter((c) => c.answeredAt).length);
    const turns = await stack.prisma.callInteraction.count({ where: { call: { campaignId } } });
    assert.equal(Object.values(a.json.intents as Record<string, number>).reduce((x, y) => x + y, 0), turns);
    assert.equal(a.json.latency_ms.turns, turns);
    assert.equal(a.json.calls_per_hour.reduce((x: number, h: any) => x + h.calls, 0), calls.length);

    const perf = await call('GET', `/stats/performance?campaign_id=${campaignId}`);
    assert.equal(perf.json.calls, calls.length);
    assert.equal(perf.json.leads, a.json.leads);
    const lat = await call('GET', `/stats/latency?campaign_id=${campaignId}`);
    assert.equal(lat.json.turns, turns);
    const asr = await stack.prisma.callInteraction.aggregate({ where: { call: { campaignId } }, _avg: { asrLatencyMs: true } });
    assert.equal(lat.json.asr_avg_ms, asr._avg.asrLatencyMs === null ? null : Math.round(asr._avg.asrLatencyMs * 10) / 10);
    assert.equal(lat.json.targets_ms.total, stack.cfg.TARGET_TOTAL_LATENCY);
    const dist = await call('GET', `/stats/intent-distribution?campaign_id=${campaignId}`);
    assert.deepEqual(dist.json, a.json.intents);
    const q = await call('GET', `/stats/asr-quality?campaign_id=${campaignId}`);
    assert.equal(q.json.turns, turns);
    assert.equal(q.json.transcribed_turns + q.json.silent_turns, turns);
    if (q.json.transcribed_turns > 0) assert.ok(q.json.confidence_avg > 0 && q.json.confidence_avg <= 1);
    const since = await call('GET', `/stats/performance?since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`);
    assert.equal(since.json.calls, 0);
  });

  test('a call with its transcript; retry puts the contact back and a new attempt is dialed', async () => {
    const withTurns = await stack.prisma.call.findFirstOrThrow({ where: { campaignId, interactions: { some: {} } }, include: { interactions: true } });
    const c = await call('GET', `/calls/${withTurns.id}`);
    assert.equal(c.status, 200);
    assert.equal(c.json.transcript.length, withTurns.interactions.length);
    assert.deepEqual(c.json.transcript.map((t: any) => t.turn), [...withTurns.interactions].sort((x, y) => x.turn - y.turn).map((t) => t.turn));
    assert.ok('asr' in c.json.transcript[0].latency_ms);
    assert.equal(c.json.recording, null);
    assert.match(c.json.web_ui, /\/workflows\/call-/);
    assert.equal((await call('GET', `/calls/${withTurns.id}/recording`)).status, 404);
    assert.equal((await call('GET', '/calls/00000000-0000-4000-8000-000000000000')).status, 404);

    const target = await stack.prisma.call.findFirst({ where: { campaignId, outcome: { in: ['lead', 'no_answer', 'busy', 'machine', 'callback', 'failed'] }, contact: { optOut: false } } });
    assert.ok(target, 'a retryable call');
    const r = await call('POST', `/calls/${target.id}/retry`);
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.next_attempt, target.attempt + 1);
    assert.equal(r.json.campaign_relaunched, true);
    await waitUntil('the new attempt', async () => (await stack.prisma.call.count({ where: { campaignId, contactId: target.contactId, attempt: target.attempt + 1 } })) === 1, 60_000);
    const again = await call('POST', `/calls/${target.id}/retry`);
    assert.ok([409, 202].includes(again.status));
    await waitUntil('the campaign to complete again', async () => (await stack.client.workflow.getHandle(`campaign-${campaignId}`).describe()).status.name === 'COMPLETED', 60_000);
    const optedOut = await stack.prisma.call.findFirst({ where: { campaignId, outcome: 'opted_out' } });
    if (optedOut) assert.equal((await call('POST', `/calls/${optedOut.id}/retry`)).status, 409);
  });

  test('retry repairs a call whose workflow closed without writing its outcome, then dials a new attempt', async () => {
    // The state a call workflow that died mid-call leaves: a record with no end, its contact in_call.
    const { ids } = await makeContacts(stack.prisma, 1);
    const contactId = ids[0]!;
    const workflowId = `call-${campaignId}-${contactId}-1`;
    await stack.prisma.campaignContact.create({ data: { campaignId, contactId, state: 'in_call', attempts: 1 } });
    total += 1; // one more contact in the campaign, for the figures checked below
    const orphan = await stack.prisma.call.create({ data: { campaignId, contactId, attempt: 1, workflowId, phone: 'x', status: 'answered', dialedAt: new Date(Date.now() - 60_000) } });
    const r = await call('POST', `/calls/${orphan.id}/retry`);
    assert.equal(r.status, 202, r.text);
    assert.equal(r.json.repaired, true);
    assert.equal(r.json.next_attempt, 2);
    const closed = await stack.prisma.call.findUniqueOrThrow({ where: { id: orphan.id } });
    assert.equal(closed.outcome, 'failed');
    assert.equal(closed.hangupCause, 'workflow_closed');
    assert.ok(closed.endedAt);
    await waitUntil('the new attempt', async () => (await stack.prisma.call.count({ where: { campaignId, contactId, attempt: 2 } })) === 1, 60_000);
    await waitUntil('the campaign to complete again', async () => (await stack.client.workflow.getHandle(`campaign-${campaignId}`).describe()).status.name === 'COMPLETED', 60_000);
    const cc = await stack.prisma.campaignContact.findUniqueOrThrow({ where: { campaignId_contactId: { campaignId, contactId } } });
    assert.ok(['done', 'skipped'].includes(cc.state), `the contact reached a final state (${cc.state})`);
  });

  test('signals to a finished or unknown campaign: 409 / 404; list; realtime stream; metrics', async () => {
    assert.equal((await call('POST', `/campaigns/${campaignId}/pause`)).status, 409);
    assert.equal((await call('POST', '/campaigns/00000000-0000-4000-8000-000000000000/stop')).status, 404);
    assert.equal((await call('POST', '/campaigns/not-a-uuid/stop')).status, 400);
    const draft = await call('POST', '/campaigns?launch=false', { body: { name: 'draft' } });
    assert.equal(draft.status, 201);
    assert.equal(draft.json.status, 'draft');
    assert.equal((await call('POST', `/campaigns/${draft.json.id}/pause`)).status, 409);
    const list = await call('GET', '/campaigns?limit=200');
    assert.equal(list.json.total, await stack.prisma.campaign.count());
    assert.ok(list.json.items.some((c: any) => c.id === campaignId && c.status === 'completed'));
    assert.ok((await call('GET', '/campaigns?status=draft')).json.items.every((c: any) => c.status === 'draft'));

    // SSE: the first snapshot arrives at once.
    const ac = new AbortController();
    const res = await fetch(`${base}/stats/realtime?interval=0.5`, { headers: { authorization: `Bearer ${KEY}` }, signal: ac.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    while (!buf.includes('\n\n')) buf += (await reader.read()).value ?? '';
    ac.abort();
    const data = JSON.parse(/data: (.*)/.exec(buf)![1]!);
    assert.match(buf, /event: snapshot/);
    const mine = data.campaigns.find((c: any) => c.id === campaignId);
    assert.equal(mine.contacts, total);
    assert.equal(mine.calls, await stack.prisma.call.count({ where: { campaignId } }));
    assert.equal(data.performance.calls, await stack.prisma.call.count());

    const m = await call('GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
    const leads = await stack.prisma.call.count({ where: { outcome: 'lead' } });
    if (leads) assert.match(m.text, new RegExp(`^minibot_calls_total\\{outcome="lead"\\} ${leads}$`, 'm'));
    assert.match(m.text, new RegExp(`^minibot_calls_dialed_total ${await stack.prisma.call.count()}$`, 'm'));
    assert.match(m.text, /^minibot_active_calls \d+$/m);
    assert.match(m.text, /^minibot_dial_rate_per_minute \d+$/m);
    const turns = await stack.prisma.callInteraction.count({ where: { totalLatencyMs: { not: null } } });
    assert.match(m.text, new RegExp(`^minibot_turn_latency_seconds_count ${turns}$`, 'm'));
    for (const h of ['barge_in', 'asr', 'intent', 'turn']) assert.match(m.text, new RegExp(`^# TYPE minibot_${h}_latency_seconds histogram$`, 'm'));
    assert.match(m.text, /^minibot_workflow_task_failures \d+$/m);
    assert.match(m.text, /^minibot_workflows\{status="Completed"\} \d+$/m);
    // A second scrape does not count the same turns twice.
    const m2 = await call('GET', '/metrics');
    assert.match(m2.text, new RegExp(`^minibot_turn_latency_seconds_count ${turns}$`, 'm'));
  });
});

describe('a campaign whose workers are gone', () => {
  test('reads answer in bounded time with the state unknown, and the stream keeps going', async () => {
    const { createCampaign, launchCampaign } = await import('../../services/campaigns');
    const c = await createCampaign(stack.prisma, { name: 'orphan', ignore_window: true });
    await launchCampaign(stack.client, stack.prisma, { ...stack.cfg, TEMPORAL_TASK_QUEUE: `nobody-${c.id.slice(0, 8)}` }, c.id);
    try {
      const t0 = Date.now();
      const g = await call('GET', `/campaigns/${c.id}`);
      assert.equal(g.status, 200);
      assert.equal(g.json.workflow.execution_status, 'running');
      assert.equal(g.json.workflow.state, null);
      assert.ok(Date.now() - t0 < 10_000);
      const ac = new AbortController();
      const res = await fetch(`${base}/stats/realtime`, { headers: { authorization: `Bearer ${KEY}` }, signal: ac.signal });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      while (!buf.includes('\n\n')) buf += (await reader.read()).value ?? '';
      ac.abort();
      const snap = JSON.parse(/data: (.*)/.exec(buf)![1]!);
      assert.equal(snap.campaigns.find((x: any) => x.id === c.id).active_calls, null);
    } finally {
      await stack.client.workflow.getHandle(`campaign-${c.id}`).terminate('test done');
    }
  });
});

describe('the law at launch (real telephony configured)', () => {
  test('a caller ID outside the canvassing ranges: 422 naming the field on create, 409 on launch; nothing started', async () => {
    const cfg = { ...stack.cfg, TELEPHONY_BACKEND: 'asterisk' as const, ARI_PASSWORD: 'test-ari-password', SIP_TRUNK_CALLER_ID: '0612345678' };
    const real = await listen(createApp({ cfg, prisma: stack.prisma, client: stack.client }, { apiKey: KEY, rateLimitPerMinute: 100_000 }));
    const post = (path: string, body?: unknown) => fetch(real.base + path, {
      method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));
    try {
      const ranges = '0162, 0163, 0270, 0271, 0377, 0378, 0424, 0425, 0568, 0569, 0948, 0949, 09475, 09476, 09477, 09478, 09479';
      const name = `law-${Date.now()}`;
      const own = await post('/campaigns', { name, caller_id: '06 12 34 56 78' });
      assert.equal(own.status, 422);
      assert.equal(own.json.error.code, 'rule_violation');
      assert.deepEqual(own.json.error.issues, [{ field: 'body.caller_id', reason: `0612345678 is outside the canvassing ranges; canvassing calls must present a number in ARCEP's dedicated ranges (decision n° 2022-1583): ${ranges}` }]);
      const trunk = await post('/campaigns', { name });
      assert.equal(trunk.status, 422);
      assert.deepEqual(trunk.json.error.issues.map((i: any) => i.field), ['env.SIP_TRUNK_CALLER_ID']);
      assert.equal(await stack.prisma.campaign.count({ where: { name } }), 0, 'nothing written');
      const draft = await post('/campaigns?launch=false', { name, caller_id: '0612345678' });
      assert.equal(draft.status, 201);
      assert.equal(draft.json.caller_id, '+33612345678');
      const launch = await post(`/campaigns/${draft.json.id}/launch`);
      assert.equal(launch.status, 409);
      assert.equal(launch.json.error.code, 'launch_refused');
      assert.deepEqual(launch.json.error.issues.map((i: any) => i.field), ['caller_id']);
      assert.equal((await stack.prisma.campaign.findUniqueOrThrow({ where: { id: draft.json.id } })).status, 'draft');
      await assert.rejects(stack.client.workflow.getHandle(`campaign-${draft.json.id}`).describe(), /not found/i, 'no workflow started');
      const nonCommercial = await post('/campaigns?launch=false', { name, caller_id: '0612345678', non_commercial: true });
      assert.equal(nonCommercial.status, 201, 'a survey may present any number');
    } finally {
      real.server.closeAllConnections();
      real.server.close();
    }
  });
});

describe('OpenAPI document and documentation pages', () => {
  test('the document is valid OpenAPI 3.1 and matches the mounted routes', async () => {
    const r = await call('GET', '/openapi.json', { key: null });
    assert.equal(r.status, 200);
    const doc = r.json;
    assert.equal(doc.openapi, '3.1.0');
    const v = new Validator();
    const res = await v.validate(doc);
    assert.equal(res.valid, true, String(JSON.stringify(res.errors)).slice(0, 2000));

    const seed = [
      'GET /health', 'GET /contacts', 'POST /contacts', 'PUT /contacts/{id}', 'POST /campaigns', 'GET /campaigns/{id}', 'GET /campaigns/{id}/stats',
      'GET /campaigns/{id}/analytics', 'POST /campaigns/{id}/pause', 'POST /campaigns/{id}/resume', 'POST /campaigns/{id}/stop', 'GET /calls/active',
      'GET /calls/{id}', 'POST /calls/{id}/retry', 'GET /stats/performance', 'GET /stats/latency', 'GET /stats/asr-quality',
      'GET /stats/intent-distribution', 'GET /stats/realtime', 'GET /metrics', 'GET /campaigns/{id}/leads',
      'GET /campaigns/{id}/leads/export', 'GET /campaigns/{id}/calls', 'GET /campaigns/{id}/scenario',
    ];
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    for (const s of seed) assert.ok(documented.includes(s), `${s} documented`);

    // Every documented operation is routed (a request never falls through to the 404 "no route" handler),
    // and an undocumented one is not.
    const id = '00000000-0000-4000-8000-000000000000';
    for (const op of documented) {
      const [method, p] = op.split(' ') as [string, string];
      if (p === '/stats/realtime') continue; // streams forever; exercised above
      const x = await call(method, p.replace('{id}', id), method === 'GET' ? {} : { body: {} });
      assert.ok(!(x.status === 404 && /no route/.test(x.json?.error?.message ?? '')), `${op} is routed (${x.status} ${x.text.slice(0, 100)})`);
    }
    // A documented path with an undeclared method: 405 with the methods it has; an unknown path: 404.
    const y = await call('DELETE', `/contacts/${id}`);
    assert.equal(y.status, 405);
    assert.equal(y.headers.get('allow'), 'GET, HEAD, PUT, OPTIONS');
    assert.equal(y.json.error.code, 'method_not_allowed');
    const trace = await call('PATCH', '/campaigns');
    assert.deepEqual([trace.status, trace.headers.get('allow')], [405, 'GET, HEAD, POST, OPTIONS']);
    const options = await call('OPTIONS', '/health', { key: null });
    assert.deepEqual([options.status, options.headers.get('allow')], [204, 'GET, HEAD, OPTIONS']);
    const nowhere = await call('DELETE', '/nowhere');
    assert.equal(nowhere.status, 404);
    assert.match(nowhere.json.error.message, /no route/);

    // The request schemas are the validating ones: the documented body of POST /contacts rejects unknown fields.
    const body = doc.paths['/contacts'].post.requestBody.content['application/json'].schema;
    assert.equal(body.additionalProperties, false);
    assert.ok(body.required.includes('phone'));
    const q = doc.paths['/contacts'].get.parameters.find((p: any) => p.name === 'limit');
    assert.equal(q.schema.maximum, 500);
  });

  test('Swagger UI at /docs and ReDoc at /redoc, with their assets served locally', async () => {
    const docs = await fetch(`${base}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger-ui/);
    const redoc = await fetch(`${base}/redoc`);
    assert.match(await redoc.text(), /<redoc spec-url="\/openapi.json">/);
    assert.equal((await fetch(`${base}/assets/vendor/redoc.standalone.js`)).status, 200);
    assert.equal((await fetch(`${base}/assets/vendor/chart.umd.js`)).status, 200);
    const dash = await fetch(`${base}/`);
    assert.match(await dash.text(), /data-testid="api-key"/);
  });
});
