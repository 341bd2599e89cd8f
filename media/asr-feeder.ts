// ASR feeder: the last inbound stage. Feeds the segment's audio (UtteranceAudioFrames, consumed here) to the
// call's recogniser, drops it when the segment is released (the pre-roll stage holds a segment's audio until
// it is confirmed, so a released one has usually fed nothing), and at the end of a confirmed
// utterance passes on the final result as a TranscriptFrame, later (a recogniser answers asynchronously).
import type { AsrSession } from './asr';
import { now as systemNow } from './clock';
import type { Emit, Frame, FrameProcessor, SpeechFrame } from './frames';

export class AsrFeeder implements FrameProcessor {
  private fed = false; // audio given since the last reset or final result

  constructor(private session: AsrSession | null, private readonly now: () => number = systemNow) {}

  process(f: Frame, emit: Emit): void {
    if (f.kind === 'utterance-audio') {
      this.session?.accept(f.pcm);
      this.fed = true;
      return;
    }
    emit(f);
    if (f.kind !== 'speech' || !this.session) return;
    if (f.type === 'release') {
      if (this.fed) this.session.reset();
      this.fed = false;
    } else if (f.type === 'end') {
      this.fed = false;
      void this.finalize(this.session, f, emit);
    }
  }

  private async finalize(session: AsrSession, f: SpeechFrame & { type: 'end' }, emit: Emit): Promise<void> {
    try {
      const r = await session.finalize();
      emit({
        kind: 'transcript', t: this.now(), segment: f.segment, speechStartAt: f.speechStartAt, speechEndAt: f.speechEndAt,
        text: r.text, confidence: r.confidence, words: r.words, decodeMs: r.decodeMs,
      });
    } catch (e) {
      emit({ kind: 'error', t: this.now(), stage: 'asr', segment: f.segment, message: `ASR final result failed: ${(e as Error).message}` });
    }
  }

  close(): void {
    this.session?.close();
    this.session = null;
  }
}
