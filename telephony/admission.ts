// Admission control of one telephony/media worker instance: measures its headroom (calls held, admissions
// in flight, the recognisers' backlog behind real time, this process's event-loop lag) and answers whether it
// takes one more call (the rules: lib/headroom.ts). At capacity, the call is refused with a retryable
// ApplicationFailure of type MediaAtCapacity before it is dialed: the call workflow waits (Temporal retries
// the admission, on any instance of the shared queue) and its contact is neither lost nor counted as dialed.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_LIMITS, Headroom, type HeadroomFigures, type HeadroomLimits } from '../lib/headroom';

export const MEDIA_AT_CAPACITY = 'MediaAtCapacity';

/** How long an admission holds its place until the call is held by the backend (its originate). */
const IN_FLIGHT_TTL_MS = 60_000;

export interface AdmissionSource {
  /** Calls the backend holds (ringing or up). */
  activeCalls(): string[];
  /** How far the recognisers are behind real time (ms); absent: no ASR in this process. */
  asrBacklogMs?(): number;
}

export class MediaAdmission {
  private readonly headroom: Headroom;
  private readonly inFlight = new Map<string, number>(); // callId -> expiry (epoch ms)
  private readonly lag: IntervalHistogram;
  private lagMs = 0;
  private readonly timer: NodeJS.Timeout;
  /** Admissions granted and refused (deferred originates) since start. */
  readonly counts = { admitted: 0, deferred: 0 };

  constructor(
    private readonly source: AdmissionSource,
    limits: Partial<HeadroomLimits> & { maxCalls: number },
    private readonly now: () => number = Date.now,
  ) {
    this.headroom = new Headroom({ ...DEFAULT_LIMITS, ...limits });
    // The lag of the last second (p99): the loop that paces the calls' frames is this process's.
    this.lag = monitorEventLoopDelay({ resolution: 10 });
    this.lag.enable();
    this.timer = setInterval(() => {
      this.lagMs = this.lag.count ? this.lag.percentile(99) / 1e6 : 0;
      this.lag.reset();
    }, 1000);
    this.timer.unref();
  }

  get limits(): HeadroomLimits {
    return this.headroom.limits;
  }

  figures(): HeadroomFigures {
    const held = this.source.activeCalls();
    const t = this.now();
    for (const [id, exp] of this.inFlight) if (exp < t || held.includes(id)) this.inFlight.delete(id);
    return { callsHeld: held.length, inFlight: this.inFlight.size, asrBacklogMs: this.source.asrBacklogMs?.() ?? 0, lagMs: this.lagMs };
  }

  /**
   * Takes `callId` or throws MediaAtCapacity (retryable; Temporal's next try waits `retryAfterMs`).
   * Idempotent: a call this instance holds or has admitted already passes again.
   */
  admit(callId: string): void {
    if (this.inFlight.has(callId) || this.source.activeCalls().includes(callId)) return;
    const f = this.figures();
    const a = this.headroom.admit(f, this.now());
    if (!a.admit) {
      this.counts.deferred++;
      throw ApplicationFailure.create({
        type: MEDIA_AT_CAPACITY,
        message: `media worker at capacity (${a.reason}): ${a.detail}; the call waits and is not dialed`,
        nonRetryable: false,
        details: [{ reason: a.reason, retryAfterMs: Math.round(a.retryAfterMs) }],
        nextRetryDelay: Math.max(200, Math.round(a.retryAfterMs)),
      });
    }
    this.inFlight.set(callId, this.now() + IN_FLIGHT_TTL_MS);
    this.counts.admitted++;
  }

  /** The call's originate is over (the backend holds it now, or it failed): its admission stops counting. */
  settle(callId: string): void {
    this.inFlight.delete(callId);
  }

  /** For /health and /metrics. */
  snapshot(): ReturnType<Headroom['snapshot']> & { admitted: number; deferred: number } {
    return { ...this.headroom.snapshot(this.figures(), this.now()), ...this.counts };
  }

  stop(): void {
    clearInterval(this.timer);
    this.lag.disable();
  }
}

/** Prometheus text for the instance's admission figures (the media worker's GET /metrics). */
export function admissionMetrics(s: ReturnType<MediaAdmission['snapshot']>, instance: string): string {
  const l = `{instance="${instance.replace(/["\\\n]/g, '_')}"}`;
  const g = (name: string, help: string, v: number, type = 'gauge') => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}${l} ${v}\n`;
  return (
    g('minibot_media_calls_cap', 'Most calls this media worker instance holds at once (MEDIA_MAX_CALLS).', s.cap) +
    g('minibot_media_calls_held', 'Calls this instance holds (ringing or up).', s.callsHeld) +
    g('minibot_media_calls_in_flight', 'Calls admitted whose originate is under way.', s.inFlight) +
    g('minibot_media_at_capacity', '1 when this instance refuses new calls.', s.atCapacity ? 1 : 0) +
    g('minibot_media_asr_backlog_ms', 'How far the recognisers are behind real time.', s.asrBacklogMs) +
    g('minibot_media_event_loop_lag_ms', 'Event-loop lag p99 over the last second.', s.lagMs) +
    g('minibot_media_admitted_total', 'Calls admitted since start.', s.admitted, 'counter') +
    g('minibot_media_deferred_total', 'Originates refused at capacity (the call waited) since start.', s.deferred, 'counter')
  );
}
