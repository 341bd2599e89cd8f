// The dashboard in headless Chromium (Debian's chromium driven by playwright-core) against a running
// campaign on the real stack: asks for the key, shows the campaign with the API's numbers and French labels, the
// pause button pauses the workflow in Temporal, and a screenshot is saved in test-artifacts/. A campaign's page
// shows the API's calls (filtered, searched), a call's turns and its recording played by the browser, the leads
// and their export, and the scenario graph with each edge's traffic. The API docs pages render.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../api/app';
import { campaignStatus, createCampaign, launchCampaign, signalCampaign } from '../../services/campaigns';
import { makeContacts, startWorkers, testStack, waitUntil, type RunningWorkers, type TestStack } from '../helpers/stack';

const ROOT = join(import.meta.dirname, '..', '..');
const KEY = 'browser-test-key-0123456789';
let stack: TestStack;
let workers: RunningWorkers;
let server: Server;
let base: string;
let browser: BrowserContext;
let profile: string;
let recordings: string;
const pageErrors: string[] = [];

before(async () => {
  const setup = spawnSync('bash', [join(ROOT, 'scripts/setup-browser.sh')], { stdio: 'inherit' });
  assert.equal(setup.status, 0, 'scripts/setup-browser.sh (installs Debian chromium)');
  recordings = mkdtempSync(join(tmpdir(), 'minibot-recordings-'));
  stack = await testStack({ RECORDINGS_DIR: recordings });
  // Mostly answered calls, so that the campaign page has leads, refusals and turns to show.
  workers = await startWorkers(stack, {
    speed: 8, seed: 'browser', lineMix: { answer: 80, no_answer: 10, busy: 10 }, personaMix: { lead: 40, refuser: 30, callback: 20, silent: 10 },
  });
  server = createApp({ cfg: stack.cfg, prisma: stack.prisma, client: stack.client }, { apiKey: KEY, rateLimitPerMinute: 100_000 }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  profile = mkdtempSync(join(tmpdir(), 'minibot-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1400, height: 1000 },
  });
});

after(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (recordings) rmSync(recordings, { recursive: true, force: true });
  server?.closeAllConnections();
  server?.close();
  await workers?.stop();
  await stack?.close();
});

async function api(path: string) {
  const r = await fetch(base + path, { headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(r.status, 200, path);
  return (await r.json()) as any;
}

// What the pages must say for each code (the French an operator reads).
const FR_OUTCOME: Record<string, string> = {
  lead: 'Intéressé (lead)', not_interested: 'Pas intéressé', callback: 'À rappeler', no_answer: 'Pas de réponse', busy: 'Occupé',
  machine: 'Répondeur', failed: 'Échec technique', opted_out: 'Ne plus appeler', hangup: 'A raccroché', test_completed: 'Test terminé',
  transferred: 'Transféré à un conseiller', transfer_failed: 'Transfert échoué', none: 'En cours',
};
const FR_INTENT: Record<string, string> = {
  affirm: 'Oui', deny: 'Non', unsure: 'Hésitant', callback: 'Demande de rappel', question: 'Question', stop: 'Ne plus appeler', silence: 'Silence', none: 'Aucune',
};

function watch(page: Page) {
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console: ${m.text()} (${m.location().url})`);
  });
}

test('dashboard: key prompt, live campaign matching the API, pause through Temporal, screenshot', async () => {
  const { source } = await makeContacts(stack.prisma, 40);
  const campaign = await createCampaign(stack.prisma, {
    name: 'Campagne navigateur', max_concurrent_calls: 2, contact_limit: 40, contact_source: source, max_attempts: 1, time_scale: 0.1, ignore_window: true,
  });
  await launchCampaign(stack.client, stack.prisma, stack.cfg, campaign.id);
  await waitUntil('the first calls', async () => (await stack.prisma.call.count({ where: { campaignId: campaign.id } })) > 0);

  const page = await browser.newPage();
  watch(page);
  await page.goto(base + '/');
  await page.getByTestId('api-key').fill('wrong-key');
  await page.getByTestId('login').click();
  await page.getByText('Clé API refusée').waitFor({ timeout: 10_000 });
  await page.getByTestId('api-key').fill(KEY);
  await page.getByTestId('login').click();
  const row = page.locator(`tr[data-campaign="${campaign.id}"]`);
  await row.waitFor({ timeout: 20_000 });
  await page.getByTestId('connection').filter({ hasText: 'en direct' }).waitFor({ timeout: 10_000 });

  const stats = await api(`/campaigns/${campaign.id}/stats`);
  assert.equal(Number(await row.getByTestId('contacts').textContent()), stats.contacts);
  assert.equal(stats.contacts, 40);
  assert.equal(await row.getByTestId('workflow-state').textContent(), 'En cours');
  const link = await row.locator('a', { hasText: 'Temporal' }).getAttribute('href');
  assert.equal(link, `${stack.cfg.TEMPORAL_UI_URL}/namespaces/${stack.cfg.TEMPORAL_NAMESPACE}/workflows/campaign-${campaign.id}`);

  // Pause from the page: the workflow in Temporal reports paused; the page follows.
  await row.getByTestId('pause').click();
  await waitUntil('Temporal to report the campaign paused', async () => (await campaignStatus(stack.client, campaign.id)).state === 'paused', 30_000);
  await row.getByTestId('workflow-state').filter({ hasText: 'En pause' }).waitFor({ timeout: 15_000 });
  await waitUntil('calls in progress to finish', async () => (await stack.prisma.call.count({ where: { campaignId: campaign.id, endedAt: null } })) === 0, 60_000);

  // Once nothing moves, every number on the page equals the API's.
  let last = '';
  await waitUntil('the page to show the API figures', async () => {
    const s = await api(`/campaigns/${campaign.id}/stats`);
    const perf = await api('/stats/performance');
    const dom = {
      calls: Number(await row.getByTestId('calls').textContent()),
      settled: Number(await row.getByTestId('settled').textContent()),
      leads: Number(await row.getByTestId('leads').textContent()),
      status: await row.getByTestId('status').textContent(),
      kpiCalls: Number((await page.getByTestId('kpi-calls').textContent())!.replace(/\s|\u202f/g, '')),
      kpiActive: Number(await page.getByTestId('kpi-active').textContent()),
    };
    const want = { calls: s.calls_dialed, settled: s.settled, leads: s.outcomes.lead ?? 0, status: 'En pause', kpiCalls: perf.calls, kpiActive: perf.active_calls };
    last = JSON.stringify({ dom, want });
    return JSON.stringify(dom) === JSON.stringify(want);
  }, 20_000).catch((e) => assert.fail(`${(e as Error).message}: ${last}`));
  assert.ok(Number(await row.getByTestId('calls').textContent()) > 0);
  assert.equal(await row.getByTestId('resume').isEnabled(), true);
  // The charts' labels are French: each outcome and intent of the snapshot under its French name, no code left.
  // (The performance figures cover every campaign in the database: earlier test files' transfers too.)
  let charts = '';
  await waitUntil('the charts to show the snapshot\'s outcomes', async () => {
    const { labels, snapshot } = await page.evaluate(() => ({ labels: (globalThis as any).__chartLabels(), snapshot: (globalThis as any).__lastSnapshot }));
    const want = { outcomes: Object.keys(snapshot.performance.outcomes).map((k) => FR_OUTCOME[k] ?? `no French label for ${k}`).sort(),
      intents: Object.keys(snapshot.intents).map((k) => FR_INTENT[k] ?? `no French label for ${k}`).sort() };
    const got = { outcomes: [...labels.outcomes].sort(), intents: [...labels.intents].sort() };
    charts = JSON.stringify({ got, want });
    return want.outcomes.length > 0 && JSON.stringify(got) === JSON.stringify(want);
  }, 20_000).catch((e) => assert.fail(`${(e as Error).message}: ${charts}`));

  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  const shot = join(ROOT, 'test-artifacts', 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 10_000, 'screenshot written');

  // Resume from the page too.
  await row.getByTestId('resume').click();
  await waitUntil('Temporal to report the campaign running again', async () => (await campaignStatus(stack.client, campaign.id)).state !== 'paused', 30_000);
  await signalCampaign(stack.client, campaign.id, 'stop');
  // The only failed requests are the wrong key's 401s.
  assert.deepEqual(pageErrors.filter((e) => !/status of 401/.test(e)), [], 'no script errors or CSP violations');
  await waitUntil('the campaign to stop', async () => (await stack.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).status === 'stopped', 60_000);
  // Let the workflow close and the simulated lines go quiet before the workers and the client shut down.
  await waitUntil('the campaign workflow to close', async () => (await stack.client.workflow.getHandle(`campaign-${campaign.id}`).describe()).status.name !== 'RUNNING', 60_000);
  await waitUntil('every call to end', async () => (await stack.prisma.call.count({ where: { campaignId: campaign.id, endedAt: null } })) === 0, 60_000);
  await new Promise((r) => setTimeout(r, 2000));
  await page.close();
});

/** A mono 16-bit PCM WAV of `seconds` of a 440 Hz tone at 8 kHz. */
function toneWav(seconds: number): Buffer {
  const rate = 8000;
  const n = Math.round(seconds * rate);
  const b = Buffer.alloc(44 + n * 2);
  b.write('RIFF', 0); b.writeUInt32LE(36 + n * 2, 4); b.write('WAVE', 8); b.write('fmt ', 12); b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(rate, 24); b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34);
  b.write('data', 36); b.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  return b;
}

const text = async (page: Page, sel: string) => ((await page.locator(sel).first().textContent()) ?? '').trim();
const num = (s: string) => Number(s.replace(/[\s\u202f\u00a0]/g, ''));

test('campaign page: calls filtered and searched, a call\'s turns and recording, leads and export, scenario graph, all equal to the API', async () => {
  const { source } = await makeContacts(stack.prisma, 20);
  const campaign = await createCampaign(stack.prisma, {
    name: 'Campagne page', max_concurrent_calls: 5, contact_limit: 20, contact_source: source, max_attempts: 1, time_scale: 0.1, ignore_window: true,
  });
  await launchCampaign(stack.client, stack.prisma, stack.cfg, campaign.id);
  await waitUntil('the campaign to complete', async () => (await stack.prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).status === 'completed', 240_000);
  const id = campaign.id;

  // A recording on one lead's call (the simulated telephony records nothing; the Asterisk tier tests recording
  // itself): a 1.5 s WAV under RECORDINGS_DIR, as the recording store leaves it.
  const leadsApi = await api(`/campaigns/${id}/leads?limit=1000`);
  assert.ok(leadsApi.total > 0, 'the campaign has leads');
  const recorded = leadsApi.items[0].call_id as string;
  mkdirSync(join(recordings, '2026-12-01'), { recursive: true });
  writeFileSync(join(recordings, '2026-12-01', `${recorded}.wav`), toneWav(1.5));
  await stack.prisma.call.update({ where: { id: recorded }, data: { recordingPath: join(recordings, '2026-12-01', `${recorded}.wav`) } });

  const page = await browser.newPage();
  watch(page);
  pageErrors.length = 0;
  await page.goto(`${base}/dashboard/campaigns/${id}`);
  await page.getByTestId('api-key').fill(KEY);
  await page.getByTestId('login').click();
  await page.locator('body[data-loaded="true"]').waitFor({ timeout: 30_000 });

  // Figures.
  const stats = await api(`/campaigns/${id}/stats`);
  assert.equal(num(await text(page, '[data-testid=kpi-contacts]')), stats.contacts);
  assert.equal(num(await text(page, '[data-testid=kpi-calls]')), stats.calls_dialed);
  assert.equal(num(await text(page, '[data-testid=kpi-settled]')), stats.settled);
  assert.equal(num(await text(page, '[data-testid=kpi-leads]')), stats.outcomes.lead);
  assert.equal(await text(page, '[data-testid=campaign-status]'), 'Terminée');

  // Calls: every call of the API, each outcome in French.
  const rowsOf = async () => page.getByTestId('call-row').evaluateAll((trs) => trs.map((tr) => ({
    id: (tr as any).dataset.call, phone: tr.querySelector('[data-testid=call-phone]')!.textContent, outcome: tr.querySelector('[data-testid=call-outcome-label]')!.textContent,
  })));
  const all = await api(`/campaigns/${id}/calls?limit=500`);
  assert.equal(all.total, stats.calls_dialed);
  assert.equal(await page.getByTestId('calls-total').getAttribute('data-total'), String(all.total));
  const expected = all.items.map((c: any) => ({ id: c.id, phone: c.phone, outcome: FR_OUTCOME[c.outcome ?? 'none'] }));
  assert.deepEqual(await rowsOf(), expected);
  assert.ok(new Set(expected.map((e: any) => e.outcome)).size >= 2, 'several outcomes shown');

  // Filter by outcome.
  await page.getByTestId('outcome-filter').selectOption('lead');
  await page.locator('body[data-calls-query="limit=500&outcome=lead"]').waitFor({ timeout: 10_000 });
  const leadsOnly = await api(`/campaigns/${id}/calls?limit=500&outcome=lead`);
  assert.equal(leadsOnly.total, stats.outcomes.lead);
  assert.deepEqual(await rowsOf(), leadsOnly.items.map((c: any) => ({ id: c.id, phone: c.phone, outcome: 'Intéressé (lead)' })));

  // Search by number (its national form's last digits), on top of the filter.
  const target = leadsOnly.items.find((c: any) => c.id === recorded);
  const national = `0${target.phone.slice(3)}`;
  const typed = `${national.slice(0, 2)} ${national.slice(2, 4)} ${national.slice(4, 6)}`; // "07 5x xx": a prefix as people type it
  await page.getByTestId('phone-search').fill(typed);
  await page.locator(`body[data-calls-query="limit=500&outcome=lead&phone=${encodeURIComponent(typed).replace(/%20/g, '+')}"]`).waitFor({ timeout: 10_000 });
  const searched = await api(`/campaigns/${id}/calls?limit=500&outcome=lead&phone=${encodeURIComponent(typed)}`);
  assert.ok(searched.items.some((c: any) => c.id === recorded));
  assert.ok(searched.items.every((c: any) => c.phone.startsWith(`+33${national.slice(1, 6)}`)));
  assert.deepEqual(await rowsOf(), searched.items.map((c: any) => ({ id: c.id, phone: c.phone, outcome: 'Intéressé (lead)' })));
  await page.getByTestId('phone-search').fill(national.slice(-8));
  await page.locator(`body[data-calls-query="limit=500&outcome=lead&phone=${national.slice(-8)}"]`).waitFor({ timeout: 10_000 });
  assert.deepEqual((await rowsOf()).map((r) => r.id), [recorded]);

  // One call: its turns with French intents and the API's latencies; its recording decoded by the browser.
  await page.locator(`#calls tr[data-call="${recorded}"]`).click();
  await page.locator(`body[data-shown-call="${recorded}"]`).waitFor({ timeout: 10_000 });
  const call = await api(`/calls/${recorded}`);
  assert.ok(call.transcript.length >= 2);
  const turns = await page.getByTestId('turn').evaluateAll((trs) => trs.map((tr) => ({
    turn: Number((tr as any).dataset.turn),
    transcript: tr.querySelector('[data-testid=turn-transcript]')!.textContent,
    intent: tr.querySelector('[data-testid=turn-intent]')!.textContent,
    asr: tr.querySelector('[data-testid=turn-asr]')!.textContent,
    intentMs: tr.querySelector('[data-testid=turn-intent-ms]')!.textContent,
    total: tr.querySelector('[data-testid=turn-total]')!.textContent,
  })));
  const msText = (x: number | null) => (x === null ? '–' : `${Math.round(x)} ms`);
  assert.deepEqual(turns, call.transcript.map((t: any) => ({
    turn: t.turn, transcript: t.transcript ?? '–', intent: t.intent === null ? '–' : FR_INTENT[t.intent],
    asr: msText(t.latency_ms.asr), intentMs: msText(t.latency_ms.intent), total: msText(t.latency_ms.turn),
  })));
  assert.ok(turns.some((t) => t.intent === 'Oui'), 'a lead said yes');
  const audio = page.getByTestId('recording');
  await page.waitForFunction(() => ((globalThis as any).document.querySelector('[data-testid=recording]')).readyState >= 1, undefined, { timeout: 15_000 });
  const played = await audio.evaluate((a: any) => ({ src: a.src, duration: a.duration, hidden: a.hidden }));
  assert.match(played.src, /^blob:/);
  assert.equal(played.hidden, false);
  assert.equal(played.duration, 1.5);

  // Leads and their export: the file the button downloads is the API's (and the CLI's) CSV.
  assert.equal(await page.getByTestId('leads-total').getAttribute('data-total'), String(leadsApi.total));
  assert.deepEqual(await page.getByTestId('lead-row').evaluateAll((trs) => trs.map((tr) => (tr as any).dataset.call)), leadsApi.items.map((l: any) => l.call_id));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
  assert.equal(download.suggestedFilename(), `leads-${id}.csv`);
  const file = readFileSync((await download.path())!);
  const fromApi = Buffer.from(await (await fetch(`${base}/campaigns/${id}/leads/export?format=csv`, { headers: { authorization: `Bearer ${KEY}` } })).arrayBuffer());
  assert.deepEqual(file, fromApi);
  assert.deepEqual([...file.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
  assert.equal(file.toString('utf8').trim().split(/\r?\n/).length, leadsApi.total + 1);

  // The scenario graph: each edge's label is the API's traffic, and the API's traffic is the calls' recorded turns.
  const graph = await api(`/campaigns/${id}/scenario`);
  const labels = await page.getByTestId('edge').evaluateAll((gs) => gs.map((g) => ({
    from: (g as any).dataset.from, to: (g as any).dataset.to, text: g.querySelector('[data-testid=edge-label]')!.textContent,
  })));
  assert.equal(labels.length, graph.edges.length);
  const pctText = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);
  // Edges nobody took are drawn dashed, without a figure.
  assert.deepEqual(labels, graph.edges.map((e: any) => ({ from: e.from, to: e.to ?? '', text: e.calls ? `${e.calls} · ${pctText(e.share)}` : '' })));
  const withTurns = await stack.prisma.call.findMany({ where: { campaignId: id, interactions: { some: {} } }, include: { interactions: { orderBy: { turn: 'asc' } } } });
  assert.equal(graph.calls, withTurns.length);
  assert.equal(graph.steps.find((s: any) => s.id === 'hello').calls, withTurns.length);
  const took = (from: string, to: string) => withTurns.filter((c) => c.interactions.some((i) => i.step === from && (i.streamingMetadata as any).decision.next === to)).length;
  const helloQ1 = graph.edges.find((e: any) => e.from === 'hello' && e.to === 'q1');
  assert.equal(helloQ1.calls, took('hello', 'q1'));
  assert.ok(helloQ1.calls > 0);
  assert.equal(helloQ1.share, Math.round((helloQ1.calls / withTurns.length) * 10_000) / 10_000);
  const leadEdge = graph.edges.find((e: any) => e.from === 'is_leads' && e.to === 'confirm_lead');
  assert.equal(leadEdge.calls, took('is_leads', 'confirm_lead'));
  assert.equal(leadEdge.calls, stats.outcomes.lead);
  assert.equal(graph.unmatched, 0);

  // The OpenAPI document describes these answers exactly: the same fields, all of them required.
  const doc = await (await fetch(`${base}/openapi.json`)).json() as any;
  const schemaOf = (path: string) => doc.paths[path].get.responses['200'].content['application/json'].schema;
  const same = (schema: any, value: any, what: string) => {
    assert.deepEqual(Object.keys(schema.properties).sort(), Object.keys(value).sort(), what);
    assert.deepEqual([...schema.required].sort(), Object.keys(value).sort(), `${what}: required`);
  };
  const callsDoc = schemaOf('/campaigns/{id}/calls');
  same(callsDoc, all, 'calls');
  same(callsDoc.properties.items.items, all.items[0], 'calls item');
  const scenarioDoc = schemaOf('/campaigns/{id}/scenario');
  same(scenarioDoc, graph, 'scenario');
  same(scenarioDoc.properties.steps.items, graph.steps[0], 'scenario step');
  same(scenarioDoc.properties.edges.items, graph.edges[0], 'scenario edge');
  same(scenarioDoc.properties.scenario, graph.scenario, 'scenario.scenario');

  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'test-artifacts', 'campaign-page.png'), fullPage: true });
  assert.deepEqual(pageErrors, [], 'no script errors or CSP violations');
  await page.close();
});

test('Swagger UI and ReDoc render under the content security policy', async () => {
  const page = await browser.newPage();
  watch(page);
  pageErrors.length = 0;
  await page.goto(base + '/docs/');
  await page.locator('.swagger-ui .info .title').filter({ hasText: 'MiniBot API' }).waitFor({ timeout: 20_000 });
  assert.ok(await page.locator('.opblock-summary-path', { hasText: '/campaigns/{id}/pause' }).count() >= 1);
  await page.goto(base + '/redoc');
  await page.locator('h1', { hasText: 'MiniBot API' }).waitFor({ timeout: 30_000 });
  // ReDoc's "powered by" logo lives on a CDN: blocking it is the policy working (no third-party loads).
  assert.deepEqual(pageErrors.filter((e) => /Content Security Policy|Refused/.test(e) && !/cdn\.redoc\.ly.*img-src/.test(e)), []);
  await page.close();
});
