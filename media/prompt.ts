// A prompt made ready for one call: resampled to the call's codec rate, padded to whole frames (so Asterisk
// drops nothing, with no need for START/STOP_MEDIA_BUFFERING), encoded, with its level envelope (the echo
// reference the barge-in detector compares the callee's audio against).
import { encode, resampleAll, rmsDbfs, silenceByte } from './audio';
import { BAND_COUNT, bandLevels } from './bands';
import type { CodecInfo } from './protocol';

/** Resolution of a prompt's level envelope. */
export const ENVELOPE_MS = 10;
/** Length of the window each entry of a prompt's band envelope is measured over (an inbound VAD frame's). */
export const BAND_WINDOW_MS = 20;

export interface PromptInput {
  promptId: string;
  turn: number;
  wavPath?: string;
  pcm?: Int16Array;
  sampleRate?: number;
  bargeIn?: boolean;
}

export interface Prompt {
  promptId: string;
  turn: number;
  bargeIn: boolean;
  bytes: Uint8Array; // encoded in the call codec, whole frames
  durationMs: number;
  envelope: Float32Array; // dBFS per ENVELOPE_MS block
  /** Band levels (media/bands.ts) of the BAND_WINDOW_MS starting at each ENVELOPE_MS block: BAND_COUNT per block. */
  bands: Float32Array;
  finished: boolean;
}

type Encoded = Pick<Prompt, 'bytes' | 'durationMs' | 'envelope' | 'bands'>;
/**
 * Encoded audio per source PCM (the same prompt audio is played on every call) and call format. Why: the CPU
 * profile of the pipeline (bench:media, BENCH_CPU_PROF) showed re-encoding the prompt on each play (resample,
 * G.711, envelope) at about a tenth of the media worker's own cost. Keyed weakly by the PCM array: a prompt
 * nobody holds any more is dropped with it. The bytes and envelope are never written after encoding.
 */
const encodedCache = new WeakMap<Int16Array, Map<string, Encoded>>();

export function encodePrompt(
  input: Pick<PromptInput, 'promptId' | 'turn' | 'bargeIn'>,
  audio: { pcm: Int16Array; sampleRate: number },
  codec: CodecInfo,
  frameBytes: number,
): Prompt {
  const key = `${audio.sampleRate}/${codec.name}/${frameBytes}`;
  let forPcm = encodedCache.get(audio.pcm);
  let enc = forPcm?.get(key);
  if (!enc) {
    enc = encodeAudio(audio, codec, frameBytes);
    if (!forPcm) encodedCache.set(audio.pcm, (forPcm = new Map()));
    forPcm.set(key, enc);
  }
  return { promptId: input.promptId, turn: input.turn, bargeIn: input.bargeIn ?? true, ...enc, finished: false };
}

function encodeAudio(audio: { pcm: Int16Array; sampleRate: number }, codec: CodecInfo, frameBytes: number): Encoded {
  const pcm = resampleAll(audio.pcm, audio.sampleRate, codec.sampleRate);
  const frameSamples = frameBytes / codec.bytesPerSample;
  const padded = new Int16Array(Math.max(1, Math.ceil(pcm.length / frameSamples)) * frameSamples);
  padded.set(pcm);
  const bytes = encode(codec, padded);
  if (pcm.length < padded.length) bytes.fill(silenceByte(codec), encode(codec, pcm).length);
  const block = (codec.sampleRate * ENVELOPE_MS) / 1000;
  const envelope = new Float32Array(Math.ceil(padded.length / block));
  for (let b = 0; b < envelope.length; b++) envelope[b] = rmsDbfs(padded, b * block, Math.min(padded.length, (b + 1) * block));
  const win = (codec.sampleRate * BAND_WINDOW_MS) / 1000;
  const padTail = new Int16Array(envelope.length * block + win);
  padTail.set(padded);
  const bands = new Float32Array(envelope.length * BAND_COUNT);
  for (let b = 0; b < envelope.length; b++) bandLevels(padTail, codec.sampleRate, bands.subarray(b * BAND_COUNT, (b + 1) * BAND_COUNT), b * block, b * block + win);
  return { bytes, durationMs: (padded.length / codec.sampleRate) * 1000, envelope, bands };
}
