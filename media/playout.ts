// The outgoing half of a call: prompts queued for Asterisk, paced by its queue (XOFF/XON honoured), placed on
// the wall clock of their estimated playout (spans), so that we know at any instant which prompt the callee
// hears, how far into it, and how loud our own audio can be echoing back (the echo reference). Barge-in
// flushes it tentatively (held: resumable) or for good; QUEUE_DRAINED ends the prompts.
//
// Asterisk plays what we queue at real time, so the playout estimate is: a chunk starts when the previous one
// ends, or now if the queue ran dry. All time comes from the injected clock: tested with a fake one, no socket.
import type { Clock, TimerHandle } from './clock';
import { ENVELOPE_MS, type Prompt } from './prompt';

/** Most audio we let sit in Asterisk's queue (its XOFF level is 900 frames). */
const MAX_AHEAD_MS = 15_000;
const CHUNK_FRAMES = 50;
/** While audio waits (XOFF or queue full), try again this often. */
const RETRY_MS = 500;

/** A stretch of a prompt handed to Asterisk, placed on the wall clock of its (estimated) playout. */
interface Span {
  prompt: Prompt;
  fromMs: number; // offset in the prompt
  toMs: number;
  wallFrom: number; // estimated playout start
  cutAt: number; // wall time after which it is not heard (flush), Infinity if not cut
}

/** A prompt flushed tentatively (speech onset over it), with the ones queued behind it. */
export interface HeldPrompt {
  prompt: Prompt;
  posMs: number;
  flushedAt: number;
  rest: Prompt[];
}

export interface PlayoutOptions {
  clock: Clock;
  bytesPerMs: number;
  frameBytes: number;
  /** Largest binary message Asterisk takes. */
  maxMessageBytes: number;
  /** Whether the socket can take data now. */
  open(): boolean;
  sendAudio(chunk: Uint8Array): void;
  sendCommand(c: 'FLUSH_MEDIA' | 'REPORT_QUEUE_DRAINED'): void;
  /** A prompt is over: played to the end, interrupted (with how much was heard), or dropped unheard. */
  finished(p: Prompt, interrupted: boolean, playedMs: number): void;
  warn(msg: string): void;
}

export class PlayoutQueue {
  private pending: { prompt: Prompt; offset: number }[] = []; // not yet sent
  private spans: Span[] = [];
  private recent: Span[] = []; // kept for the echo reference after they stop
  private queueEndAt = 0; // wall time at which Asterisk's queue runs dry (estimate)
  private xoff = false;
  private drainArmed = false;
  private heldPrompt: HeldPrompt | null = null;
  private retryTimer: TimerHandle | null = null;
  private drainFallback: TimerHandle | null = null;
  private closed = false;

  constructor(private readonly o: PlayoutOptions) {}

  get held(): HeldPrompt | null {
    return this.heldPrompt;
  }

  /** Nothing playing, queued or held. */
  get idle(): boolean {
    return !this.spans.length && !this.pending.length && !this.heldPrompt;
  }

  enqueue(prompt: Prompt): void {
    if (this.heldPrompt) this.heldPrompt.rest.push(prompt);
    else {
      this.pending.push({ prompt, offset: 0 });
      this.pump();
    }
  }

  /** MEDIA_XOFF (or a STATUS with a full queue): stop sending. */
  pause(): void {
    this.xoff = true;
  }

  /** MEDIA_XON: send again. */
  resume(): void {
    this.xoff = false;
    this.pump();
  }

  /** Sends queued prompt audio while Asterisk's queue has room. */
  pump(): void {
    if (this.closed || !this.o.open()) return;
    const { bytesPerMs, frameBytes } = this.o;
    let sent = false;
    while (this.pending.length && !this.xoff) {
      const t = this.o.clock.now();
      if (this.queueEndAt < t) this.queueEndAt = t; // queue ran dry: playout restarts now
      if (this.queueEndAt - t >= MAX_AHEAD_MS) break;
      const head = this.pending[0]!;
      const maxBytes = Math.min(CHUNK_FRAMES * frameBytes, Math.floor(this.o.maxMessageBytes / frameBytes) * frameBytes);
      const chunk = head.prompt.bytes.subarray(head.offset, head.offset + maxBytes);
      const ms = chunk.length / bytesPerMs;
      this.o.sendAudio(chunk);
      const fromMs = head.offset / bytesPerMs;
      this.spans.push({ prompt: head.prompt, fromMs, toMs: fromMs + ms, wallFrom: this.queueEndAt, cutAt: Infinity });
      this.queueEndAt += ms;
      head.offset += chunk.length;
      sent = true;
      if (head.offset >= head.prompt.bytes.length) this.pending.shift();
    }
    if (this.pending.length) {
      this.retryTimer ??= this.o.clock.setTimer(() => {
        this.retryTimer = null;
        this.pump();
      }, RETRY_MS);
    } else if (sent || (this.spans.length && !this.drainArmed)) {
      this.armDrain();
    }
  }

  private armDrain(): void {
    const clock = this.o.clock;
    this.drainArmed = true;
    this.o.sendCommand('REPORT_QUEUE_DRAINED');
    // Fallback in case QUEUE_DRAINED never comes (it always should from Asterisk).
    clock.clearTimer(this.drainFallback);
    this.drainFallback = clock.setTimer(() => {
      this.drainFallback = null;
      if (this.spans.length && !this.pending.length && clock.now() > this.queueEndAt + 1500) {
        this.o.warn('no QUEUE_DRAINED 1.5 s after the estimated end of the prompt: assuming it played');
        this.completeSpans();
      }
    }, Math.max(0, this.queueEndAt - clock.now()) + 2000);
  }

  /** QUEUE_DRAINED: the prompts sent so far have played, unless the notice is stale. */
  drained(): void {
    this.drainArmed = false;
    if (this.heldPrompt || !this.spans.length) return; // the drain that follows a FLUSH_MEDIA
    const remaining = this.queueEndAt - this.o.clock.now();
    if (this.pending.length || remaining > 300) {
      // A stale notification (armed before a flush/resume): ask again.
      if (!this.pending.length) this.armDrain();
      return;
    }
    this.completeSpans();
  }

  private completeSpans(): void {
    this.o.clock.clearTimer(this.drainFallback);
    this.drainFallback = null;
    const prompts = new Set(this.spans.map((s) => s.prompt));
    this.recent.push(...this.spans);
    this.spans = [];
    for (const p of prompts) this.finish(p, false, p.durationMs);
  }

  private finish(p: Prompt, interrupted: boolean, playedMs: number): void {
    if (p.finished) return;
    p.finished = true;
    this.o.finished(p, interrupted, Math.min(playedMs, p.durationMs));
  }

  /** The prompt audible at wall time t (not cut), or null. */
  audible(t: number): Prompt | null {
    for (const s of this.spans) {
      if (t >= s.wallFrom && t < s.wallFrom + (s.toMs - s.fromMs) && t < s.cutAt) return s.prompt;
    }
    return null;
  }

  /** How far into `p` the callee is at wall time t (ms). */
  position(p: Prompt, t: number): number {
    let pos = 0;
    for (const s of this.spans) {
      if (s.prompt !== p) continue;
      const dur = s.toMs - s.fromMs;
      const heard = Math.max(0, Math.min(dur, Math.min(t, s.cutAt) - s.wallFrom));
      if (heard > 0) pos = Math.max(pos, s.fromMs + heard);
    }
    return pos;
  }

  /**
   * What we played at each candidate echo delay for the inbound frame [t, t + frameMs): out[i] = the loudest
   * level heard over [t - d, t - d + frameMs) with d = i * ENVELOPE_MS - leadMs (-Infinity where nothing
   * played). The echo path estimator (media/echo-path.ts) finds which d the line's echo follows.
   */
  echoLevels(t: number, frameMs: number, leadMs: number, out: Float32Array): void {
    // Asked for every inbound frame (the CPU profile of the pipeline showed it): the window is cut into 10 ms
    // cells, each measured once on the few spans it overlaps (not the seconds of prompt queued ahead), and
    // each candidate takes the loudest of the cells its frame covers.
    const per = Math.max(1, Math.round(frameMs / ENVELOPE_MS));
    const cellCount = out.length - 1 + per;
    if (this.cells.length < cellCount) this.cells = new Float32Array(cellCount);
    const cells = this.cells;
    const top = t + leadMs + per * ENVELOPE_MS; // the end of candidate 0's frame
    const bottom = top - cellCount * ENVELOPE_MS;
    this.expireRecent(bottom);
    cells.fill(-Infinity, 0, cellCount);
    for (const list of [this.spans, this.recent]) {
      for (const s of list) {
        if (s.wallFrom >= top || spanEnd(s) <= bottom) continue;
        for (let m = 0; m < cellCount; m++) {
          const v = loudest(s, top - (m + 1) * ENVELOPE_MS, top - m * ENVELOPE_MS);
          if (v > cells[m]!) cells[m] = v;
        }
      }
    }
    for (let i = 0; i < out.length; i++) {
      let best = -Infinity;
      for (let m = i; m < i + per; m++) if (cells[m]! > best) best = cells[m]!;
      out[i] = best;
    }
  }
  private cells = new Float32Array(0);

  /**
   * The loudest band levels (media/bands.ts) we played at candidate delays lo..hi (as in echoLevels) for the
   * inbound frame starting at t: what each band of the echo can hold, once the line's delay is known.
   */
  echoBands(t: number, leadMs: number, lo: number, hi: number, out: Float32Array): void {
    out.fill(-Infinity);
    const newest = t + leadMs - lo * ENVELOPE_MS; // the latest window start asked for
    const oldest = t + leadMs - hi * ENVELOPE_MS;
    for (const list of [this.spans, this.recent]) {
      for (const s of list) {
        // Only the spans heard around the delay, not the seconds of prompt queued ahead (as echoLevels).
        if (s.wallFrom > newest || spanEnd(s) <= oldest) continue;
        const bands = s.prompt.bands;
        const blocks = bands.length / out.length;
        for (let i = lo; i <= hi; i++) {
          const from = t - (i * ENVELOPE_MS - leadMs);
          if (from < s.wallFrom || from >= spanEnd(s)) continue;
          const k = Math.floor((s.fromMs + (from - s.wallFrom)) / ENVELOPE_MS);
          if (k >= blocks) continue;
          for (let j = 0; j < out.length; j++) if (bands[k * out.length + j]! > out[j]!) out[j] = bands[k * out.length + j]!;
        }
      }
    }
  }

  private expireRecent(horizon: number): void {
    if (!this.recent.length) return;
    let expired = false;
    for (const s of this.recent) if (spanEnd(s) <= horizon - 1000) expired = true;
    if (expired) this.recent = this.recent.filter((s) => spanEnd(s) > horizon - 1000);
  }

  /** Cuts every span at t and forgets what was queued (the caller has sent FLUSH_MEDIA). */
  private cut(t: number): void {
    for (const s of this.spans) s.cutAt = Math.min(s.cutAt, t);
    this.recent.push(...this.spans);
    this.spans = [];
    this.pending = [];
    this.queueEndAt = t;
  }

  /** Speech onset over a prompt: flushes it, keeping where it was and what followed, to resume or drop. */
  holdAudible(): HeldPrompt | null {
    const audible = this.audible(this.o.clock.now());
    if (!audible || this.heldPrompt) return null;
    this.o.sendCommand('FLUSH_MEDIA');
    const flushedAt = this.o.clock.now();
    const posMs = this.position(audible, flushedAt);
    const rest: Prompt[] = [];
    for (const s of this.spans) if (s.prompt !== audible && !rest.includes(s.prompt) && !s.prompt.finished) rest.push(s.prompt);
    for (const p of this.pending) if (p.prompt !== audible && !rest.includes(p.prompt)) rest.push(p.prompt);
    this.cut(flushedAt);
    this.heldPrompt = { prompt: audible, posMs, flushedAt, rest };
    return this.heldPrompt;
  }

  /** The barge-in is confirmed: the held prompt and those behind it are over (interrupted). */
  dropHeld(): HeldPrompt | null {
    const h = this.heldPrompt;
    if (!h) return null;
    this.heldPrompt = null;
    this.finish(h.prompt, true, h.posMs);
    for (const p of h.rest) this.finish(p, true, 0);
    return h;
  }

  /** A false alarm: the held prompt plays again from a little before the cut, then those behind it. */
  resumeHeld(rewindMs: number): { promptId: string; fromMs: number } | null {
    const h = this.heldPrompt;
    if (!h) return null;
    this.heldPrompt = null;
    const { bytesPerMs, frameBytes } = this.o;
    const fromMs = Math.max(0, h.posMs - rewindMs);
    const offset = Math.floor((fromMs * bytesPerMs) / frameBytes) * frameBytes;
    this.pending.push({ prompt: h.prompt, offset });
    for (const p of h.rest) this.pending.push({ prompt: p, offset: 0 });
    this.pump();
    return { promptId: h.prompt.promptId, fromMs };
  }

  /** Stops the prompt(s) playing for good; returns how much of the current one was heard. */
  stop(): { playedMs: number } | null {
    const held = this.dropHeld();
    if (held) return { playedMs: held.posMs };
    if (!this.spans.length && !this.pending.length) return null;
    const t = this.o.clock.now();
    this.o.sendCommand('FLUSH_MEDIA');
    const audible = this.audible(t) ?? this.spans[0]?.prompt ?? this.pending[0]?.prompt ?? null;
    const playedMs = audible ? this.position(audible, t) : 0;
    const all = new Set<Prompt>([...this.spans.map((s) => s.prompt), ...this.pending.map((p) => p.prompt)]);
    this.cut(t);
    for (const p of all) this.finish(p, true, p === audible ? playedMs : 0);
    return { playedMs };
  }

  /** The call is over: every prompt not finished is reported as interrupted; timers stop. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.o.clock.clearTimer(this.retryTimer);
    this.o.clock.clearTimer(this.drainFallback);
    const t = this.o.clock.now();
    this.dropHeld();
    const audible = this.audible(t);
    for (const s of this.spans) this.finish(s.prompt, true, s.prompt === audible ? this.position(s.prompt, t) : 0);
    for (const p of this.pending) this.finish(p.prompt, true, 0);
    this.spans = [];
    this.pending = [];
    this.recent = [];
  }
}

/** When a span stops being heard (its end, or the flush that cut it). */
function spanEnd(s: Span): number {
  return Math.min(s.cutAt, s.wallFrom + (s.toMs - s.fromMs));
}

/** The loudest envelope block of `s` heard between wall times lo and hi (-Infinity if none). */
function loudest(s: Span, lo: number, hi: number): number {
  const a = Math.max(lo, s.wallFrom);
  const b = Math.min(hi, s.wallFrom + (s.toMs - s.fromMs), s.cutAt);
  if (b <= a) return -Infinity;
  const env = s.prompt.envelope;
  const from = Math.floor((s.fromMs + (a - s.wallFrom)) / ENVELOPE_MS);
  const to = Math.min(env.length - 1, Math.floor((s.fromMs + (b - s.wallFrom)) / ENVELOPE_MS));
  let best = -Infinity;
  for (let k = from; k <= to; k++) if (env[k]! > best) best = env[k]!;
  return best;
}
