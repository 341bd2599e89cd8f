// The frames that flow through a call's inbound media pipeline, and the processor contract.
//
// Every frame is typed data with its time on it (`t`, epoch ms of its first sample, or of the decision for
// events), so each stage can be tested alone by feeding frames and reading what comes out, and latency can
// be measured anywhere on the path. Control events (speech onset, confirm, release, end) travel the same path
// as the audio, after the frame that caused them, so a stage downstream always sees the audio first.
//
//   RawAudioFrame ─decode→ AudioFrame (codec rate) ─resample→ AudioFrame (ASR rate) ─VAD framer→ MediaFrame
//   ─AMD tap→ ─segmenter→ MediaFrame + SpeechFrame ─pre-roll→ + UtteranceAudioFrame ─ASR feeder→ + TranscriptFrame
//
// The wiring is in media/session.ts; media/pipeline.ts runs a chain of processors.

/** Codec payload as it arrived on the socket. `t`: arrival time (epoch ms). */
export interface RawAudioFrame {
  kind: 'raw';
  t: number;
  payload: Uint8Array;
}

/** 16-bit mono PCM. `t`: wall time of its first sample (epoch ms). */
export interface AudioFrame {
  kind: 'audio';
  t: number;
  pcm: Int16Array;
  sampleRate: number;
}

/** One analysed VAD frame: fixed length, with the VAD's verdict, its level and what we were playing then. */
export interface MediaFrame {
  kind: 'media';
  /** Wall time of the frame's first sample (epoch ms). */
  t: number;
  durMs: number;
  pcm: Int16Array;
  sampleRate: number;
  /** The VAD's verdict for this frame. */
  speech: boolean;
  dbfs: number;
  /** Loudest outgoing prompt level that can be echoing back now (dBFS; -Infinity when silent). */
  echoRefDbfs: number;
  /**
   * What we played at each candidate echo delay (media/playout.ts echoLevels: entry i is delay
   * i * 10 ms - ECHO_LEAD_MS), for the segmenter's echo path estimate; absent where no prompt can echo.
   */
  echoLevels?: Float32Array;
  /** Once the line's echo delay is known: the band levels (media/bands.ts) we played around that delay. */
  echoBands?: Float32Array;
  /** A prompt of ours is audible to the callee now. */
  promptAudible: boolean;
  /** A barge-in-able prompt is audible now, or one is held (tentatively flushed): speech now interrupts it. */
  bargeInArmed: boolean;
}

/** The part of a MediaFrame the speech segmenter reads (tests build these directly). */
export type VadFrame = Pick<MediaFrame, 't' | 'durMs' | 'speech' | 'dbfs' | 'echoRefDbfs' | 'echoLevels'> &
  Partial<Pick<MediaFrame, 'pcm' | 'sampleRate' | 'echoBands'>>;

/** What the segmenter decided about the callee's speech, after the frame that decided it. */
export type SpeechEvent =
  /** Enough speech to (tentatively) act: flush a playing prompt, start feeding the ASR. */
  | { type: 'onset'; speechStartAt: number }
  /** Speech confirmed: signal speechStarted. */
  | { type: 'confirm'; speechStartAt: number; duringPrompt: boolean }
  /** Onset was a false alarm (cough, click, back-channel, echo): resume the prompt, drop the audio. */
  | { type: 'release'; speechStartAt: number }
  /** Confirmed utterance ended: take the final ASR result. */
  | { type: 'end'; speechStartAt: number; speechEndAt: number };

export type SpeechFrame = SpeechEvent & {
  kind: 'speech';
  /** End time of the frame that decided it (epoch ms). */
  t: number;
  /** Sequence number of the speech segment (one per onset) within the call. */
  segment: number;
  /** A barge-in-able prompt was playing (or held) when the deciding frame was heard. */
  bargeInArmed: boolean;
};

/** Audio for the recogniser: the pre-roll at onset, then every frame until the segment is released or ends. */
export interface UtteranceAudioFrame {
  kind: 'utterance-audio';
  t: number;
  segment: number;
  pcm: Int16Array;
}

export interface TranscriptWord {
  word: string;
  /** Seconds from the start of the audio fed for this utterance. */
  start: number;
  end: number;
  conf: number;
}

/** The ASR's final result for one segment (empty text when nothing was recognised). */
export interface TranscriptFrame {
  kind: 'transcript';
  /** When the final result was ready (epoch ms). */
  t: number;
  segment: number;
  speechStartAt: number;
  speechEndAt: number;
  text: string;
  confidence: number;
  words: TranscriptWord[];
  decodeMs: number;
}

/** A stage failed on one input; the call goes on (the session logs it). */
export interface ErrorFrame {
  kind: 'error';
  t: number;
  stage: string;
  segment?: number;
  message: string;
}

export type Frame = RawAudioFrame | AudioFrame | MediaFrame | SpeechFrame | UtteranceAudioFrame | TranscriptFrame | ErrorFrame;

/** Passes a frame on downstream. */
export type Emit = (f: Frame) => void;

/**
 * One stage. `process` takes a frame and passes on zero or more frames through `emit` (frames it does not
 * handle are passed on unchanged). A stage may keep `emit` to pass frames on later (the ASR feeder's results).
 */
export interface FrameProcessor {
  process(f: Frame, emit: Emit): void;
  /** Frees what the stage holds (native resampler, VAD instance, recogniser). Idempotent. */
  close?(): void;
}
