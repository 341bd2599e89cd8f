import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpeechSegmenter, resolveBargeIn, DEFAULT_BARGE_IN, type SegmenterAction } from '../../media/barge-in';

const opts = resolveBargeIn({ flushAfterMs: 40, minSpeechMs: 300, minUtteranceMs: 120, releaseMs: 100, endSilenceMs: 200, minEnergyDbfs: -45, echoMarginDb: -6 });

/** Runs a pattern of 20 ms frames: 'S' speech at -20 dBFS, 'q' quiet speech (-55), '.' silence, 'E' echo-level speech. */
function run(pattern: string, seg = new SpeechSegmenter(opts), promptPlaying = true, echoRef = -Infinity): { actions: (SegmenterAction & { at: number })[]; seg: SpeechSegmenter } {
  const actions: (SegmenterAction & { at: number })[] = [];
  [...pattern].forEach((c, i) => {
    const f = { t: i * 20, durMs: 20, speech: c !== '.', dbfs: c === 'S' ? -20 : c === 'q' ? -55 : c === 'E' ? -28 : -70, echoRefDbfs: echoRef };
    const a = seg.push(f, promptPlaying);
    if (a.type !== 'none') actions.push({ ...a, at: i * 20 + 20 });
  });
  return { actions, seg };
}

test('sustained speech over a prompt: onset after flushAfterMs, confirm after minSpeechMs, end after silence', () => {
  const { actions } = run('..' + 'S'.repeat(30) + '.'.repeat(15));
  assert.deepEqual(actions.map((a) => a.type), ['onset', 'confirm', 'end']);
  assert.equal(actions[0]!.at, 40 + 40); // 2 frames of speech
  assert.equal((actions[0] as { speechStartAt: number }).speechStartAt, 40);
  assert.equal(actions[1]!.at, 40 + 300);
  const end = actions[2] as { speechEndAt: number; at: number };
  assert.equal(end.speechEndAt, 40 + 600);
  assert.equal(end.at, 40 + 600 + 200);
});

test('a click (one frame) never reaches onset', () => {
  assert.deepEqual(run('...S......S....').actions, []);
});

test('a cough/back-channel shorter than minSpeechMs is released, never confirmed', () => {
  const { actions, seg } = run('..' + 'S'.repeat(12) + '.'.repeat(10));
  assert.deepEqual(actions.map((a) => a.type), ['onset', 'release']);
  assert.equal(seg.counts.confirms, 0);
});

test('when no prompt plays, a short answer ("oui", 160 ms) is confirmed with minUtteranceMs', () => {
  const { actions } = run('..' + 'S'.repeat(8) + '.'.repeat(12), undefined, false);
  assert.deepEqual(actions.map((a) => a.type), ['onset', 'confirm', 'end']);
});

test('frames quieter than minEnergyDbfs do not count, however long', () => {
  assert.deepEqual(run('q'.repeat(50)).actions, []);
});

test('echo guard: speech no louder than the outgoing prompt + margin is ignored; louder speech is not', () => {
  // Prompt at -20 dBFS: the guard is -26. Echo-level speech (-28) is ignored, callee at -20 passes.
  const echo = run('E'.repeat(50), undefined, true, -20);
  assert.deepEqual(echo.actions, []);
  assert.ok(echo.seg.counts.echoRejectedFrames >= 50);
  assert.deepEqual(run('S'.repeat(20), undefined, true, -20).actions.map((a) => a.type), ['onset', 'confirm']);
});

test('short gaps inside speech do not release the candidate', () => {
  const { actions } = run('SSS..SSS..SSSSSSSSSSSS');
  assert.deepEqual(actions.map((a) => a.type), ['onset', 'confirm']);
});

test('options are validated, naming the field', () => {
  assert.throws(() => resolveBargeIn({ minSpeechMs: -1 }), /bargeIn.minSpeechMs/);
  assert.throws(() => resolveBargeIn({ flushAfterMs: Number.NaN }), /bargeIn.flushAfterMs/);
  assert.throws(() => resolveBargeIn({ enabled: 'yes' as unknown as boolean }), /bargeIn.enabled/);
  assert.equal(resolveBargeIn(undefined, { minSpeechMs: 500 }).minSpeechMs, 500);
  assert.equal(resolveBargeIn().flushAfterMs, DEFAULT_BARGE_IN.flushAfterMs);
});

test('the echo guard adapts to the line: quiet echo -> more sensitive, loud echo -> stays conservative', () => {
  const feed = (seg: SpeechSegmenter, echoDb: number, frames: number) => {
    for (let i = 0; i < frames; i++) seg.push({ t: i * 20, durMs: 20, speech: i % 3 === 0, dbfs: -20 + echoDb + (i % 5) - 2, echoRefDbfs: -20 }, true);
  };
  const quiet = new SpeechSegmenter(opts);
  assert.equal(quiet.echoMargin(), -6, 'conservative until the line has been heard');
  feed(quiet, -25, 100); // echo 25 dB under what we send
  assert.ok(quiet.echoMargin() < -15 && quiet.echoMargin() >= -30, `margin ${quiet.echoMargin()}`);
  // A callee 12 dB under the prompt level now gets through (the fixed -6 dB guard would have ignored them).
  let got = 0;
  for (let i = 0; i < 25; i++) {
    const a = quiet.push({ t: 10_000 + i * 20, durMs: 20, speech: true, dbfs: -32, echoRefDbfs: -20 }, true);
    if (a.type !== 'none') got++;
  }
  assert.ok(got >= 2, 'quiet callee detected');
  const loud = new SpeechSegmenter(opts);
  feed(loud, -7, 100); // a very loud echo (7 dB under)
  assert.equal(loud.echoMargin(), -6, 'never less conservative than echoMarginDb');
});

test('digital silence while our prompt plays (the far end sends nothing yet) teaches the echo guard nothing', () => {
  const seg = new SpeechSegmenter(opts);
  // Half a second of zeros from the far end while we play at -15 dBFS: no echo level is learnt from it.
  for (let i = 0; i < 25; i++) seg.push({ t: i * 20, durMs: 20, speech: false, dbfs: -100, echoRefDbfs: -15 }, true);
  assert.equal(seg.echoMargin(), -6, 'still the conservative default');
  // Then the echo of the prompt's first word comes through, 12 dB down: it is not the callee.
  const actions: SegmenterAction[] = [];
  for (let i = 0; i < 20; i++) actions.push(seg.push({ t: 500 + i * 20, durMs: 20, speech: true, dbfs: -27 - (i % 3), echoRefDbfs: -15 }, true));
  assert.deepEqual(actions.filter((a) => a.type !== 'none'), []);
  // A quiet line that does carry noise (-70 dBFS) is learnt: the guard becomes more sensitive.
  const live = new SpeechSegmenter(opts);
  for (let i = 0; i < 25; i++) live.push({ t: i * 20, durMs: 20, speech: false, dbfs: -70, echoRefDbfs: -15 }, true);
  assert.ok(live.echoMargin() < -6, `margin ${live.echoMargin()}`);
  // So is a clean digital line once it has carried sound: the callee said "Allô ?" (no prompt playing), then
  // nothing comes back while we play.
  const clean = new SpeechSegmenter(opts);
  for (let i = 0; i < 20; i++) clean.push({ t: i * 20, durMs: 20, speech: true, dbfs: -22, echoRefDbfs: -Infinity }, false);
  for (let i = 20; i < 80; i++) clean.push({ t: i * 20, durMs: 20, speech: false, dbfs: -100, echoRefDbfs: -15 }, true);
  assert.ok(clean.echoMargin() < -15, `margin ${clean.echoMargin()}`);
});
