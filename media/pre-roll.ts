// Pre-roll: the recogniser must hear the very start of the first word, which the segmenter only recognises
// as speech `flushAfterMs` later. So the last `ms` of audio are kept while nobody speaks; at an onset they
// go to the recogniser first, then every frame until the segment is released or ends.
import type { Emit, Frame, FrameProcessor } from './frames';

export const PRE_ROLL_MS = 300;

export class PreRoll implements FrameProcessor {
  private ring: { t: number; pcm: Int16Array }[] = [];
  private samples = 0;
  private segment = 0; // 0: not feeding

  constructor(private readonly sampleRate: number, private readonly ms = PRE_ROLL_MS) {}

  get feeding(): boolean {
    return this.segment !== 0;
  }

  process(f: Frame, emit: Emit): void {
    emit(f);
    if (f.kind === 'media') {
      if (this.segment) emit({ kind: 'utterance-audio', t: f.t, segment: this.segment, pcm: f.pcm });
      else this.keep(f.t, f.pcm);
    } else if (f.kind === 'speech') {
      // The speech frame goes on first: a barge-in flush must not wait for the recogniser to take the pre-roll.
      if (f.type === 'onset') this.start(f.segment, emit);
      else if (f.type === 'release' || f.type === 'end') this.segment = 0;
    }
  }

  private keep(t: number, pcm: Int16Array): void {
    this.ring.push({ t, pcm });
    this.samples += pcm.length;
    const max = (this.ms * this.sampleRate) / 1000;
    while (this.samples - (this.ring[0]?.pcm.length ?? 0) >= max) this.samples -= this.ring.shift()!.pcm.length;
  }

  private start(segment: number, emit: Emit): void {
    this.segment = segment;
    const all = new Int16Array(this.samples);
    let off = 0;
    for (const x of this.ring) {
      all.set(x.pcm, off);
      off += x.pcm.length;
    }
    const t = this.ring[0]?.t ?? 0;
    this.ring = [];
    this.samples = 0;
    emit({ kind: 'utterance-audio', t, segment, pcm: all });
  }
}
