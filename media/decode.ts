// First stages of the inbound path: codec payload -> PCM at the codec rate -> PCM at the analysis rate; and
// the resampler of the recogniser's audio (confirmed speech only) to the ASR rate.
import { MAX_BINARY_MESSAGE_BYTES, type CodecInfo } from './protocol';
import { decode, Resampler } from './audio';
import type { Emit, Frame, FrameProcessor } from './frames';
import { InboundTimeline } from './inbound-timeline';

/**
 * RawAudioFrame -> AudioFrame at the codec rate, timed at its first sample: by the stream's samples, not by
 * when we read it (media/inbound-timeline.ts says why).
 * A payload that is empty, too large or not a whole number of samples becomes an ErrorFrame (the session
 * counts and logs them): one call's bad input never stops the pipeline.
 */
export class Decoder implements FrameProcessor {
  private readonly timeline: InboundTimeline;

  constructor(private readonly codec: CodecInfo) {
    this.timeline = new InboundTimeline(codec.sampleRate);
  }

  process(f: Frame, emit: Emit): void {
    if (f.kind !== 'raw') return emit(f);
    const n = f.payload.length;
    if (n === 0 || n > MAX_BINARY_MESSAGE_BYTES || n % this.codec.bytesPerSample !== 0) {
      return emit({ kind: 'error', t: f.t, stage: 'decode', message: `malformed media frame (${n} bytes)` });
    }
    const pcm = decode(this.codec, f.payload);
    emit({ kind: 'audio', t: this.timeline.stamp(f.t, pcm.length), pcm, sampleRate: this.codec.sampleRate });
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

/**
 * UtteranceAudioFrames (the confirmed speech the pre-roll hands on) at `inRate` -> at the ASR rate. Why here
 * and not on every frame: the VAD, the segmenter and AMD analyse the call at its codec rate (WebRTC's VAD
 * works at 8 kHz inside anyway), so only the audio the recogniser decodes (about a quarter of a call) is
 * resampled; the CPU profile of the pipeline (bench:media, BENCH_CPU_PROF) had the Speex filter on every
 * 20 ms frame as its largest cost. The filter state restarts with each segment (segments are not contiguous).
 */
export class UtteranceResampler implements FrameProcessor {
  private resampler: Resampler | null = null;
  private segment = 0;

  constructor(private readonly inRate: number, private readonly outRate: number) {}

  process(f: Frame, emit: Emit): void {
    if (f.kind !== 'utterance-audio' || this.inRate === this.outRate) return emit(f);
    if (f.segment !== this.segment || !this.resampler) {
      this.resampler?.destroy();
      this.resampler = new Resampler(this.inRate, this.outRate);
      this.segment = f.segment;
    }
    emit({ ...f, pcm: this.resampler.process(f.pcm) });
  }

  close(): void {
    this.resampler?.destroy();
    this.resampler = null;
  }
}
