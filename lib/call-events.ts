// The events the telephony and media side report about a live call. The call workflow receives each as
// a Temporal signal of the same name (see workflows/signals.ts); backends (simulated, Asterisk + media
// worker) only ever speak this vocabulary, so the workflows never know which backend runs.

export type AmdVerdict = 'human' | 'machine' | 'unknown';
export type HangupCause = 'normal' | 'busy' | 'no_answer' | 'congestion' | 'failed' | 'rejected' | 'media_lost';

export interface AnsweredEvent {
  at: number; // epoch ms
}

export interface AmdResultEvent {
  verdict: AmdVerdict;
  /** Asterisk AMDSTATUS/AMDCAUSE and the media worker's own evidence, for the record. */
  cause?: string;
  decidedAt: number;
}

/** The callee started speaking (barge-in when a prompt is playing). */
export interface SpeechStartedEvent {
  turn: number;
  /** Estimated true onset of speech in the audio stream (epoch ms). */
  speechStartAt: number;
  /** When the media side flushed the outgoing prompt, if one was playing (epoch ms). */
  flushedAt?: number;
  /** Prompt playing at the time, and how much of it had been heard (ms). */
  promptId?: string;
  promptPlayedMs?: number;
}

/** A final transcript of one callee utterance. */
export interface UtteranceEvent {
  turn: number;
  text: string;
  confidence: number;
  speechStartAt: number;
  speechEndAt: number;
  finalAt: number; // when the ASR final result was ready
  asrLatencyMs: number; // finalAt - speechEndAt
  bargeIn: boolean;
  metadata?: Record<string, unknown>;
}

export interface PlaybackFinishedEvent {
  promptId: string;
  turn: number;
  interrupted: boolean;
  playedMs: number;
}

export interface HungUpEvent {
  cause: HangupCause;
  at: number;
  /** Raw cause from the backend (e.g. Asterisk hangup cause code), for the record. */
  detail?: string;
}

export interface DtmfEvent {
  digit: string;
  at: number;
}

/** Where backends deliver events: the real implementation signals the call workflow through Temporal. */
export interface CallEventSink {
  answered(callId: string, e: AnsweredEvent): Promise<void>;
  amdResult(callId: string, e: AmdResultEvent): Promise<void>;
  speechStarted(callId: string, e: SpeechStartedEvent): Promise<void>;
  utterance(callId: string, e: UtteranceEvent): Promise<void>;
  playbackFinished(callId: string, e: PlaybackFinishedEvent): Promise<void>;
  hungUp(callId: string, e: HungUpEvent): Promise<void>;
  dtmf(callId: string, e: DtmfEvent): Promise<void>;
}
