// An in-process CallEventSink that records every event with its delivery time: the test/bench peer of the
// production sink (which signals the Temporal call workflow).
import type { CallEventSink } from '../../lib/call-events';

export interface RecordedEvent {
  name: keyof CallEventSink;
  callId: string;
  e: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  at: number;
}

export class RecordingSink implements CallEventSink {
  events: RecordedEvent[] = [];
  private waiters: { pred: (r: RecordedEvent) => boolean; resolve: (r: RecordedEvent) => void }[] = [];
  private rec(name: keyof CallEventSink, callId: string, e: unknown): Promise<void> {
    const r: RecordedEvent = { name, callId, e, at: performance.timeOrigin + performance.now() };
    this.events.push(r);
    this.waiters = this.waiters.filter((w) => (w.pred(r) ? (w.resolve(r), false) : true));
    return Promise.resolve();
  }
  answered = (c: string, e: unknown) => this.rec('answered', c, e);
  amdResult = (c: string, e: unknown) => this.rec('amdResult', c, e);
  speechStarted = (c: string, e: unknown) => this.rec('speechStarted', c, e);
  utterance = (c: string, e: unknown) => this.rec('utterance', c, e);
  playbackFinished = (c: string, e: unknown) => this.rec('playbackFinished', c, e);
  hungUp = (c: string, e: unknown) => this.rec('hungUp', c, e);
  dtmf = (c: string, e: unknown) => this.rec('dtmf', c, e);

  of(name: keyof CallEventSink, callId?: string): RecordedEvent[] {
    return this.events.filter((r) => r.name === name && (callId === undefined || r.callId === callId));
  }

  wait(name: keyof CallEventSink, callId: string, timeoutMs = 5000): Promise<RecordedEvent> {
    const found = this.events.find((r) => r.name === name && r.callId === callId);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${name} for ${callId} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        pred: (r) => r.name === name && r.callId === callId,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      });
    });
  }
}
