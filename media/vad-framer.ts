// VAD framer: AudioFrames of any length at the ASR rate -> MediaFrames of exactly one VAD frame (10/20/30 ms),
// each timed at its first sample, with the WebRTC VAD's verdict, its level and what we were playing then
// (the echo reference, from the playout queue: media/playout.ts).
import { rmsDbfs } from './audio';
import { Vad } from './vad';
import type { Emit, Frame, FrameProcessor, MediaFrame } from './frames';

/** What the callee could hear of our prompts at wall time t. */
export type OutgoingReference = (t: number, frameMs: number) => Pick<MediaFrame, 'echoRefDbfs' | 'echoLevels' | 'echoBands' | 'promptAudible' | 'bargeInArmed'>;

export const SILENT_LINE: OutgoingReference = () => ({ echoRefDbfs: -Infinity, promptAudible: false, bargeInArmed: false });

export interface VadFramerOptions {
  sampleRate: number;
  frameMs: 10 | 20 | 30;
  vadMode: number;
  reference?: OutgoingReference;
}

export class VadFramer implements FrameProcessor {
  private readonly vad: Vad;
  private readonly buf: Int16Array;
  private fill = 0;
  private readonly reference: OutgoingReference;

  constructor(private readonly o: VadFramerOptions) {
    this.vad = new Vad(o.sampleRate, o.frameMs, o.vadMode);
    this.buf = new Int16Array((o.sampleRate / 1000) * o.frameMs);
    this.reference = o.reference ?? SILENT_LINE;
  }

  process(f: Frame, emit: Emit): void {
    if (f.kind !== 'audio') return emit(f);
    if (f.sampleRate !== this.o.sampleRate) {
      return emit({ kind: 'error', t: f.t, stage: 'vad', message: `audio at ${f.sampleRate} Hz, expected ${this.o.sampleRate}` });
    }
    const x = f.pcm;
    const size = this.buf.length;
    // Wall time of the first sample still waiting in the buffer.
    let cursor = f.t - (this.fill / this.o.sampleRate) * 1000;
    let i = 0;
    while (i < x.length) {
      const take = Math.min(size - this.fill, x.length - i);
      this.buf.set(x.subarray(i, i + take), this.fill);
      this.fill += take;
      i += take;
      if (this.fill === size) {
        const pcm = this.buf.slice();
        this.fill = 0;
        emit(this.analyse(pcm, cursor));
        cursor += this.o.frameMs;
      }
    }
  }

  private analyse(pcm: Int16Array, t: number): MediaFrame {
    const speech = this.vad.isSpeech(pcm);
    const dbfs = rmsDbfs(pcm);
    return { kind: 'media', t, durMs: this.o.frameMs, pcm, sampleRate: this.o.sampleRate, speech, dbfs, ...this.reference(t, this.o.frameMs) };
  }

  close(): void {
    this.vad.free();
  }
}
