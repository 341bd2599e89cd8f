// Opt-out recognition on French ASR-style text (intent/corpus/optout-asr.tsv): every opt-out phrasing is
// read as `stop` (never as a callback or an interest), and the near misses keep their own label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../lib/intent';
import { loadOptOutSet } from '../../intent/corpus';
import { decide, PRODUCTION } from '../../lib/scenario';

const items = loadOptOutSet();
const now = new Date('2026-03-12T15:20:00+01:00');

test('the opt-out set holds many opt-outs and near misses', () => {
  assert.ok(items.filter((i) => i.label === 'stop').length >= 200);
  assert.ok(items.filter((i) => i.label === 'callback').length >= 10);
});

for (const it of items) {
  test(`${it.label} at ${it.step}: "${it.text}" (line ${it.line})`, () => {
    assert.equal(classify(it.text, { context: it.step, now }).intent, it.label);
  });
}

test('the phrasings the issue names end the call as an opt-out from every listening step', () => {
  const phrasings = ['stop', 'bah stop', 'stop stop', 'rayez-moi', 'je ne veux plus être appelé', 'je vais porter plainte si vous rappelez'];
  for (const text of phrasings) {
    for (const step of ['hello', 'retry', 'q1', 'q2', 'q3', 'is_leads'] as const) {
      const intent = classify(text, { context: step, now }).intent;
      assert.equal(intent, 'stop', `${text} at ${step}`);
      const d = decide(PRODUCTION, step, intent, 0);
      assert.deepEqual([d.next, d.outcome, d.effects], ['bye_opt_out', 'opted_out', ['opt_out']], `${text} at ${step}`);
    }
  }
});

test('a callback request with the same words is still a callback', () => {
  for (const text of ['rappelez moi plus tard', 'ne me rappelez pas avant lundi', 'vous pouvez me rappeler demain']) {
    assert.equal(classify(text, { context: 'hello', now }).intent, 'callback', text);
  }
});
