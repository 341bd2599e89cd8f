// Pre-roll: the recogniser must hear the very start of the first word, which the segmenter only recognises
// as speech `flushAfterMs` later. So the last `ms` of audio are kept while nobody speaks; at an onset they
// are held with the segment's frames until the segment is confirmed as speech, then go to the recogniser in
// one piece, followed by every frame until the segment ends.
//
// Why hold until the confirmation: a segment released before it (a cough, a click, a back-channel or a
// burst of line noise over a prompt) is not something the callee said, and decoding it would be wasted
// recogniser time: what decides how many calls a media worker holds is the audio it decodes (issue #14).
// Once confirmed, the held audio (pre-roll + at most `minSpeechMs`) is decoded far faster than real time, so
// the final result is not later for it. Silence between segments never reaches the recogniser.
import type { Emit, Frame, FrameProcessor } from './frames';

export const PRE_ROLL_MS = 300;

type Chunk = { t: number; pcm: Int16Array };

export class PreRoll implements FrameProcessor {
  private ring: Chunk[] = [];
  private samples = 0;
  private segment = 0; // 0: no segment
  private held: Chunk[] | null = null; // the segment's audio until it is confirmed
  /** Audio handed to the recogniser and audio dropped with released segments (samples), for stats. */
  readonly counts = { fedSamples: 0, droppedSamples: 0 };

  constructor(private readonly sampleRate: number, private readonly ms = PRE_ROLL_MS) {}

  get feeding(): boolean {
    return this.segment !== 0 && this.held === null;
  }

  process(f: Frame, emit: Emit): void {
    emit(f);
    if (f.kind === 'media') {
      if (!this.segment) this.keep(f.t, f.pcm);
      else if (this.held) this.held.push({ t: f.t, pcm: f.pcm });
      else this.feed(emit, f.t, f.pcm);
    } else if (f.kind === 'speech') {
      // The speech frame goes on first: a barge-in flush must not wait for the recogniser to take the audio.
      if (f.type === 'onset') this.start(f.segment);
      else if (f.type === 'confirm' && this.held) {
        const held = this.held;
        this.held = null;
        this.feed(emit, held[0]?.t ?? f.t, concat(held));
      } else if (f.type === 'release' || f.type === 'end') {
        if (this.held) this.counts.droppedSamples += samplesOf(this.held);
        this.held = null;
        this.segment = 0;
      }
    }
  }

  private feed(emit: Emit, t: number, pcm: Int16Array): void {
    this.counts.fedSamples += pcm.length;
    emit({ kind: 'utterance-audio', t, segment: this.segment, pcm });
  }

  private keep(t: number, pcm: Int16Array): void {
    this.ring.push({ t, pcm });
    this.samples += pcm.length;
    const max = (this.ms * this.sampleRate) / 1000;
    while (this.samples - (this.ring[0]?.pcm.length ?? 0) >= max) this.samples -= this.ring.shift()!.pcm.length;
  }

  private start(segment: number): void {
    this.segment = segment;
    this.held = this.ring;
    this.ring = [];
    this.samples = 0;
  }
}

function concat(chunks: Chunk[]): Int16Array {
  const all = new Int16Array(samplesOf(chunks));
  let off = 0;
  for (const c of chunks) {
    all.set(c.pcm, off);
    off += c.pcm.length;
  }
  return all;
}

function samplesOf(chunks: Chunk[]): number {
  let n = 0;
  for (const c of chunks) n += c.pcm.length;
  return n;
}
