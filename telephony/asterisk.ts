// The Asterisk 22 backend of the TelephonyPort: ARI (telephony/asterisk-ari.ts, the only user of ari-client)
// for call control, chan_websocket + our media server (media/) for the audio, and the hybrid AMD (media/amd.ts).
// This file wires the parts of telephony/asterisk/ and holds the port's operations:
//   originate  POST /channels  endpoint from the dial plan (asterisk/dial-plan.ts), app=<ARI_APP>, appArgs=dial,
//              channelId=<call workflow id>, timeout, callerId, variables (MINIBOT_CALL_ID). Channels originated
//              with app= stay reported to us until ChannelDestroyed, so busy / no answer / congestion come back
//              with their cause (and the Dial event's dialstatus).
//   events     the call state machine (asterisk/ari-events.ts, asterisk/call.ts)
//   media      bridge + externalMedia + optional recording (asterisk/media-bridge.ts)
//   prompts    play/stopPlayback go to the media server (prompt WAVs from AUDIO_DIR), held by the AMD gate
//              (asterisk/amd-gate.ts) until the callee's greeting ends
//   hangup     every path ends in asterisk/teardown.ts; the workflow hears `hungUp` only when the far end or the
//              network ended the call (as with the simulated backend)
//   transfer   a live transfer to an agent on the call's bridge (asterisk/transfer.ts)
//   reconnect  after an ARI reconnection, asterisk/reconcile.ts
//   several    several workers on one Asterisk: each its own Stasis app (ARI_APP) and media connection
//              (ASTERISK_MEDIA_CONNECTION); `site` names the Asterisk they share, `release` ends a call another
//              of them lost with its process (channel ids are the call's, so any of them can).
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { HangupCause } from '../lib/call-events';
import { logger } from '../runtime/logger';
import { MediaServer } from '../media/server';
import { AriConflict, AriConnection, AriNotFound, type AriHealth } from './asterisk-ari';
import { CallRegistry, newCall, type AstCall, type CallMetrics, type QueuedPrompt } from './asterisk/call';
import type { AdapterContext, AsteriskTelephonyOptions } from './asterisk/context';
import { CHANNEL_ID, maskEndpoint } from './asterisk/dial-plan';
import * as gate from './asterisk/amd-gate';
import { mediaSink, onMediaStarted, waitMedia } from './asterisk/media-bridge';
import { subscribe } from './asterisk/ari-events';
import { teardown } from './asterisk/teardown';
import { RecordingStore } from './asterisk/recording-store';
import { reconcile } from './asterisk/reconcile';
import type { OriginateRequest, PlayRequest, TelephonyPort, TransferRequest, TransferResult } from './port';
import { promptWavPath } from '../services/scenarios';
import { startTransfer } from './asterisk/transfer';

export type { AmdMode, AsteriskTelephonyOptions } from './asterisk/context';
export type { CallMetrics } from './asterisk/call';
export { agentDialPlan, dialPlan, ringCause } from './asterisk/dial-plan';

export class AsteriskTelephony implements TelephonyPort {
  readonly media: MediaServer;
  readonly ari: AriConnection;
  private readonly calls = new CallRegistry();
  private readonly recordings: RecordingStore;
  private readonly ctx: AdapterContext;
  private readonly log: Logger;
  private tickTimer: NodeJS.Timeout | null = null;

  constructor(private readonly o: AsteriskTelephonyOptions) {
    this.log = o.log ?? logger('asterisk');
    this.ari = new AriConnection(o.ari, this.log.child({ part: 'ari' }));
    const log = this.log;
    const ctx: AdapterContext = {
      o, ari: this.ari, calls: this.calls, log,
      // The media server is built below from this context's sink; the parts reach it through here.
      get media() {
        return media;
      },
      report: (what, callId, fn) => {
        fn().catch((err) => log.warn({ callId, err: (err as Error).message }, `could not deliver ${what}`));
      },
      teardown: (c: AstCall, cause: HangupCause, detail: string, hangupCall = true) => teardown(ctx, this.recordings, c, cause, detail, hangupCall),
    };
    const media: MediaServer = new MediaServer({
      ...o.media,
      sink: mediaSink(ctx),
      observer: {
        started: (callId) => {
          const c = this.calls.get(callId);
          if (c) onMediaStarted(ctx, c);
        },
        frame: (callId, f) => {
          const c = this.calls.get(callId);
          if (c) gate.onMediaFrame(ctx, c, f);
        },
      },
    });
    this.media = media;
    this.ctx = ctx;
    this.recordings = new RecordingStore(ctx);
  }

  async start(): Promise<void> {
    await this.media.start();
    subscribe(this.ctx);
    this.ari.on('RecordingFinished', (e) => void this.recordings.onRecordingFinished(e));
    this.ari.on('RecordingFailed', (e) => this.log.warn({ recording: e.recording }, 'recording failed'));
    this.ari.on('reconnected', () => void this.reconcile());
    // Another process registered our Stasis app name: Asterisk now sends it our calls' events.
    this.ari.on('ApplicationReplaced', () =>
      this.log.error({ app: this.o.ari.app }, 'another process connected to Asterisk with the same ARI_APP: it now gets this worker\'s call events; give each media worker its own ARI_APP'));
    this.ari.on('health', (h: AriHealth) => this.log.info({ ari: h }, 'ARI health'));
    await this.ari.connect();
    this.tickTimer = setInterval(() => gate.tick(this.ctx, Date.now()), 250);
    this.tickTimer.unref();
    this.log.info({ ari: this.o.ari.url, app: this.o.ari.app, amdMode: this.o.amdMode }, 'Asterisk telephony ready');
  }

  async stop(): Promise<void> {
    if (this.tickTimer) clearInterval(this.tickTimer);
    for (const c of this.calls.all()) await this.hangup(c.id).catch(() => undefined);
    this.ari.close();
    await this.media.stop();
  }

  /** ARI connection state, calls held, and how many times the ARI websocket came back after a loss. */
  health(): { ari: AriHealth; activeCalls: number; reconnections: number } {
    return { ari: this.ari.health, activeCalls: this.calls.size, reconnections: this.ari.reconnections };
  }

  /** Metrics of the calls that ended (most recent last; bounded). */
  metrics(): CallMetrics[] {
    return this.calls.metrics();
  }

  activeCalls(): string[] {
    return this.calls.ids();
  }

  /** See asterisk/reconcile.ts (runs by itself after every ARI reconnection). */
  reconcile(): Promise<{ ended: number; removed: number }> {
    return reconcile(this.ctx);
  }

  // ------------------------------------------------------------------------------------------ port

  /** The Asterisk this worker uses, as its workers share it: from ARI_URL (the same spelling on each of them). */
  get site(): string {
    const u = new URL(this.o.ari.url);
    return `${u.hostname}-${u.port || (u.protocol === 'https:' ? '443' : '80')}`.replace(/[^A-Za-z0-9_-]/g, '_');
  }

  /**
   * Ends what is left in Asterisk of a call another worker of this Asterisk held and lost with its process:
   * its Stasis app is gone, so the line may still be up (the callee hearing silence) and its bridge stays.
   * Idempotent; a call this worker holds itself is left alone.
   */
  async release(callId: string): Promise<void> {
    if (this.calls.has(callId) || !CHANNEL_ID.test(callId)) return;
    const gone = (err: unknown) => {
      if (!(err instanceof AriNotFound || err instanceof AriConflict)) throw err;
    };
    await this.ari.recordings.stop(`minibot-${callId}`).catch(gone);
    await Promise.all([this.ari.channels.hangup(callId).catch(gone), this.ari.channels.hangup(`${callId}-m`).catch(gone)]);
    await this.ari.bridges.destroy(`${callId}-b`).catch(gone);
    this.log.info({ callId }, 'released a call lost with its worker');
  }

  async originate(req: OriginateRequest): Promise<void> {
    if (this.calls.has(req.callId) || this.calls.hasEnded(req.callId)) return; // idempotent (activity retries)
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
    const c = newCall(req.callId, record, Date.now());
    this.calls.add(c);
    const params: Parameters<AriConnection['channels']['originate']>[0] = {
      endpoint,
      app: this.o.ari.app,
      appArgs: 'dial',
      channelId: c.id,
      // Asterisk gives up ringing a second before the workflow does, so the line's own cause is what is recorded.
      timeout: Math.max(1, Math.floor((req.ringTimeoutMs - 1000) / 1000)),
      // MINIBOT_APP: the dialplan's Stasis() (AMD_MODE=asterisk) hands the call back to this worker's app.
      variables: { MINIBOT_CALL_ID: c.id, MINIBOT_APP: this.o.ari.app },
    };
    if (endpoint.startsWith('Local/')) params.otherChannelId = `${c.id}-c`;
    const callerId = req.callerId ?? this.o.callerId;
    if (callerId) params.callerId = callerId;
    try {
      await this.ari.channels.originate(params);
      c.createdAt = Date.now();
      this.log.info({ callId: c.id, endpoint: maskEndpoint(endpoint), record }, 'originated');
    } catch (err) {
      if (err instanceof AriConflict) {
        // A retry of an originate that reached Asterisk (the channel id is taken): the channel exists.
        c.createdAt = Date.now();
        return;
      }
      this.calls.forget(c);
      throw new Error(`originate ${c.id}: ${(err as Error).message}`);
    }
  }

  async play(req: PlayRequest): Promise<void> {
    const c = this.calls.get(req.callId);
    if (!c || c.phase === 'ending') {
      if (this.calls.hasEnded(req.callId)) return; // the call just ended: its hungUp event is on its way
      throw new Error(`call ${req.callId} is not held by this worker`);
    }
    if (c.prompts.has(req.promptId)) return; // idempotent per promptId
    c.prompts.add(req.promptId);
    await waitMedia(this.ctx, c);
    const p: QueuedPrompt = { req, wavPath: promptWavPath({ AUDIO_DIR: this.o.audioDir, SCENARIOS_DIR: this.o.scenariosDir }, req.scenario, req.prompt) };
    c.queue.push(p);
    gate.drain(this.ctx, c);
  }

  async stopPlayback(callId: string): Promise<{ playedMs: number } | null> {
    const c = this.calls.get(callId);
    if (!c) return null;
    const queued = c.queue.splice(0);
    for (const p of queued) {
      this.ctx.report('playbackFinished', c.id, () =>
        this.o.sink.playbackFinished(c.id, { promptId: p.req.promptId, turn: p.req.turn, interrupted: true, playedMs: 0 }),
      );
    }
    if (!c.mediaReady || !this.media.hasCall(callId)) return queued.length ? { playedMs: 0 } : null;
    const r = await this.media.stopPlayback(callId);
    return r ?? (queued.length ? { playedMs: 0 } : null);
  }

  async transfer(req: TransferRequest): Promise<TransferResult> {
    const c = this.calls.get(req.callId);
    if (!c || c.phase === 'ending') return { answered: false, agentLeg: req.agent, startedAt: Date.now(), answeredAt: null, cause: 'callee_gone' };
    return startTransfer(this.ctx, c, req);
  }

  async hangup(callId: string): Promise<void> {
    const c = this.calls.get(callId);
    if (!c) return; // gone already (idempotent)
    c.byUs = true;
    await this.ctx.teardown(c, 'normal', 'hung up by the bot', false);
  }
}
