// The Asterisk 22 backend of the TelephonyPort: ARI (through ari-client, telephony/asterisk-ari.ts) for call
// control, chan_websocket + our media server (media/) for the audio, and the hybrid AMD (media/amd.ts).
//
// One call:
//   originate  POST /channels  endpoint from the dial plan (ASTERISK_DIAL_TEMPLATE / ASTERISK_DIAL_MAP),
//              app=<ARI_APP>, appArgs=dial, channelId=<call workflow id>, timeout, callerId, variables
//              (MINIBOT_CALL_ID). Channels originated with app= stay reported to us until ChannelDestroyed,
//              so busy / no answer / congestion come back with their cause (and the Dial event's dialstatus).
//   answer     StasisStart → `answered`. AMD_MODE=stream: media at once, the stream AMD decides while the
//              first prompt waits for the callee's "Allô ?" to end (the gate, media/amd.ts). AMD_MODE=asterisk:
//              the channel continues in [minibot-outbound] where AMD() runs, then comes back to Stasis with
//              AMDSTATUS/AMDCAUSE; NOTSURE is settled by the stream evidence.
//   media      POST /bridges (mixing, id = <call id>-b: an id shared with a channel breaks the app's event
//              subscription to the bridge, and with it the recording events) + POST /channels/externalMedia (websocket, slin,
//              transport_data v(call,token): the media server's per-call token) + addChannel; an optional
//              bridge recording (POST /bridges/{id}/record) when the campaign records calls.
//   prompts    play/stopPlayback go to the media server (prompt WAVs from AUDIO_DIR).
//   hangup     DELETE the call channel; every path (our hangup, the callee's, media lost, ARI reconnect that
//              finds the channel gone) ends in teardown(): media channel and bridge destroyed, recording
//              fetched, the call forgotten. The workflow hears `hungUp` only when the far end or the network
//              ended the call (as with the simulated backend).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { CallEventSink, HangupCause } from '../lib/call-events';
import { logger } from '../lib/logger';
import { MediaServer, type MediaServerOptions } from '../media/server';
import type { MediaFrame } from '../media/session';
import { StreamAmd, combineAmd, type AmdEvidence, type AsteriskAmd, type StreamAmdOptions, type StreamVerdict } from '../media/amd';
import { AriConnection, ariErrorMessage, isConflict, isNotFound, type AriCredentials, type AriEvent, type AriHealth } from './asterisk-ari';
import type { OriginateRequest, PlayRequest, TelephonyPort } from './port';

export type AmdMode = 'stream' | 'asterisk' | 'off';

export interface AsteriskTelephonyOptions {
  /** Where call events go (production: temporalSignalSink). */
  sink: CallEventSink;
  ari: AriCredentials;
  /** The media server this adapter owns (its sink is the adapter's). */
  media: Omit<MediaServerOptions, 'sink' | 'observer'>;
  /** Contact phone (E.164) → Asterisk dial endpoint. */
  dial: (phone: string) => string;
  /** Folder of the prompt WAVs (<prompt>.wav). */
  audioDir: string;
  amdMode: AmdMode;
  amd?: Partial<StreamAmdOptions>;
  callerId?: string;
  /** Dialplan context that runs AMD() then Stasis (AMD_MODE=asterisk). */
  amdContext?: string;
  recording?: {
    dir: string;
    /** Whether this call is recorded (e.g. its campaign's recordCalls) when the originate request does not say. */
    shouldRecord?: (callId: string) => Promise<boolean>;
    /** The recording of a call was saved (e.g. store its path on the call's record). */
    onSaved?: (callId: string, path: string) => Promise<void>;
  };
  /** How long play() waits for the call's media connection (ms). */
  mediaWaitMs?: number;
  log?: Logger;
}

/** What the adapter measured on a call (for the bench, the e2e test and the logs). */
export interface CallMetrics {
  callId: string;
  originatedAt: number;
  answeredAt: number | null;
  mediaAt: number | null;
  /** When the first prompt's audio started (after the gate). */
  firstPromptAt: number | null;
  gateReason: string | null;
  amd: { verdict: string; cause: string; source: string; decidedAt: number; evidence: AmdEvidence | null } | null;
  asteriskAmd: AsteriskAmd | null;
  endedAt: number | null;
  endCause: string | null;
  recordingPath: string | null;
}

interface QueuedPrompt {
  req: PlayRequest;
  wavPath: string;
}

interface AstCall {
  id: string;
  mediaId: string;
  bridgeId: string;
  record: boolean;
  phase: 'dialing' | 'amd' | 'up' | 'ending';
  answered: boolean;
  inDialplan: boolean; // left Stasis for AMD() on purpose
  byUs: boolean;
  dialStatus: string;
  hangupCause: number | null;
  mediaReady: boolean;
  mediaWaiters: { resolve: () => void; reject: (e: Error) => void }[];
  mediaSetup: boolean;
  /** Resolves when the externalMedia channel entered Stasis (it can only be bridged then). */
  mediaInStasis: { promise: Promise<void>; resolve: () => void };
  streamAmd: StreamAmd | null;
  asteriskAmd: AsteriskAmd | null;
  amdSent: boolean;
  verdict: 'human' | 'machine' | 'unknown' | null;
  gateOpen: boolean;
  queue: QueuedPrompt[];
  prompts: Set<string>;
  timers: Set<NodeJS.Timeout>;
  recordingName: string | null;
  metrics: CallMetrics;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(what)), ms)))]).finally(() => clearTimeout(timer));
}

const CHANNEL_ID = /^[A-Za-z0-9._:-]{1,120}$/;

/** Maps an Asterisk hangup cause (Q.850) + the Dial status of an unanswered call to our vocabulary. */
export function ringCause(cause: number | null, dialStatus: string): HangupCause {
  switch (dialStatus) {
    case 'BUSY':
      return 'busy';
    case 'NOANSWER':
      return 'no_answer';
    case 'CONGESTION':
      return 'congestion';
    case 'CHANUNAVAIL':
      return 'failed';
  }
  switch (cause) {
    case 17:
      return 'busy';
    case 18:
    case 19:
      return 'no_answer';
    case 21:
      return 'rejected';
    case 34:
    case 38:
    case 41:
    case 42:
      return 'congestion';
    default:
      return 'failed';
  }
}

/** Builds the dial function from a template (`{number}` = digits without '+', `{e164}`, `{national}`) and exact-number overrides. */
export function dialPlan(template: string, overrides: Record<string, string> = {}): (phone: string) => string {
  if (!/\{(number|e164|national)\}/.test(template)) throw new Error(`ASTERISK_DIAL_TEMPLATE: must contain {number}, {e164} or {national} (got "${template}")`);
  return (phone: string) => {
    const o = overrides[phone];
    if (o) return o;
    if (!/^\+?\d{4,20}$/.test(phone)) throw new Error(`phone: "${phone}" is not a dialable number`);
    const digits = phone.replace(/^\+/, '');
    const national = phone.startsWith('+33') ? '0' + phone.slice(3) : digits;
    return template.replace(/\{number\}/g, digits).replace(/\{e164\}/g, phone.startsWith('+') ? phone : '+' + digits).replace(/\{national\}/g, national);
  };
}

export class AsteriskTelephony implements TelephonyPort {
  readonly media: MediaServer;
  readonly ari: AriConnection;
  private readonly calls = new Map<string, AstCall>();
  /** Calls that ended recently (late activities for them are no-ops). */
  private readonly ended = new Map<string, number>();
  private readonly byMediaId = new Map<string, AstCall>();
  private readonly log: Logger;
  private readonly finished: CallMetrics[] = [];
  private tickTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: AsteriskTelephonyOptions) {
    this.log = o.log ?? logger('asterisk');
    this.media = new MediaServer({
      ...o.media,
      sink: this.mediaSink(),
      observer: {
        started: (callId) => this.onMediaStarted(callId),
        frame: (callId, f) => this.onMediaFrame(callId, f),
      },
    });
    this.ari = new AriConnection(o.ari, this.log.child({ part: 'ari' }));
  }

  async start(): Promise<void> {
    await this.media.start();
    const a = this.ari;
    a.on('StasisStart', (e: AriEvent) => this.onStasisStart(e));
    a.on('StasisEnd', (e: AriEvent) => this.onStasisEnd(e));
    a.on('ChannelDestroyed', (e: AriEvent) => this.onChannelDestroyed(e));
    a.on('ChannelHangupRequest', (e: AriEvent) => {
      const c = e.channel && this.calls.get(e.channel.id);
      if (c && e.cause !== undefined) c.hangupCause ??= e.cause;
    });
    a.on('Dial', (e: AriEvent) => {
      const c = e.peer && this.calls.get(e.peer.id);
      if (c && e.dialstatus) c.dialStatus = e.dialstatus;
    });
    a.on('ChannelStateChange', (e: AriEvent) => {
      if (e.channel && this.calls.has(e.channel.id)) this.log.debug({ callId: e.channel.id, state: e.channel.state }, 'channel state');
    });
    a.on('ChannelDtmfReceived', (e: AriEvent) => {
      const c = e.channel && this.calls.get(e.channel.id);
      if (c && e.digit) this.emit('dtmf', c.id, () => this.o.sink.dtmf(c.id, { digit: e.digit!, at: Date.now() }));
    });
    a.on('RecordingFinished', (e: AriEvent) => void this.onRecordingFinished(e));
    a.on('RecordingFailed', (e: AriEvent) => this.log.warn({ recording: e.recording }, 'recording failed'));
    a.on('reconnected', () => void this.reconcile());
    a.on('health', (h: AriHealth) => this.log.info({ ari: h }, 'ARI health'));
    await a.connect();
    // Deadline rules of the stream AMD when media frames stall.
    this.tickTimer = setInterval(() => {
      const now = Date.now();
      for (const c of this.calls.values()) if (c.streamAmd && !c.amdSent) this.onStreamVerdict(c, c.streamAmd.tick(now));
    }, 250);
    this.tickTimer.unref();
    this.log.info({ ari: this.o.ari.url, app: this.o.ari.app, amdMode: this.o.amdMode }, 'Asterisk telephony ready');
  }

  async stop(): Promise<void> {
    if (this.tickTimer) clearInterval(this.tickTimer);
    for (const c of [...this.calls.values()]) await this.hangup(c.id).catch(() => undefined);
    this.ari.close();
    await this.media.stop();
  }

  health(): { ari: AriHealth; activeCalls: number } {
    return { ari: this.ari.health, activeCalls: this.calls.size };
  }

  /** Metrics of the calls that ended (most recent last; bounded). */
  metrics(): CallMetrics[] {
    return [...this.finished];
  }

  activeCalls(): string[] {
    return [...this.calls.keys()];
  }

  // ------------------------------------------------------------------------------------------ originate

  async originate(req: OriginateRequest): Promise<void> {
    if (this.calls.has(req.callId) || this.ended.has(req.callId)) return; // idempotent (activity retries)
    if (!CHANNEL_ID.test(req.callId)) throw new Error(`callId: "${req.callId}" cannot be an Asterisk channel id`);
    const endpoint = this.o.dial(req.phone);
    let record = req.record ?? false;
    if (req.record === undefined && this.o.recording?.shouldRecord) {
      try {
        record = await this.o.recording.shouldRecord(req.callId);
      } catch (err) {
        this.log.warn({ callId: req.callId, err: (err as Error).message }, 'could not tell whether to record: not recording');
      }
    }
    const c: AstCall = {
      id: req.callId, mediaId: `${req.callId}-m`, bridgeId: `${req.callId}-b`, record,
      phase: 'dialing', answered: false, inDialplan: false, byUs: false, dialStatus: '', hangupCause: null,
      mediaReady: false, mediaWaiters: [], mediaSetup: false, mediaInStasis: deferred(), streamAmd: null, asteriskAmd: null, amdSent: false, verdict: null,
      gateOpen: false, queue: [], prompts: new Set(), timers: new Set(), recordingName: null,
      metrics: {
        callId: req.callId, originatedAt: Date.now(), answeredAt: null, mediaAt: null, firstPromptAt: null, gateReason: null, amd: null,
        asteriskAmd: null, endedAt: null, endCause: null, recordingPath: null,
      },
    };
    this.calls.set(c.id, c);
    this.byMediaId.set(c.mediaId, c);
    const params: Record<string, unknown> = {
      endpoint,
      app: this.o.ari.app,
      appArgs: 'dial',
      channelId: c.id,
      // Asterisk gives up ringing a second before the workflow does, so the line's own cause is what is recorded.
      timeout: Math.max(1, Math.floor((req.ringTimeoutMs - 1000) / 1000)),
      variables: { MINIBOT_CALL_ID: c.id },
    };
    if (endpoint.startsWith('Local/')) params.otherChannelId = `${c.id}-c`;
    const callerId = req.callerId ?? this.o.callerId;
    if (callerId) params.callerId = callerId;
    try {
      await this.ari.client.channels.originate(params);
      this.log.info({ callId: c.id, endpoint: endpoint.replace(/\d{4}(?=\d{2}\b|@|$)/, '****'), record }, 'originated');
    } catch (err) {
      if (isConflict(err)) return; // a retry of an originate that reached Asterisk
      this.forget(c);
      throw new Error(`originate ${c.id}: ${ariErrorMessage(err)}`);
    }
  }

  // ------------------------------------------------------------------------------------------ ARI events

  private onStasisStart(e: AriEvent): void {
    const id = e.channel?.id;
    if (!id) return;
    const m = this.byMediaId.get(id);
    if (m) {
      m.mediaInStasis.resolve();
      return;
    }
    const c = this.calls.get(id);
    if (!c || c.phase === 'ending') return; // Local callee halves, strangers
    const first = !c.answered;
    if (first) {
      c.answered = true;
      c.metrics.answeredAt = Date.now();
      this.emit('answered', c.id, () => this.o.sink.answered(c.id, { at: c.metrics.answeredAt! }));
      if (this.o.amdMode === 'asterisk') {
        // AMD() in the dialplan, then Stasis again with its verdict (asterisk-configs/README.md).
        c.phase = 'amd';
        c.inDialplan = true;
        this.ari.client.channels
          .continueInDialplan({ channelId: id, context: this.o.amdContext ?? 'minibot-outbound', extension: 's', priority: 1 })
          .catch((err) => {
            this.log.warn({ callId: id, err: ariErrorMessage(err) }, 'could not run AMD in the dialplan: media without it');
            c.inDialplan = false;
            c.asteriskAmd = { status: 'SKIPPED', cause: 'continue-failed' };
            void this.setupMedia(c);
          });
        return;
      }
    } else {
      // Back from AMD(): args = [AMDSTATUS, AMDCAUSE].
      c.inDialplan = false;
      c.asteriskAmd = { status: e.args?.[0] ?? 'NOTSURE', cause: e.args?.[1] ?? '' };
      c.metrics.asteriskAmd = c.asteriskAmd;
      this.maybeSendAmd(c, null);
    }
    void this.setupMedia(c);
  }

  private onStasisEnd(e: AriEvent): void {
    const id = e.channel?.id;
    if (!id) return;
    const c = this.calls.get(id);
    if (c) {
      if (c.inDialplan) return; // left for AMD() on purpose
      // The channel left our app: it is hanging up. ChannelDestroyed brings the cause; do not wait for it long.
      this.later(c, 1500, () => this.teardown(c, c.answered ? 'normal' : ringCause(c.hangupCause, c.dialStatus), 'StasisEnd'));
      return;
    }
  }

  private onChannelDestroyed(e: AriEvent): void {
    const id = e.channel?.id;
    if (!id) return;
    const c = this.calls.get(id);
    if (c) {
      const cause = e.cause ?? c.hangupCause;
      const ours: HangupCause = c.answered ? 'normal' : ringCause(cause ?? null, c.dialStatus);
      void this.teardown(c, ours, `cause ${cause ?? '?'} ${e.cause_txt ?? ''}${c.dialStatus ? ` dial ${c.dialStatus}` : ''}`.trim());
      return;
    }
    const m = this.byMediaId.get(id);
    if (m && m.phase !== 'ending') {
      this.log.warn({ callId: m.id }, 'media channel gone while the call is up: hanging up');
      void this.teardown(m, 'media_lost', 'externalMedia channel destroyed', true);
    }
  }

  // ------------------------------------------------------------------------------------------ media

  private async setupMedia(c: AstCall): Promise<void> {
    if (c.mediaSetup || c.phase === 'ending') return;
    c.mediaSetup = true;
    c.phase = 'up';
    const { transportData } = this.media.expectCall(c.id);
    const client = this.ari.client;
    try {
      await client.bridges.create({ type: 'mixing', bridgeId: c.bridgeId, name: c.id });
      await client.channels.externalMedia({
        app: this.o.ari.app,
        channelId: c.mediaId,
        external_host: 'minibot-media', // the websocket_client.conf connection
        transport: 'websocket',
        encapsulation: 'none',
        connection_type: 'client',
        format: 'slin',
        transport_data: transportData,
      });
      await withTimeout(c.mediaInStasis.promise, 5000, 'externalMedia channel did not enter Stasis');
      await client.bridges.addChannel({ bridgeId: c.bridgeId, channel: [c.id, c.mediaId] });
      if (c.record) {
        c.recordingName = `minibot-${c.id}`;
        await client.bridges.record({ bridgeId: c.bridgeId, name: c.recordingName, format: 'wav', ifExists: 'overwrite', beep: false, terminateOn: 'none' });
        this.log.debug({ callId: c.id, recording: c.recordingName }, 'recording started');
      }
    } catch (err) {
      if ((c.phase as AstCall['phase']) === 'ending') return; // the callee hung up meanwhile
      this.log.error({ callId: c.id, err: ariErrorMessage(err) }, 'media setup failed: hanging up');
      await this.teardown(c, 'media_lost', `media setup failed: ${ariErrorMessage(err)}`, true);
    }
  }

  private onMediaStarted(callId: string): void {
    const c = this.calls.get(callId);
    if (!c) return;
    c.mediaReady = true;
    c.metrics.mediaAt = Date.now();
    for (const w of c.mediaWaiters) w.resolve();
    c.mediaWaiters = [];
    if (this.o.amdMode === 'asterisk' && c.asteriskAmd && ['HUMAN', 'MACHINE'].includes(c.asteriskAmd.status)) {
      // Asterisk already listened to the greeting: speak at once.
      c.streamAmd = new StreamAmd(c.metrics.mediaAt, this.o.amd);
      if (c.asteriskAmd.status === 'MACHINE') c.streamAmd.markMachine(c.metrics.mediaAt);
      this.openGate(c, 'asterisk-amd');
    } else {
      // Stream AMD from the answer (the greeting starts then).
      c.streamAmd = new StreamAmd(this.o.amdMode === 'asterisk' ? c.metrics.mediaAt : c.metrics.answeredAt ?? c.metrics.mediaAt, this.o.amd);
      if (this.o.amdMode === 'asterisk') this.openGate(c, 'asterisk-amd');
    }
  }

  private onMediaFrame(callId: string, f: MediaFrame): void {
    const c = this.calls.get(callId);
    const amd = c?.streamAmd;
    if (!c || !amd) return;
    const v = amd.push(f);
    if (v) this.onStreamVerdict(c, v);
    if (!c.gateOpen && amd.gate) this.openGate(c, amd.gate.reason);
    if (c.verdict === 'machine' && c.queue.length && amd.voicemailGate !== null) this.drain(c);
  }

  private onStreamVerdict(c: AstCall, v: StreamVerdict | null): void {
    if (!v) return;
    this.log.debug({ callId: c.id, stream: { status: v.status, cause: v.cause, afterMs: v.afterMs } }, 'stream AMD verdict');
    this.maybeSendAmd(c, v);
  }

  private maybeSendAmd(c: AstCall, stream: StreamVerdict | null): void {
    if (c.amdSent || this.o.amdMode === 'off') return;
    const h = combineAmd(this.o.amdMode === 'asterisk' ? c.asteriskAmd ?? { status: 'NOTSURE', cause: '' } : null, stream ?? c.streamAmd?.verdict ?? null);
    if (!h) return;
    c.amdSent = true;
    c.verdict = h.verdict;
    const decidedAt = Date.now();
    const evidence = c.streamAmd?.evidence() ?? null;
    c.metrics.amd = { verdict: h.verdict, cause: h.cause, source: h.source, decidedAt, evidence };
    if (h.verdict === 'machine') c.streamAmd?.markMachine(c.streamAmd.verdict?.at ?? decidedAt);
    this.log.info({ callId: c.id, verdict: h.verdict, cause: h.cause, evidence, afterAnswerMs: c.metrics.answeredAt ? decidedAt - c.metrics.answeredAt : null }, 'AMD');
    this.emit('amdResult', c.id, () => this.o.sink.amdResult(c.id, { verdict: h.verdict, cause: h.cause, decidedAt }));
  }

  private openGate(c: AstCall, reason: string): void {
    if (c.gateOpen) return;
    c.gateOpen = true;
    c.metrics.gateReason = reason;
    this.drain(c);
  }

  /** Starts the queued prompts that may start now. */
  private drain(c: AstCall): void {
    if (!c.gateOpen || !c.mediaReady || c.phase === 'ending') return;
    if (c.verdict === 'machine' && c.streamAmd && c.streamAmd.voicemailGate === null) return; // wait for the beep
    const q = c.queue.splice(0);
    for (const p of q) void this.startPrompt(c, p);
  }

  private async startPrompt(c: AstCall, p: QueuedPrompt): Promise<void> {
    try {
      this.media.setTurn(c.id, p.req.turn);
      if (p.req.minSpeechMs > 0) this.media.setBargeIn(c.id, { minSpeechMs: p.req.minSpeechMs });
      await this.media.play(c.id, { promptId: p.req.promptId, turn: p.req.turn, wavPath: p.wavPath, bargeIn: p.req.bargeIn });
      c.metrics.firstPromptAt ??= Date.now();
    } catch (err) {
      this.log.warn({ callId: c.id, promptId: p.req.promptId, err: (err as Error).message }, 'prompt could not start');
      this.emit('playbackFinished', c.id, () =>
        this.o.sink.playbackFinished(c.id, { promptId: p.req.promptId, turn: p.req.turn, interrupted: true, playedMs: 0 }),
      );
    }
  }

  private waitMedia(c: AstCall): Promise<void> {
    if (c.mediaReady) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = { resolve, reject };
      c.mediaWaiters.push(w);
      this.later(c, this.o.mediaWaitMs ?? 9000, () => {
        c.mediaWaiters = c.mediaWaiters.filter((x) => x !== w);
        reject(new Error(`call ${c.id}: no media connection within ${this.o.mediaWaitMs ?? 9000} ms`));
      });
    });
  }

  /** Media server events go to the workflow, except its own end of call: the adapter reports hang-ups. */
  private mediaSink(): CallEventSink {
    const s = this.o.sink;
    return {
      answered: async () => undefined,
      amdResult: async () => undefined,
      dtmf: async () => undefined, // ARI's ChannelDtmfReceived reports DTMF (once)
      speechStarted: (id, e) => s.speechStarted(id, e),
      utterance: (id, e) => s.utterance(id, e),
      playbackFinished: (id, e) => s.playbackFinished(id, e),
      hungUp: async (id, e) => {
        const c = this.calls.get(id);
        if (c && c.phase !== 'ending' && !c.byUs) {
          this.log.warn({ callId: id, detail: e.detail }, 'media connection closed while the call is up: hanging up');
          await this.teardown(c, 'media_lost', e.detail ?? 'media closed', true);
        }
      },
    };
  }

  // ------------------------------------------------------------------------------------------ port

  async play(req: PlayRequest): Promise<void> {
    const c = this.calls.get(req.callId);
    if (!c || c.phase === 'ending') {
      if (this.ended.has(req.callId)) return; // the call just ended: its hungUp event is on its way
      throw new Error(`call ${req.callId} is not held by this worker`);
    }
    if (c.prompts.has(req.promptId)) return; // idempotent per promptId
    c.prompts.add(req.promptId);
    await this.waitMedia(c);
    const p: QueuedPrompt = { req, wavPath: resolve(this.o.audioDir, `${req.prompt}.wav`) };
    c.queue.push(p);
    this.drain(c);
  }

  async stopPlayback(callId: string): Promise<{ playedMs: number } | null> {
    const c = this.calls.get(callId);
    if (!c) return null;
    const queued = c.queue.splice(0);
    for (const p of queued) {
      this.emit('playbackFinished', c.id, () =>
        this.o.sink.playbackFinished(c.id, { promptId: p.req.promptId, turn: p.req.turn, interrupted: true, playedMs: 0 }),
      );
    }
    if (!c.mediaReady || !this.media.hasCall(callId)) return queued.length ? { playedMs: 0 } : null;
    const r = await this.media.stopPlayback(callId);
    return r ?? (queued.length ? { playedMs: 0 } : null);
  }

  async hangup(callId: string): Promise<void> {
    const c = this.calls.get(callId);
    if (!c) return; // gone already (idempotent)
    c.byUs = true;
    await this.teardown(c, 'normal', 'hung up by the bot', false);
  }

  // ------------------------------------------------------------------------------------------ teardown

  /**
   * Ends a call on every path, once: hangs up what is left in Asterisk (call channel, media channel, bridge),
   * closes the media session and reports `hungUp` unless we hung up ourselves.
   */
  private async teardown(c: AstCall, cause: HangupCause, detail: string, hangupCall = true): Promise<void> {
    if (c.phase === 'ending') return;
    c.phase = 'ending';
    for (const t of c.timers) clearTimeout(t);
    c.timers.clear();
    for (const w of c.mediaWaiters) w.reject(new Error(`call ${c.id} ended`));
    c.mediaWaiters = [];
    c.queue = [];
    c.metrics.endedAt = Date.now();
    c.metrics.endCause = c.byUs ? 'bot' : `${cause} (${detail})`;
    this.calls.delete(c.id);
    this.ended.set(c.id, Date.now());
    if (this.ended.size > 20_000) for (const k of [...this.ended.keys()].slice(0, 5_000)) this.ended.delete(k);
    if (!c.byUs) {
      this.emit('hungUp', c.id, () => this.o.sink.hungUp(c.id, { cause, at: c.metrics.endedAt!, detail }));
    }
    await this.media.hangup(c.id).catch(() => undefined);
    const client = this.ari.client;
    const quiet = (what: string) => (err: unknown) => {
      if (!isNotFound(err)) this.log.warn({ callId: c.id, err: ariErrorMessage(err) }, `teardown: ${what} failed`);
    };
    if (c.recordingName) {
      // Stop the recording ourselves before the bridge goes: when a short call's bridge is destroyed at once,
      // Asterisk's RecordingFinished may never reach the app (seen with calls hung up ~4 s after answer).
      await client.recordings.stop({ recordingName: c.recordingName }).catch(quiet('stop recording'));
    }
    const jobs: Promise<unknown>[] = [];
    if (hangupCall || c.byUs) jobs.push(client.channels.hangup({ channelId: c.id }).catch(quiet('hangup call channel')));
    if (c.mediaSetup) {
      jobs.push(client.channels.hangup({ channelId: c.mediaId }).catch(quiet('hangup media channel')));
      jobs.push(client.bridges.destroy({ bridgeId: c.bridgeId }).catch(quiet('destroy bridge')));
    }
    await Promise.all(jobs);
    // Keep the media channel id mapped a little: its ChannelDestroyed comes after.
    setTimeout(() => this.byMediaId.delete(c.mediaId), 10_000).unref();
    if (c.recordingName) {
      // The recording was stopped above: fetch it now (RecordingFinished, if it comes, finds it saved).
      this.pendingRecordings.set(c.id, c.metrics);
      void this.saveRecording(c.id, c.recordingName);
    } else this.keep(c.metrics);
    this.log.info({ callId: c.id, cause: c.metrics.endCause }, 'call ended');
  }

  private forget(c: AstCall): void {
    for (const t of c.timers) clearTimeout(t);
    this.calls.delete(c.id);
    this.byMediaId.delete(c.mediaId);
  }

  private keep(m: CallMetrics): void {
    this.finished.push(m);
    if (this.finished.length > 1000) this.finished.splice(0, this.finished.length - 1000);
  }

  // ------------------------------------------------------------------------------------------ recordings

  private pendingRecordings = new Map<string, CallMetrics>();

  private async onRecordingFinished(e: AriEvent): Promise<void> {
    const name = e.recording?.name;
    if (!name?.startsWith('minibot-') || !this.o.recording) return;
    await this.saveRecording(name.slice('minibot-'.length), name);
  }

  private readonly savingRecordings = new Set<string>();

  /** Fetches a finished recording into RECORDINGS_DIR and records its path (once per recording). */
  private async saveRecording(callId: string, name: string): Promise<void> {
    if (!this.o.recording || this.savingRecordings.has(name)) return;
    this.savingRecordings.add(name);
    const metrics = this.calls.get(callId)?.metrics ?? this.pendingRecordings.get(callId);
    const day = new Date().toISOString().slice(0, 10);
    const path = join(this.o.recording.dir, day, `${callId}.wav`);
    try {
      const wav = await this.ari.storedRecording(name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, wav);
      await this.ari.client.recordings.deleteStored({ recordingName: name }).catch(() => undefined);
      if (metrics) metrics.recordingPath = path;
      await this.o.recording.onSaved?.(callId, path);
      this.log.info({ callId, path, bytes: wav.length }, 'recording saved');
    } catch (err) {
      this.log.error({ callId, err: (err as Error).message }, 'could not save the recording');
    } finally {
      if (metrics && this.pendingRecordings.delete(callId)) this.keep(metrics);
      setTimeout(() => this.savingRecordings.delete(name), 60_000).unref();
    }
  }

  // ------------------------------------------------------------------------------------------ reconnect

  /** After the ARI websocket came back: calls whose channel vanished meanwhile are ended and reported. */
  async reconcile(): Promise<void> {
    let live: Set<string>;
    try {
      live = new Set((await this.ari.client.channels.list()).map((ch) => ch.id));
    } catch (err) {
      this.log.warn({ err: ariErrorMessage(err) }, 'reconcile: could not list channels');
      return;
    }
    for (const c of [...this.calls.values()]) {
      if (!live.has(c.id)) await this.teardown(c, c.answered ? 'normal' : 'failed', 'channel gone while ARI was disconnected', false);
    }
  }

  // ------------------------------------------------------------------------------------------ helpers

  private later(c: AstCall, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      c.timers.delete(t);
      fn();
    }, ms);
    c.timers.add(t);
  }

  private emit(what: string, callId: string, fn: () => Promise<void>): void {
    fn().catch((err) => this.log.warn({ callId, err: (err as Error).message }, `could not deliver ${what}`));
  }
}
