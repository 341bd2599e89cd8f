// The Ollama path of the classifyIntent activity, against a local HTTP server speaking Ollama's /api/chat
// (no Ollama can run here): valid answers, malformed JSON, slow answers past the timeout, 500s, refused
// connections. In every failure the embedded result stands and the reason is in processingMethod.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIntentActivities, OLLAMA_FORMAT } from '../../activities/intent';

type Mode = 'valid' | 'valid_stop' | 'malformed_content' | 'malformed_body' | 'bad_schema' | 'slow' | 'error500';
let mode: Mode = 'valid';
const requests: any[] = [];
let server: Server;
let url: string;
const quiet = { warn() {} };

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/api/chat') {
        res.writeHead(404).end('not found');
        return;
      }
      requests.push(JSON.parse(body));
      const reply = (content: string) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ model: 'phi3:mini', created_at: new Date().toISOString(), message: { role: 'assistant', content }, done: true, done_reason: 'stop' }),
        );
      switch (mode) {
        case 'valid': return reply(JSON.stringify({ intent: 'affirm', confidence: 0.82 }));
        case 'valid_stop': return reply(JSON.stringify({ intent: 'stop', confidence: 0.9 }));
        case 'malformed_content': return reply('{"intent": "affirm", "confid');
        case 'bad_schema': return reply(JSON.stringify({ intent: 'maybe', confidence: 3 }));
        case 'malformed_body': return res.writeHead(200, { 'content-type': 'application/json' }).end('{"message": {');
        case 'slow': { const t = setTimeout(() => reply(JSON.stringify({ intent: 'affirm', confidence: 0.9 })), 1500); res.on('close', () => clearTimeout(t)); return; }
        case 'error500': return res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'model crashed' }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const input = (text: string, step = 'hello') => ({ callId: 'c1', step, text, now: Date.parse('2025-03-12T14:20:00Z'), timeZone: 'Europe/Paris' });
const acts = (extra: object = {}) =>
  createIntentActivities({ ollamaUrl: url, ollamaModel: 'phi3:mini', ollamaTimeoutMs: 400, llmThreshold: 0.6, log: quiet, ...extra });

test('low embedded confidence: Ollama is asked with a JSON-schema format and a French prompt; its valid answer is used', async () => {
  mode = 'valid';
  requests.length = 0;
  const r = await acts().classifyIntent(input('zorglub blabla', 'q2'));
  assert.equal(r.processingMethod, 'ollama');
  assert.equal(r.method, 'ollama');
  assert.equal(r.intent, 'affirm');
  assert.equal(r.confidence, 0.82);
  assert.equal(requests.length, 1);
  const req = requests[0];
  assert.equal(req.model, 'phi3:mini');
  assert.equal(req.stream, false);
  assert.deepEqual(req.format, OLLAMA_FORMAT);
  assert.match(req.messages[1].content, /zorglub blabla/);
  assert.match(req.messages[1].content, /qualification/);
});

test('confident embedded answers never reach Ollama; empty text neither', async () => {
  requests.length = 0;
  const a = acts();
  const r = await a.classifyIntent(input('ne me rappelez plus jamais'));
  assert.equal(r.intent, 'stop');
  assert.equal(r.processingMethod, 'embedded');
  const e = await a.classifyIntent(input('   '));
  assert.equal(e.processingMethod, 'embedded');
  assert.equal(requests.length, 0);
});

test('no Ollama configured: embedded only', async () => {
  const r = await createIntentActivities({ ollamaUrl: '', ollamaModel: 'x', ollamaTimeoutMs: 100, llmThreshold: 0.99 }).classifyIntent(input('zorglub'));
  assert.equal(r.processingMethod, 'embedded');
});

test('malformed JSON in the model answer: embedded result stands (embedded_ollama_invalid)', async () => {
  mode = 'malformed_content';
  const r = await acts().classifyIntent(input('zorglub'));
  assert.equal(r.processingMethod, 'embedded_ollama_invalid');
  assert.equal(r.method, 'embedded');
  assert.equal(r.intent, 'unsure');
});

test('answer outside the schema (unknown intent, confidence > 1): embedded_ollama_invalid', async () => {
  mode = 'bad_schema';
  const r = await acts().classifyIntent(input('zorglub'));
  assert.equal(r.processingMethod, 'embedded_ollama_invalid');
});

test('malformed HTTP body: the embedded result stands', async () => {
  mode = 'malformed_body';
  const r = await acts().classifyIntent(input('zorglub'));
  assert.match(r.processingMethod, /^embedded_ollama_(invalid|error)$/);
  assert.equal(r.method, 'embedded');
});

test('slow answer past the timeout: embedded_ollama_timeout, without waiting for the server', async () => {
  mode = 'slow';
  const t0 = Date.now();
  const r = await acts({ ollamaTimeoutMs: 200 }).classifyIntent(input('zorglub'));
  assert.equal(r.processingMethod, 'embedded_ollama_timeout');
  assert.ok(Date.now() - t0 < 1400, 'returned before the slow answer arrived');
});

test('HTTP 500: embedded_ollama_error', async () => {
  mode = 'error500';
  const r = await acts().classifyIntent(input('zorglub'));
  assert.equal(r.processingMethod, 'embedded_ollama_error');
  assert.equal(r.method, 'embedded');
});

test('connection refused: embedded_ollama_error', async () => {
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  const r = await acts({ ollamaUrl: `http://127.0.0.1:${port}` }).classifyIntent(input('zorglub'));
  assert.equal(r.processingMethod, 'embedded_ollama_error');
});

test('an Ollama stop answer is honoured; confident embedded callbacks keep their extracted time', async () => {
  mode = 'valid_stop';
  const r = await acts().classifyIntent(input('zorglub'));
  assert.equal(r.intent, 'stop');
  const cb = await acts().classifyIntent(input('rappelez moi demain à quatorze heures'));
  assert.equal(cb.intent, 'callback');
  assert.equal(cb.callbackTime?.at, '2025-03-13T14:00:00+01:00');
});
