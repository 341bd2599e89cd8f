// The clock the media stages read, injected so the outgoing half (pacing, playout estimate, drain fallback)
// runs on a fake clock in tests, with no socket and no sleeps.

export type TimerHandle = { readonly id: unknown };

export interface Clock {
  /** Wall time (epoch ms, sub-millisecond, monotonic within the process). */
  now(): number;
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(t: TimerHandle | null): void;
}

export const now = (): number => performance.timeOrigin + performance.now();

export const systemClock: Clock = {
  now,
  setTimer: (fn, ms) => ({ id: setTimeout(fn, ms) }),
  clearTimer: (t) => {
    if (t) clearTimeout(t.id as NodeJS.Timeout);
  },
};
