// One definition of "give up after a while". Schedules a timer but never reads the clock: callers say how long.

/** The operation did not settle in time (typed, so callers can tell it from the operation's own failures). */
export class TimeoutError extends Error {
  constructor(readonly what: string, readonly ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** `p`'s value, or a TimeoutError after `ms`; `p`'s own failure passes through unchanged. */
export function withTimeout<T>(p: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * `p`'s value, or null when it fails or does not settle within `ms`: for best-effort reads (a live status shown
 * beside stored data) where "unknown" is an answer. The name says that errors are swallowed.
 */
export function valueWithin<T>(p: Promise<T>, ms: number): Promise<T | null> {
  return withTimeout(p, ms).catch(() => null);
}
