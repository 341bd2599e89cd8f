// Speech segmenter and barge-in decision for one call. Pure logic: fed one VAD frame at a time with its
// VAD verdict, its level and the level of our own outgoing prompt around that time (the echo reference);
// returns what the pipeline must do. No I/O, no clock: times come in with the frames.
//
// Why two stages: the goal is to silence the bot within ~80 ms of the callee's first syllable, but no
// detector can tell a cough, a line click or an "mhm" from real speech in 40-60 ms. So the prompt is
// flushed as soon as `flushAfterMs` of qualifying speech is seen (tentative), and the barge-in is only
// *confirmed* (signalled to the workflow, prompt abandoned) once the speech has lasted `minSpeechMs`.
// If the sound stops before that (`releaseMs` of non-speech) it was a false alarm: the prompt resumes from
// where it was cut (a little before, see resumeRewindMs) and the workflow never hears about it.
//
// A frame "qualifies" as callee speech only if: the WebRTC VAD says speech, its RMS is at least
// `minEnergyDbfs` (line hiss, breathing), and it is louder than what the echo of our own prompt could be:
// RMS >= (loudest outgoing prompt level in the last echoWindowMs) + echoMarginDb. That is a Geigel-style
// double-talk detector on frame energies: a line echo is attenuated by the hybrid's echo return loss
// (G.168 assumes at least 6 dB), so anything not louder than that cannot be told from echo and is ignored.
// The margin adapts to the line: while nobody speaks over a prompt, the level of what comes back relative
// to what we sent is tracked (its 90th percentile = the loudest echo this line returns), and the guard sits
// `echoSafetyDb` above it, between `echoMarginMinDb` (very quiet lines) and `echoMarginDb` (the
// conservative default used until enough of the line has been heard). Where the line echoes measurably, its
// delay is found (media/echo-path.ts) and the reference is what we played one echo delay earlier instead of
// the loudest thing played over the whole window, so that speech starting in a pause of the echo is heard.

import { BAND_COUNT, bandLevels } from './bands';
import { EchoPath } from './echo-path';
import type { Emit, Frame, FrameProcessor, SpeechEvent, VadFrame } from './frames';
import { ENVELOPE_MS } from './prompt';

/** How far ahead of our playout estimate an echo may seem to come (the estimate is within a frame or two). */
export const ECHO_LEAD_MS = 20;
/**
 * Candidate delays either side of the tracked one whose band levels the echo's bands are taken from. Wider
 * than the whole band's slack: one band of one 10 ms block is a much sharper reference than a whole-band
 * level, and our estimate of when the far end starts playing each prompt is only good to a frame or two
 * (more on a loaded machine): at +-20 ms, echo-only frames of the media tier passed as the callee.
 */
const BAND_SLACK = 5;
/** A band must be this much above what the echo can hold there, and at least this loud, to be the callee. */
const BAND_SAFETY_DB = 6;
const BAND_FLOOR_DB = -50;
/** How much quieter than the window's loudest level the tracked echo reference may be. */
const PAUSE_DEPTH_DB = 20;
/**
 * Below this a frame is digital silence. Until the far end has sent anything louder, its zeros say nothing of
 * how loud our echo is (no media through yet): learnt as "no echo", they took the margin to its floor before
 * the echo had come through at all (in the media tier, a peer that first sent half a second of zeros had the
 * echo of the prompt's first word taken for speech). Once the line has carried sound, zeros while we play are
 * what they seem: a clean digital line with no echo (the Asterisk tiers' Local channels), learnt as such.
 */
const NO_SIGNAL_DBFS = -90;
/** Candidate echo delays for a window: -ECHO_LEAD_MS to windowMs, one per prompt envelope block. */
export const echoCandidates = (windowMs: number) => Math.floor((windowMs + ECHO_LEAD_MS) / ENVELOPE_MS) + 1;

export interface BargeInOptions {
  /** Interrupt prompts on callee speech (prompts can also opt out one by one). */
  enabled: boolean;
  /** Qualifying speech before a playing prompt is flushed (tentatively). */
  flushAfterMs: number;
  /** Qualifying speech, since onset, before a barge-in over a prompt is confirmed and signalled. */
  minSpeechMs: number;
  /** Same, when no prompt is playing (short answers like "oui" must count). */
  minUtteranceMs: number;
  /** Frames quieter than this never count as speech. */
  minEnergyDbfs: number;
  /** Echo guard margin relative to the loudest recent outgoing audio (negative = echo assumed quieter). */
  echoMarginDb: number;
  /** Adaptive guard: margin above the measured echo level, and the most sensitive margin allowed. */
  echoSafetyDb: number;
  echoMarginMinDb: number;
  /** How far back (ms) the echo of our prompt can arrive (line round trip + hybrid). */
  echoWindowMs: number;
  /** Non-speech that cancels an unconfirmed onset. */
  releaseMs: number;
  /** Non-speech that ends a confirmed utterance (then the ASR final result is taken). */
  endSilenceMs: number;
  /** When a tentatively flushed prompt resumes, start this much before the cut. */
  resumeRewindMs: number;
  /** Longest utterance before it is cut and finalised. */
  maxUtteranceMs: number;
}

export const DEFAULT_BARGE_IN: BargeInOptions = {
  enabled: true,
  flushAfterMs: 40,
  minSpeechMs: 350,
  minUtteranceMs: 120,
  minEnergyDbfs: -45,
  echoMarginDb: -6,
  echoSafetyDb: 6,
  echoMarginMinDb: -30,
  echoWindowMs: 300,
  releaseMs: 250,
  endSilenceMs: 220,
  resumeRewindMs: 200,
  maxUtteranceMs: 15_000,
};

export function resolveBargeIn(...parts: (Partial<BargeInOptions> | undefined)[]): BargeInOptions {
  const o: BargeInOptions = { ...DEFAULT_BARGE_IN };
  for (const p of parts) {
    if (!p) continue;
    for (const [k, v] of Object.entries(p)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  }
  for (const k of Object.keys(DEFAULT_BARGE_IN) as (keyof BargeInOptions)[]) {
    const v = o[k];
    if (k === 'enabled') {
      if (typeof v !== 'boolean') throw new Error(`bargeIn.enabled: must be a boolean`);
    } else if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`bargeIn.${k}: must be a finite number (got ${String(v)})`);
    } else if (k !== 'minEnergyDbfs' && k !== 'echoMarginDb' && k !== 'echoMarginMinDb' && v < 0) {
      throw new Error(`bargeIn.${k}: must be >= 0 (got ${v})`);
    }
  }
  return o;
}

export type { VadFrame } from './frames';

/** What one frame made the segmenter decide ('none' most of the time). */
export type SegmenterAction = { type: 'none' } | SpeechEvent;

type State = 'idle' | 'pending' | 'candidate' | 'active';

export class SpeechSegmenter {
  private state: State = 'idle';
  private onsetAt = 0;
  private qualMs = 0;
  private lastQualEnd = 0;
  private duringPrompt = false;
  /** Counters for stats/benchmarks. */
  readonly counts = { onsets: 0, confirms: 0, releases: 0, ends: 0, echoRejectedFrames: 0 };

  constructor(public opts: BargeInOptions) {}

  get phase(): State {
    return this.state;
  }

  /** Echo-to-reference level differences (dB) heard while idle over our own audio (ring buffer). */
  private erl = new Float32Array(150);
  private erlCount = 0;
  private echoPath: EchoPath | null = null;
  /** The echo path version the ERL ring was learnt against (a new reference makes those levels moot). */
  private erlPathVersion = 0;
  /** Whether the far end has sent anything but digital silence yet (see NO_SIGNAL_DBFS). */
  private lineCarriedSound = false;

  /** The echo delay tracked on this line (ms, negative = ahead of our playout estimate), or null. */
  get echoDelayMs(): number | null {
    const i = this.echoPath?.delayIndex ?? -1;
    return i < 0 ? null : i * ENVELOPE_MS - ECHO_LEAD_MS;
  }

  /** What this frame's level is compared with: our prompt one echo delay earlier, or over the whole window. */
  private reference(f: VadFrame): number {
    const levels = f.echoLevels;
    if (!levels) return f.echoRefDbfs;
    if (this.echoPath?.o.candidates !== levels.length) {
      this.echoPath = new EchoPath({ candidates: levels.length, minFrames: 50, minCorrelation: 0.7, alpha: 1 / 150, slack: 2 });
      this.forgetEcho();
    }
    if (this.echoPath.version !== this.erlPathVersion) this.forgetEcho();
    const tracked = this.echoPath.reference(levels);
    // Not lower than the window's loudest level minus PAUSE_DEPTH_DB: a line's echo is spread over a few tens
    // of ms (dispersion), so right after a loud syllable a pause at the tracked delay still echoes a little.
    return tracked === null ? f.echoRefDbfs : Math.max(tracked, f.echoRefDbfs - PAUSE_DEPTH_DB);
  }

  private forgetEcho(): void {
    this.erlCount = 0;
    this.p90At = -1;
    this.erlPathVersion = this.echoPath?.version ?? 0;
  }

  /** Current echo guard margin (dB relative to the outgoing reference). */
  echoMargin(): number {
    const o = this.opts;
    const n = Math.min(this.erlCount, this.erl.length);
    if (n < 25) return o.echoMarginDb;
    // Asked for every speech frame, but the ring only changes when an echo frame is learnt: the p90 is kept
    // until then (sorting the ring per frame showed in the CPU profile of the pipeline: bench:media,
    // BENCH_CPU_PROF). A typed-array copy sorts numerically in native code (no boxed array, no comparator).
    // Every few frames learnt is enough: the ring holds 3 s of them, its p90 moves slowly.
    if (this.p90At < 0 || this.erlCount - this.p90At >= 5) {
      const sorted = this.erl.slice(0, n).sort();
      this.p90 = sorted[Math.floor(0.9 * (n - 1))]!;
      this.p90At = this.erlCount;
    }
    return Math.min(o.echoMarginDb, Math.max(o.echoMarginMinDb, this.p90 + o.echoSafetyDb));
  }
  private p90 = 0;
  private p90At = -1;

  private learnEcho(f: VadFrame, ref: number): void {
    // Only frames where our prompt is loud enough to echo measurably, and the callee is not speaking.
    if (this.state !== 'idle' || f.echoRefDbfs < -45 || !this.lineCarriedSound) return;
    if (f.echoLevels) this.echoPath?.learn(f.dbfs, f.echoLevels);
    if (ref < -45) return;
    this.erl[this.erlCount % this.erl.length] = Math.max(-60, f.dbfs - ref);
    this.erlCount++;
  }

  qualifies(f: VadFrame, ref = this.reference(f)): boolean {
    if (!f.speech || f.dbfs < this.opts.minEnergyDbfs) return false;
    const margin = this.echoMargin();
    if (f.dbfs >= ref + margin || this.standsOutOfEcho(f, margin)) return true;
    this.counts.echoRejectedFrames++;
    return false;
  }

  /** The candidate delays (echoLevels indices) whose band levels the next frames need, once the delay is known. */
  echoBandCandidates(): [number, number] | null {
    const p = this.echoPath;
    if (!p || p.delayIndex < 0) return null;
    return [Math.max(0, p.delayIndex - BAND_SLACK), Math.min(p.o.candidates - 1, p.delayIndex + BAND_SLACK)];
  }

  private readonly frameBands = new Float32Array(BAND_COUNT);

  /**
   * A frame no louder than the echo could be, on the whole band: is there a band where it is louder than our
   * prompt's echo can be there (media/bands.ts says why)? The echo's bands are taken as what we played
   * around the tracked delay, the same margin below it as on the whole band, and BAND_SAFETY_DB more.
   */
  private standsOutOfEcho(f: VadFrame, margin: number): boolean {
    if (!f.echoBands || !f.pcm || !f.sampleRate) return false;
    bandLevels(f.pcm, f.sampleRate, this.frameBands);
    for (let j = 0; j < BAND_COUNT; j++) {
      const v = this.frameBands[j]!;
      // Not below the whole band's floor for pauses (see PAUSE_DEPTH_DB), a quarter of it per band.
      const echo = Math.max(f.echoBands[j]!, f.echoRefDbfs - PAUSE_DEPTH_DB - 6);
      if (v >= BAND_FLOOR_DB && v >= echo + margin + BAND_SAFETY_DB) return true;
    }
    return false;
  }

  /**
   * @param promptPlaying whether a barge-in-able prompt is audible now (decides which confirmation
   *   threshold applies to an onset starting now).
   */
  push(f: VadFrame, promptPlaying: boolean): SegmenterAction {
    const ref = this.reference(f);
    const q = this.qualifies(f, ref);
    if (f.dbfs >= NO_SIGNAL_DBFS) this.lineCarriedSound = true;
    if (!q) this.learnEcho(f, ref);
    const end = f.t + f.durMs;
    const o = this.opts;
    switch (this.state) {
      case 'idle':
        if (!q) return { type: 'none' };
        this.state = 'pending';
        this.onsetAt = f.t;
        this.qualMs = f.durMs;
        this.lastQualEnd = end;
        this.duringPrompt = promptPlaying;
        return this.maybeOnset();
      case 'pending':
        if (q) {
          this.qualMs += f.durMs;
          this.lastQualEnd = end;
          return this.maybeOnset();
        }
        if (end - this.lastQualEnd >= o.releaseMs) this.state = 'idle';
        return { type: 'none' };
      case 'candidate': {
        if (q) {
          this.qualMs += f.durMs;
          this.lastQualEnd = end;
          const need = this.duringPrompt ? o.minSpeechMs : o.minUtteranceMs;
          if (this.qualMs >= need) {
            this.state = 'active';
            this.counts.confirms++;
            return { type: 'confirm', speechStartAt: this.onsetAt, duringPrompt: this.duringPrompt };
          }
          return { type: 'none' };
        }
        if (end - this.lastQualEnd >= o.releaseMs) {
          this.state = 'idle';
          this.counts.releases++;
          return { type: 'release', speechStartAt: this.onsetAt };
        }
        return { type: 'none' };
      }
      case 'active':
        if (q) this.lastQualEnd = end;
        if (end - this.lastQualEnd >= o.endSilenceMs || end - this.onsetAt >= o.maxUtteranceMs) {
          this.state = 'idle';
          this.counts.ends++;
          return { type: 'end', speechStartAt: this.onsetAt, speechEndAt: this.lastQualEnd };
        }
        return { type: 'none' };
    }
  }

  private maybeOnset(): SegmenterAction {
    if (this.qualMs < this.opts.flushAfterMs) return { type: 'none' };
    this.state = 'candidate';
    this.counts.onsets++;
    // An onset may already satisfy the confirmation threshold (e.g. minUtteranceMs <= flushAfterMs).
    return { type: 'onset', speechStartAt: this.onsetAt };
  }

  /** Forces the current segment to end (socket closing, hangup). */
  reset(): void {
    this.state = 'idle';
    this.qualMs = 0;
  }
}

/**
 * The segmenter on the frame path: MediaFrame in, the same MediaFrame out, then a SpeechFrame when that frame
 * decided something. Each onset opens a new segment number, carried by the frames of that segment.
 */
export class SegmenterStage implements FrameProcessor {
  private segment = 0;

  constructor(readonly segmenter: SpeechSegmenter) {}

  process(f: Frame, emit: Emit): void {
    if (f.kind !== 'media') return emit(f);
    const a = this.segmenter.push(f, f.bargeInArmed);
    emit(f);
    if (a.type === 'none') return;
    if (a.type === 'onset') this.segment++;
    emit({ ...a, kind: 'speech', t: f.t + f.durMs, segment: this.segment, bargeInArmed: f.bargeInArmed });
  }
}
