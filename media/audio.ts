// Audio plumbing for the media worker: G.711 (alawmulaw), signed-linear, a streaming resampler (the Speex
// resampler from SpeexDSP compiled to WASM: a windowed-sinc polyphase filter, stateful across chunks), WAV
// loading (through lib/audio-files.ts, the one WAV reader) and levels.
import { readFile } from 'node:fs/promises';
import alawmulaw from 'alawmulaw';

const { alaw, mulaw } = alawmulaw;
import SpeexResamplerModule from '@echogarden/speex-resampler-wasm';
import { wavToMono16 } from '../lib/audio-files';
import type { CodecInfo } from './protocol';

export function decode(codec: CodecInfo, payload: Uint8Array): Int16Array {
  switch (codec.kind) {
    case 'ulaw':
      return mulaw.decode(payload);
    case 'alaw':
      return alaw.decode(payload);
    case 'slin': {
      const n = payload.length >> 1;
      const out = new Int16Array(n);
      const dv = new DataView(payload.buffer, payload.byteOffset, n * 2);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      return out;
    }
  }
}

export function encode(codec: CodecInfo, pcm: Int16Array): Uint8Array {
  switch (codec.kind) {
    case 'ulaw':
      return mulaw.encode(pcm);
    case 'alaw':
      return alaw.encode(pcm);
    case 'slin': {
      const out = new Uint8Array(pcm.length * 2);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < pcm.length; i++) dv.setInt16(i * 2, pcm[i]!, true);
      return out;
    }
  }
}

/** Silence byte for a codec (ulaw 0xFF, alaw 0xD5, slin 0). */
export function silenceByte(codec: CodecInfo): number {
  return codec.kind === 'ulaw' ? 0xff : codec.kind === 'alaw' ? 0xd5 : 0;
}

/** RMS level of 16-bit PCM in dBFS (-100 for digital silence). */
export function rmsDbfs(pcm: Int16Array, start = 0, end = pcm.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const v = pcm[i]!;
    sum += v * v;
  }
  const n = end - start;
  if (n <= 0 || sum === 0) return -100;
  return 10 * Math.log10(sum / n / (32768 * 32768));
}

interface SpeexModule {
  _speex_resampler_init(ch: number, inRate: number, outRate: number, quality: number, errPtr: number): number;
  _speex_resampler_process_int(st: number, ch: number, inPtr: number, inLenPtr: number, outPtr: number, outLenPtr: number): number;
  _speex_resampler_destroy(st: number): void;
  _speex_resampler_get_input_latency(st: number): number;
  _malloc(n: number): number;
  _free(p: number): void;
  HEAP16: Int16Array;
  HEAPU32: Uint32Array;
  HEAP32: Int32Array;
}

let speexPromise: Promise<SpeexModule> | undefined;
function speex(): Promise<SpeexModule> {
  speexPromise ??= (SpeexResamplerModule as unknown as () => Promise<SpeexModule>)();
  return speexPromise;
}

/** Loads the WASM modules the pipeline needs; call once before creating resamplers synchronously. */
export async function initAudio(): Promise<void> {
  speexModule = await speex();
}
let speexModule: SpeexModule | undefined;

/**
 * Streaming mono resampler (Speex, quality 0..10; 4 is a good telephony default: ~1 ms latency, clean
 * 8->16 kHz interpolation). State carries across calls to process(), so 20 ms chunks join seamlessly.
 */
export class Resampler {
  private st = 0;
  private inPtr = 0;
  private outPtr = 0;
  private lensPtr = 0;
  private cap = 0;
  readonly passthrough: boolean;
  constructor(readonly inRate: number, readonly outRate: number, quality = 4) {
    this.passthrough = inRate === outRate;
    if (this.passthrough) return;
    const m = speexModule;
    if (!m) throw new Error('audio: initAudio() must be awaited before creating a Resampler');
    const err = m._malloc(4);
    this.st = m._speex_resampler_init(1, inRate, outRate, quality, err);
    const code = m.HEAP32[err >> 2];
    m._free(err);
    if (!this.st || code) throw new Error(`audio: speex_resampler_init(${inRate}->${outRate}) failed (${code})`);
    this.lensPtr = m._malloc(8);
  }
  private ensure(n: number): void {
    if (n <= this.cap) return;
    const m = speexModule!;
    if (this.inPtr) m._free(this.inPtr);
    if (this.outPtr) m._free(this.outPtr);
    this.cap = Math.max(n, 4096);
    this.inPtr = m._malloc(this.cap * 2);
    this.outPtr = m._malloc(Math.ceil((this.cap * this.outRate) / this.inRate + 64) * 2);
  }
  process(input: Int16Array): Int16Array {
    if (this.passthrough) return input;
    if (!this.st) throw new Error('audio: resampler destroyed');
    const m = speexModule!;
    this.ensure(input.length);
    m.HEAP16.set(input, this.inPtr >> 1);
    const outCap = Math.ceil((input.length * this.outRate) / this.inRate + 64);
    m.HEAPU32[this.lensPtr >> 2] = input.length;
    m.HEAPU32[(this.lensPtr >> 2) + 1] = outCap;
    const rc = m._speex_resampler_process_int(this.st, 0, this.inPtr, this.lensPtr, this.outPtr, this.lensPtr + 4);
    if (rc) throw new Error(`audio: speex_resampler_process_int failed (${rc})`);
    const produced = m.HEAPU32[(this.lensPtr >> 2) + 1]!;
    return m.HEAP16.slice(this.outPtr >> 1, (this.outPtr >> 1) + produced);
  }
  /** Resamples a whole buffer (prompt audio): flushes the filter tail with zeros so nothing is cut. */
  processAll(input: Int16Array): Int16Array {
    if (this.passthrough) return input;
    const m = speexModule!;
    const latency = m._speex_resampler_get_input_latency(this.st);
    const padded = new Int16Array(input.length + latency);
    padded.set(input);
    const out = this.process(padded);
    const expected = Math.round((input.length * this.outRate) / this.inRate);
    const skip = Math.round((latency * this.outRate) / this.inRate);
    return out.slice(Math.min(skip, out.length), Math.min(skip + expected, out.length));
  }
  destroy(): void {
    if (!this.st) return;
    const m = speexModule!;
    m._speex_resampler_destroy(this.st);
    if (this.inPtr) m._free(this.inPtr);
    if (this.outPtr) m._free(this.outPtr);
    m._free(this.lensPtr);
    this.st = this.inPtr = this.outPtr = this.lensPtr = 0;
  }
}

/** One-shot resampling of a whole buffer. */
export function resampleAll(pcm: Int16Array, inRate: number, outRate: number): Int16Array {
  if (inRate === outRate) return pcm;
  const r = new Resampler(inRate, outRate, 5);
  try {
    return r.processAll(pcm);
  } finally {
    r.destroy();
  }
}

/** Reads a WAV file as 16-bit mono PCM (channels are mixed down). Throws naming the file on bad input. */
export async function readWavMono(path: string): Promise<{ pcm: Int16Array; sampleRate: number }> {
  return wavToMono16(await readFile(path), path);
}
