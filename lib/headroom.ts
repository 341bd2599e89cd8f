// Admission control for one media worker instance (issue #14): whether it can take one more call now without
// degrading the calls it holds. Pure: the figures (calls held, ASR backlog behind real time, event-loop lag)
// and the time are parameters; the worker measures them (media/server.ts, activities/telephony.ts).
//
// A new call is refused when any of these holds:
//  - calls held + admissions in flight >= maxCalls (the static cap: MEDIA_MAX_CALLS);
//  - the recognisers are behind real time by more than maxAsrBacklogMs (audio waits to be decoded, so every
//    caller's answer is late already);
//  - the event loop that paces the frames and sends FLUSH_MEDIA is late by more than maxLagMs;
//  - one of the last two held less than coolDownMs ago: a backlog that has just cleared comes back as soon as
//    a call is added, so admissions resume only after the figures have stayed good for a while.

export interface HeadroomLimits {
  /** Most calls this instance holds at once (ringing or up). */
  maxCalls: number;
  maxAsrBacklogMs: number;
  maxLagMs: number;
  coolDownMs: number;
}

export interface HeadroomFigures {
  /** Calls the backend holds (ringing or up). */
  callsHeld: number;
  /** Calls admitted but not yet held (their originate is under way). */
  inFlight: number;
  /** How far the recognisers are behind real time (ms); 0 without ASR. */
  asrBacklogMs: number;
  /** Event-loop lag of the media thread (ms, recent p99). */
  lagMs: number;
}

export type AtCapacityReason = 'max_calls' | 'asr_backlog' | 'event_loop_lag' | 'cooling_down';

export type Admission =
  | { admit: true; free: number }
  | { admit: false; reason: AtCapacityReason; detail: string; retryAfterMs: number };

export const DEFAULT_LIMITS: Omit<HeadroomLimits, 'maxCalls'> = { maxAsrBacklogMs: 400, maxLagMs: 40, coolDownMs: 5000 };

export class Headroom {
  private overloadedAt = -Infinity;
  private lastOverload: { reason: AtCapacityReason; detail: string } | null = null;

  constructor(readonly limits: HeadroomLimits) {
    if (!Number.isInteger(limits.maxCalls) || limits.maxCalls < 1) throw new Error(`maxCalls: must be a whole number >= 1 (got ${limits.maxCalls})`);
    for (const k of ['maxAsrBacklogMs', 'maxLagMs', 'coolDownMs'] as const) {
      if (!(limits[k] >= 0)) throw new Error(`${k}: must be >= 0 (got ${limits[k]})`);
    }
  }

  /** Records the figures at `now` (ms): an overload sign starts the cool-down. */
  observe(f: HeadroomFigures, now: number): void {
    const l = this.limits;
    if (f.asrBacklogMs > l.maxAsrBacklogMs) this.overload(now, 'asr_backlog', `ASR ${Math.round(f.asrBacklogMs)} ms behind real time (limit ${l.maxAsrBacklogMs})`);
    else if (f.lagMs > l.maxLagMs) this.overload(now, 'event_loop_lag', `event loop ${Math.round(f.lagMs)} ms late (limit ${l.maxLagMs})`);
  }

  private overload(now: number, reason: AtCapacityReason, detail: string): void {
    this.overloadedAt = now;
    this.lastOverload = { reason, detail };
  }

  /** Whether one more call may be admitted at `now`, given the figures (which are observed first). */
  admit(f: HeadroomFigures, now: number): Admission {
    this.observe(f, now);
    const l = this.limits;
    const taken = f.callsHeld + f.inFlight;
    const sinceOverload = now - this.overloadedAt;
    if (sinceOverload === 0 && this.lastOverload) return { admit: false, ...this.lastOverload, retryAfterMs: l.coolDownMs };
    if (sinceOverload < l.coolDownMs) {
      return { admit: false, reason: 'cooling_down', detail: `${this.lastOverload!.detail} ${Math.round(sinceOverload)} ms ago`, retryAfterMs: l.coolDownMs - sinceOverload };
    }
    if (taken >= l.maxCalls) return { admit: false, reason: 'max_calls', detail: `${taken} calls held or starting (cap ${l.maxCalls})`, retryAfterMs: 1000 };
    return { admit: true, free: l.maxCalls - taken };
  }

  /** The figures for /health and /metrics. */
  snapshot(f: HeadroomFigures, now: number): { cap: number; callsHeld: number; inFlight: number; atCapacity: boolean; reason: AtCapacityReason | null; asrBacklogMs: number; lagMs: number } {
    const l = this.limits;
    const cooling = now - this.overloadedAt < l.coolDownMs;
    const full = f.callsHeld + f.inFlight >= l.maxCalls;
    return {
      cap: l.maxCalls, callsHeld: f.callsHeld, inFlight: f.inFlight, atCapacity: cooling || full,
      reason: cooling ? this.lastOverload!.reason : full ? 'max_calls' : null,
      asrBacklogMs: Math.round(f.asrBacklogMs), lagMs: Math.round(f.lagMs),
    };
  }
}
