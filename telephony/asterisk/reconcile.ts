// After the ARI events websocket came back (Asterisk restarted, or the connection dropped): what happened
// while we could not hear it. Calls whose channel vanished are ended and reported: an answered call cut this
// way lost its media (the line did not end normally as far as we know), an unanswered one failed. Channels
// and bridges left behind by calls that ended meanwhile (their teardown could not reach Asterisk) are removed.
import { AriNotFound } from '../asterisk-ari';
import type { AdapterContext } from './context';

/** The call id a channel or bridge of ours belongs to: <call>, <call>-m (media), <call>-c (Local callee half),
 * <call>-b (bridge), <call>-a / <call>-d (a transfer's agent leg and its Local other half). */
export function ownerOf(id: string): string {
  return id.replace(/-[mcbad]$/, '');
}

export async function reconcile(ctx: AdapterContext): Promise<{ ended: number; removed: number }> {
  const { ari, calls, log } = ctx;
  let channels: { id: string }[];
  let bridges: { id: string }[];
  try {
    [channels, bridges] = await Promise.all([ari.channels.list(), ari.bridges.list()]);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'reconcile: could not list channels and bridges');
    return { ended: 0, removed: 0 };
  }
  const live = new Set(channels.map((ch) => ch.id));
  let ended = 0;
  for (const c of calls.all()) {
    if (live.has(c.id)) continue;
    ended++;
    await ctx.teardown(c, c.answered ? 'media_lost' : 'failed', 'channel gone while ARI was disconnected', false);
  }
  let removed = 0;
  const gone = (err: unknown) => {
    if (!(err instanceof AriNotFound)) log.warn({ err: (err as Error).message }, 'reconcile: could not remove a leftover');
  };
  for (const ch of channels) {
    if (!calls.hasEnded(ownerOf(ch.id)) || calls.has(ownerOf(ch.id))) continue;
    removed++;
    await ari.channels.hangup(ch.id).catch(gone);
  }
  for (const b of bridges) {
    if (!b.id.endsWith('-b') || !calls.hasEnded(ownerOf(b.id)) || calls.has(ownerOf(b.id))) continue;
    removed++;
    await ari.bridges.destroy(b.id).catch(gone);
  }
  if (ended || removed) log.info({ ended, removed }, 'reconciled after the ARI reconnection');
  return { ended, removed };
}
