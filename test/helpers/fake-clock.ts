// A clock for the media stages (media/clock.ts) that moves only when the test says so: timers fire in
// order of their due time as advance() passes it, with now() at that due time.
import type { Clock, TimerHandle } from '../../media/clock';

export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; h: TimerHandle }[] = [];
  private seq = 0;

  constructor(private t = 1_000_000) {}

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const h = { id: ++this.seq };
    this.timers.push({ at: this.t + ms, fn, h });
    return h;
  }

  clearTimer(h: TimerHandle | null): void {
    this.timers = this.timers.filter((x) => x.h !== h);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, running each timer that falls due on the way (at its due time). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
