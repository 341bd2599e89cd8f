// Media bridging: once the call is answered, a mixing bridge (id <call>-b: an id shared with a channel breaks
// the app's event subscription to the bridge, and with it the recording events) joins the call channel and an
// externalMedia channel (chan_websocket, slin, transport_data = the media server's per-call token), with an
// optional bridge recording. The media server's own events go to the workflow, except its end of call: a
// media connection that closes while the call is up ends the call (media_lost).
import type { CallEventSink } from '../../lib/call-events';
import { AriError } from '../asterisk-ari';
import { later, transition, type AstCall } from './call';
import type { AdapterContext } from './context';
import * as gate from './amd-gate';
import { withTimeout } from '../../lib/timeout';
import { keyPressed } from './dtmf';

export async function setupMedia(ctx: AdapterContext, c: AstCall): Promise<void> {
  if (c.mediaSetup || c.phase === 'ending') return;
  c.mediaSetup = true;
  transition(c, 'up');
  const { ari, media, o, log } = ctx;
  const { transportData } = media.expectCall(c.id);
  try {
    await ari.bridges.create({ type: 'mixing', bridgeId: c.bridgeId, name: c.id });
    await ari.channels.externalMedia({
      app: o.ari.app,
      channelId: c.mediaId,
      // The websocket_client.conf connection to this worker's media server (one per media worker on an Asterisk).
      external_host: o.mediaConnection ?? 'minibot-media',
      transport: 'websocket',
      encapsulation: 'none',
      connection_type: 'client',
      format: 'slin',
      transport_data: transportData,
    });
    await withTimeout(c.mediaInStasis.promise, 5000, 'externalMedia channel entering Stasis');
    await ari.bridges.addChannel(c.bridgeId, [c.id, c.mediaId]);
    if (c.record) {
      c.recordingName = `minibot-${c.id}`;
      await ari.bridges.record({ bridgeId: c.bridgeId, name: c.recordingName, format: 'wav', ifExists: 'overwrite', beep: false, terminateOn: 'none' });
      log.debug({ callId: c.id, recording: c.recordingName }, 'recording started');
    }
  } catch (err) {
    if ((c.phase as AstCall['phase']) === 'ending') return; // the callee hung up meanwhile
    const detail = err instanceof AriError ? err.message : (err as Error).message;
    log.error({ callId: c.id, err: detail }, 'media setup failed: hanging up');
    await ctx.teardown(c, 'media_lost', `media setup failed: ${detail}`, true);
  }
}

/** The media server has the call's websocket: play() may go on, and the AMD gate starts listening. */
export function onMediaStarted(ctx: AdapterContext, c: AstCall): void {
  c.mediaReady = true;
  for (const w of c.mediaWaiters) w.resolve();
  c.mediaWaiters = [];
  gate.onMediaStarted(ctx, c, Date.now());
}

/** Resolves when the call's media connection is up; rejects after mediaWaitMs (or when the call ends). */
export function waitMedia(ctx: AdapterContext, c: AstCall): Promise<void> {
  if (c.mediaReady) return Promise.resolve();
  const ms = ctx.o.mediaWaitMs ?? 9000;
  return new Promise((resolve, reject) => {
    const w = { resolve, reject };
    c.mediaWaiters.push(w);
    later(c, ms, () => {
      c.mediaWaiters = c.mediaWaiters.filter((x) => x !== w);
      reject(new Error(`call ${c.id}: no media connection within ${ms} ms`));
    });
  });
}

/** Media server events go to the workflow, except its own end of call: the adapter reports hang-ups. */
export function mediaSink(ctx: AdapterContext): CallEventSink {
  const s = ctx.o.sink;
  return {
    answered: async () => undefined,
    amdResult: async () => undefined,
    // chan_websocket's DTMF_END: merged with ARI's ChannelDtmfReceived for the same press (asterisk/dtmf.ts).
    dtmf: async (id, e) => {
      const c = ctx.calls.get(id);
      if (c) keyPressed(ctx, c, 'media', e.digit);
    },
    speechStarted: (id, e) => s.speechStarted(id, e),
    utterance: (id, e) => s.utterance(id, e),
    playbackFinished: (id, e) => s.playbackFinished(id, e),
    hungUp: async (id, e) => {
      const c = ctx.calls.get(id);
      // After a transfer the bot left the call on purpose: its media connection closing is no loss.
      if (c && c.phase !== 'ending' && !c.byUs && !c.agent?.bridged) {
        ctx.log.warn({ callId: id, detail: e.detail }, 'media connection closed while the call is up: hanging up');
        await ctx.teardown(c, 'media_lost', e.detail ?? 'media closed', true);
      }
    },
  };
}
