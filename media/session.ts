// One call's media pipeline: chan_websocket connection state, inbound audio (decode -> resample -> VAD ->
// segmenter -> ASR), outgoing prompts (encoded, paced by Asterisk's queue, XOFF-aware) and barge-in.
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { CallEventSink } from '../lib/call-events';
import {
  codecInfo,
  formatCommand,
  parseEvent,
  ProtocolError,
  MAX_BINARY_MESSAGE_BYTES,
  type AsteriskEvent,
  type CodecInfo,
  type Command,
  type ControlFormat,
  type MediaStartEvent,
} from './protocol';
import { decode, encode, rmsDbfs, Resampler, resampleAll, silenceByte } from './audio';
import { Vad } from './vad';
import { SpeechSegmenter, type BargeInOptions, type SegmenterAction } from './barge-in';
import type { AsrEngine, AsrSession } from './asr';

export const now = (): number => performance.timeOrigin + performance.now();

/** Largest control message we accept from Asterisk (its own events are far smaller). */
export const MAX_EVENT_BYTES = 16 * 1024;
const ENVELOPE_MS = 10;
/** Most audio we let sit in Asterisk's queue (its XOFF level is 900 frames). */
const MAX_AHEAD_MS = 15_000;
const CHUNK_FRAMES = 50;
const PRE_ROLL_MS = 300;

export interface PromptInput {
  promptId: string;
  turn: number;
  wavPath?: string;
  pcm?: Int16Array;
  sampleRate?: number;
  bargeIn?: boolean;
}

interface Prompt {
  promptId: string;
  turn: number;
  bargeIn: boolean;
  bytes: Uint8Array; // encoded in the call codec, whole frames
  durationMs: number;
  envelope: Float32Array; // dBFS per ENVELOPE_MS block
  finished: boolean;
}

/** A stretch of a prompt handed to Asterisk, placed on the wall clock of its (estimated) playout. */
interface Span {
  prompt: Prompt;
  fromMs: number; // offset in the prompt
  toMs: number;
  wallFrom: number; // estimated playout start
  cutAt: number; // wall time after which it is not heard (flush), Infinity if not cut
}

export interface SessionStats {
  bargeInLatencyMs: number[]; // speech onset -> FLUSH_MEDIA sent
  asrLatencyMs: number[]; // speech end -> final result
  signalLatencyMs: number[]; // speech end -> utterance delivered to the sink
  tentativeFlushes: number;
  resumes: number;
  confirmedBargeIns: number;
  malformedFrames: number;
  rejectedTextMessages: number;
}

/** One analysed inbound frame, as the VAD saw it (for observers such as the hybrid AMD, media/amd.ts). */
export interface MediaFrame {
  /** Wall time of the frame's first sample (epoch ms). */
  t: number;
  pcm: Int16Array;
  sampleRate: number;
  speech: boolean;
  dbfs: number;
  /** Loudest outgoing prompt level that can be echoing back now (dBFS; -Infinity when silent). */
  echoRefDbfs: number;
  /** A prompt of ours is audible to the callee now. */
  promptAudible: boolean;
}

/** Read-only taps on a call's media (added for the ARI adapter's AMD and first-prompt timing). */
export interface SessionObserver {
  started?(): void;
  frame?(f: MediaFrame): void;
}

export interface SessionOptions {
  callId: string;
  observer?: SessionObserver;
  ws: WebSocket;
  sink: CallEventSink;
  asr: AsrEngine | null;
  asrRate: number;
  vadMode: number;
  frameMs: 10 | 20 | 30;
  bargeIn: BargeInOptions;
  log: Logger;
  onClose: (s: CallSession) => void;
  stats: (name: 'bargeIn' | 'asr' | 'signal', ms: number) => void;
}

export class CallSession {
  readonly callId: string;
  turn = 0;
  private ws: WebSocket;
  private log: Logger;
  private format: ControlFormat = 'plain-text';
  private codec: CodecInfo | null = null;
  private frameBytes = 160;
  private ptime = 20;
  private channelId = '';
  private resampler: Resampler | null = null;
  private vad: Vad | null = null;
  private segmenter: SpeechSegmenter;
  private asr: AsrSession | null = null;
  private vadBuf: Int16Array;
  private vadFill = 0;
  private preRoll: Int16Array[] = [];
  private preRollSamples = 0;
  private feeding = false;
  private xoff = false;
  private closed = false;
  private hangupRequested = false;
  private startTimer: NodeJS.Timeout;
  private pumpTimer: NodeJS.Timeout | null = null;
  private drainFallback: NodeJS.Timeout | null = null;

  // Outgoing stream
  private pending: { prompt: Prompt; offset: number }[] = []; // not yet sent
  private spans: Span[] = [];
  private recent: Span[] = []; // kept for the echo reference after they stop
  private queueEndAt = 0; // wall time at which Asterisk's queue runs dry (estimate)
  private drainArmed = false;
  private held: { prompt: Prompt; posMs: number; flushedAt: number; rest: Prompt[] } | null = null;
  private speechInPrompt: { promptId?: string; playedMs?: number; flushedAt?: number } | null = null;
  private utteranceBargeIn = false;

  readonly stats: SessionStats = {
    bargeInLatencyMs: [],
    asrLatencyMs: [],
    signalLatencyMs: [],
    tentativeFlushes: 0,
    resumes: 0,
    confirmedBargeIns: 0,
    malformedFrames: 0,
    rejectedTextMessages: 0,
  };

  constructor(private o: SessionOptions) {
    this.callId = o.callId;
    this.ws = o.ws;
    this.log = o.log;
    this.segmenter = new SpeechSegmenter(o.bargeIn);
    this.vadBuf = new Int16Array((o.asrRate / 1000) * o.frameMs);
    this.startTimer = setTimeout(() => {
      if (!this.codec) {
        this.log.warn('no MEDIA_START within 5 s: closing');
        this.ws.close(1008, 'MEDIA_START expected');
      }
    }, 5000);
    this.ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    this.ws.on('close', (code) => this.onSocketClose(code));
    this.ws.on('error', (e) => this.log.warn({ err: e.message }, 'websocket error'));
  }

  get bargeInOptions(): BargeInOptions {
    return this.segmenter.opts;
  }
  set bargeInOptions(b: BargeInOptions) {
    this.segmenter.opts = b;
  }
  get started(): boolean {
    return this.codec !== null;
  }

  // ---------------------------------------------------------------- inbound

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    try {
      if (isBinary) this.onAudio(data);
      else this.onText(data);
    } catch (e) {
      // Never let one call's bad input take the worker down.
      this.stats.malformedFrames++;
      this.log.warn({ err: (e as Error).message }, 'dropped a message that could not be processed');
    }
  }

  private onText(data: Buffer): void {
    if (data.length > MAX_EVENT_BYTES) {
      this.stats.rejectedTextMessages++;
      this.log.warn({ bytes: data.length }, `control message over ${MAX_EVENT_BYTES} bytes rejected`);
      return;
    }
    let ev: AsteriskEvent;
    let format: ControlFormat;
    try {
      ({ event: ev, format } = parseEvent(data.toString('utf8'), MAX_EVENT_BYTES));
    } catch (e) {
      this.stats.rejectedTextMessages++;
      this.log.warn({ err: (e as ProtocolError).message }, 'malformed control message rejected');
      return;
    }
    switch (ev.event) {
      case 'MEDIA_START':
        this.format = format;
        this.onMediaStart(ev);
        break;
      case 'MEDIA_XOFF':
        this.xoff = true;
        break;
      case 'MEDIA_XON':
        this.xoff = false;
        this.pump();
        break;
      case 'QUEUE_DRAINED':
        this.onQueueDrained();
        break;
      case 'DTMF_END':
        this.emit('dtmf', () => this.o.sink.dtmf(this.callId, { digit: ev.digit, at: Date.now() }));
        break;
      case 'STATUS':
        this.log.debug({ status: ev }, 'STATUS');
        if (ev.queue_full) this.xoff = true;
        break;
      case 'ERROR':
        this.log.warn({ error: ev.error_text }, 'Asterisk reported an error');
        break;
      default:
        break;
    }
  }

  private onMediaStart(ev: MediaStartEvent): void {
    if (this.codec) {
      this.log.warn('duplicate MEDIA_START ignored');
      return;
    }
    const codec = codecInfo(ev.format);
    if (!codec) {
      this.log.error({ format: ev.format }, 'unsupported media format: hanging up the media channel');
      this.send({ command: 'HANGUP' });
      this.ws.close(1003, 'unsupported format');
      return;
    }
    clearTimeout(this.startTimer);
    this.codec = codec;
    this.frameBytes = ev.optimal_frame_size;
    this.ptime = ev.ptime;
    this.channelId = ev.channel_id ?? '';
    this.resampler = new Resampler(codec.sampleRate, this.o.asrRate);
    this.vad = new Vad(this.o.asrRate, this.o.frameMs, this.o.vadMode);
    if (this.o.asr) this.asr = this.o.asr.createSession(this.o.asrRate);
    this.log.info({ format: codec.name, frameBytes: this.frameBytes, ptime: this.ptime, control: this.format, channelId: this.channelId }, 'media started');
    this.pump();
    this.o.observer?.started?.();
  }

  private onAudio(data: Buffer): void {
    const codec = this.codec;
    if (!codec) {
      this.stats.malformedFrames++;
      return; // media before MEDIA_START: not from a conforming peer
    }
    if (data.length === 0 || data.length > MAX_BINARY_MESSAGE_BYTES || data.length % codec.bytesPerSample !== 0) {
      this.stats.malformedFrames++;
      if (this.stats.malformedFrames <= 3 || this.stats.malformedFrames % 100 === 0) {
        this.log.warn({ bytes: data.length, count: this.stats.malformedFrames }, 'malformed media frame dropped');
      }
      return;
    }
    const arrival = now();
    const pcm = decode(codec, data);
    const durMs = (pcm.length / codec.sampleRate) * 1000;
    const x = this.resampler!.process(pcm);
    const rate = this.o.asrRate;
    const fs = this.vadBuf.length;
    // Wall time of the first sample still waiting in the VAD buffer.
    let cursor = arrival - durMs - (this.vadFill / rate) * 1000;
    let i = 0;
    while (i < x.length) {
      const take = Math.min(fs - this.vadFill, x.length - i);
      this.vadBuf.set(x.subarray(i, i + take), this.vadFill);
      this.vadFill += take;
      i += take;
      if (this.vadFill === fs) {
        const frame = this.vadBuf.slice();
        this.vadFill = 0;
        this.onVadFrame(frame, cursor);
        cursor += this.o.frameMs;
      }
    }
  }

  private onVadFrame(frame: Int16Array, t: number): void {
    const speech = this.vad!.isSpeech(frame);
    const dbfs = rmsDbfs(frame);
    const echoRefDbfs = this.echoRef(t);
    const audible = this.audiblePrompt(t);
    const promptPlaying = !!audible && audible.bargeIn && this.segmenter.opts.enabled;
    const action = this.segmenter.push({ t, durMs: this.o.frameMs, speech, dbfs, echoRefDbfs }, promptPlaying || !!this.held);
    this.o.observer?.frame?.({ t, pcm: frame, sampleRate: this.o.asrRate, speech, dbfs, echoRefDbfs, promptAudible: !!audible });
    // Pre-roll ring so the recognizer hears the very start of the word.
    if (!this.feeding) {
      this.preRoll.push(frame);
      this.preRollSamples += frame.length;
      while (this.preRollSamples - (this.preRoll[0]?.length ?? 0) >= (PRE_ROLL_MS * this.o.asrRate) / 1000) {
        this.preRollSamples -= this.preRoll.shift()!.length;
      }
    } else if (this.asr) {
      this.asr.accept(frame);
    }
    if (action.type !== 'none') this.onSegment(action, promptPlaying);
  }

  private onSegment(a: SegmenterAction, promptPlaying: boolean): void {
    const t = now();
    switch (a.type) {
      case 'onset': {
        if (promptPlaying && !this.held) this.tentativeFlush(t, a.speechStartAt);
        this.feeding = true;
        if (this.asr) {
          const all = new Int16Array(this.preRollSamples);
          let off = 0;
          for (const f of this.preRoll) {
            all.set(f, off);
            off += f.length;
          }
          this.asr.accept(all);
        }
        this.preRoll = [];
        this.preRollSamples = 0;
        break;
      }
      case 'confirm': {
        const held = this.held;
        let info: { promptId?: string; playedMs?: number; flushedAt?: number } = {};
        if (held) {
          this.held = null;
          this.stats.confirmedBargeIns++;
          info = { promptId: held.prompt.promptId, playedMs: held.posMs, flushedAt: held.flushedAt };
          this.finishPrompt(held.prompt, true, held.posMs);
          for (const p of held.rest) this.finishPrompt(p, true, 0);
        } else {
          const audible = this.audiblePrompt(t);
          if (audible) info = { promptId: audible.promptId, playedMs: this.promptPosition(audible, t) };
        }
        this.utteranceBargeIn = !!held;
        this.speechInPrompt = info;
        this.emit('speechStarted', () =>
          this.o.sink.speechStarted(this.callId, {
            turn: this.turn,
            speechStartAt: Math.round(a.speechStartAt),
            flushedAt: info.flushedAt !== undefined ? Math.round(info.flushedAt) : undefined,
            promptId: info.promptId,
            promptPlayedMs: info.playedMs !== undefined ? Math.round(info.playedMs) : undefined,
          }),
        );
        break;
      }
      case 'release': {
        this.feeding = false;
        this.asr?.reset();
        if (this.held) this.resumeHeld();
        break;
      }
      case 'end': {
        this.feeding = false;
        void this.finishUtterance(a.speechStartAt, a.speechEndAt);
        break;
      }
    }
  }

  private async finishUtterance(speechStartAt: number, speechEndAt: number): Promise<void> {
    const turn = this.turn;
    const bargeIn = this.utteranceBargeIn;
    this.utteranceBargeIn = false;
    if (!this.asr) return;
    let r;
    try {
      r = await this.asr.finalize();
    } catch (e) {
      this.log.error({ err: (e as Error).message }, 'ASR final result failed');
      return;
    }
    const finalAt = now();
    if (!r.text) {
      this.log.debug('utterance with no recognised words dropped');
      return;
    }
    // Rounded timestamps first so that asrLatencyMs === finalAt - speechEndAt exactly, as documented.
    const asrLatencyMs = Math.round(finalAt) - Math.round(speechEndAt);
    this.stats.asrLatencyMs.push(asrLatencyMs);
    this.o.stats('asr', asrLatencyMs);
    const bargeInLatency = this.stats.bargeInLatencyMs.at(-1);
    const ev = {
      turn,
      text: r.text,
      confidence: r.confidence,
      speechStartAt: Math.round(speechStartAt),
      speechEndAt: Math.round(speechEndAt),
      finalAt: Math.round(finalAt),
      asrLatencyMs,
      bargeIn,
      metadata: {
        processing_method: this.o.asr?.method,
        asr_latency_ms: asrLatencyMs,
        asr_decode_ms: Math.round(r.decodeMs),
        barge_in_latency_ms: bargeIn ? bargeInLatency : undefined,
        words: r.words,
      },
    };
    this.emit('utterance', async () => {
      await this.o.sink.utterance(this.callId, ev);
      const ms = Math.round(now() - speechEndAt);
      this.stats.signalLatencyMs.push(ms);
      this.o.stats('signal', ms);
    });
  }

  // ---------------------------------------------------------------- outgoing

  /** Encodes a prompt for this call; resolves when its audio is queued (or held behind the current one). */
  async play(input: PromptInput, loadPcm: (p: PromptInput) => Promise<{ pcm: Int16Array; sampleRate: number }>): Promise<void> {
    if (this.closed) throw new Error(`call ${this.callId}: media closed`);
    if (!this.codec) throw new Error(`call ${this.callId}: media not started yet (no MEDIA_START)`);
    const { pcm, sampleRate } = await loadPcm(input);
    const codec = this.codec;
    const pcmAtCodec = resampleAll(pcm, sampleRate, codec.sampleRate);
    // Pad to whole frames so Asterisk drops nothing (no need for START/STOP_MEDIA_BUFFERING).
    const frameSamples = this.frameBytes / codec.bytesPerSample;
    const padded = new Int16Array(Math.max(1, Math.ceil(pcmAtCodec.length / frameSamples)) * frameSamples);
    padded.set(pcmAtCodec);
    const bytes = encode(codec, padded);
    if (pcmAtCodec.length < padded.length) bytes.fill(silenceByte(codec), encode(codec, pcmAtCodec).length);
    const block = (codec.sampleRate * ENVELOPE_MS) / 1000;
    const envelope = new Float32Array(Math.ceil(padded.length / block));
    for (let b = 0; b < envelope.length; b++) envelope[b] = rmsDbfs(padded, b * block, Math.min(padded.length, (b + 1) * block));
    const prompt: Prompt = {
      promptId: input.promptId,
      turn: input.turn,
      bargeIn: input.bargeIn ?? true,
      bytes,
      durationMs: (padded.length / codec.sampleRate) * 1000,
      envelope,
      finished: false,
    };
    if (this.held) this.held.rest.push(prompt);
    else {
      this.pending.push({ prompt, offset: 0 });
      this.pump();
    }
  }

  /** Sends queued prompt audio while Asterisk's queue has room (XOFF honoured). */
  private pump(): void {
    if (this.closed || !this.codec || this.ws.readyState !== this.ws.OPEN) return;
    const bytesPerMs = (this.codec.sampleRate * this.codec.bytesPerSample) / 1000;
    let sent = false;
    while (this.pending.length && !this.xoff) {
      const t = now();
      if (this.queueEndAt < t) this.queueEndAt = t; // queue ran dry: playout restarts now
      if (this.queueEndAt - t >= MAX_AHEAD_MS) break;
      const head = this.pending[0]!;
      const maxBytes = Math.min(CHUNK_FRAMES * this.frameBytes, Math.floor(MAX_BINARY_MESSAGE_BYTES / this.frameBytes) * this.frameBytes);
      const chunk = head.prompt.bytes.subarray(head.offset, head.offset + maxBytes);
      const ms = chunk.length / bytesPerMs;
      this.ws.send(chunk, { binary: true });
      const fromMs = head.offset / bytesPerMs;
      this.spans.push({ prompt: head.prompt, fromMs, toMs: fromMs + ms, wallFrom: this.queueEndAt, cutAt: Infinity });
      this.queueEndAt += ms;
      head.offset += chunk.length;
      sent = true;
      if (head.offset >= head.prompt.bytes.length) this.pending.shift();
    }
    if (this.pending.length) {
      this.pumpTimer ??= setTimeout(() => {
        this.pumpTimer = null;
        this.pump();
      }, 500);
    } else if (sent || (this.spans.length && !this.drainArmed)) {
      this.armDrain();
    }
  }

  private armDrain(): void {
    this.drainArmed = true;
    this.send({ command: 'REPORT_QUEUE_DRAINED' });
    // Fallback in case QUEUE_DRAINED never comes (it always should from Asterisk).
    if (this.drainFallback) clearTimeout(this.drainFallback);
    this.drainFallback = setTimeout(() => {
      this.drainFallback = null;
      if (this.spans.length && !this.pending.length && now() > this.queueEndAt + 1500) {
        this.log.warn('no QUEUE_DRAINED 1.5 s after the estimated end of the prompt: assuming it played');
        this.completeSpans();
      }
    }, Math.max(0, this.queueEndAt - now()) + 2000);
  }

  private onQueueDrained(): void {
    this.drainArmed = false;
    if (this.held || !this.spans.length) return; // the drain that follows a FLUSH_MEDIA
    const remaining = this.queueEndAt - now();
    if (this.pending.length || remaining > 300) {
      // A stale notification (armed before a flush/resume): ask again.
      if (!this.pending.length) this.armDrain();
      return;
    }
    this.completeSpans();
  }

  private completeSpans(): void {
    if (this.drainFallback) clearTimeout(this.drainFallback);
    this.drainFallback = null;
    const prompts = new Set(this.spans.map((s) => s.prompt));
    this.recent.push(...this.spans);
    this.spans = [];
    for (const p of prompts) this.finishPrompt(p, false, p.durationMs);
  }

  private finishPrompt(p: Prompt, interrupted: boolean, playedMs: number): void {
    if (p.finished) return;
    p.finished = true;
    this.emit('playbackFinished', () =>
      this.o.sink.playbackFinished(this.callId, {
        promptId: p.promptId,
        turn: p.turn,
        interrupted,
        playedMs: Math.round(Math.min(playedMs, p.durationMs)),
      }),
    );
  }

  /** The prompt audible at wall time t (not cut), or null. */
  private audiblePrompt(t: number): Prompt | null {
    for (const s of this.spans) {
      const dur = s.toMs - s.fromMs;
      if (t >= s.wallFrom && t < s.wallFrom + dur && t < s.cutAt) return s.prompt;
    }
    return null;
  }

  /** How far into `p` the caller is at wall time t (ms). */
  private promptPosition(p: Prompt, t: number): number {
    let pos = 0;
    for (const s of this.spans) {
      if (s.prompt !== p) continue;
      const dur = s.toMs - s.fromMs;
      const heard = Math.max(0, Math.min(dur, Math.min(t, s.cutAt) - s.wallFrom));
      if (heard > 0) pos = Math.max(pos, s.fromMs + heard);
    }
    return pos;
  }

  /** Loudest outgoing level that can be echoing back at wall time t. */
  private echoRef(t: number): number {
    const W = this.segmenter.opts.echoWindowMs;
    const lo = t - W;
    const hi = t + 40; // our playout clock estimate is within a frame or two
    let best = -Infinity;
    const scan = (s: Span) => {
      const dur = s.toMs - s.fromMs;
      const a = Math.max(lo, s.wallFrom);
      const b = Math.min(hi, s.wallFrom + dur, s.cutAt);
      if (b <= a) return;
      const env = s.prompt.envelope;
      const from = Math.floor((s.fromMs + (a - s.wallFrom)) / ENVELOPE_MS);
      const to = Math.min(env.length - 1, Math.floor((s.fromMs + (b - s.wallFrom)) / ENVELOPE_MS));
      for (let k = from; k <= to; k++) if (env[k]! > best) best = env[k]!;
    };
    for (const s of this.spans) scan(s);
    if (this.recent.length) {
      this.recent = this.recent.filter((s) => Math.min(s.cutAt, s.wallFrom + (s.toMs - s.fromMs)) > t - W - 1000);
      for (const s of this.recent) scan(s);
    }
    return best;
  }

  private tentativeFlush(t: number, speechStartAt: number): void {
    const audible = this.audiblePrompt(t);
    if (!audible) return;
    this.send({ command: 'FLUSH_MEDIA' });
    const flushedAt = now();
    const posMs = this.promptPosition(audible, flushedAt);
    const rest: Prompt[] = [];
    for (const s of this.spans) if (s.prompt !== audible && !rest.includes(s.prompt) && !s.prompt.finished) rest.push(s.prompt);
    for (const p of this.pending) if (p.prompt !== audible && !rest.includes(p.prompt)) rest.push(p.prompt);
    for (const s of this.spans) s.cutAt = Math.min(s.cutAt, flushedAt);
    this.recent.push(...this.spans);
    this.spans = [];
    this.pending = [];
    this.queueEndAt = flushedAt;
    this.held = { prompt: audible, posMs, flushedAt, rest };
    this.stats.tentativeFlushes++;
    const lat = flushedAt - speechStartAt;
    this.stats.bargeInLatencyMs.push(Math.round(lat));
    this.o.stats('bargeIn', lat);
    this.log.debug({ promptId: audible.promptId, posMs: Math.round(posMs), latencyMs: Math.round(lat) }, 'barge-in: prompt flushed');
  }

  private resumeHeld(): void {
    const h = this.held!;
    this.held = null;
    this.stats.resumes++;
    const bytesPerMs = (this.codec!.sampleRate * this.codec!.bytesPerSample) / 1000;
    const fromMs = Math.max(0, h.posMs - this.segmenter.opts.resumeRewindMs);
    const offset = Math.floor((fromMs * bytesPerMs) / this.frameBytes) * this.frameBytes;
    this.pending.push({ prompt: h.prompt, offset });
    for (const p of h.rest) this.pending.push({ prompt: p, offset: 0 });
    this.log.debug({ promptId: h.prompt.promptId, fromMs }, 'barge-in released (no sustained speech): prompt resumed');
    this.pump();
  }

  /** Stops the prompt(s) playing; returns how much of the current one was heard. */
  stopPlayback(): { playedMs: number } | null {
    const t = now();
    if (this.held) {
      const h = this.held;
      this.held = null;
      this.finishPrompt(h.prompt, true, h.posMs);
      for (const p of h.rest) this.finishPrompt(p, true, 0);
      return { playedMs: Math.round(h.posMs) };
    }
    if (!this.spans.length && !this.pending.length) return null;
    this.send({ command: 'FLUSH_MEDIA' });
    const audible = this.audiblePrompt(t) ?? this.spans[0]?.prompt ?? this.pending[0]?.prompt ?? null;
    const playedMs = audible ? this.promptPosition(audible, t) : 0;
    const all = new Set<Prompt>([...this.spans.map((s) => s.prompt), ...this.pending.map((p) => p.prompt)]);
    for (const s of this.spans) s.cutAt = Math.min(s.cutAt, t);
    this.recent.push(...this.spans);
    this.spans = [];
    this.pending = [];
    this.queueEndAt = t;
    for (const p of all) this.finishPrompt(p, true, p === audible ? playedMs : 0);
    return { playedMs: Math.round(playedMs) };
  }

  hangup(): void {
    if (this.closed) return;
    this.hangupRequested = true;
    this.send({ command: 'HANGUP' });
    // Asterisk closes the socket after HANGUP; make sure we do not wait forever.
    setTimeout(() => {
      if (!this.closed) this.ws.terminate();
    }, 2000).unref();
  }

  getStatus(): void {
    this.send({ command: 'GET_STATUS' });
  }

  private send(cmd: Command): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(formatCommand(cmd, this.format));
  }

  private emit(name: string, fn: () => Promise<void>): void {
    fn().catch((e: Error) => this.log.error({ err: e.message, event: name }, 'delivering call event failed'));
  }

  // ---------------------------------------------------------------- teardown

  private onSocketClose(code: number): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.startTimer);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    if (this.drainFallback) clearTimeout(this.drainFallback);
    // Prompts that never finished are reported as interrupted.
    const t = now();
    if (this.held) {
      this.finishPrompt(this.held.prompt, true, this.held.posMs);
      for (const p of this.held.rest) this.finishPrompt(p, true, 0);
    }
    const audible = this.audiblePrompt(t);
    for (const s of this.spans) this.finishPrompt(s.prompt, true, s.prompt === audible ? this.promptPosition(s.prompt, t) : 0);
    for (const p of this.pending) this.finishPrompt(p.prompt, true, 0);
    this.spans = [];
    this.pending = [];
    this.recent = [];
    this.held = null;
    this.resampler?.destroy();
    this.vad?.free();
    this.asr?.close();
    this.asr = null;
    this.emit('hungUp', () =>
      this.o.sink.hungUp(this.callId, {
        cause: this.hangupRequested ? 'normal' : 'media_lost',
        at: Date.now(),
        detail: this.hangupRequested ? 'media HANGUP sent by the bot' : `media websocket closed (code ${code})`,
      }),
    );
    this.log.info({ code, hangupRequested: this.hangupRequested, stats: this.summary() }, 'media closed');
    this.o.onClose(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  summary(): Record<string, number> {
    return {
      tentativeFlushes: this.stats.tentativeFlushes,
      resumes: this.stats.resumes,
      confirmedBargeIns: this.stats.confirmedBargeIns,
      malformedFrames: this.stats.malformedFrames,
      rejectedTextMessages: this.stats.rejectedTextMessages,
      echoRejectedFrames: this.segmenter.counts.echoRejectedFrames,
    };
  }
}
