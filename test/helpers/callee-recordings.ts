// What a test callee of [minibot-test-callees] heard and said, from its MixMonitor recordings
// (<callee channel uniqueid>-heard.wav = our audio reaching the callee, -said.wav = the callee's own speech; both
// start when the callee answered, so their timelines line up). Used by the e2e tier and `npm run bench:amd` to
// measure latencies as the callee lives them, not as our process logs them.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseWav } from '../../lib/audio-files';

export const FRAME_MS = 20;
/** The callees' sentences are levelled like a phone line (-3 dBFS peak); their pauses are digital zero. */
export const SAID_DB = -50;
/**
 * Our audio as heard: the same threshold as the callee's own speech, so that a gap runs from the callee's last
 * audible frame to our first one. Line silence is digital zero, so nothing but a prompt crosses it. Why not
 * higher: a prompt's first syllable can be soft; at -35 dBFS (the threshold until 2026-12-04) "Je comprends…"
 * (retry, bye_failed: -45 -45 -41 -34 -31 -37 -51, then a stop) was first "heard" 300-400 ms into its audio, and
 * that time was counted as dead air after the callee's answer.
 */
export const HEARD_DB = SAID_DB;

/** 20 ms frame levels (dBFS) of a WAV. */
export function frameLevels(path: string): number[] {
  const w = parseWav(readFileSync(path));
  return levelsOf(w.samples!, w.sampleRate);
}

/** 20 ms frame levels (dBFS) of PCM samples. */
export function levelsOf(s: Int16Array, sampleRate: number): number[] {
  const n = Math.round((sampleRate * FRAME_MS) / 1000);
  const levels: number[] = [];
  for (let i = 0; i + n <= s.length; i += n) {
    let e = 0;
    for (let j = i; j < i + n; j++) e += s[j]! * s[j]!;
    levels.push(e > 0 ? 10 * Math.log10(e / n / 32768 ** 2) : -120);
  }
  return levels;
}

/** Waits until the callee's recordings are complete (MixMonitor closes them when the callee channel goes). */
export async function calleeRecordings(dir: string, calleeChannelId: string, timeoutMs = 20_000): Promise<{ heard: number[]; said: number[] }> {
  const heard = join(dir, `${calleeChannelId}-heard.wav`);
  const said = join(dir, `${calleeChannelId}-said.wav`);
  const mix = join(dir, `${calleeChannelId}-mix.wav`);
  const until = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    // The mix file is written last; a stable size twice in a row means MixMonitor let go.
    const size = existsSync(mix) && existsSync(heard) && existsSync(said) ? statSync(mix).size + statSync(heard).size : -1;
    if (size > 44 && size === last) break;
    last = size;
    if (Date.now() > until) throw new Error(`recordings of ${calleeChannelId} not complete in ${dir} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return { heard: frameLevels(heard), said: frameLevels(said) };
}

/** Index of the first run of `minFrames` frames above `db` at or after `from`, or -1. */
export function onsetAfter(levels: number[], db: number, from = 0, minFrames = 3): number {
  for (let i = Math.max(0, from); i + minFrames <= levels.length; i++) {
    let ok = true;
    for (let j = i; j < i + minFrames; j++) if (levels[j]! <= db) ok = false;
    if (ok) return i;
  }
  return -1;
}

/**
 * The callee's turns as it lived them: from `from` (ms after answer), when did its speech end (the end of the
 * last said frame before the next prompt started), and when did the next prompt reach it.
 *   greetingEndMs: end of the callee's first speech before our first audio (null: it said nothing);
 *   firstHeardMs: our first audio (the hello) after answer;
 *   replies: each later callee utterance that was followed by our next prompt: speech end → prompt heard.
 */
export function calleeTimeline(rec: { heard: number[]; said: number[] }): {
  greetingEndMs: number | null;
  firstHeardMs: number | null;
  replies: { speechEndMs: number; nextHeardMs: number; gapMs: number }[];
} {
  const { heard, said } = rec;
  const first = onsetAfter(heard, HEARD_DB);
  const lastSaidBefore = (end: number, start: number) => {
    for (let i = Math.min(end, said.length) - 1; i >= start; i--) if (said[i]! > SAID_DB) return i + 1;
    return -1;
  };
  const g = first < 0 ? -1 : lastSaidBefore(first, 0);
  const replies: { speechEndMs: number; nextHeardMs: number; gapMs: number }[] = [];
  if (first >= 0) {
    // Walk the prompts: a prompt ends at the first 1 s of silence heard; the callee's answer then starts; the
    // next prompt is the next heard onset; the callee's speech end is its last said frame before that onset.
    let i = first;
    for (;;) {
      let promptEnd = -1;
      for (let k = i; k + 50 <= heard.length; k++) if (heard.slice(k, k + 50).every((l) => l <= HEARD_DB)) {
        promptEnd = k;
        break;
      }
      if (promptEnd < 0) break;
      const answer = onsetAfter(said, SAID_DB, promptEnd);
      if (answer < 0) break;
      const next = onsetAfter(heard, HEARD_DB, answer);
      if (next < 0) break;
      const end = lastSaidBefore(next, answer);
      if (end > 0) replies.push({ speechEndMs: end * FRAME_MS, nextHeardMs: next * FRAME_MS, gapMs: (next - end) * FRAME_MS });
      i = next;
    }
  }
  return { greetingEndMs: g > 0 ? g * FRAME_MS : null, firstHeardMs: first >= 0 ? first * FRAME_MS : null, replies };
}

/**
 * Where a known sentence (a WAV of audio/test-callees) is heard in a recording, by the shape of its level over
 * time: the best Pearson correlation of the two 20 ms level envelopes (floored at -60 dBFS, so that level and
 * codec do not matter, only the rhythm of syllables and pauses), and the offset (s) where it is. Measured: the
 * bot's prompts score 0.28-0.52 against the agent's sentence; the sentence as the callee heard it 0.996, in the
 * bridge recording 0.78-0.93 (bridged within 10 ms); with its first 0.75 s cut 0.79; in a CI run where the
 * bridge came late and cut its start, 0.70; in another CI run (load ~10), 0.61.
 */
export function findSentence(recording: Int16Array, rate: number, sentencePath: string): { score: number; atS: number } {
  const w = parseWav(readFileSync(sentencePath));
  // The recording's 20 ms frames fall anywhere against the sentence's: four offsets, 5 ms apart, the best kept
  // (on one offset only a whole sentence scored 0.82-0.99, depending on where the frames fell).
  const step = Math.round((rate * FRAME_MS) / 4000);
  let best = { score: -1, atS: -1 };
  for (let k = 0; k < 4; k++) {
    const r = matchEnvelope(recording.subarray(k * step), rate, w.samples!, w.sampleRate);
    if (r.score > best.score) best = { score: r.score, atS: Math.round((r.atS + (k * step) / rate) * 1000) / 1000 };
  }
  return best;
}

function matchEnvelope(recording: Int16Array, rate: number, sentence: Int16Array, sentenceRate: number): { score: number; atS: number } {
  const floor = (xs: number[]) => xs.map((x) => Math.max(-60, x));
  const rec = floor(levelsOf(recording, rate));
  let tpl = floor(levelsOf(sentence, sentenceRate));
  // Only the sentence itself, without its leading and trailing silence.
  const first = tpl.findIndex((x) => x > -60);
  const last = tpl.length - 1 - [...tpl].reverse().findIndex((x) => x > -60);
  tpl = tpl.slice(first, last + 1);
  const n = tpl.length;
  const mean = (xs: number[], a: number, b: number) => { let t = 0; for (let i = a; i < b; i++) t += xs[i]!; return t / (b - a); };
  const tm = mean(tpl, 0, n);
  let tv = 0;
  for (const x of tpl) tv += (x - tm) ** 2;
  let best = { score: -1, atS: -1 };
  for (let k = 0; k + n <= rec.length; k++) {
    const rm = mean(rec, k, k + n);
    let cov = 0;
    let rv = 0;
    for (let i = 0; i < n; i++) {
      const d = rec[k + i]! - rm;
      cov += d * (tpl[i]! - tm);
      rv += d * d;
    }
    const score = rv > 0 && tv > 0 ? cov / Math.sqrt(rv * tv) : 0;
    if (score > best.score) best = { score, atS: (k * FRAME_MS) / 1000 };
  }
  return best;
}
