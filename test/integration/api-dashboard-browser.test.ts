// The dashboard in headless Chromium (Debian's chromium driven by playwright-core) against a running
// campaign on the real stack: asks for the key, shows the campaign with the API's numbers, the pause button
// pauses the workflow in Temporal, and a screenshot is saved in test-artifacts/. The API docs pages render.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
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
const pageErrors: string[] = [];

before(async () => {
  const setup = spawnSync('bash', [join(ROOT, 'scripts/setup-browser.sh')], { stdio: 'inherit' });
  assert.equal(setup.status, 0, 'scripts/setup-browser.sh (installs Debian chromium)');
  stack = await testStack();
  workers = await startWorkers(stack, { speed: 8, seed: 'browser' });
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

function watch(page: Page) {
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`console: ${m.text()}`);
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
  assert.equal(await row.getByTestId('workflow-state').textContent(), 'running');
  const link = await row.locator('a', { hasText: 'Temporal' }).getAttribute('href');
  assert.equal(link, `${stack.cfg.TEMPORAL_UI_URL}/namespaces/${stack.cfg.TEMPORAL_NAMESPACE}/workflows/campaign-${campaign.id}`);

  // Pause from the page: the workflow in Temporal reports paused; the page follows.
  await row.getByTestId('pause').click();
  await waitUntil('Temporal to report the campaign paused', async () => (await campaignStatus(stack.client, campaign.id)).state === 'paused', 30_000);
  await row.getByTestId('workflow-state').filter({ hasText: 'paused' }).waitFor({ timeout: 15_000 });
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
    const want = { calls: s.calls_dialed, settled: s.settled, leads: s.outcomes.lead ?? 0, status: 'paused', kpiCalls: perf.calls, kpiActive: perf.active_calls };
    last = JSON.stringify({ dom, want });
    return JSON.stringify(dom) === JSON.stringify(want);
  }, 20_000).catch((e) => assert.fail(`${(e as Error).message}: ${last}`));
  assert.ok(Number(await row.getByTestId('calls').textContent()) > 0);
  assert.equal(await row.getByTestId('resume').isEnabled(), true);

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
