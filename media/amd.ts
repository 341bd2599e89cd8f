// Hybrid answering-machine detection (AMD): the media worker's own evidence from the call's audio stream,
// combined with Asterisk's AMD() verdict (AMDSTATUS/AMDCAUSE) when the dialplan ran it.
//
// Evidence from the stream (fed one analysed inbound frame at a time: VAD verdict, level, echo reference):
//   - the greeting: speech from its first frame to the first pause of `afterGreetingSilenceMs`; word gaps
//     shorter than `bridgeGapMs` do not split it;
//   - continuous speech longer than a human hello (`machineSpeechMs`): a recorded greeting;
//   - a beep: a stable pure tone held for `beepMinMs`, anywhere in [beepMinHz, beepMaxHz] (media/tone.ts
//     readTone: zero-crossing frequency, Goertzel purity there), with no speech structure: nothing at the
//     harmonics a voice has (hz/2, 3hz/2, 2hz), one frequency (±beepDriftHz) and one level (±beepLevelDb)
//     all along. A steady-pitched voice (espeak-ng's fr+f2 "allô oui bonjour") can be 0.6 "pure" at its 2nd
//     harmonic for 200-300 ms, which a bank of filters at fixed frequencies took for a 440 Hz beep;
//   - initial silence: nobody speaks for `initialSilenceMs`.
// Decision (first rule that applies):
//   beep → MACHINE (BEEP); continuous speech ≥ machineSpeechMs → MACHINE (LONGGREETING);
//   greeting ended by afterGreetingSilenceMs of silence → HUMAN (greeting ≤ humanSpeechMs: HUMAN-SHORTGREETING,
//   longer but < machineSpeechMs: HUMAN-PAUSEDGREETING, the "Allô ? Oui, bonjour, c'est de la part de qui ?"
//   case that Asterisk's stock word count calls a machine);
//   initialSilenceMs without speech → NOTSURE (INITIALSILENCE); `maxDecisionMs` after answer → NOTSURE (TIMEOUT).
// NOTSURE is explicit: the verdict is 'unknown', and the call goes on as with a human (hanging up on a person is
// the worse error: an abandoned call); the workflow records the cause.
//
// The same evidence drives the "first prompt gate" (when our hello may start without talking over the callee's
// "Allô ?"): open once the greeting pauses for `gateGapMs`, after `gateSilenceMs` of silence with no speech at
// all, or at `gateMaxMs` after answer; kept closed while a machine greeting goes on. The gate does not wait for
// the verdict: the AMD keeps listening under the hello (a person listens, so the silence that makes a HUMAN
// verdict goes on; a barge-in cuts the hello as usual) and a later MACHINE verdict stops the hello
// (telephony/asterisk/amd-gate.ts). Defaults (gap 300 ms, 1.5 s of silence, 800 ms after-greeting silence, 350 ms
// word gaps) were chosen on the AMD test set (test/helpers/amd-set.ts, figures in `npm run bench:amd`). After a MACHINE verdict
// the voicemail gate opens when the beep ends (or after `voicemailSilenceMs` of silence): where a message goes.
//
// Pure logic: no I/O, no clock (times come with the frames), so it is unit-tested on recorded audio. It reads
// the same MediaFrames as the rest of the inbound path (media/frames.ts), from the session's AMD tap.
import type { MediaFrame } from './frames';
import { hann, readTone } from './tone';

export { goertzelPurity } from './tone';
export { combineAmd, type AsteriskAmd, type HybridVerdict } from './amd-hybrid';

export interface StreamAmdOptions {
  humanSpeechMs: number;
  machineSpeechMs: number;
  afterGreetingSilenceMs: number;
  bridgeGapMs: number;
  initialSilenceMs: number;
  maxDecisionMs: number;
  minSpeechDbfs: number;
  echoMarginDb: number;
  beep: boolean;
  beepMinHz: number;
  beepMaxHz: number;
  beepMinMs: number;
  beepPurity: number;
  beepMaxHarmonics: number;
  beepDriftHz: number;
  beepLevelDb: number;
  beepMinDbfs: number;
  gateGapMs: number;
  gateSilenceMs: number;
  gateMaxMs: number;
  voicemailSilenceMs: number;
}

/** Usual answering-machine / voicemail beep frequencies (Hz); the detector takes any in [beepMinHz, beepMaxHz]. */
export const BEEP_FREQUENCIES = [440, 480, 620, 850, 950, 1000, 1100, 1400, 1800, 2000];

export const DEFAULT_STREAM_AMD: StreamAmdOptions = {
  humanSpeechMs: 1200,
  machineSpeechMs: 2800,
  afterGreetingSilenceMs: 800,
  bridgeGapMs: 350,
  initialSilenceMs: 2500,
  maxDecisionMs: 5000,
  minSpeechDbfs: -45,
  echoMarginDb: -6,
  beep: true,
  beepMinHz: 300,
  beepMaxHz: 2100,
  beepMinMs: 180,
  beepPurity: 0.8,
  beepMaxHarmonics: 0.05,
  beepDriftHz: 20,
  beepLevelDb: 3,
  beepMinDbfs: -40,
  gateGapMs: 300,
  gateSilenceMs: 1500,
  gateMaxMs: 3000,
  voicemailSilenceMs: 1500,
};

export type AmdStatus = 'HUMAN' | 'MACHINE' | 'NOTSURE';

export interface StreamVerdict {
  status: AmdStatus;
  cause: string;
  /** When the evidence was conclusive (frame time, ms). */
  at: number;
  /** ms from answer to decision. */
  afterMs: number;
  evidence: AmdEvidence;
}

export interface AmdEvidence {
  /** Time of the first speech frame relative to answer (ms), null if none yet. */
  speechOnsetMs: number | null;
  /** Greeting length so far (first speech → last speech, word gaps bridged), ms. */
  greetingMs: number;
  /** Longest stretch of bridged continuous speech, ms. */
  longestSpeechMs: number;
  beepHz: number | null;
  beepAtMs: number | null;
}

export function resolveStreamAmd(...parts: (Partial<StreamAmdOptions> | undefined)[]): StreamAmdOptions {
  const o: StreamAmdOptions = { ...DEFAULT_STREAM_AMD };
  for (const p of parts) if (p) for (const [k, v] of Object.entries(p)) if (v !== undefined) (o as unknown as Record<string, unknown>)[k] = v;
  if (!(o.humanSpeechMs > 0 && o.machineSpeechMs > o.humanSpeechMs)) {
    throw new Error(`amd: machineSpeechMs (${o.machineSpeechMs}) must be greater than humanSpeechMs (${o.humanSpeechMs}) > 0`);
  }
  for (const k of ['afterGreetingSilenceMs', 'bridgeGapMs', 'initialSilenceMs', 'maxDecisionMs', 'beepMinMs', 'gateGapMs', 'gateSilenceMs', 'gateMaxMs', 'voicemailSilenceMs'] as const) {
    if (!(Number.isFinite(o[k]) && o[k] >= 0)) throw new Error(`amd.${k}: must be a number >= 0 (got ${o[k]})`);
  }
  if (!(o.beepPurity > 0 && o.beepPurity <= 1)) throw new Error(`amd.beepPurity: must be in (0, 1] (got ${o.beepPurity})`);
  if (!(o.beepMinHz > 0 && o.beepMaxHz > o.beepMinHz)) throw new Error(`amd.beepMaxHz (${o.beepMaxHz}) must be greater than amd.beepMinHz (${o.beepMinHz}) > 0`);
  if (!(o.beepMaxHarmonics >= 0 && o.beepMaxHarmonics < 1)) throw new Error(`amd.beepMaxHarmonics: must be in [0, 1) (got ${o.beepMaxHarmonics})`);
  return o;
}

/** The stream half of the hybrid AMD, for one call. */
export class StreamAmd {
  readonly opts: StreamAmdOptions;
  private answeredAt: number;
  private firstSpeech: number | null = null;
  private lastSpeechEnd: number | null = null; // end time of the last speech frame
  private runStart: number | null = null; // current bridged speech run
  private longest = 0;
  private greetingEnd: number | null = null; // set once the greeting has paused afterGreetingSilenceMs
  private beepRun = { hz: 0, frames: 0, ms: 0, minDb: 0, maxDb: 0 };
  private beepHz: number | null = null;
  private beepAt: number | null = null;
  private beepEndedAt: number | null = null;
  private lastT = 0;
  private verdictValue: StreamVerdict | null = null;
  private gateAt: number | null = null;
  private gateReason = '';
  private voicemailAt: number | null = null;
  private machineVerdictAt: number | null = null;
  /** tick() is standing in for frames that never came (no evidence of silence after speech). */
  private stalled = false;

  constructor(answeredAt: number, opts?: Partial<StreamAmdOptions>) {
    this.answeredAt = answeredAt;
    this.opts = resolveStreamAmd(opts);
  }

  get verdict(): StreamVerdict | null {
    return this.verdictValue;
  }

  /** When the first prompt may start (frame time), and why; null while it must wait. */
  get gate(): { at: number; reason: string } | null {
    return this.gateAt === null ? null : { at: this.gateAt, reason: this.gateReason };
  }

  /** After a MACHINE verdict: when a voicemail message may start (after the beep), null while waiting. */
  get voicemailGate(): number | null {
    return this.voicemailAt;
  }

  /** Marks the call as a machine whatever the stream said (Asterisk's MACHINE): arms the voicemail gate. */
  markMachine(at: number): void {
    this.machineVerdictAt ??= at;
  }

  evidence(): AmdEvidence {
    const run = this.runStart !== null && this.lastSpeechEnd !== null ? this.lastSpeechEnd - this.runStart : 0;
    return {
      speechOnsetMs: this.firstSpeech === null ? null : Math.round(this.firstSpeech - this.answeredAt),
      greetingMs: this.firstSpeech === null ? 0 : Math.round((this.greetingEnd ?? this.lastSpeechEnd ?? this.firstSpeech) - this.firstSpeech),
      longestSpeechMs: Math.round(Math.max(this.longest, run)),
      beepHz: this.beepHz,
      beepAtMs: this.beepAt === null ? null : Math.round(this.beepAt - this.answeredAt),
    };
  }

  /** Feeds one frame; returns the verdict when this frame made it (once), else null. */
  push(f: MediaFrame): StreamVerdict | null {
    const o = this.opts;
    const durMs = (f.pcm.length / f.sampleRate) * 1000;
    const t = f.t;
    const end = t + durMs;
    this.lastT = end;
    const echoGuard = Number.isFinite(f.echoRefDbfs) ? f.echoRefDbfs + o.echoMarginDb : -Infinity;
    // Our own prompt echoing back (at or under its reference level) is neither speech nor a beep.
    const beepHz = o.beep ? this.beepFrame(f, durMs, f.dbfs >= echoGuard) : null;
    // A tone is not speech (the VAD often says it is).
    const speech = f.speech && f.dbfs >= o.minSpeechDbfs && f.dbfs >= echoGuard && beepHz === null && this.beepRun.frames === 0;

    if (speech) {
      this.firstSpeech ??= t;
      if (this.runStart === null || this.lastSpeechEnd === null || t - this.lastSpeechEnd > o.bridgeGapMs) {
        if (this.runStart !== null && this.lastSpeechEnd !== null) this.longest = Math.max(this.longest, this.lastSpeechEnd - this.runStart);
        this.runStart = t;
      }
      this.lastSpeechEnd = end;
    }
    const silenceMs = this.lastSpeechEnd === null ? end - this.answeredAt : end - this.lastSpeechEnd;
    const runMs = this.runStart !== null && this.lastSpeechEnd !== null && end - this.lastSpeechEnd <= o.bridgeGapMs ? this.lastSpeechEnd - this.runStart : 0;
    if (this.firstSpeech !== null && this.greetingEnd === null && silenceMs >= o.afterGreetingSilenceMs && !this.stalled) this.greetingEnd = this.lastSpeechEnd;

    // First prompt gate.
    if (this.gateAt === null && this.verdictValue?.status !== 'MACHINE') {
      if (this.firstSpeech !== null && silenceMs >= o.gateGapMs && !(runMs >= o.machineSpeechMs)) this.openGate(end, 'greeting-ended');
      else if (this.firstSpeech === null && silenceMs >= o.gateSilenceMs) this.openGate(end, 'silence');
      else if (end - this.answeredAt >= o.gateMaxMs && !(this.firstSpeech !== null && runMs >= o.humanSpeechMs && !this.verdictValue)) {
        this.openGate(end, 'max-wait');
      }
    }

    // Voicemail gate (a message goes after the beep).
    if (this.machineVerdictAt !== null && this.voicemailAt === null) {
      if (this.beepEndedAt !== null && this.beepEndedAt >= this.machineVerdictAt - 30_000) this.voicemailAt = end;
      else if (!speech && silenceMs >= o.voicemailSilenceMs && end - this.machineVerdictAt >= 0) this.voicemailAt = end;
    }

    if (this.verdictValue) return null;
    let status: AmdStatus | null = null;
    let cause = '';
    if (this.beepAt !== null) {
      status = 'MACHINE';
      cause = `BEEP-${this.beepHz}Hz`;
    } else if (runMs >= o.machineSpeechMs) {
      status = 'MACHINE';
      cause = `LONGGREETING-${Math.round(runMs)}ms`;
    } else if (this.greetingEnd !== null) {
      const g = Math.round(this.greetingEnd - this.firstSpeech!);
      status = 'HUMAN';
      cause = g <= o.humanSpeechMs ? `SHORTGREETING-${g}ms` : `PAUSEDGREETING-${g}ms`;
    } else if (this.firstSpeech === null && end - this.answeredAt >= o.initialSilenceMs) {
      status = 'NOTSURE';
      cause = `INITIALSILENCE-${Math.round(end - this.answeredAt)}ms`;
    } else if (end - this.answeredAt >= o.maxDecisionMs) {
      status = 'NOTSURE';
      cause = `TIMEOUT-${Math.round(end - this.answeredAt)}ms`;
    }
    if (!status) return null;
    this.verdictValue = { status, cause, at: end, afterMs: Math.round(end - this.answeredAt), evidence: this.evidence() };
    if (status === 'MACHINE') this.markMachine(end);
    return this.verdictValue;
  }

  /**
   * No frame arrived for a while (media stalled): lets the deadline rules fire on the wall clock. Once the callee
   * has spoken, a stall is not silence: only the maxDecisionMs deadline fires then (a stalled stream on a loaded
   * machine read as an 800 ms pause would end a voicemail greeting as a HUMAN's).
   */
  tick(now: number): StreamVerdict | null {
    if (this.verdictValue || now - this.lastT < 100) return null;
    if (this.firstSpeech !== null && now - this.answeredAt < this.opts.maxDecisionMs) return null;
    const silent = new Int16Array(160);
    const t = Math.max(this.lastT, now - 20);
    this.stalled = this.firstSpeech !== null;
    try {
      return this.push({ kind: 'media', t, durMs: 20, pcm: silent, sampleRate: 8000, speech: false, dbfs: -Infinity, echoRefDbfs: -Infinity, promptAudible: false, bargeInArmed: false });
    } finally {
      this.stalled = false;
    }
  }

  private openGate(at: number, reason: string): void {
    this.gateAt = at;
    this.gateReason = reason;
  }

  /** The frame's beep frequency while a tone run goes on (the frame is not speech then), else null. */
  private beepFrame(f: MediaFrame, durMs: number, aboveEcho: boolean): number | null {
    const o = this.opts;
    const r = aboveEcho && f.dbfs >= o.beepMinDbfs ? readTone(f.pcm, f.sampleRate, o.beepMinHz, Math.min(o.beepMaxHz, f.sampleRate / 2 - 100), hann(f.pcm.length)) : null;
    const tonal = r !== null && r.purity >= o.beepPurity && r.harmonics <= o.beepMaxHarmonics;
    const run = this.beepRun;
    // The same tone goes on: one frequency, one level (speech glides and is modulated at the syllable rate).
    const same = tonal && run.frames > 0 && Math.abs(r.hz - run.hz) <= o.beepDriftHz && Math.max(run.maxDb, f.dbfs) - Math.min(run.minDb, f.dbfs) <= o.beepLevelDb;
    if (tonal && !same) {
      if (run.frames > 0 && run.ms >= o.beepMinMs) this.beepEndedAt = f.t;
      this.beepRun = { hz: r.hz, frames: 1, ms: durMs, minDb: f.dbfs, maxDb: f.dbfs };
    } else if (same) {
      run.hz += (r.hz - run.hz) / (run.frames + 1);
      run.frames++;
      run.ms += durMs;
      run.minDb = Math.min(run.minDb, f.dbfs);
      run.maxDb = Math.max(run.maxDb, f.dbfs);
    } else {
      if (run.frames > 0 && run.ms >= o.beepMinMs) this.beepEndedAt = f.t;
      this.beepRun = { hz: 0, frames: 0, ms: 0, minDb: 0, maxDb: 0 };
      return null;
    }
    const cur = this.beepRun;
    if (cur.ms >= o.beepMinMs && this.beepAt === null) {
      this.beepAt = f.t + durMs;
      this.beepHz = Math.round(cur.hz / 10) * 10;
    }
    return Math.round(cur.hz);
  }
}
