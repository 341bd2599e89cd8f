// The scenario graph of the dashboard (lib/scenario-graph.ts) and the CRM webhook's signature (lib/lead-webhook.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { PRODUCTION, TEST } from '../../lib/scenario';
import { scenarioEdges, scenarioTraffic } from '../../lib/scenario-graph';
import { redactWebhookUrl, retryableStatus, signLeadWebhook, verifyLeadWebhook, webhookUrlError } from '../../lib/lead-webhook';

test('scenarioEdges: one edge per (from, to), with the events and outcomes that take it', () => {
  const edges = scenarioEdges(PRODUCTION);
  const e = (from: string, to: string | null) => edges.find((x) => x.from === from && x.to === to);
  assert.deepEqual(e('hello', 'q1'), { from: 'hello', to: 'q1', on: ['affirm'], outcomes: [] });
  assert.deepEqual(e('hello', 'retry'), { from: 'hello', to: 'retry', on: ['deny', 'unsure', 'otherwise'], outcomes: [] });
  assert.deepEqual(e('hello', 'hello'), { from: 'hello', to: 'hello', on: ['question', 'silence'], outcomes: [] });
  assert.deepEqual(e('hello', 'bye_failed'), { from: 'hello', to: 'bye_failed', on: ['retries_exhausted'], outcomes: ['no_answer'] });
  assert.deepEqual(e('is_leads', 'confirm_lead'), { from: 'is_leads', to: 'confirm_lead', on: ['affirm'], outcomes: ['lead'] });
  assert.deepEqual(e('confirm_lead', 'bye_success'), { from: 'confirm_lead', to: 'bye_success', on: ['otherwise'], outcomes: [] });
  assert.deepEqual(e('bye_success', null), { from: 'bye_success', to: null, on: ['end'], outcomes: ['lead'] });
  // Every step has a way out, and the pairs are unique.
  for (const id of Object.keys(PRODUCTION.steps)) assert.ok(edges.some((x) => x.from === id), id);
  assert.equal(new Set(edges.map((x) => `${x.from}>${x.to}`)).size, edges.length);
  assert.deepEqual(scenarioEdges(TEST).map((x) => [x.from, x.to, x.on]), [['test_audio', null, ['stop', 'otherwise', 'retries_exhausted']]]);
});

test('scenarioTraffic: answered turns give their edges, the steps that do not listen are followed, shares per source step', () => {
  const yes = (step: string, next: string) => ({ step, intent: 'affirm', next, repeat: false });
  const lead = { outcome: 'lead', turns: [yes('hello', 'q1'), yes('q1', 'q2'), yes('q2', 'q3'), yes('q3', 'is_leads'), yes('is_leads', 'confirm_lead')] };
  const refusal = { outcome: 'not_interested', turns: [{ step: 'hello', intent: 'deny', next: 'retry', repeat: false }, { step: 'retry', intent: 'deny', next: 'bye_failed', repeat: false }] };
  // Recorded before decisions were kept: decided again from the intents (silence twice: repeat, then exhausted).
  const silent = { outcome: 'no_answer', turns: [{ step: 'hello', intent: 'silence' }, { step: 'hello', intent: null }] };
  // Hung up after the first answer: nothing inferred beyond it.
  const hungUp = { outcome: 'hangup', turns: [yes('hello', 'q1')] };
  const unanswered = { outcome: 'no_answer', turns: [] };
  const t = scenarioTraffic(PRODUCTION, [lead, refusal, silent, hungUp, unanswered]);
  assert.equal(t.calls, 4);
  assert.equal(t.unmatched, 0);
  assert.equal(t.steps.hello, 4);
  assert.equal(t.steps.q1, 2);
  assert.equal(t.steps.bye_success, 1);
  assert.equal(t.steps.bye_failed, 2);
  const e = (from: string, to: string | null) => t.edges.find((x) => x.from === from && x.to === to)!;
  assert.deepEqual([e('hello', 'q1').calls, e('hello', 'q1').share], [2, 0.5]);
  assert.deepEqual([e('hello', 'retry').calls, e('hello', 'retry').share], [1, 0.25]);
  assert.deepEqual([e('hello', 'hello').calls, e('hello', 'bye_failed').calls], [1, 1]);
  assert.deepEqual([e('q1', 'q2').calls, e('q1', 'q2').share], [1, 0.5]);
  assert.deepEqual([e('confirm_lead', 'bye_success').calls, e('bye_success', null).calls, e('bye_success', null).share], [1, 1, 1]);
  assert.deepEqual([e('bye_failed', null).calls, e('bye_failed', null).share], [2, 1]);
  assert.equal(e('q1', 'confirm_callback').calls, 0);
  assert.equal(e('q1', 'confirm_callback').share, 0);
  assert.equal(e('bye_opt_out', null).share, null, 'no call reached it');
  // A transition the graph does not have (the scenario changed since) is counted as unmatched.
  assert.equal(scenarioTraffic(PRODUCTION, [{ outcome: 'lead', turns: [yes('hello', 'q9')] }]).unmatched, 1);
});

test('webhook signature: HMAC-SHA256 of "<timestamp>.<body>", verified with a tolerance; bad ones refused', () => {
  const body = '{"event":"lead.created","lead":{"phone":"+33612345678"}}';
  const sig = signLeadWebhook('s3cret-s3cret-s3cret', 1_800_000_000, body);
  assert.equal(sig, `sha256=${createHmac('sha256', 's3cret-s3cret-s3cret').update(`1800000000.${body}`).digest('hex')}`);
  const h = { signature: sig, timestamp: '1800000000' };
  assert.deepEqual(verifyLeadWebhook('s3cret-s3cret-s3cret', h, body, 1_800_000_100), { ok: true });
  assert.deepEqual(verifyLeadWebhook('s3cret-s3cret-s3cret', h, body, 1_800_000_400), { ok: false, reason: 'timestamp too old or in the future' });
  assert.deepEqual(verifyLeadWebhook('other-secret-other', h, body, 1_800_000_000), { ok: false, reason: 'signature mismatch' });
  assert.deepEqual(verifyLeadWebhook('s3cret-s3cret-s3cret', h, body.replace('612', '699'), 1_800_000_000), { ok: false, reason: 'signature mismatch' });
  assert.deepEqual(verifyLeadWebhook('s3cret-s3cret-s3cret', { signature: sig, timestamp: undefined }, body, 0), { ok: false, reason: 'missing signature or timestamp header' });
});

test('webhook URL rules, redaction and which answers are retried', () => {
  assert.equal(webhookUrlError('https://crm.example.com/hook'), null);
  assert.equal(webhookUrlError('http://127.0.0.1:8080/hook'), null);
  assert.equal(webhookUrlError('http://localhost/hook'), null);
  assert.equal(webhookUrlError('http://crm.example.com/hook'), 'must be https (plain http only to localhost)');
  assert.equal(webhookUrlError('ftp://crm.example.com/'), 'must be https (plain http only to localhost)');
  assert.equal(webhookUrlError('https://u:p@crm.example.com/'), 'must not contain credentials (the signature authenticates the sender)');
  assert.equal(webhookUrlError('crm.example.com'), 'not a valid URL');
  assert.equal(redactWebhookUrl('https://crm.example.com/hook?token=abc'), 'https://crm.example.com/hook?…');
  assert.equal(redactWebhookUrl('https://crm.example.com/hook'), 'https://crm.example.com/hook');
  assert.deepEqual([500, 502, 503, 408, 425, 429].map(retryableStatus), [true, true, true, true, true, true]);
  assert.deepEqual([400, 401, 403, 404, 410, 422].map(retryableStatus), [false, false, false, false, false, false]);
});
