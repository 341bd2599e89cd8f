// First stages of the inbound path: codec payload -> PCM at the codec rate -> PCM at the ASR rate.
import { MAX_BINARY_MESSAGE_BYTES, type CodecInfo } from './protocol';
import { decode, Resampler } from './audio';
import type { Emit, Frame, FrameProcessor } from './frames';

/**
 * RawAudioFrame -> AudioFrame at the codec rate, timed at its first sample (arrival minus its duration).
 * A payload that is empty, too large or not a whole number of samples becomes an ErrorFrame (the session
 * counts and logs them): one call's bad input never stops the pipeline.
 */
export class Decoder implements FrameProcessor {
  constructor(private readonly codec: CodecInfo) {}

  process(f: Frame, emit: Emit): void {
    if (f.kind !== 'raw') return emit(f);
    const n = f.payload.length;
    if (n === 0 || n > MAX_BINARY_MESSAGE_BYTES || n % this.codec.bytesPerSample !== 0) {
      return emit({ kind: 'error', t: f.t, stage: 'decode', message: `malformed media frame (${n} bytes)` });
    }
    const pcm = decode(this.codec, f.payload);
    emit({ kind: 'audio', t: f.t - (pcm.length / this.codec.sampleRate) * 1000, pcm, sampleRate: this.codec.sampleRate });
  }
}

/** AudioFrame at any rate -> AudioFrame at `outRate` (streaming Speex resampler; its ~1 ms delay is ignored). */
export class ResampleStage implements FrameProcessor {
  private readonly resampler: Resampler;

  constructor(inRate: number, private readonly outRate: number) {
    this.resampler = new Resampler(inRate, outRate);
  }

  process(f: Frame, emit: Emit): void {
    if (f.kind !== 'audio' || f.sampleRate === this.outRate) return emit(f);
    if (f.sampleRate !== this.resampler.inRate) {
      return emit({ kind: 'error', t: f.t, stage: 'resample', message: `audio at ${f.sampleRate} Hz, expected ${this.resampler.inRate}` });
    }
    emit({ kind: 'audio', t: f.t, pcm: this.resampler.process(f.pcm), sampleRate: this.outRate });
  }

  close(): void {
    this.resampler.destroy();
  }
}
