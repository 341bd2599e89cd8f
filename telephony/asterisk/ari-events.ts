// The call state machine driven by ARI events (see call.ts for the phases):
//   StasisStart (call channel, first)  answered → AMD_MODE=asterisk: continue in [minibot-outbound] where AMD()
//                                      runs; otherwise media at once
//   StasisStart (call channel, again)  back from AMD() with args [AMDSTATUS, AMDCAUSE] → verdict, media
//   StasisStart (media channel)        the externalMedia channel can be bridged
//   StasisEnd / ChannelDestroyed       the call ends, with the line's cause for an unanswered call
//   ChannelHangupRequest / Dial        the Q.850 cause and the Dial status, for that cause
//   ChannelDtmfReceived                dtmf to the workflow (merged with chan_websocket's DTMF_END: dtmf.ts)
//   StasisStart / ChannelDestroyed of <call>-a   a transfer's agent leg (transfer.ts)
import type { HangupCause } from '../../lib/call-events';
import { AriNotFound, type AriEvent } from '../asterisk-ari';
import { later, transition, type AstCall } from './call';
import type { AdapterContext } from './context';
import { ringCause } from './dial-plan';
import { maybeSendAmd } from './amd-gate';
import { setupMedia } from './media-bridge';
import { keyPressed } from './dtmf';
import { onAgentAnswered, onAgentGone } from './transfer';

/** AST_SOFTHANGUP_SHUTDOWN (include/asterisk/channel.h): the soft hang-up of every channel when Asterisk stops. */
const AST_SOFTHANGUP_SHUTDOWN = 1 << 2;

/** How an ended call is reported: the callee's or the line's cause, or media_lost when Asterisk cut it. */
function endCause(c: AstCall, cause: number | null): HangupCause {
  if (c.systemShutdown) return c.answered ? 'media_lost' : 'failed';
  return c.answered ? 'normal' : ringCause(cause, c.dialStatus);
}

export function subscribe(ctx: AdapterContext): void {
  const { ari, calls, log, o } = ctx;
  ari.on('StasisStart', (e: AriEvent) => onStasisStart(ctx, e));
  ari.on('StasisEnd', (e: AriEvent) => onStasisEnd(ctx, e));
  ari.on('ChannelDestroyed', (e: AriEvent) => onChannelDestroyed(ctx, e));
  ari.on('ChannelHangupRequest', (e: AriEvent) => {
    const c = e.channel && calls.get(e.channel.id);
    if (!c || e.cause === undefined) return;
    // A soft hang-up carries Asterisk's reason flags, not a Q.850 cause; SHUTDOWN: Asterisk is stopping.
    if (e.soft) c.systemShutdown ||= (e.cause & AST_SOFTHANGUP_SHUTDOWN) !== 0;
    else c.hangupCause ??= e.cause;
  });
  ari.on('Dial', (e: AriEvent) => {
    const c = e.peer && calls.get(e.peer.id);
    if (c && e.dialstatus) c.dialStatus = e.dialstatus;
  });
  ari.on('ChannelStateChange', (e: AriEvent) => {
    if (e.channel && calls.has(e.channel.id)) log.debug({ callId: e.channel.id, state: e.channel.state }, 'channel state');
  });
  ari.on('ChannelDtmfReceived', (e: AriEvent) => {
    const c = e.channel && calls.get(e.channel.id);
    if (c && e.digit) keyPressed(ctx, c, 'ari', e.digit);
  });
}

function onStasisStart(ctx: AdapterContext, e: AriEvent): void {
  const { ari, calls, log, o } = ctx;
  const id = e.channel?.id;
  if (!id) return;
  const m = calls.byMediaId(id);
  if (m) {
    m.mediaInStasis.resolve();
    return;
  }
  if (onAgentAnswered(ctx, id)) return;
  const c = calls.get(id);
  if (!c) return strayCall(ctx, id, e.args);
  if (c.phase === 'ending') return;
  if (!c.answered) {
    c.answered = true;
    c.metrics.answeredAt = Date.now();
    ctx.report('answered', c.id, () => o.sink.answered(c.id, { at: c.metrics.answeredAt! }));
    if (o.amdMode === 'asterisk') {
      // AMD() in the dialplan, then Stasis again with its verdict (asterisk-configs/README.md).
      transition(c, 'amd');
      c.inDialplan = true;
      ari.channels
        .continueInDialplan({ channelId: id, context: o.amdContext ?? 'minibot-outbound', extension: 's', priority: 1 })
        .catch((err: Error) => {
          log.warn({ callId: id, err: err.message }, 'could not run AMD in the dialplan: media without it');
          c.inDialplan = false;
          c.asteriskAmd = { status: 'SKIPPED', cause: 'continue-failed' };
          void setupMedia(ctx, c);
        });
      return;
    }
  } else {
    // Back from AMD(): args = [AMDSTATUS, AMDCAUSE].
    c.inDialplan = false;
    c.asteriskAmd = { status: e.args?.[0] ?? 'NOTSURE', cause: e.args?.[1] ?? '' };
    c.metrics.asteriskAmd = c.asteriskAmd;
    maybeSendAmd(ctx, c, null);
  }
  void setupMedia(ctx, c);
}

/**
 * A channel reached our app as a call (appArgs "dial", or an id of a call that ended) that this worker does not
 * hold: its originate was reported failed (forgotten, the workflow dials again or moves on) or the call ended
 * meanwhile. Nobody would ever hang it up, and the callee would hear silence: hang it up now.
 */
function strayCall(ctx: AdapterContext, id: string, args: string[] | undefined): void {
  if (args?.[0] !== 'dial' && !ctx.calls.hasEnded(id)) return; // not one of our calls (e.g. a Local callee half)
  ctx.log.warn({ callId: id }, 'a call this worker does not hold reached its app: hung up');
  ctx.ari.channels.hangup(id).catch((err: Error) => {
    if (!(err instanceof AriNotFound)) ctx.log.warn({ callId: id, err: err.message }, 'could not hang up a stray call');
  });
}

function onStasisEnd(ctx: AdapterContext, e: AriEvent): void {
  const id = e.channel?.id;
  const c = id ? ctx.calls.get(id) : undefined;
  if (!c || c.inDialplan) return; // not ours, or left for AMD() on purpose
  // The channel left our app: it is hanging up. ChannelDestroyed brings the cause; do not wait for it long.
  later(c, 1500, () => void ctx.teardown(c, endCause(c, c.hangupCause), c.systemShutdown ? 'StasisEnd: Asterisk shutting down' : 'StasisEnd'));
}

function onChannelDestroyed(ctx: AdapterContext, e: AriEvent): void {
  const id = e.channel?.id;
  if (!id) return;
  const c = ctx.calls.get(id);
  if (c) {
    const cause = e.cause ?? c.hangupCause;
    const detail = `cause ${cause ?? '?'} ${e.cause_txt ?? ''}${c.dialStatus ? ` dial ${c.dialStatus}` : ''}${c.systemShutdown ? ' (Asterisk shutting down)' : ''}`;
    void ctx.teardown(c, endCause(c, cause ?? null), detail.replace(/\s+/g, ' ').trim());
    return;
  }
  if (onAgentGone(ctx, id, e.cause ?? null)) return;
  const m = ctx.calls.byMediaId(id);
  // After a transfer the bot's media channel is hung up on purpose.
  if (m && m.phase !== 'ending' && !m.agent?.bridged) {
    ctx.log.warn({ callId: m.id }, 'media channel gone while the call is up: hanging up');
    void ctx.teardown(m, 'media_lost', 'externalMedia channel destroyed', true);
  }
}
