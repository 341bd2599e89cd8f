// The intent-classifier port chosen from the configuration: embedded alone without OLLAMA_URL, embedded +
// Ollama with it (here an Ollama address where nothing listens: the connection is really refused, so the
// embedded answer stands, marked), and a cancelled caller's request ends the classification with a rejection.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { parseConfig } from '../../runtime/config';
import { classify } from '../../lib/intent';
import { intentClassifierFromConfig } from '../../intent/from-config';

const ctx = { step: 'hello', now: new Date('2026-03-02T10:00:00Z'), timeZone: 'Europe/Paris' };
const LOW = 'euh'; // the embedded classifier is unsure of it, below the default threshold (0.6)
const quiet = { warn() {} };

test('without OLLAMA_URL: the embedded classifier alone, even for a low-confidence answer', async () => {
  const embedded = classify(LOW, { context: 'hello', now: ctx.now, timeZone: ctx.timeZone });
  assert.ok(embedded.confidence < 0.6, `"${LOW}" is below the threshold (${embedded.confidence})`);
  const r = await intentClassifierFromConfig(parseConfig({})).classify(LOW, ctx);
  assert.equal(r.processingMethod, 'embedded');
  assert.equal(r.intent, embedded.intent);
  assert.equal(r.confidence, embedded.confidence);
});

test('with OLLAMA_URL: a confident embedded answer is not sent; a low one is, and a refused Ollama leaves it standing', async () => {
  const warnings: object[] = [];
  const c = intentClassifierFromConfig(parseConfig({ OLLAMA_URL: 'http://127.0.0.1:1', OLLAMA_TIMEOUT: '5' }), { log: { warn: (o) => warnings.push(o) } });
  const sure = await c.classify('oui tout à fait', ctx);
  assert.equal(sure.processingMethod, 'embedded');
  assert.equal(sure.intent, 'affirm');
  assert.equal(warnings.length, 0);
  const low = await c.classify(LOW, { ...ctx, callId: 'call-1' });
  assert.equal(low.processingMethod, 'embedded_ollama_error');
  assert.equal(low.intent, classify(LOW, { context: 'hello' }).intent);
  assert.equal(warnings.length, 1);
  assert.equal((warnings[0] as { callId?: string }).callId, 'call-1');
});

test('a cancelled caller: the pending Ollama request is aborted and the classification rejects', async () => {
  let requests = 0;
  const server = createServer(() => { requests++; }); // accepts and never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const c = intentClassifierFromConfig(parseConfig({ OLLAMA_URL: url, OLLAMA_TIMEOUT: '60' }), { log: quiet });
    const cancel = new AbortController();
    const pending = c.classify(LOW, { ...ctx, signal: cancel.signal });
    for (let i = 0; requests === 0 && i < 1500; i++) await new Promise((r) => setTimeout(r, 20)); // bounded: 30 s
    assert.equal(requests, 1, 'the request reached the server');
    cancel.abort(new Error('activity cancelled'));
    await assert.rejects(pending, /activity cancelled/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
