// The end of a call, on every path (our hangup, the callee's, media lost, ARI reconnect that finds the
// channel gone), once: what is left in Asterisk is hung up (call channel, media channel, bridge), the live
// recording stopped and fetched, the media session closed, and `hungUp` reported unless we hung up ourselves.
import type { HangupCause } from '../../lib/call-events';
import { AriConflict, AriNotFound } from '../asterisk-ari';
import { transition, type AstCall } from './call';
import type { AdapterContext } from './context';
import type { RecordingStore } from './recording-store';
import { endTransfer } from './transfer';

export async function teardown(
  ctx: AdapterContext, recordings: RecordingStore, c: AstCall, cause: HangupCause, detail: string, hangupCall = true,
): Promise<void> {
  if (!transition(c, 'ending')) return;
  const { ari, calls, log, o } = ctx;
  for (const t of c.timers) clearTimeout(t);
  c.timers.clear();
  for (const w of c.mediaWaiters) w.reject(new Error(`call ${c.id} ended`));
  c.mediaWaiters = [];
  c.queue = [];
  const endedAt = Date.now();
  c.metrics.endedAt = endedAt;
  c.metrics.endCause = c.byUs ? 'bot' : `${cause} (${detail})`;
  calls.end(c, endedAt);
  recordings.callEnded(c); // in the same tick: a RecordingFinished from here on finds the metrics
  if (!c.byUs) ctx.report('hungUp', c.id, () => o.sink.hungUp(c.id, { cause, at: endedAt, detail }));
  await ctx.media.hangup(c.id).catch(() => undefined);
  // Already gone (404) or no longer ours to act on (409): nothing left to do. Anything else is worth a warning.
  const quiet = (what: string) => (err: unknown) => {
    if (!(err instanceof AriNotFound || err instanceof AriConflict)) log.warn({ callId: c.id, err: (err as Error).message }, `teardown: ${what} failed`);
  };
  if (c.recordingName) {
    // Stop the recording ourselves before the bridge goes: when a short call's bridge is destroyed at once,
    // Asterisk's RecordingFinished may never reach the app (seen with calls hung up ~4 s after answer).
    await ari.recordings.stop(c.recordingName).catch(quiet('stop recording'));
  }
  const jobs: Promise<unknown>[] = [];
  if (hangupCall || c.byUs) jobs.push(ari.channels.hangup(c.id).catch(quiet('hangup call channel')));
  const agent = endTransfer(ctx, c);
  if (agent) jobs.push(agent);
  if (c.mediaSetup) {
    jobs.push(ari.channels.hangup(c.mediaId).catch(quiet('hangup media channel')));
    jobs.push(ari.bridges.destroy(c.bridgeId).catch(quiet('destroy bridge')));
  }
  await Promise.all(jobs);
  calls.releaseMediaLater(c);
  // The recording was stopped above: fetch it now (RecordingFinished, if it comes, finds it saved).
  if (c.recordingName) recordings.saveAfterCall(c);
  else calls.keep(c.metrics);
  log.info({ callId: c.id, cause: c.metrics.endCause }, 'call ended');
}
