// Payload encryption end to end, against the real Temporal dev server (under a TEMPORAL_CODEC_KEYS of this file's
// own): after a small campaign, a call workflow's raw history as the temporal CLI prints
// it holds no phone number and no transcript in clear, while the API and the MiniBot CLI still show them; the
// codec server (/codec) decodes that history for the CLI (as for the Web UI) only with the API key; a history
// written under an old key id still decodes after a rotation; the Temporal Web UI, in headless Chromium, shows a
// call input decoded through /codec once the dashboard has opened the browser's codec session, and not before
// or after it; search attributes carry no personal data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { promisify } from 'node:util';
import { createApp } from '../../api/app';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import { temporalClient } from '../../services/temporal';
import { ENCRYPTED_ENCODING, type JsonPayload } from '../../lib/payload-codec';
import { chromium } from 'playwright-core';
import { campaignResult, makeContacts, startWorkers, testStack, waitUntil, type RunningWorkers, type TestStack } from '../helpers/stack';
import { runMinibot } from '../helpers/minibot-cli';

const execFileAsync = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
const KEY = 'encryption-test-api-key-0123456789';
let stack: TestStack;
let workers: RunningWorkers;
const servers: Server[] = [];

async function serve(app: ReturnType<typeof createApp>): Promise<string> {
  const s = app.listen(0, '127.0.0.1');
  servers.push(s);
  await new Promise((r) => s.once('listening', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** The temporal CLI's view of a workflow's history (JSON), optionally through a codec endpoint. */
async function rawHistory(workflowId: string, codec?: { endpoint: string; auth?: string }): Promise<{ text: string; code: number; err: string }> {
  const args = ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', stack.cfg.TEMPORAL_ADDRESS, '--namespace', stack.cfg.TEMPORAL_NAMESPACE];
  if (codec) args.push('--codec-endpoint', codec.endpoint, ...(codec.auth ? ['--codec-auth', codec.auth] : []));
  try {
    const r = await execFileAsync(process.env.TEMPORAL_CLI ?? 'temporal', args, { maxBuffer: 64 << 20, timeout: 60_000 });
    return { text: r.stdout, code: 0, err: r.stderr };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; code?: number };
    return { text: x.stdout ?? '', code: x.code ?? 1, err: x.stderr ?? '' };
  }
}

/** Every string of a JSON document, plus what it reads as when base64-decoded (payload data is base64). */
function readable(doc: string): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v, Buffer.from(v, 'base64').toString('utf8'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(JSON.parse(doc));
  return out.join('\n');
}

const startInput = (doc: string): JsonPayload => JSON.parse(doc).events[0].workflowExecutionStartedEventAttributes.input.payloads[0];

async function decodeVia(base: string, payloads: JsonPayload[], key: string | null) {
  const r = await fetch(`${base}/codec/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ payloads }),
  });
  return { status: r.status, json: (await r.json()) as any };
}

let base: string;
let call: { id: string; workflowId: string; phone: string; campaignId: string; contactId: string };
let transcripts: string[];
let firstName: string;

before(async () => {
  // This file's own key (secrets have no default; the other test files run unencrypted): the stack, its workers
  // and the CLI processes spawned below all read it from the environment.
  process.env.TEMPORAL_CODEC_KEYS ||= `test-${Date.now().toString(36)}:${randomBytes(32).toString('base64')}`;
  stack = await testStack();
  workers = await startWorkers(stack, { speed: 60, seed: 'encryption-test' });
  base = await serve(createApp({ cfg: stack.cfg, prisma: stack.prisma, client: stack.client }, { apiKey: KEY, rateLimitPerMinute: 100_000 }));
  const { source } = await makeContacts(stack.prisma, 4);
  const c = await createCampaign(stack.prisma, { name: 'encrypted', max_concurrent_calls: 2, contact_source: source, max_attempts: 1, time_scale: 1 / 60, ignore_window: true });
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
  const status = await campaignResult(stack.client, workflowId, 180_000);
  assert.equal((status as { state: string }).state, 'completed');
  const withWords = await stack.prisma.call.findFirstOrThrow({
    where: { campaignId: c.id, interactions: { some: { transcript: { not: null } } } },
    include: { interactions: true, contact: true },
  });
  call = withWords;
  firstName = withWords.contact.firstName!;
  transcripts = withWords.interactions.map((i) => i.transcript).filter((t): t is string => !!t && t.length >= 8);
  assert.ok(transcripts.length > 0, 'the call has transcribed turns of 8+ characters');
});

after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await workers?.stop();
  await stack?.close();
});

describe('payload encryption', () => {
  test('the raw history holds neither the phone number nor the transcript, in clear or in base64', async () => {
    const raw = await rawHistory(call.workflowId);
    assert.equal(raw.code, 0, raw.err);
    const text = readable(raw.text);
    const digits = call.phone.replace(/^\+/, '');
    assert.ok(!text.includes(digits), 'no phone digits in the raw history');
    assert.ok(!text.includes(digits.slice(2)), 'not even the national significant number');
    for (const t of transcripts) assert.ok(!text.includes(t), `transcript "${t.slice(0, 12)}…" not in clear`);
    assert.ok(text.includes(ENCRYPTED_ENCODING), 'payloads are marked binary/encrypted');
    // The same check over the history decoded by our codec server finds them: the assertions above can fail.
    const decoded = await rawHistory(call.workflowId, { endpoint: `${base}/codec`, auth: `Bearer ${KEY}` });
    assert.equal(decoded.code, 0, decoded.err);
    const clear = readable(decoded.text);
    assert.ok(clear.includes(digits), 'the decoded history has the phone');
    assert.ok(transcripts.some((t) => clear.includes(t)), 'the decoded history has the transcript');
    assert.ok(!clear.includes(ENCRYPTED_ENCODING));
  });

  test('the API and the MiniBot CLI still show the phone number and the transcript', async () => {
    const r = await fetch(`${base}/calls/${call.id}`, { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(r.status, 200);
    const j = (await r.json()) as { phone: string; transcript: { transcript: string | null }[] };
    assert.equal(j.phone, call.phone);
    for (const t of transcripts) assert.ok(j.transcript.some((x) => x.transcript === t));
    const run = (args: string[]) => runMinibot(args, { TEMPORAL_TASK_QUEUE: stack.cfg.TEMPORAL_TASK_QUEUE });
    const status = await run(['campaign', 'status', call.campaignId, '--json']); // a query: decoded by the CLI's client
    assert.equal(status.code, 0, status.err);
    const st = JSON.parse(status.out.trim().split('\n').pop()!);
    assert.equal(st.live?.state, 'completed', 'the workflow query result was decoded by the CLI');
    assert.equal(st.figures.contacts, 4);
    const report = await run(['compliance', 'report', '--campaign', call.campaignId]);
    assert.equal(report.code, 0, report.err);
    assert.ok(report.out.includes(call.phone), 'the compliance report lists the phone');
  });

  test('the codec server decodes the call input only with the API key; CORS only for the Web UI origin', async () => {
    const input = startInput((await rawHistory(call.workflowId)).text);
    assert.equal(Buffer.from(input.metadata!.encoding!, 'base64').toString(), ENCRYPTED_ENCODING);
    const refused = await decodeVia(base, [input], null);
    assert.equal(refused.status, 401);
    assert.equal(refused.json.payloads, undefined);
    assert.equal((await decodeVia(base, [input], 'wrong-key-0123456789abcdef')).status, 401);
    const ok = await decodeVia(base, [input], KEY);
    assert.equal(ok.status, 200);
    const p = ok.json.payloads[0] as JsonPayload;
    assert.equal(Buffer.from(p.metadata!.encoding!, 'base64').toString(), 'json/plain');
    const value = JSON.parse(Buffer.from(p.data!, 'base64').toString('utf8'));
    assert.equal(value.phone, call.phone);
    assert.equal(value.contactId, call.contactId);
    assert.equal((await decodeVia(base, [{ data: 'not base64!' }], KEY)).status, 400);

    const ui = new URL(stack.cfg.TEMPORAL_UI_URL!).origin;
    const pre = await fetch(`${base}/codec/decode`, { method: 'OPTIONS', headers: { origin: ui, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), ui);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
    const other = await fetch(`${base}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  test('after a key rotation the old history still decodes; without the old key it does not', async () => {
    const input = startInput((await rawHistory(call.workflowId)).text);
    const oldKeys = stack.cfg.TEMPORAL_CODEC_KEYS!;
    const newKey = `rotated:${randomBytes(32).toString('base64')}`;
    const rotatedClient = await temporalClient({ ...stack.cfg, TEMPORAL_CODEC_KEYS: `${newKey},${oldKeys}` }, { lazy: true });
    const onlyNewClient = await temporalClient({ ...stack.cfg, TEMPORAL_CODEC_KEYS: newKey }, { lazy: true });
    const rotated = await serve(createApp({ cfg: stack.cfg, prisma: stack.prisma, client: rotatedClient }, { apiKey: KEY }));
    const onlyNew = await serve(createApp({ cfg: stack.cfg, prisma: stack.prisma, client: onlyNewClient }, { apiKey: KEY }));
    const ok = await decodeVia(rotated, [input], KEY);
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(Buffer.from(ok.json.payloads[0].data, 'base64').toString()).phone, call.phone);
    const lost = await decodeVia(onlyNew, [input], KEY);
    assert.equal(lost.status, 400);
    assert.match(lost.json.error.message, new RegExp(`key id "${oldKeys.split(':')[0]}".*not in TEMPORAL_CODEC_KEYS`));
    // New payloads are written under the new key.
    const enc = await fetch(`${rotated}/codec/encode`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: Buffer.from('"x"').toString('base64') }] }),
    });
    const sealed = ((await enc.json()) as any).payloads[0] as JsonPayload;
    assert.equal(Buffer.from(sealed.metadata!['encryption-key-id']!, 'base64').toString(), 'rotated');
  });

  test('the codec session: opened with the key, a cookie for /codec only, accepted by decode in place of the key, ended by DELETE', async () => {
    const input = startInput((await rawHistory(call.workflowId)).text);
    assert.equal((await fetch(`${base}/codec/session`, { method: 'POST' })).status, 401, 'no session without the key');
    const opened = await fetch(`${base}/codec/session`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(opened.status, 204);
    const set = opened.headers.get('set-cookie') ?? '';
    assert.match(set, /^minibot_codec=\d{13}\.[\w-]{43}; Max-Age=28800; Path=\/codec; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
    const cookie = set.split(';')[0]!;
    const decode = (headers: Record<string, string>) => fetch(`${base}/codec/decode`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ payloads: [input] }),
    });
    const viaCookie = await decode({ cookie });
    assert.equal(viaCookie.status, 200);
    assert.equal(JSON.parse(Buffer.from(((await viaCookie.json()) as any).payloads[0].data, 'base64').toString()).phone, call.phone);
    // The cookie opens nothing else, and a forged or altered one nothing at all.
    assert.equal((await fetch(`${base}/campaigns`, { headers: { cookie } })).status, 401);
    const [exp, mac] = cookie.split('=')[1]!.split('.');
    assert.equal((await decode({ cookie: `minibot_codec=${Number(exp) + 1}.${mac}` })).status, 401, 'expiry moved');
    assert.equal((await decode({ cookie: `minibot_codec=${exp}.${'A'.repeat(43)}` })).status, 401, 'forged HMAC');
    // A session of another API key (its rotation ends every session) is refused.
    const other = await serve(createApp({ cfg: stack.cfg, prisma: stack.prisma, client: stack.client }, { apiKey: 'another-api-key-0123456789abcdef' }));
    assert.equal((await fetch(`${other}/codec/decode`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ payloads: [input] }) })).status, 401);
    const ended = await fetch(`${base}/codec/session`, { method: 'DELETE', headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(ended.status, 204);
    assert.match(ended.headers.get('set-cookie') ?? '', /^minibot_codec=; Path=\/codec; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict$/);
  });

  test('the Temporal Web UI shows the call input decoded through the codec endpoint once the dashboard has opened a session', { timeout: 180_000 }, async () => {
    assert.equal(spawnSync('bash', [join(ROOT, 'scripts/setup-browser.sh')], { stdio: 'inherit' }).status, 0, 'scripts/setup-browser.sh (installs Debian chromium)');
    const ui = stack.cfg.TEMPORAL_UI_URL!;
    const profile = mkdtempSync(join(tmpdir(), 'minibot-webui-'));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium', headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const decodes: number[] = [];
      page.on('response', (r) => {
        if (r.url().startsWith(`${base}/codec/decode`)) decodes.push(r.status());
      });
      // The operator's Codec Server settings in the Web UI (kept in its localStorage): MiniBot's endpoint,
      // "Include cross-origin credentials".
      await page.goto(ui);
      await page.evaluate((endpoint) => {
        (globalThis as any).localStorage.setItem('endpoint', JSON.stringify(endpoint));
        (globalThis as any).localStorage.setItem('includeCredentials', 'true');
        (globalThis as any).localStorage.setItem('overrideRemoteCodecConfiguration', 'true');
      }, `${base}/codec`);
      const workflowPage = `${ui}/namespaces/${stack.cfg.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(call.workflowId)}`;
      const shown = `"phone": "${call.phone}"`;
      const bodyText = () => page.locator('body').innerText();

      // No session yet: the UI's decode request is refused and the input stays encrypted on the page.
      await page.goto(workflowPage);
      await waitUntil('the Web UI to ask the codec endpoint', async () => decodes.length > 0, 60_000);
      assert.deepEqual([...new Set(decodes)], [401]);
      await page.waitForTimeout(1000); // what the page shows with the refusal
      assert.ok(!(await bodyText()).includes(call.phone), 'no phone on the page without a session');

      // The operator logs in to the dashboard (same site): it opens the session; the Web UI now decodes.
      await page.goto(`${base}/`);
      await page.getByTestId('api-key').fill(KEY);
      await page.getByTestId('login').click();
      await waitUntil('the codec session cookie', async () => (await browser.cookies(`${base}/codec/decode`)).some((c) => c.name === 'minibot_codec'), 15_000);
      decodes.length = 0;
      await page.goto(workflowPage);
      await waitUntil('the Web UI to show the decoded call input', async () => (await bodyText()).includes(shown), 60_000);
      assert.ok(decodes.includes(200), `decode answered ${decodes.join(', ')}`);
      mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'test-artifacts', 'temporal-web-ui-decoded.png'), fullPage: true });

      // Logging out of the dashboard ends the session: the Web UI can no longer decode.
      await page.goto(`${base}/`);
      await page.locator('#logout').click();
      await waitUntil('the session cookie cleared', async () => !(await browser.cookies(`${base}/codec/decode`)).some((c) => c.name === 'minibot_codec'), 15_000);
      decodes.length = 0;
      await page.goto(workflowPage);
      await waitUntil('the Web UI to ask the codec endpoint', async () => decodes.length > 0, 60_000);
      assert.deepEqual([...new Set(decodes)], [401]);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  test('search attributes hold no personal data', async () => {
    const d = await stack.client.workflow.getHandle(call.workflowId).describe();
    const sa = d.searchAttributes as Record<string, unknown[]>;
    assert.deepEqual(Object.keys(sa).filter((k) => ['CampaignId', 'ContactId', 'CallOutcome', 'Scenario'].includes(k)).sort(), Object.keys(sa).filter((k) => !k.startsWith('Temporal') && !['BuildIds', 'BinaryChecksums'].includes(k)).sort(), 'only our four keyword attributes');
    assert.deepEqual(sa.CampaignId, [call.campaignId]);
    assert.deepEqual(sa.ContactId, [call.contactId]);
    const all = JSON.stringify(sa);
    assert.ok(!all.includes(call.phone.replace(/^\+/, '').slice(2)), 'no phone number');
    assert.ok(!all.includes(firstName), 'no name');
    for (const t of transcripts) assert.ok(!all.includes(t), 'no transcript');
  });
});
