// One call's media: speaks the chan_websocket protocol on the call's socket and wires the stages.
//   inbound:  decode -> resample -> VAD framer -> (AMD tap) -> segmenter -> pre-roll -> ASR feeder -> speech events
//   outgoing: prompts encoded (media/prompt.ts) into the playout queue (media/playout.ts)
//   where they meet: media/speech-events.ts (barge-in acts on the playout; speech and transcripts become events)
import type { WebSocket } from 'ws';
import type { Logger } from 'pino';
import type { CallEventSink } from '../lib/call-events';
import { codecInfo, formatCommand, parseEvent, ProtocolError, MAX_BINARY_MESSAGE_BYTES } from './protocol';
import type { AsteriskEvent, CodecInfo, Command, ControlFormat, MediaStartEvent } from './protocol';
import { ECHO_LEAD_MS, SegmenterStage, SpeechSegmenter, echoCandidates, type BargeInOptions } from './barge-in';
import type { AsrEngine } from './asr';
import { systemClock, type Clock } from './clock';
import { Decoder, ResampleStage, UtteranceResampler } from './decode';
import { VadFramer } from './vad-framer';
import { BAND_COUNT } from './bands';
import { PreRoll } from './pre-roll';
import { AsrFeeder } from './asr-feeder';
import { MediaTap, Pipeline } from './pipeline';
import { PlayoutQueue } from './playout';
import { encodePrompt, type PromptInput } from './prompt';
import { SpeechEvents, type SpeechStats } from './speech-events';
import type { Frame, MediaFrame } from './frames';

export type { MediaFrame } from './frames';
export type { PromptInput } from './prompt';

/** Sample rates the WebRTC VAD analyses directly. */
const VAD_RATES = [8000, 16000, 32000, 48000];

/** Largest control message we accept from Asterisk (its own events are far smaller). */
export const MAX_EVENT_BYTES = 16 * 1024;

export interface SessionStats extends SpeechStats {
  malformedFrames: number;
  rejectedTextMessages: number;
}

/** Read-only taps on a call's media (the ARI adapter's AMD and first-prompt timing). */
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
  clock?: Clock;
}

interface Started {
  codec: CodecInfo;
  frameBytes: number;
  pipeline: Pipeline;
  playout: PlayoutQueue;
}

export class CallSession {
  readonly callId: string;
  turn = 0;
  private readonly ws: WebSocket;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly segmenter: SpeechSegmenter;
  private format: ControlFormat = 'plain-text';
  private media: Started | null = null;
  private closed = false;
  private hangupRequested = false;
  private readonly startTimer: NodeJS.Timeout;

  readonly stats: SessionStats = {
    bargeInLatencyMs: [], asrLatencyMs: [], signalLatencyMs: [],
    tentativeFlushes: 0, resumes: 0, confirmedBargeIns: 0, malformedFrames: 0, rejectedTextMessages: 0,
  };

  constructor(private readonly o: SessionOptions) {
    this.callId = o.callId;
    this.ws = o.ws;
    this.log = o.log;
    this.clock = o.clock ?? systemClock;
    this.segmenter = new SpeechSegmenter(o.bargeIn);
    this.startTimer = setTimeout(() => {
      if (!this.media) {
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
    return this.media !== null;
  }
  get isClosed(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------- protocol

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    try {
      if (!isBinary) this.onText(data);
      else if (this.media) this.media.pipeline.push({ kind: 'raw', t: this.clock.now(), payload: data });
      else this.stats.malformedFrames++; // media before MEDIA_START: not from a conforming peer
    } catch (e) {
      // Never let one call's bad input take the worker down.
      this.stats.malformedFrames++;
      this.log.warn({ err: (e as Error).message }, 'dropped a message that could not be processed');
    }
  }

  private onText(data: Buffer): void {
    let ev: AsteriskEvent;
    let format: ControlFormat;
    try {
      if (data.length > MAX_EVENT_BYTES) throw new ProtocolError(`control message over ${MAX_EVENT_BYTES} bytes rejected (${data.length} bytes)`);
      ({ event: ev, format } = parseEvent(data.toString('utf8'), MAX_EVENT_BYTES));
    } catch (e) {
      this.stats.rejectedTextMessages++;
      this.log.warn({ err: (e as Error).message }, 'malformed control message rejected');
      return;
    }
    const playout = this.media?.playout;
    switch (ev.event) {
      case 'MEDIA_START':
        this.format = format;
        this.onMediaStart(ev);
        break;
      case 'MEDIA_XOFF':
        playout?.pause();
        break;
      case 'MEDIA_XON':
        playout?.resume();
        break;
      case 'QUEUE_DRAINED':
        playout?.drained();
        break;
      case 'DTMF_END':
        this.emit('dtmf', () => this.o.sink.dtmf(this.callId, { digit: ev.digit, at: Date.now() }));
        break;
      case 'STATUS':
        this.log.debug({ status: ev }, 'STATUS');
        if (ev.queue_full) playout?.pause();
        break;
      case 'ERROR':
        this.log.warn({ error: ev.error_text }, 'Asterisk reported an error');
        break;
      default:
        break;
    }
  }

  private onMediaStart(ev: MediaStartEvent): void {
    if (this.media) {
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
    const frameBytes = ev.optimal_frame_size;
    const playout = new PlayoutQueue({
      clock: this.clock,
      bytesPerMs: (codec.sampleRate * codec.bytesPerSample) / 1000,
      frameBytes,
      maxMessageBytes: MAX_BINARY_MESSAGE_BYTES,
      open: () => this.ws.readyState === this.ws.OPEN,
      sendAudio: (chunk) => this.ws.send(chunk, { binary: true }),
      sendCommand: (command) => this.send({ command }),
      finished: (p, interrupted, playedMs) =>
        this.emit('playbackFinished', () => this.o.sink.playbackFinished(this.callId, { promptId: p.promptId, turn: p.turn, interrupted, playedMs: Math.round(playedMs) })),
      warn: (msg) => this.log.warn(msg),
    });
    const o = this.o;
    const seg = this.segmenter;
    let scratch = new Float32Array(0);
    const reference = (t: number, frameMs: number) => {
      const audible = playout.audible(t);
      const n = echoCandidates(seg.opts.echoWindowMs);
      if (scratch.length !== n) scratch = new Float32Array(n);
      playout.echoLevels(t, frameMs, ECHO_LEAD_MS, scratch);
      let echoRefDbfs = -Infinity;
      for (let i = 0; i < n; i++) if (scratch[i]! > echoRefDbfs) echoRefDbfs = scratch[i]!;
      const around = echoRefDbfs > -Infinity ? seg.echoBandCandidates() : null;
      let echoBands: Float32Array | undefined;
      if (around) playout.echoBands(t, ECHO_LEAD_MS, around[0], around[1], (echoBands = new Float32Array(BAND_COUNT)));
      return {
        echoRefDbfs,
        echoLevels: echoRefDbfs > -Infinity ? scratch.slice() : undefined,
        echoBands,
        promptAudible: !!audible,
        bargeInArmed: (!!audible && audible.bargeIn && seg.opts.enabled) || !!playout.held,
      };
    };
    const observe = o.observer?.frame;
    // The call is analysed (VAD, segmenter, AMD) at its codec rate when the VAD takes it (8 kHz for G.711);
    // only the recogniser's audio goes to the ASR rate (UtteranceResampler: media/decode.ts says why).
    const analysisRate = VAD_RATES.includes(codec.sampleRate) ? codec.sampleRate : o.asrRate;
    const pipeline = new Pipeline(
      [
        new Decoder(codec),
        new ResampleStage(codec.sampleRate, analysisRate),
        new VadFramer({ sampleRate: analysisRate, frameMs: o.frameMs, vadMode: o.vadMode, reference }),
        ...(observe ? [new MediaTap(observe)] : []),
        new SegmenterStage(seg),
        new PreRoll(analysisRate),
        new UtteranceResampler(analysisRate, o.asrRate),
        new AsrFeeder(o.asr ? o.asr.createSession(o.asrRate) : null, () => this.clock.now()),
        new SpeechEvents({
          callId: this.callId, sink: o.sink, playout, clock: this.clock, stats: this.stats,
          turn: () => this.turn,
          resumeRewindMs: () => seg.opts.resumeRewindMs,
          asrMethod: o.asr?.method ?? null,
          record: o.stats,
          deliver: (name, fn) => this.emit(name, fn),
          debug: (obj, msg) => this.log.debug(obj, msg),
        }),
      ],
      (f) => this.onStageError(f),
    );
    this.media = { codec, frameBytes, pipeline, playout };
    this.log.info({ format: codec.name, frameBytes, ptime: ev.ptime, control: this.format, channelId: ev.channel_id ?? '' }, 'media started');
    playout.pump();
    o.observer?.started?.();
  }

  private onStageError(f: Frame): void {
    if (f.kind !== 'error') return;
    if (f.stage !== 'decode') return void this.log.error({ stage: f.stage, err: f.message }, 'media stage failed');
    this.stats.malformedFrames++;
    const n = this.stats.malformedFrames;
    if (n <= 3 || n % 100 === 0) this.log.warn({ err: f.message, count: n }, 'malformed media frame dropped');
  }

  // ---------------------------------------------------------------- commands from the call

  /** Encodes a prompt for this call; resolves when its audio is queued (or held behind the current one). */
  async play(input: PromptInput, loadPcm: (p: PromptInput) => Promise<{ pcm: Int16Array; sampleRate: number }>): Promise<void> {
    if (this.closed) throw new Error(`call ${this.callId}: media closed`);
    if (!this.media) throw new Error(`call ${this.callId}: media not started yet (no MEDIA_START)`);
    const audio = await loadPcm(input);
    if (this.closed) return; // hung up while the prompt loaded
    const { codec, frameBytes, playout } = this.media;
    playout.enqueue(encodePrompt(input, audio, codec, frameBytes));
  }

  /** Stops the prompt(s) playing; returns how much of the current one was heard. */
  stopPlayback(): { playedMs: number } | null {
    const r = this.media?.playout.stop() ?? null;
    return r && { playedMs: Math.round(r.playedMs) };
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
    this.media?.playout.close(); // prompts that never finished are reported as interrupted
    this.media?.pipeline.close();
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
