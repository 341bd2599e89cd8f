// Runs a chain of frame processors (media/frames.ts): each stage's output is the next stage's input, the
// last stage's output goes to the sink. Synchronous: a frame pushed in has been through every stage when
// push() returns (a stage may still pass frames on later, e.g. the ASR feeder's results).
import type { Emit, Frame, FrameProcessor, MediaFrame } from './frames';

export class Pipeline {
  private readonly head: Emit;
  private closed = false;

  constructor(private readonly stages: FrameProcessor[], sink: Emit) {
    let next: Emit = sink;
    for (let i = stages.length - 1; i >= 0; i--) {
      const stage = stages[i]!;
      const down = next;
      next = (f) => stage.process(f, down);
    }
    this.head = next;
  }

  /** Frames pushed after close() are dropped. */
  push(f: Frame): void {
    if (!this.closed) this.head(f);
  }

  /**
   * Frees every stage. A result a stage passes on later still goes through the stages after it: an ASR final
   * that comes after the hang-up is still an utterance the callee said.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.stages) s.close?.();
  }
}

/** A read-only stage: shows every analysed frame to `observe` (the hybrid AMD) and passes all frames on. */
export class MediaTap implements FrameProcessor {
  constructor(private readonly observe: (f: MediaFrame) => void) {}
  process(f: Frame, emit: Emit): void {
    if (f.kind === 'media') this.observe(f);
    emit(f);
  }
}
