// Key presses reach the adapter twice: ARI's ChannelDtmfReceived on the call channel, and chan_websocket's
// DTMF_END on the media connection (the bridge passes the callee's DTMF to the externalMedia channel). Either
// path alone may miss one (ARI reconnecting, the media connection not up yet), so both are listened to and the
// workflow hears each press once: per digit, the n-th press goes out when the first path reports it, and the
// other path's n-th report of that digit is the same press. Counting instead of a time window: two quick
// presses of the same key stay two presses, and a late duplicate is never taken for a new key.
import type { AstCall } from './call';
import type { AdapterContext } from './context';

export function keyPressed(ctx: AdapterContext, c: AstCall, path: 'ari' | 'media', digit: string): void {
  const seen = (c.keys[path].get(digit) ?? 0) + 1;
  c.keys[path].set(digit, seen);
  c.metrics.dtmf[path]++;
  const sent = c.keys.sent.get(digit) ?? 0;
  if (seen <= sent) return; // the other path reported this press already
  c.keys.sent.set(digit, seen);
  c.metrics.dtmf.delivered++;
  ctx.report('dtmf', c.id, () => ctx.o.sink.dtmf(c.id, { digit, at: Date.now() }));
}
