// Pure audio checks for the prompt files: WAV header parsing, level/silence/duration analysis, and the rules
// of the MiniBotPanel guide (WAV 8 kHz mono 16-bit, 0.5 s of silence at each end, -12 dB peak, 30 s max).
// No process or file access here (see scripts/audio-sox.ts for the conversions), so it is unit-tested on buffers.

import alawmulaw from 'alawmulaw';
import { PROMPTS, type PromptName } from './scenario';

/** The ten prompts the call flow plays (the scenario module's list). */
export const PROMPT_NAMES = PROMPTS;
export type { PromptName };

export interface WavInfo {
  /** WAVE format tag: 1 = PCM, 3 = float, 6/7 = A-law/µ-law, 0xFFFE = extensible (sub-format read). */
  formatTag: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  dataBytes: number;
  /** The data chunk as stored (a view of the buffer, not a copy). */
  data: Uint8Array;
  /** Present when the data is 16-bit PCM (any channel count: interleaved). */
  samples?: Int16Array;
}

export class WavError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WavError';
  }
}

/**
 * Reads a RIFF/WAVE buffer. Hand-written on purpose: the validator must see the raw header fields (format tag,
 * bit depth) that decoding libraries normalise away, and the format is a few fixed little-endian fields.
 */
export function parseWav(buf: Buffer): WavInfo {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavError('not a WAV file (no RIFF/WAVE header)');
  }
  let off = 12;
  let fmt: Omit<WavInfo, 'dataBytes' | 'data' | 'samples'> | undefined;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new WavError('truncated fmt chunk');
      let formatTag = buf.readUInt16LE(body);
      if (formatTag === 0xfffe && size >= 40 && body + 26 <= buf.length) formatTag = buf.readUInt16LE(body + 24);
      fmt = {
        formatTag,
        channels: buf.readUInt16LE(body + 2),
        sampleRate: buf.readUInt32LE(body + 4),
        bitsPerSample: buf.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt) throw new WavError('data chunk before fmt chunk');
      const dataBytes = Math.min(size, buf.length - body);
      const info: WavInfo = { ...fmt, dataBytes, data: buf.subarray(body, body + dataBytes) };
      if (fmt.formatTag === 1 && fmt.bitsPerSample === 16) {
        const n = Math.floor(dataBytes / 2);
        const samples = new Int16Array(n);
        for (let i = 0; i < n; i++) samples[i] = buf.readInt16LE(body + 2 * i);
        info.samples = samples;
      }
      return info;
    }
    off = body + size + (size % 2); // chunks are word-aligned
  }
  throw new WavError(fmt ? 'no data chunk' : 'no fmt chunk');
}

/**
 * The audio of a WAV buffer as 16-bit mono PCM (channels mixed down), to play it: 16-bit PCM as stored;
 * 8/24/32-bit PCM, 32/64-bit float and G.711 A-law/µ-law converted. Throws a WavError naming `name`.
 * The one WAV reader of the project (parseWav above); each conversion is one line of arithmetic.
 */
export function wavToMono16(buf: Buffer, name = 'WAV'): { pcm: Int16Array; sampleRate: number } {
  let info: WavInfo;
  try {
    info = parseWav(buf);
  } catch (e) {
    throw new WavError(`${name}: not a readable WAV file (${(e as Error).message})`);
  }
  const { channels, sampleRate, formatTag, bitsPerSample: bits } = info;
  if (!sampleRate || !channels) throw new WavError(`${name}: WAV header has no sample rate/channels`);
  const d = Buffer.from(info.data.buffer, info.data.byteOffset, info.data.byteLength);
  let read: (i: number) => number; // sample i (interleaved), as a 16-bit value
  let width = bits / 8;
  if (formatTag === 1 && bits === 16) read = (i) => info.samples![i]!;
  else if (formatTag === 1 && bits === 8) read = (i) => (d[i]! - 128) << 8;
  else if (formatTag === 1 && bits === 24) read = (i) => d.readIntLE(i * 3, 3) >> 8;
  else if (formatTag === 1 && bits === 32) read = (i) => d.readInt32LE(i * 4) >> 16;
  else if (formatTag === 3 && (bits === 32 || bits === 64)) {
    const f = bits === 32 ? (i: number) => d.readFloatLE(i * 4) : (i: number) => d.readDoubleLE(i * 8);
    read = (i) => Math.round(Math.max(-1, Math.min(1, f(i))) * 32767);
  } else if ((formatTag === 6 || formatTag === 7) && bits === 8) {
    const g711 = (formatTag === 6 ? alawmulaw.alaw : alawmulaw.mulaw).decode(info.data);
    read = (i) => g711[i]!;
    width = 1;
  } else throw new WavError(`${name}: unsupported WAV encoding (format tag ${formatTag}, ${bits}-bit)`);
  const n = Math.floor(info.dataBytes / width / channels);
  const pcm = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read(i * channels + c);
    pcm[i] = Math.round(sum / channels);
  }
  return { pcm, sampleRate };
}

export interface LevelAnalysis {
  durationS: number;
  peakDbfs: number;
  rmsDbfs: number;
  /** Samples at or within 1 LSB of full scale. */
  clippedSamples: number;
  /** Seconds before the first / after the last sample above the silence threshold. */
  leadingSilenceS: number;
  trailingSilenceS: number;
}

export const dbfs = (amplitude: number) => (amplitude <= 0 ? -Infinity : 20 * Math.log10(amplitude / 32768));

/** Level, clipping and edge silence of mono 16-bit samples. silenceDbfs: a sample below it is silence. */
export function analyzePcm16(samples: Int16Array, sampleRate: number, silenceDbfs = -40): LevelAnalysis {
  const threshold = 32768 * 10 ** (silenceDbfs / 20);
  let peak = 0;
  let sumSq = 0;
  let clipped = 0;
  let first = -1;
  let last = -1;
  for (let i = 0; i < samples.length; i++) {
    const a = Math.abs(samples[i]!);
    if (a > peak) peak = a;
    sumSq += a * a;
    if (a >= 32766) clipped++;
    if (a > threshold) {
      if (first < 0) first = i;
      last = i;
    }
  }
  const n = samples.length;
  return {
    durationS: n / sampleRate,
    peakDbfs: dbfs(peak),
    rmsDbfs: n ? dbfs(Math.sqrt(sumSq / n)) : -Infinity,
    clippedSamples: clipped,
    leadingSilenceS: first < 0 ? n / sampleRate : first / sampleRate,
    trailingSilenceS: last < 0 ? n / sampleRate : (n - 1 - last) / sampleRate,
  };
}

export interface AudioRules {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  minDurationS: number;
  maxDurationS: number;
  targetPeakDbfs: number;
  peakToleranceDb: number;
  /** A peak below this is an empty/silent file rather than a quiet one. */
  silentBelowDbfs: number;
  minEdgeSilenceS: number;
  maxEdgeSilenceS: number;
  /** Clipped samples allowed before it is reported. */
  maxClippedSamples: number;
}

export const DEFAULT_RULES: AudioRules = {
  sampleRate: 8000,
  channels: 1,
  bitsPerSample: 16,
  minDurationS: 1.2, // 0.5 s + 0.5 s of silence around at least ~0.2 s of speech
  maxDurationS: 30,
  targetPeakDbfs: -12,
  peakToleranceDb: 1.5,
  silentBelowDbfs: -45,
  minEdgeSilenceS: 0.25,
  maxEdgeSilenceS: 1.0,
  maxClippedSamples: 0,
};

export type ProblemCode = 'format' | 'duration' | 'level' | 'clipping' | 'silence' | 'empty' | 'missing' | 'unreadable';

export interface AudioProblem {
  file: string;
  code: ProblemCode;
  message: string;
}

const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : String(x));
const f2 = (x: number) => x.toFixed(2);

/** Format problems only (what a conversion fixes). Empty when the WAV is 8 kHz mono 16-bit PCM. */
export function formatProblems(file: string, info: WavInfo, rules: AudioRules = DEFAULT_RULES): AudioProblem[] {
  const wrong: string[] = [];
  if (info.formatTag !== 1) wrong.push(`encoding tag ${info.formatTag} (want 1 = PCM)`);
  if (info.sampleRate !== rules.sampleRate) wrong.push(`${info.sampleRate} Hz (want ${rules.sampleRate})`);
  if (info.channels !== rules.channels) wrong.push(`${info.channels} channels (want ${rules.channels})`);
  if (info.bitsPerSample !== rules.bitsPerSample) wrong.push(`${info.bitsPerSample}-bit (want ${rules.bitsPerSample})`);
  return wrong.length ? [{ file, code: 'format', message: wrong.join(', ') }] : [];
}

/** Every problem of one parsed WAV file against the rules. */
export function checkWav(file: string, info: WavInfo, rules: AudioRules = DEFAULT_RULES): AudioProblem[] {
  const problems = formatProblems(file, info, rules);
  if (problems.length || !info.samples) return problems;
  const a = analyzePcm16(info.samples, info.sampleRate);
  const p = (code: ProblemCode, message: string) => problems.push({ file, code, message });

  if (info.samples.length === 0) {
    p('empty', 'no audio samples');
    return problems;
  }
  if (a.peakDbfs < rules.silentBelowDbfs) {
    p('empty', `only silence (peak ${f1(a.peakDbfs)} dBFS)`);
    return problems;
  }
  if (a.durationS > rules.maxDurationS) p('duration', `${f2(a.durationS)} s, longer than ${rules.maxDurationS} s`);
  if (a.durationS < rules.minDurationS) p('duration', `${f2(a.durationS)} s, shorter than ${rules.minDurationS} s`);
  if (a.clippedSamples > rules.maxClippedSamples) {
    p('clipping', `${a.clippedSamples} samples at full scale (clipped)`);
  }
  const lo = rules.targetPeakDbfs - rules.peakToleranceDb;
  const hi = rules.targetPeakDbfs + rules.peakToleranceDb;
  if (a.peakDbfs < lo) p('level', `too quiet: peak ${f1(a.peakDbfs)} dBFS, want ${rules.targetPeakDbfs} ± ${rules.peakToleranceDb} dB`);
  else if (a.peakDbfs > hi) p('level', `too loud: peak ${f1(a.peakDbfs)} dBFS, want ${rules.targetPeakDbfs} ± ${rules.peakToleranceDb} dB`);
  for (const [edge, s] of [
    ['start', a.leadingSilenceS],
    ['end', a.trailingSilenceS],
  ] as const) {
    if (s < rules.minEdgeSilenceS) p('silence', `${f2(s)} s of silence at the ${edge}, want about 0.5 s (at least ${rules.minEdgeSilenceS} s)`);
    else if (s > rules.maxEdgeSilenceS) p('silence', `${f2(s)} s of silence at the ${edge}, want about 0.5 s (at most ${rules.maxEdgeSilenceS} s)`);
  }
  return problems;
}

/** Parses and checks a file's bytes; unreadable input becomes a problem instead of an exception. */
export function checkWavBuffer(file: string, buf: Buffer, rules: AudioRules = DEFAULT_RULES): AudioProblem[] {
  try {
    return checkWav(file, parseWav(buf), rules);
  } catch (e) {
    if (e instanceof WavError) return [{ file, code: 'unreadable', message: e.message }];
    throw e;
  }
}

/** The ten prompts missing from a list of file names in the prompts folder. */
export function missingPrompts(fileNames: string[]): PromptName[] {
  const have = new Set(fileNames.map((f) => f.toLowerCase()));
  return PROMPT_NAMES.filter((n) => !have.has(`${n}.wav`));
}
