// Payload encryption end to end, against the real Temporal dev server (under a TEMPORAL_CODEC_KEYS of this file's
// own): after a small campaign, a call workflow's raw history as the temporal CLI prints
// it holds no phone number and no transcript in clear, while the API and the MiniBot CLI still show them; the
// codec server (/codec) decodes that history for the CLI (as for the Web UI) only with the API key; a history
// written under an old key id still decodes after a rotation; search attributes carry no personal data.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { promisify } from 'node:util';
import { createApp } from '../../api/app';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import { temporalClient } from '../../services/temporal';
import { ENCRYPTED_ENCODING, type JsonPayload } from '../../lib/payload-codec';
import { makeContacts, startWorkers, testStack, type RunningWorkers, type TestStack } from '../helpers/stack';
import { runMinibot } from '../helpers/minibot-cli';

const execFileAsync = promisify(execFile);
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
  const status = await Promise.race([
    stack.client.workflow.getHandle(workflowId).result(),
    new Promise<never>((_, rej) => setTimeout(() => rej(new Error('campaign did not finish in time')), 180_000)),
  ]);
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
