// After the ARI events websocket came back (Asterisk restarted, or the connection dropped): what happened
// while we could not hear it. Calls whose channel vanished are ended and reported: an answered call cut this
// way lost its media (the line did not end normally as far as we know), an unanswered one failed. Channels
// and bridges left behind by calls that ended meanwhile (their teardown could not reach Asterisk) are removed.
// Calls go on being dialed while this runs: a call whose originate was answered after the list was asked for
// may be missing from it only because its channel is newer, so the list says nothing about it (ending it
// would leave its channel up, in our app, held by nobody; seen when a campaign's retries met the reconnect).
import { AriNotFound } from '../asterisk-ari';
import type { AdapterContext } from './context';

/** The call id a channel or bridge of ours belongs to: <call>, <call>-m (media), <call>-c (Local callee half),
 * <call>-b (bridge), <call>-a / <call>-d (a transfer's agent leg and its Local other half). */
export function ownerOf(id: string): string {
  return id.replace(/-[mcbad]$/, '');
}

/** What a reconciliation does, decided from one channel and bridge list (pure, for the tests). */
export interface ReconcilePlan {
  /** Held calls whose channel is gone: ended, and reported. */
  end: string[];
  /** Channels and bridges of calls that ended: removed. */
  hangup: string[];
  destroy: string[];
}

export function reconcilePlan(
  held: { id: string; createdAt: number | null }[],
  ended: (callId: string) => boolean,
  listedAt: number,
  channels: { id: string }[],
  bridges: { id: string }[],
): ReconcilePlan {
  const live = new Set(channels.map((ch) => ch.id));
  const holds = new Set(held.map((c) => c.id));
  const over = (id: string) => ended(ownerOf(id)) && !holds.has(ownerOf(id));
  return {
    end: held.filter((c) => c.createdAt !== null && c.createdAt < listedAt && !live.has(c.id)).map((c) => c.id),
    hangup: channels.filter((ch) => over(ch.id)).map((ch) => ch.id),
    destroy: bridges.filter((b) => b.id.endsWith('-b') && over(b.id)).map((b) => b.id),
  };
}

export async function reconcile(ctx: AdapterContext): Promise<{ ended: number; removed: number }> {
  const { ari, calls, log } = ctx;
  let channels: { id: string }[];
  let bridges: { id: string }[];
  const listedAt = Date.now();
  try {
    [channels, bridges] = await Promise.all([ari.channels.list(), ari.bridges.list()]);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'reconcile: could not list channels and bridges');
    return { ended: 0, removed: 0 };
  }
  const plan = reconcilePlan(calls.all(), (id) => calls.hasEnded(id), listedAt, channels, bridges);
  for (const id of plan.end) {
    const c = calls.get(id);
    if (c) await ctx.teardown(c, c.answered ? 'media_lost' : 'failed', 'channel gone while ARI was disconnected', false);
  }
  const gone = (err: unknown) => {
    if (!(err instanceof AriNotFound)) log.warn({ err: (err as Error).message }, 'reconcile: could not remove a leftover');
  };
  for (const id of plan.hangup) await ari.channels.hangup(id).catch(gone);
  for (const id of plan.destroy) await ari.bridges.destroy(id).catch(gone);
  const ended = plan.end.length;
  const removed = plan.hangup.length + plan.destroy.length;
  if (ended || removed) log.info({ ended, removed }, 'reconciled after the ARI reconnection');
  return { ended, removed };
}
