// Admission rules of a media worker instance (lib/headroom.ts), with the figures and the clock given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Headroom, type HeadroomFigures } from '../../lib/headroom';
import { admissionMetrics } from '../../telephony/admission';

const limits = { maxCalls: 3, maxAsrBacklogMs: 400, maxLagMs: 40, coolDownMs: 5000 };
const fig = (o: Partial<HeadroomFigures> = {}): HeadroomFigures => ({ callsHeld: 0, inFlight: 0, asrBacklogMs: 0, lagMs: 0, ...o });

test('admits below the cap, counting calls in flight; refuses at the cap', () => {
  const h = new Headroom(limits);
  assert.deepEqual(h.admit(fig({ callsHeld: 1 }), 0), { admit: true, free: 2 });
  assert.deepEqual(h.admit(fig({ callsHeld: 1, inFlight: 1 }), 0), { admit: true, free: 1 });
  assert.deepEqual(h.admit(fig({ callsHeld: 2, inFlight: 1 }), 0), { admit: false, reason: 'max_calls', detail: '3 calls held or starting (cap 3)', retryAfterMs: 1000 });
  assert.deepEqual(h.snapshot(fig({ callsHeld: 3 }), 0), { cap: 3, callsHeld: 3, inFlight: 0, atCapacity: true, reason: 'max_calls', asrBacklogMs: 0, lagMs: 0 });
});

test('an ASR backlog refuses at once and for the cool-down, then admits again', () => {
  const h = new Headroom(limits);
  const a = h.admit(fig({ callsHeld: 1, asrBacklogMs: 650 }), 10_000);
  assert.deepEqual(a, { admit: false, reason: 'asr_backlog', detail: 'ASR 650 ms behind real time (limit 400)', retryAfterMs: 5000 });
  // The backlog has cleared, but only 2 s ago.
  const b = h.admit(fig({ callsHeld: 1 }), 12_000);
  assert.deepEqual(b, { admit: false, reason: 'cooling_down', detail: 'ASR 650 ms behind real time (limit 400) 2000 ms ago', retryAfterMs: 3000 });
  assert.equal(h.snapshot(fig({ callsHeld: 1 }), 14_999).reason, 'asr_backlog');
  assert.deepEqual(h.admit(fig({ callsHeld: 1 }), 15_000), { admit: true, free: 2 });
  assert.equal(h.snapshot(fig({ callsHeld: 1 }), 15_000).atCapacity, false);
});

test('event-loop lag over the limit refuses; at the limit admits', () => {
  const h = new Headroom(limits);
  assert.deepEqual(h.admit(fig({ lagMs: 40 }), 0), { admit: true, free: 3 });
  const r = h.admit(fig({ lagMs: 41 }), 1);
  assert.equal(r.admit, false);
  assert.equal(r.admit === false && r.reason, 'event_loop_lag');
  // Figures observed without an admission (the health probe) start the cool-down as well.
  const h2 = new Headroom(limits);
  h2.observe(fig({ asrBacklogMs: 401 }), 100);
  assert.equal(h2.admit(fig(), 4000).admit, false);
  assert.equal(h2.admit(fig(), 5100).admit, true);
});

test('limits are checked, naming the field', () => {
  assert.throws(() => new Headroom({ ...limits, maxCalls: 0 }), /maxCalls: must be a whole number >= 1 \(got 0\)/);
  assert.throws(() => new Headroom({ ...limits, maxLagMs: -1 }), /maxLagMs: must be >= 0 \(got -1\)/);
});

test('Prometheus text of an instance names the cap and the deferred originates', () => {
  const text = admissionMetrics({ cap: 16, callsHeld: 16, inFlight: 0, atCapacity: true, reason: 'max_calls', asrBacklogMs: 12, lagMs: 3, admitted: 40, deferred: 7 }, 'media-1');
  assert.match(text, /^minibot_media_calls_cap\{instance="media-1"\} 16$/m);
  assert.match(text, /^minibot_media_at_capacity\{instance="media-1"\} 1$/m);
  assert.match(text, /^# TYPE minibot_media_deferred_total counter$/m);
  assert.match(text, /^minibot_media_deferred_total\{instance="media-1"\} 7$/m);
});
