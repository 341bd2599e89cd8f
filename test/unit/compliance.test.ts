import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dialDecision, type DialFacts } from '../../lib/compliance';
import { contactStatusAfter, retryDecision } from '../../lib/outcomes';

const now = new Date('2026-11-24T11:00:00+01:00');
const day = 86_400_000;
const ok: DialFacts = { inDnc: false, optOut: false, consentGivenAt: new Date(now.getTime() - 30 * day), existingCustomer: false, lastRefusalAt: null, attemptsLast30Days: 0 };
const commercial = { nonCommercial: false };

test('a consenting contact with no history may be called', () => {
  assert.deepEqual(dialDecision(ok, commercial, now), { allowed: true });
});

test('DNC and opt-out are never dialed, even for non-commercial campaigns', () => {
  assert.equal((dialDecision({ ...ok, inDnc: true }, { nonCommercial: true }, now) as { reason: string }).reason, 'dnc');
  assert.equal((dialDecision({ ...ok, optOut: true }, { nonCommercial: true }, now) as { reason: string }).reason, 'opted_out');
});

test('consent: required for commercial campaigns unless an existing customer', () => {
  const none = { ...ok, consentGivenAt: null };
  assert.equal((dialDecision(none, commercial, now) as { reason: string }).reason, 'no_consent');
  assert.deepEqual(dialDecision({ ...none, existingCustomer: true }, commercial, now), { allowed: true });
  assert.deepEqual(dialDecision(none, { nonCommercial: true }, now), { allowed: true });
});

test('at most 4 attempts in 30 days across campaigns', () => {
  assert.deepEqual(dialDecision({ ...ok, attemptsLast30Days: 3 }, commercial, now), { allowed: true });
  assert.equal((dialDecision({ ...ok, attemptsLast30Days: 4 }, commercial, now) as { reason: string }).reason, 'max_attempts_30d');
});

test('no call within 60 days after a refusal', () => {
  assert.equal((dialDecision({ ...ok, lastRefusalAt: new Date(now.getTime() - 59 * day) }, commercial, now) as { reason: string }).reason, 'refused_recently');
  assert.deepEqual(dialDecision({ ...ok, lastRefusalAt: new Date(now.getTime() - 61 * day) }, commercial, now), { allowed: true });
});

test('retries: only when nobody was reached, within max attempts, after the delay', () => {
  const policy = { maxAttempts: 3, retryDelaySeconds: 600 };
  for (const o of ['no_answer', 'busy', 'failed', 'machine'] as const) {
    const d = retryDecision(o, 1, policy, now);
    assert.equal(d.retry, true, o);
    assert.equal(d.retry && d.at.getTime() - now.getTime(), 600_000);
  }
  assert.equal(retryDecision('no_answer', 3, policy, now).retry, false);
  for (const o of ['lead', 'not_interested', 'callback', 'opted_out', 'hangup'] as const) assert.equal(retryDecision(o, 1, policy, now).retry, false, o);
});

test('contact status after a call', () => {
  assert.equal(contactStatusAfter('lead', false), 'qualified');
  assert.equal(contactStatusAfter('no_answer', true), 'pending');
  assert.equal(contactStatusAfter('no_answer', false), 'unreachable');
  assert.equal(contactStatusAfter('opted_out', false), 'opted_out');
});
