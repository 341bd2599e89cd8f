// Leads out: `minibot leads export` (CSV for Excel-FR and JSON Lines, --since, --out) and GET /campaigns/:id/leads,
// against the real Postgres, on call records written here: three leads (one with a formula-looking transcript and
// name, one with a callback time), and calls with other outcomes that must not appear. Exact content asserted.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../api/app';
import { makeContacts, testStack, type TestStack } from '../helpers/stack';
import { runMinibot } from '../helpers/minibot-cli';

const KEY = 'l'.repeat(8) + '-leads-test-key-0123456789';
let stack: TestStack;
let server: Server;
let base = '';
let dir = '';
let campaignId = '';
let phones: string[] = [];
let ids: string[] = [];
const callIds: string[] = [];

const minibot = (args: string[]) => runMinibot(args);

const t = (s: string) => new Date(`2026-03-02T${s}Z`);

before(async () => {
  stack = await testStack();
  const app = createApp({ cfg: stack.cfg, prisma: stack.prisma, client: stack.client }, { apiKey: KEY, rateLimitPerMinute: 100_000 });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'minibot-leads-'));
  ({ ids, phones } = await makeContacts(stack.prisma, 5, (i) => [
    { lastName: 'Martin', firstName: 'Élodie', email: 'e@x.fr', departement: '75' },
    { lastName: '=HYPERLINK("http://x")', firstName: 'Bob', email: null, departement: '13' },
    { lastName: 'Durand', firstName: 'Paul', email: 'p@x.fr', departement: '974' },
    { lastName: 'Refus', firstName: 'Non' },
    { lastName: 'Rappel', firstName: 'Plus tard' },
  ][i]!));
  const c = await stack.prisma.campaign.create({ data: { name: `leads-${randomUUID().slice(0, 8)}` } });
  campaignId = c.id;
  const calls: [number, string, string, number | null, string | null][] = [
    // contact index, outcome, ended at, talk ms, callback at
    [0, 'lead', '09:05:00', 61_500, null],
    [1, 'lead', '10:10:00', 42_000, null],
    [2, 'lead', '11:30:00', 75_000, '2026-03-03T14:00:00.000Z'],
    [3, 'not_interested', '09:30:00', 20_000, null],
    [4, 'callback', '09:40:00', 30_000, '2026-03-04T10:00:00.000Z'],
  ];
  for (const [i, outcome, end, talk, cb] of calls) {
    const k = await stack.prisma.call.create({ data: {
      campaignId, contactId: ids[i]!, attempt: 1, workflowId: `call-${campaignId}-${ids[i]}-1`, phone: phones[i]!, status: 'completed',
      outcome: outcome as 'lead', dialedAt: new Date(t(end).getTime() - 120_000), answeredAt: new Date(t(end).getTime() - 100_000), endedAt: t(end),
      talkDurationMs: talk, callbackAt: cb ? new Date(cb) : null,
    } });
    if (outcome === 'lead') callIds.push(k.id);
    // The scenario's captures, as workflows/call.ts stores them in a turn's metadata (a key press has no transcript).
    const surface = { field: 'surface_m2', kind: 'number', transcript: 'une maison de 120 m²', intent: 'inform', value: 120 };
    const owner = { field: 'proprietaire', kind: 'yes_no', transcript: null, intent: 'affirm', value: true };
    const turns: [string, string | null, string | null, number | null, object?][] = i === 0
      ? [['hello', null, null, null], ['q1', 'oui ça m\'intéresse', 'affirm', 0.91], ['q2', 'une maison de 120 m²', 'inform', 0.8, { capture: surface }], ['proprio', null, 'affirm', 1, { dtmf: '1', capture: owner }]]
      : i === 1 ? [['q1', '=1+1 oui', 'affirm', 0.7]]
        : i === 2 ? [['q1', 'oui', 'affirm', 0.95], ['callback', 'demain à 14 h', 'callback', 0.88]] : [['q1', 'non', 'deny', 0.9]];
    let turn = 0;
    for (const [step, transcript, intent, conf, metadata] of turns) {
      await stack.prisma.callInteraction.create({ data: { callId: k.id, turn: turn++, step, prompt: step, transcript, intent, intentConfidence: conf, ...(metadata ? { streamingMetadata: metadata } : {}) } });
    }
  }
});

after(async () => {
  server?.closeAllConnections();
  server?.close();
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const expectedJson = () => [
  {
    call_id: callIds[0], campaign_id: campaignId,
    contact: { id: ids[0], phone: phones[0], last_name: 'Martin', first_name: 'Élodie', email: 'e@x.fr', departement: '75' },
    attempt: 1, dialed_at: '2026-03-02T09:03:00.000Z', answered_at: '2026-03-02T09:03:20.000Z', ended_at: '2026-03-02T09:05:00.000Z',
    talk_duration_ms: 61500, callback_at: null,
    answers: [
      { turn: 1, step: 'q1', transcript: 'oui ça m\'intéresse', intent: 'affirm', confidence: 0.91 },
      { turn: 2, step: 'q2', transcript: 'une maison de 120 m²', intent: 'inform', confidence: 0.8 },
    ],
    captures: {
      surface_m2: { value: 120, transcript: 'une maison de 120 m²', intent: 'inform', step: 'q2', turn: 2 },
      proprietaire: { value: true, transcript: null, intent: 'affirm', step: 'proprio', turn: 3 },
    },
  },
  {
    call_id: callIds[1], campaign_id: campaignId,
    contact: { id: ids[1], phone: phones[1], last_name: '=HYPERLINK("http://x")', first_name: 'Bob', email: null, departement: '13' },
    attempt: 1, dialed_at: '2026-03-02T10:08:00.000Z', answered_at: '2026-03-02T10:08:20.000Z', ended_at: '2026-03-02T10:10:00.000Z',
    talk_duration_ms: 42000, callback_at: null,
    answers: [{ turn: 0, step: 'q1', transcript: '=1+1 oui', intent: 'affirm', confidence: 0.7 }],
    captures: {},
  },
  {
    call_id: callIds[2], campaign_id: campaignId,
    contact: { id: ids[2], phone: phones[2], last_name: 'Durand', first_name: 'Paul', email: 'p@x.fr', departement: '974' },
    attempt: 1, dialed_at: '2026-03-02T11:28:00.000Z', answered_at: '2026-03-02T11:28:20.000Z', ended_at: '2026-03-02T11:30:00.000Z',
    talk_duration_ms: 75000, callback_at: '2026-03-03T14:00:00.000Z',
    answers: [
      { turn: 0, step: 'q1', transcript: 'oui', intent: 'affirm', confidence: 0.95 },
      { turn: 1, step: 'callback', transcript: 'demain à 14 h', intent: 'callback', confidence: 0.88 },
    ],
    captures: {},
  },
];

test('leads export: CSV with BOM, ";", CRLF, formula cells neutralised; exact rows; --since; JSON Lines', async () => {
  const out = join(dir, 'leads.csv');
  const r = await minibot(['leads', 'export', '--campaign', campaignId, '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, `leads: 3 lead(s) written to ${out}\n`);
  assert.equal(existsSync(`${out}.tmp`), false);
  const csv = readFileSync(out, 'utf8');
  // csv-stringify's escape_formulas quotes every cell starting with + too: Excel shows '+33… as the text +33…
  // (without it, it would read the number as a formula and drop the +).
  assert.equal(csv, '\uFEFF' + [
    'call_id;contact_id;phone;last_name;first_name;email;departement;attempt;dialed_at;answered_at;ended_at;talk_seconds;callback_at;answers;captures',
    `${callIds[0]};${ids[0]};'${phones[0]};Martin;Élodie;e@x.fr;75;1;2026-03-02T09:03:00.000Z;2026-03-02T09:03:20.000Z;2026-03-02T09:05:00.000Z;61.5;;q1: oui ça m'intéresse [affirm] | q2: une maison de 120 m² [inform];surface_m2=120 | proprietaire=oui`,
    `${callIds[1]};${ids[1]};'${phones[1]};"'=HYPERLINK(""http://x"")";Bob;;13;1;2026-03-02T10:08:00.000Z;2026-03-02T10:08:20.000Z;2026-03-02T10:10:00.000Z;42.0;;q1: =1+1 oui [affirm];`,
    `${callIds[2]};${ids[2]};'${phones[2]};Durand;Paul;p@x.fr;974;1;2026-03-02T11:28:00.000Z;2026-03-02T11:28:20.000Z;2026-03-02T11:30:00.000Z;75.0;2026-03-03T14:00:00.000Z;q1: oui [affirm] | callback: demain à 14 h [callback];`,
  ].join('\r\n') + '\r\n');

  const since = await minibot(['leads', 'export', '--campaign', campaignId, '--since', '2026-03-02T10:10:00Z', '--format', 'jsonl']);
  assert.equal(since.code, 0, since.err);
  assert.deepEqual(since.out.trimEnd().split('\n').map((l) => JSON.parse(l)), expectedJson().slice(1));

  const all = await minibot(['leads', 'export', '--campaign', campaignId, '--format', 'jsonl']);
  assert.deepEqual(all.out.trimEnd().split('\n').map((l) => JSON.parse(l)), expectedJson());

  const empty = await stack.prisma.campaign.create({ data: { name: `leads-empty-${randomUUID().slice(0, 8)}` } });
  const none = await minibot(['leads', 'export', '--campaign', empty.id]);
  assert.equal(none.code, 0, none.err);
  assert.equal(none.out, '\uFEFFcall_id;contact_id;phone;last_name;first_name;email;departement;attempt;dialed_at;answered_at;ended_at;talk_seconds;callback_at;answers;captures\r\n');

  const missing = await minibot(['leads', 'export', '--campaign', randomUUID()]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /campaign [0-9a-f-]+ not found/);
  const badSince = await minibot(['leads', 'export', '--campaign', campaignId, '--since', 'hier']);
  assert.equal(badSince.code, 1);
  assert.match(badSince.err, /"hier" is not an ISO 8601 instant/);
});

test('GET /campaigns/:id/leads: behind the API key, exact items, since, paging, 404', async () => {
  const get = (path: string, key: string | null = KEY) => fetch(base + path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  assert.equal((await get(`/campaigns/${campaignId}/leads`, null)).status, 401);
  const r = await get(`/campaigns/${campaignId}/leads`);
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { campaign_id: campaignId, since: null, total: 3, limit: 100, offset: 0, items: expectedJson() });
  const page = await (await get(`/campaigns/${campaignId}/leads?since=2026-03-02T10:00:00Z&limit=1&offset=1`)).json();
  assert.deepEqual(page, { campaign_id: campaignId, since: '2026-03-02T10:00:00.000Z', total: 2, limit: 1, offset: 1, items: expectedJson().slice(2) });
  assert.equal((await get(`/campaigns/${randomUUID()}/leads`)).status, 404);
  const bad = await get(`/campaigns/${campaignId}/leads?since=yesterday`);
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(await bad.json()), /since/);
  const doc = (await (await get('/openapi.json', null)).json()) as { paths: Record<string, { get?: unknown }> };
  assert.ok(doc.paths['/campaigns/{id}/leads']?.get, 'documented in the OpenAPI document');
});
