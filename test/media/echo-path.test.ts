// The echo path estimate (media/echo-path.ts), the band levels (media/bands.ts), and what they change in the
// barge-in guard (media/barge-in.ts): a callee starting while our prompt's echo is in a pause, or whose sound
// lies in bands our prompt's echo leaves empty, is heard at once; the echo itself still is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EchoPath } from '../../media/echo-path';
import { BAND_COUNT, bandLevels } from '../../media/bands';
import { SpeechSegmenter, resolveBargeIn, echoCandidates, ECHO_LEAD_MS, type VadFrame } from '../../media/barge-in';

const CANDIDATES = echoCandidates(300); // -20..300 ms, 10 ms apart
const TONE_DBFS = 20 * Math.log10(0.5 / Math.SQRT2); // a half-scale sine: -9.03 dBFS

/** A prompt's level envelope (10 ms blocks), speech-like: syllables of 60-200 ms at -10..-20 dBFS, pauses of 40-150 ms. */
function envelope(blocks: number, seed = 1): Float32Array {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const env = new Float32Array(blocks);
  for (let k = 0; k < blocks; ) {
    const syl = 6 + Math.floor(rnd() * 15);
    const lvl = -10 - rnd() * 10;
    for (let j = 0; j < syl && k < blocks; j++) env[k++] = lvl - rnd() * 3;
    const gap = 4 + Math.floor(rnd() * 11);
    for (let j = 0; j < gap && k < blocks; j++) env[k++] = -100;
  }
  return env;
}

/** What we played at each candidate delay for the 20 ms inbound frame starting at block f (as media/playout.ts). */
function levelsAt(env: Float32Array, f: number): Float32Array {
  const out = new Float32Array(CANDIDATES).fill(-Infinity);
  for (let i = 0; i < CANDIDATES; i++) {
    const from = f - (i - ECHO_LEAD_MS / 10);
    for (const k of [from, from + 1]) if (k >= 0 && k < env.length) out[i] = Math.max(out[i]!, env[k]!);
  }
  return out;
}

const maxOf = (xs: Float32Array) => xs.reduce((a, b) => Math.max(a, b), -Infinity);

/** The line's echo of the envelope for the frame at block f: `delayMs` late, `erlDb` down, over -65 dBFS of line noise. */
function echoAt(env: Float32Array, f: number, delayMs: number, erlDb: number, jitter: () => number): number {
  const k = f - delayMs / 10;
  const e = Math.max(k >= 0 ? env[k]! : -100, k + 1 >= 0 ? env[k + 1]! : -100) + erlDb + jitter();
  return 10 * Math.log10(10 ** (e / 10) + 10 ** (-65 / 10));
}

const path = () => new EchoPath({ candidates: CANDIDATES, minFrames: 50, minCorrelation: 0.7, alpha: 1 / 150, slack: 2 });
/** Line jitter of ±1.5 dB, reproducible from its seed. */
function jitterOf(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 69069 + 1) % 4294967296) / 4294967296 - 0.5) * 3;
}
/** The path learns the frames at blocks [from, to) of a line echoing the envelope `delayMs` late, `erlDb` down. */
function hear(p: EchoPath, env: Float32Array, from: number, to: number, delayMs: number, erlDb: number, jitter: () => number): EchoPath {
  for (let f = from; f < to; f += 2) p.learn(echoAt(env, f, delayMs, erlDb, jitter), levelsAt(env, f));
  return p;
}
const trackedMs = (p: EchoPath) => p.delayIndex * 10 - ECHO_LEAD_MS;

test('the echo path: the delay whose levels the echo follows is found, and followed when it moves', () => {
  const env = envelope(3000);
  const jitter = jitterOf(7);
  const p = hear(path(), env, 40, 240, 90, -14, jitter);
  assert.equal(trackedMs(p), 90);
  const v = p.version;
  hear(p, env, 240, 1400, 200, -14, jitter);
  assert.equal(trackedMs(p), 200, 'the line now echoes 200 ms late');
  assert.ok(p.version > v);
});

test('the echo path: an echo later than the window has no delay (not the window\'s last one)', () => {
  const env = envelope(3000);
  const jitter = jitterOf(11);
  const p = hear(path(), env, 40, 1400, 310, -12, jitter);
  assert.equal(p.delayIndex, -1, `tracked ${trackedMs(p)} ms, correlation there ${p.correlation(CANDIDATES - 1).toFixed(2)}`);
  // The same line 200 ms late is found, as before.
  assert.equal(trackedMs(hear(path(), env, 40, 1400, 200, -12, jitter)), 200);
});

test('the echo path: a line whose inbound level does not follow what we play has no delay', () => {
  const env = envelope(3000);
  let s = 3;
  const rnd = () => ((s = (s * 69069 + 1) % 4294967296) / 4294967296);
  const p = path();
  for (let f = 40; f < 2000; f += 2) p.learn(-60 + rnd() * 25, levelsAt(env, f)); // noise and the callee's room, not our echo
  assert.equal(p.delayIndex, -1);
  assert.equal(p.reference(levelsAt(env, 500)), null);
});

test('band levels: a tone is in its band only, at its level', () => {
  const out = new Float32Array(BAND_COUNT);
  for (const [hz, band] of [[400, 0], [1000, 1], [2000, 2], [3000, 3]] as const) {
    const pcm = Int16Array.from({ length: 160 }, (_, i) => Math.round(16384 * Math.sin((2 * Math.PI * hz * i) / 8000)));
    bandLevels(pcm, 8000, out);
    assert.ok(Math.abs(out[band]! - TONE_DBFS) < 1.5, `${hz} Hz: ${[...out].map((x) => x.toFixed(1))}`);
    for (let j = 0; j < BAND_COUNT; j++) if (Math.abs(j - band) > 1) assert.ok(out[j]! < TONE_DBFS - 25, `${hz} Hz leaks into band ${j}: ${out[j]}`);
  }
});

const opts = resolveBargeIn({ flushAfterMs: 40, minSpeechMs: 300, releaseMs: 100 });

test('barge-in over a pause of the echo: heard at once once the delay is known; with the window alone, not', () => {
  const env = envelope(3000, 5);
  const jitter = () => 0;
  const tracked = new SpeechSegmenter(opts);
  const windowOnly = new SpeechSegmenter(opts);
  const frame = (f: number, dbfs: number, speech: boolean): VadFrame => {
    const echoLevels = levelsAt(env, f);
    return { t: f * 10, durMs: 20, speech, dbfs, echoRefDbfs: maxOf(echoLevels), echoLevels };
  };
  // Four seconds of prompt, echoed 120 ms late and 14 dB down, the callee silent (the VAD takes the echo for speech).
  let f = 40;
  for (; f < 440; f += 2) {
    const e = echoAt(env, f, 120, -14, jitter);
    tracked.push(frame(f, e, e > -50), true);
    windowOnly.push({ ...frame(f, e, e > -50), echoLevels: undefined }, true);
  }
  assert.equal(tracked.echoDelayMs, 120);
  assert.equal(windowOnly.echoDelayMs, null);
  // A moment where our prompt was in a pause for 60 ms around the echo's delay (120 ms, give or take the 20 ms
  // the reference allows), while the window still holds a loud syllable.
  const at120 = (ECHO_LEAD_MS + 120) / 10;
  for (; ; f += 2) {
    const quiet = [0, 2, 4].every((d) => maxOf(levelsAt(env, f + d).subarray(at120 - 2, at120 + 3)) < -50);
    if (quiet && maxOf(levelsAt(env, f)) > -16) break;
  }
  const onset = (seg: SpeechSegmenter, tracks: boolean) => {
    const got: string[] = [];
    for (const d of [0, 2, 4]) {
      const fr = frame(f + d, -30, true); // the callee, 16 dB and more under the loudest syllable of the window
      const a = seg.push(tracks ? fr : { ...fr, echoLevels: undefined }, true);
      got.push(a.type);
    }
    return got;
  };
  assert.deepEqual(onset(tracked, true), ['none', 'onset', 'none'], 'two frames of speech: the prompt is flushed');
  assert.deepEqual(onset(windowOnly, false), ['none', 'none', 'none'], 'held to the loudest level of the window');
});

test("barge-in in bands the echo leaves empty: heard although no louder than the echo on the whole band; the echo's own bands are not", () => {
  const tone = Int16Array.from({ length: 160 }, (_, i) => Math.round(4000 * Math.sin((2 * Math.PI * 3000 * i) / 8000)));
  const level = 20 * Math.log10(4000 / 32768 / Math.SQRT2); // -21.3 dBFS
  const frame = (echoBands: number[]): VadFrame => ({
    t: 0, durMs: 20, speech: true, dbfs: level, echoRefDbfs: level + 8, pcm: tone, sampleRate: 8000, echoBands: Float32Array.from(echoBands),
  });
  const run = (echoBands: number[]) => {
    const seg = new SpeechSegmenter(opts);
    return [0, 1, 2].map((i) => seg.push({ ...frame(echoBands), t: i * 20 }, true).type);
  };
  // Whole band: the frame is 8 dB under what the echo could be (guard: 2 dB under): rejected on its level alone.
  assert.deepEqual(run([level + 8, level + 8, level + 8, level + 8]), ['none', 'none', 'none']);
  // Our prompt had nothing above 1400 Hz there: the callee's 3 kHz stands out.
  assert.deepEqual(run([level + 8, level + 2, -60, -60]), ['none', 'onset', 'none']);
});
