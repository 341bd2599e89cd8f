import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PRODUCTION, SCENARIOS, TEST, decide, dtmfIntent, getScenario, validateScenario, type Scenario } from '../../lib/scenario';
import { maxOverlap, percentile } from '../../lib/metrics';

/** Walks a scenario with a list of events; returns the steps played and the final outcome. */
function walk(s: Scenario, events: string[]): { steps: string[]; outcome: string | undefined } {
  const steps: string[] = [];
  const retries: Record<string, number> = {};
  let outcome: string | undefined;
  let id: string | null = s.start;
  let i = 0;
  while (id) {
    steps.push(id);
    const step = s.steps[id]!;
    if (step.end) {
      outcome ??= step.end;
      break;
    }
    const ev = step.listen ? (events[i++] ?? 'silence') : 'silence';
    const d = decide(s, id, ev as never, retries[id] ?? 0);
    if (d.repeat) retries[id] = (retries[id] ?? 0) + 1;
    if (d.outcome) outcome = d.outcome;
    id = d.next;
  }
  return { steps, outcome };
}

test('the shipped scenarios are valid graphs', () => {
  for (const s of Object.values(SCENARIOS)) assert.deepEqual(validateScenario(s), [], s.name);
});

test('production: interested caller goes through q1..q3 to a lead', () => {
  const r = walk(PRODUCTION, ['affirm', 'affirm', 'deny', 'affirm', 'affirm']);
  assert.deepEqual(r.steps, ['hello', 'q1', 'q2', 'q3', 'is_leads', 'confirm_lead', 'bye_success']);
  assert.equal(r.outcome, 'lead');
});

test('production: a refusal gets one retry, then bye_failed', () => {
  assert.deepEqual(walk(PRODUCTION, ['deny', 'deny']), { steps: ['hello', 'retry', 'bye_failed'], outcome: 'not_interested' });
  assert.equal(walk(PRODUCTION, ['deny', 'affirm', 'affirm', 'affirm', 'affirm', 'affirm']).outcome, 'lead');
});

test('production: callback and opt-out end the call politely at any step', () => {
  assert.deepEqual(walk(PRODUCTION, ['callback']), { steps: ['hello', 'confirm_callback', 'bye_success'], outcome: 'callback' });
  assert.deepEqual(walk(PRODUCTION, ['affirm', 'stop']), { steps: ['hello', 'q1', 'bye_opt_out'], outcome: 'opted_out' });
  const d = decide(PRODUCTION, 'q2', 'stop', 0);
  assert.deepEqual(d.effects, ['opt_out']);
});

test('production: questions and silence replay the step once, never loop', () => {
  assert.deepEqual(walk(PRODUCTION, ['question', 'affirm', 'affirm', 'affirm', 'affirm', 'affirm']).steps.slice(0, 3), ['hello', 'hello', 'q1']);
  assert.deepEqual(walk(PRODUCTION, ['silence', 'silence']), { steps: ['hello', 'hello', 'bye_failed'], outcome: 'no_answer' });
});

test('test scenario: one prompt, any answer completes', () => {
  assert.deepEqual(walk(TEST, ['affirm']), { steps: ['test_audio'], outcome: 'test_completed' });
  assert.deepEqual(walk(TEST, ['stop']), { steps: ['test_audio'], outcome: 'opted_out' });
});

test('validateScenario names broken transitions', () => {
  const broken: Scenario = structuredClone(PRODUCTION);
  broken.steps.hello!.on.affirm = { next: 'nowhere' };
  broken.steps.q1!.onRetriesExhausted = { next: '$repeat' };
  const errs = validateScenario(broken);
  assert.ok(errs.includes('steps.hello.on.affirm: unknown next step "nowhere"'), errs.join('\n'));
  assert.ok(errs.some((e) => e.startsWith('steps.q1: the transition taken when retries are exhausted')));
  assert.throws(() => getScenario('nope'), /unknown scenario "nope"/);
});

test('transfer scenario: the lead goes to the transfer step, whose onNoAgent is the callback confirmation; broken transfer steps are named', () => {
  const t = getScenario('transfer');
  assert.deepEqual(validateScenario(t), []);
  assert.deepEqual(decide(t, 'is_leads', 'affirm', 0), { next: 'transfer_lead', repeat: false, outcome: 'lead', effects: [] });
  assert.deepEqual(t.steps.transfer_lead!.transfer, { holdPrompt: 'hold', timeoutMs: 25_000, onNoAgent: 'confirm_lead' });
  assert.equal(PRODUCTION.steps.transfer_lead, undefined, 'production itself does not transfer');
  const broken: Scenario = {
    ...t,
    steps: { ...t.steps, transfer_lead: { ...t.steps.transfer_lead!, listen: true, transfer: { holdPrompt: 'musique', timeoutMs: 10, onNoAgent: 'nowhere' } } },
  };
  // (An unknown hold prompt is the file compiler's to name: it knows the scenario's own prompts.)
  assert.deepEqual(validateScenario(broken), [
    'steps.transfer_lead.transfer.onNoAgent: unknown next step "nowhere"',
    'steps.transfer_lead.transfer: a transfer step neither listens nor ends the call',
    'steps.transfer_lead.transfer.timeoutMs: must be between 1000 and 300000 (got 10)',
  ]);
});

test('maxOverlap and percentile', () => {
  assert.equal(maxOverlap([{ start: 0, end: 10 }, { start: 10, end: 20 }]), 1); // back to back
  assert.equal(maxOverlap([{ start: 0, end: 10 }, { start: 5, end: 20 }, { start: 6, end: 7 }]), 3);
  assert.equal(percentile([], 50), null);
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentile([5], 95), 5);
});

test('keys: 1 yes, 2 no, 9 opt-out on every listening step; a step may remap or silence a key; prompts that do not listen read none', () => {
  const hello = PRODUCTION.steps.hello!;
  assert.equal(dtmfIntent(hello, '1'), 'affirm');
  assert.equal(dtmfIntent(hello, '2'), 'deny');
  assert.equal(dtmfIntent(hello, '9'), 'stop');
  assert.equal(dtmfIntent(hello, '5'), null);
  assert.equal(dtmfIntent(hello, '#'), null);
  // 9 is an opt-out everywhere the bot listens, and the scenario turns it into the polite goodbye + DNC.
  for (const step of Object.values(PRODUCTION.steps).filter((s) => s.listen)) {
    assert.deepEqual(decide(PRODUCTION, step.id, dtmfIntent(step, '9')!, 0), { next: 'bye_opt_out', repeat: false, outcome: 'opted_out', effects: ['opt_out'] }, step.id);
  }
  const custom = { ...hello, dtmf: { '5': 'callback' as const, '2': null } };
  assert.equal(dtmfIntent(custom, '5'), 'callback');
  assert.equal(dtmfIntent(custom, '2'), null);
  assert.equal(dtmfIntent(custom, '1'), 'affirm');
  assert.equal(dtmfIntent(PRODUCTION.steps.bye_success!, '9'), null);
});
