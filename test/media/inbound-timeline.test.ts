import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InboundTimeline } from '../../media/inbound-timeline';

// 20 ms payloads of 8 kHz audio, spoken from t = 1000 ms on (payload k's first sample at 1000 + 20k).
const spoken = (k: number) => 1000 + 20 * k;
const FRAME = 160;

test('payloads read late (a stall, then a burst) keep the times they were spoken at', () => {
  const tl = new InboundTimeline(8000);
  const times: number[] = [];
  // Read on time (+20 ms: a payload arrives once whole) for 10 frames, then a 70 ms stall: frames 10-13 are
  // read together at the end of it, then on time again.
  for (let k = 0; k < 20; k++) {
    const onTime = spoken(k) + 20;
    const readAt = k >= 10 && k <= 13 ? spoken(13) + 20 + 0.3 : onTime + 0.2;
    times.push(tl.stamp(readAt, FRAME));
  }
  times.forEach((t, k) => assert.ok(Math.abs(t - spoken(k)) < 0.5, `frame ${k}: ${t} for ${spoken(k)}`));
  assert.ok(tl.counts.late >= 3, 'the burst was read late');
  assert.equal(tl.counts.gaps, 0);
});

test('the first payload read late is corrected by an earlier one; a steady extra delay is followed', () => {
  const tl = new InboundTimeline(8000, { maxLateMs: 250, windowFrames: 5, gapFrames: 3 });
  // The first payload was read 30 ms late; the second on time: from it on, the times are the spoken ones.
  assert.equal(tl.stamp(spoken(0) + 20 + 30, FRAME), spoken(0) + 30);
  assert.equal(tl.stamp(spoken(1) + 20, FRAME), spoken(1));
  for (let k = 2; k < 6; k++) assert.equal(tl.stamp(spoken(k) + 20, FRAME), spoken(k));
  // The path grows 12 ms longer for good: within one window of 5 payloads the times follow it.
  const late: number[] = [];
  for (let k = 6; k < 20; k++) late.push(tl.stamp(spoken(k) + 20 + 12, FRAME) - spoken(k));
  assert.deepEqual(late.slice(-5), [12, 12, 12, 12, 12]);
  assert.ok(late.slice(0, 5).every((d) => d === 0 || d === 12));
});

test('a gap in the stream (a sender silent for a while): the timeline restarts once payloads come at the normal pace again', () => {
  const tl = new InboundTimeline(8000);
  for (let k = 0; k < 5; k++) tl.stamp(spoken(k) + 20, FRAME);
  // Nothing for two seconds, then payloads again, one every 20 ms: the first two cannot yet be told from the
  // start of a burst after our own stall, the third restarts the stream where they really are.
  const after = [5, 6, 7, 8, 9].map((k) => tl.stamp(spoken(k) + 2000 + 20, FRAME));
  assert.deepEqual(after.slice(0, 2), [spoken(5), spoken(6)]);
  assert.deepEqual(after.slice(2), [spoken(7) + 2000, spoken(8) + 2000, spoken(9) + 2000]);
  assert.equal(tl.counts.gaps, 1);
});

test('our own stall of 900 ms, then its backlog read at once: the audio stays contiguous (no pause appears)', () => {
  const tl = new InboundTimeline(8000);
  for (let k = 0; k < 10; k++) assert.equal(tl.stamp(spoken(k) + 20, FRAME), spoken(k));
  // Frames 10-54 (900 ms of audio) are all read when the stall ends, then the stream goes on on time.
  const readAt = spoken(54) + 20 + 0.5;
  for (let k = 10; k <= 54; k++) assert.equal(tl.stamp(readAt + (k - 10) * 0.01, FRAME), spoken(k), `frame ${k}`);
  for (let k = 55; k < 70; k++) assert.equal(tl.stamp(spoken(k) + 20, FRAME), spoken(k));
  assert.equal(tl.counts.gaps, 0);
});

test('a path late by 400 ms from some point on, with 30 ms of jitter: followed within a window', () => {
  const tl = new InboundTimeline(8000);
  for (let k = 0; k < 10; k++) tl.stamp(spoken(k) + 20, FRAME);
  const jitter = [0, 30, 5, 25, 10, 0, 30, 15, 20, 5];
  const off: number[] = [];
  for (let k = 10; k < 60; k++) off.push(tl.stamp(spoken(k) + 20 + 400 + jitter[k % 10]!, FRAME) - spoken(k));
  // Within a window (25 payloads) the times are within the jitter of where the audio really is.
  off.slice(25).forEach((d, i) => assert.ok(d >= 370 && d <= 430, `payload ${i + 35}: ${d}`));
  assert.ok(tl.counts.gaps >= 1);
});

test('payloads of any size: the time advances by their samples', () => {
  const tl = new InboundTimeline(16000);
  assert.equal(tl.stamp(1040, 640), 1000); // 40 ms of 16 kHz audio
  assert.equal(tl.stamp(1060, 320), 1040); // 20 ms read at once on time
  assert.equal(tl.stamp(1100, 160), 1060); // 10 ms, read 30 ms late
});
