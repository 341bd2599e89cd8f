// npm run bench:barge-in — the barge-in detector alone, offline: how soon a callee talking over our prompt is
// heard, and whether the prompt's own echo ever is, for each way of guarding against the echo.
//
// The bench's French prompt (as media/prompt.ts encodes it for a G.711 call) is echoed back on a simulated
// line, 40-140 ms late and 10-20 dB down, through G.711; after one whole prompt heard in silence (the line
// learnt), a Korean phrase (the test model's language, test/helpers/korean.ts) starts at a random point of the
// second one. The real VAD framer and segmenter (media/vad-framer.ts, media/barge-in.ts) take the frames; no
// server, no socket, no clock, so the figures are the detector's and do not depend on the machine's load
// (bench:media measures the same thing through the media server, with transport and load).
// Measured: true onset (first 10 ms over -40 dBFS) -> end of the frame that flushed the prompt; and, on the
// echo alone (no callee), prompts on which the echo caused a flush.
// Guards compared, with what the segmenter is given:
//   window   the loudest level we played over the last 300 ms (what it does before the delay is known)
//   delay    + what we played at each candidate delay (media/echo-path.ts finds the line's)
//   bands    + the band levels we played around that delay (media/bands.ts): what the media worker does
// Echo lines: linear (one delay), dispersive (+ taps at 12/30/55 ms), dispersive and saturating (tanh).
// Human table first; the LAST line is one JSON object with the figures.
import alawmulaw from 'alawmulaw';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initAudio } from '../media/audio';
import { BAND_COUNT } from '../media/bands';
import { ECHO_LEAD_MS, echoCandidates, resolveBargeIn, SpeechSegmenter } from '../media/barge-in';
import type { MediaFrame } from '../media/frames';
import { percentile } from '../lib/metrics';
import { encodePrompt, ENVELOPE_MS } from '../media/prompt';
import { codecInfo } from '../media/protocol';
import { initVad } from '../media/vad';
import { VadFramer } from '../media/vad-framer';
import { KOREAN_PHRASES } from '../test/helpers/korean';
import * as fx from '../test/helpers/media-fixtures';

const HERE = path.dirname(fileURLToPath(import.meta.url));
if (!fx.haveTools().ok) execFileSync('bash', [path.join(HERE, '../scripts/setup-media-deps.sh')], { stdio: 'inherit' });
const { mulaw } = alawmulaw;
await Promise.all([initVad(), initAudio()]);

/** Barge-ins per configuration, prompts on the echo alone per line (bench knobs, not app config). */
const BARGE_INS = Number(process.env.BENCH_BARGE_INS ?? 400);
const ECHO_PROMPTS = Number(process.env.BENCH_ECHO_PROMPTS ?? 100);
const VAD_MODE = 2; // the media worker's default (VAD_MODE)
const PROMPT_TEXT =
  "Bonjour, je suis l'assistante virtuelle de votre fournisseur d'énergie. Je vous appelle au sujet de votre contrat, qui arrive bientôt à échéance.";

const prompt = encodePrompt({ promptId: 'prompt', turn: 1 }, { pcm: fx.speech(PROMPT_TEXT, 16000, 'fr', 'prompt'), sampleRate: 16000 }, codecInfo('ulaw')!, 160);
const promptPcm = mulaw.decode(prompt.bytes);
const phrases = KOREAN_PHRASES.map((p) => fx.speech(p, 8000, 'ko'));
const opts = resolveBargeIn();
/** The second prompt starts here (ms): the first is heard whole, in silence, as on a call's earlier turns. */
const SECOND = Math.round((prompt.durationMs + 500) / 10) * 10;

type Guard = 'window' | 'delay' | 'bands';
type Line = 'linear' | 'dispersive' | 'saturating';
const TAPS: Record<Line, [number, number][]> = {
  linear: [[0, 1]],
  dispersive: [[0, 1], [12, 0.6], [30, 0.35], [55, 0.2]],
  saturating: [[0, 1], [12, 0.6], [30, 0.35], [55, 0.2]],
};

// A small seeded generator: the same cases for every guard, and from one run to the next.
let seed = 12345;
const rand = (a: number, b: number) => a + ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * (b - a);

/** What we played at wall ms (two prompts, then silence; nothing after the flush). */
const playedAt = (ms: number, flushAt: number) => {
  if (ms >= flushAt || ms < 0) return 0;
  const i = Math.round(ms * 8);
  if (i < promptPcm.length) return promptPcm[i]!;
  const j = i - SECOND * 8;
  return j >= 0 && j < promptPcm.length ? promptPcm[j]! : 0;
};
const envelopeAt = (ms: number): number => {
  const k = Math.floor(ms / ENVELOPE_MS);
  if (k >= 0 && k < prompt.envelope.length) return prompt.envelope[k]!;
  const k2 = Math.floor((ms - SECOND) / ENVELOPE_MS);
  return k2 >= 0 && k2 < prompt.envelope.length ? prompt.envelope[k2]! : -Infinity;
};
const bandsAt = (ms: number, out: Float32Array) => {
  let k = Math.floor(ms / ENVELOPE_MS);
  if (!(k >= 0 && k < prompt.envelope.length)) k = Math.floor((ms - SECOND) / ENVELOPE_MS);
  if (k < 0 || k >= prompt.envelope.length) return;
  for (let j = 0; j < BAND_COUNT; j++) out[j] = Math.max(out[j]!, prompt.bands[k * BAND_COUNT + j]!);
};

/**
 * One call: the two prompts, echoed on `line`, the callee's phrase at `at` (or none). Returns the end of the
 * frame whose onset flushed the prompt (ms; Infinity if none).
 */
function run(guard: Guard, line: Line, delayMs: number, gainDb: number, phrase: Int16Array | null, at: number): number {
  const seg = new SpeechSegmenter(opts);
  const g = 10 ** (gainDb / 20);
  let flushAt = Infinity;
  const n = echoCandidates(opts.echoWindowMs);
  const reference = (t: number, frameMs: number) => {
    // As media/playout.ts: the loudest level over each candidate delay's frame, the window's loudest, and once
    // the segmenter knows the delay, the bands around it.
    const levels = new Float32Array(n).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      const from = t - (i * ENVELOPE_MS - ECHO_LEAD_MS);
      for (let ms = Math.floor(from / ENVELOPE_MS) * ENVELOPE_MS; ms < Math.min(from + frameMs, flushAt); ms += ENVELOPE_MS) levels[i] = Math.max(levels[i]!, envelopeAt(ms));
    }
    const echoRefDbfs = levels.reduce((a, b) => Math.max(a, b), -Infinity);
    let echoBands: Float32Array | undefined;
    const around = guard === 'bands' ? seg.echoBandCandidates() : null;
    if (around) {
      echoBands = new Float32Array(BAND_COUNT).fill(-Infinity);
      for (let i = around[0]; i <= around[1]; i++) {
        const from = t - (i * ENVELOPE_MS - ECHO_LEAD_MS);
        if (from < flushAt) bandsAt(from, echoBands);
      }
    }
    const on = flushAt === Infinity;
    return { echoRefDbfs, echoLevels: guard !== 'window' && echoRefDbfs > -Infinity ? levels : undefined, echoBands, promptAudible: on, bargeInArmed: on };
  };
  const framer = new VadFramer({ sampleRate: 8000, frameMs: 20, vadMode: VAD_MODE, reference });
  const end = phrase ? at + 1500 : SECOND + prompt.durationMs + 300;
  for (let t0 = 0; t0 < end && flushAt === Infinity; t0 += 20) {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) {
      const ms = t0 + i / 8;
      let v = 0;
      for (const [d, w] of TAPS[line]) v += playedAt(ms - delayMs - d, flushAt) * g * w;
      if (line === 'saturating') v = Math.tanh(v / 6000) * 6000;
      const s = Math.round((ms - at) * 8);
      if (phrase && s >= 0 && s < phrase.length) v += phrase[s]!;
      pcm[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
    }
    framer.process({ kind: 'audio', t: t0, pcm: mulaw.decode(mulaw.encode(pcm)), sampleRate: 8000 }, (f) => {
      if (f.kind !== 'media') return;
      const a = seg.push(f as MediaFrame, (f as MediaFrame).bargeInArmed);
      if (a.type === 'onset' && flushAt === Infinity) flushAt = t0 + 20;
    });
  }
  framer.close();
  return flushAt;
}

const GUARDS: Guard[] = ['window', 'delay', 'bands'];
const LINES: Line[] = ['linear', 'dispersive', 'saturating'];
const t0 = performance.now();
const rows: Record<string, unknown>[] = [];
console.log(`barge-in detector, offline: ${BARGE_INS} barge-ins per guard and line (in the second prompt of a call), ${ECHO_PROMPTS} calls`);
console.log('of two prompts with the echo alone; ms from the true onset to the end of the frame that flushed; "before onset": flushed by the echo first');
console.log('guard  | line       | onset->flush p50 | p95 | max | missed | before onset | echo alone: calls flushed');
for (const line of LINES) {
  // The same cases for each guard.
  const cases = Array.from({ length: BARGE_INS }, (_, k) => ({
    phrase: phrases[k % phrases.length]!,
    delayMs: Math.round(rand(40, 140) / 20) * 20,
    gainDb: rand(-20, -10),
    at: SECOND + Math.round(rand(1000, prompt.durationMs - 2500)),
  }));
  const echoCases = Array.from({ length: ECHO_PROMPTS }, () => ({ delayMs: Math.round(rand(40, 140) / 20) * 20, gainDb: rand(-20, -10) }));
  for (const guard of GUARDS) {
    const lat: number[] = [];
    let missed = 0;
    for (const c of cases) {
      const onset = c.at + (fx.onsetSample(c.phrase, 8000) / 8000) * 1000;
      const flush = run(guard, line, c.delayMs, c.gainDb, c.phrase, c.at);
      if (flush === Infinity) missed++;
      else lat.push(flush - onset);
    }
    // A flush before the callee's onset is the echo's doing: counted with the echo-alone ones, not as latency.
    const early = lat.filter((x) => x < 0).length;
    const heard = lat.filter((x) => x >= 0);
    let echoAloneFlushes = 0;
    for (const c of echoCases) if (run(guard, line, c.delayMs, c.gainDb, null, 0) !== Infinity) echoAloneFlushes++;
    const q = (p: number) => (heard.length ? Math.round(percentile(heard, p)!) : null);
    const row = { guard, line, p50Ms: q(50), p95Ms: q(95), maxMs: heard.length ? Math.round(Math.max(...heard)) : null, missed, flushedBeforeOnset: early, echoAloneFlushes, echoAloneCalls: ECHO_PROMPTS };
    rows.push(row);
    console.log(`${guard.padEnd(6)} | ${line.padEnd(10)} | ${String(row.p50Ms).padStart(16)} | ${String(row.p95Ms).padStart(3)} | ${String(row.maxMs).padStart(3)} | ${String(missed).padStart(6)} | ${String(early).padStart(12)} | ${echoAloneFlushes} / ${ECHO_PROMPTS}`);
  }
}
const media = rows.find((r) => r.guard === 'bands' && r.line === 'linear')!;
console.log(`what the media worker does (bands, linear echo): onset -> flush p50 ${media.p50Ms} ms, p95 ${media.p95Ms} ms (goal of bench:media: p95 <= 80 ms with transport and load)`);
console.log(JSON.stringify({ bench: 'barge-in', vadMode: VAD_MODE, bargeInsPerCase: BARGE_INS, echoPromptsPerCase: ECHO_PROMPTS, p50Ms: media.p50Ms, p95Ms: media.p95Ms, rows, durationS: Math.round((performance.now() - t0) / 1000) }));
