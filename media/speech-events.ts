// The last inbound stage, where the two halves of a call meet: the segmenter's decisions act on the playout
// queue (barge-in) and, with the recogniser's transcripts, become the call's events.
//   onset over a barge-in-able prompt -> flush it, tentatively (held)
//   confirm  -> the held prompt is over (interrupted); speechStarted
//   release  -> a false alarm: the held prompt resumes
//   transcript -> utterance, in the turn in which the speech ended
import type { CallEventSink } from '../lib/call-events';
import type { Clock } from './clock';
import type { Emit, Frame, FrameProcessor, SpeechFrame, TranscriptFrame } from './frames';
import type { PlayoutQueue } from './playout';

export interface SpeechStats {
  bargeInLatencyMs: number[]; // speech onset -> FLUSH_MEDIA sent
  asrLatencyMs: number[]; // speech end -> final result
  signalLatencyMs: number[]; // speech end -> utterance delivered to the sink
  tentativeFlushes: number;
  resumes: number;
  confirmedBargeIns: number;
}

export interface SpeechEventsOptions {
  callId: string;
  sink: CallEventSink;
  playout: PlayoutQueue;
  clock: Clock;
  /** The call's current turn (set by the workflow through the media server). */
  turn(): number;
  /** How far before the cut a resumed prompt starts again (the segmenter's current options). */
  resumeRewindMs(): number;
  /** Which recogniser runs (null: none, so no transcript will come). */
  asrMethod: string | null;
  stats: SpeechStats;
  /** Latency samples for the media server's figures. */
  record(name: 'bargeIn' | 'asr' | 'signal', ms: number): void;
  /** Delivers an event to the sink; a failure is logged, never thrown into the pipeline. */
  deliver(name: string, fn: () => Promise<void>): void;
  debug(obj: Record<string, unknown>, msg: string): void;
}

const round = (x?: number) => (x !== undefined ? Math.round(x) : undefined);

export class SpeechEvents implements FrameProcessor {
  /** Per speech segment: whether it interrupted a prompt, and the turn in which it ended. */
  private segments = new Map<number, { bargeIn: boolean; turn?: number }>();

  constructor(private readonly o: SpeechEventsOptions) {}

  process(f: Frame, emit: Emit): void {
    if (f.kind === 'speech') this.onSpeech(f);
    else if (f.kind === 'transcript') this.onTranscript(f);
    emit(f);
  }

  private onSpeech(f: SpeechFrame): void {
    const { playout, stats } = this.o;
    switch (f.type) {
      case 'onset': {
        this.segments.set(f.segment, { bargeIn: false });
        if (!f.bargeInArmed) break;
        const held = playout.holdAudible();
        if (!held) break;
        stats.tentativeFlushes++;
        const lat = held.flushedAt - f.speechStartAt;
        stats.bargeInLatencyMs.push(Math.round(lat));
        this.o.record('bargeIn', lat);
        this.o.debug({ promptId: held.prompt.promptId, posMs: Math.round(held.posMs), latencyMs: Math.round(lat) }, 'barge-in: prompt flushed');
        break;
      }
      case 'confirm': {
        const held = playout.dropHeld();
        let info: { promptId?: string; playedMs?: number; flushedAt?: number } = {};
        if (held) {
          stats.confirmedBargeIns++;
          info = { promptId: held.prompt.promptId, playedMs: held.posMs, flushedAt: held.flushedAt };
        } else {
          const t = this.o.clock.now();
          const audible = playout.audible(t);
          if (audible) info = { promptId: audible.promptId, playedMs: playout.position(audible, t) };
        }
        this.segments.set(f.segment, { bargeIn: !!held });
        const e = { turn: this.o.turn(), speechStartAt: Math.round(f.speechStartAt), flushedAt: round(info.flushedAt), promptId: info.promptId, promptPlayedMs: round(info.playedMs) };
        this.o.deliver('speechStarted', () => this.o.sink.speechStarted(this.o.callId, e));
        break;
      }
      case 'release': {
        this.segments.delete(f.segment);
        const resumed = playout.resumeHeld(this.o.resumeRewindMs());
        if (resumed) {
          stats.resumes++;
          this.o.debug(resumed, 'barge-in released (no sustained speech): prompt resumed');
        }
        break;
      }
      case 'end': {
        const s = this.segments.get(f.segment);
        if (this.o.asrMethod) this.segments.set(f.segment, { bargeIn: s?.bargeIn ?? false, turn: this.o.turn() });
        else this.segments.delete(f.segment); // no recogniser: no transcript will come
        break;
      }
    }
  }

  private onTranscript(r: TranscriptFrame): void {
    const s = this.segments.get(r.segment);
    this.segments.delete(r.segment);
    if (!r.text) {
      this.o.debug({ segment: r.segment }, 'utterance with no recognised words dropped');
      return;
    }
    const { stats } = this.o;
    const bargeIn = s?.bargeIn ?? false;
    // Rounded timestamps first so that asrLatencyMs === finalAt - speechEndAt exactly, as documented.
    const finalAt = Math.round(r.t);
    const speechEndAt = Math.round(r.speechEndAt);
    const asrLatencyMs = finalAt - speechEndAt;
    stats.asrLatencyMs.push(asrLatencyMs);
    this.o.record('asr', asrLatencyMs);
    const ev = {
      turn: s?.turn ?? this.o.turn(),
      text: r.text,
      confidence: r.confidence,
      speechStartAt: Math.round(r.speechStartAt),
      speechEndAt,
      finalAt,
      asrLatencyMs,
      bargeIn,
      metadata: {
        processing_method: this.o.asrMethod ?? undefined,
        asr_latency_ms: asrLatencyMs,
        asr_decode_ms: Math.round(r.decodeMs),
        barge_in_latency_ms: bargeIn ? stats.bargeInLatencyMs.at(-1) : undefined,
        words: r.words,
      },
    };
    this.o.deliver('utterance', async () => {
      await this.o.sink.utterance(this.o.callId, ev);
      const ms = Math.round(this.o.clock.now() - r.speechEndAt);
      stats.signalLatencyMs.push(ms);
      this.o.record('signal', ms);
    });
  }
}
