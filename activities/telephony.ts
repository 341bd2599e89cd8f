// Telephony activities: thin, idempotent wrappers over the TelephonyPort. `originate` runs on the shared
// telephony task queue (any instance may take a new call); it answers with the task queue of the instance
// that now holds the call, where the call workflow sends everything else for that call (play, stop, hang up):
// the call's media lives in that process. With a telephony server shared by several workers (one Asterisk),
// it also names that server's queue, where any live worker of it releases a call lost with its worker.
import { Context } from '@temporalio/activity';
import type { TelephonyPort, PlayRequest, TransferRequest, TransferResult } from '../telephony/port';
import type { MediaAdmission } from '../telephony/admission';

/** How often watchCall heartbeats (the workflow's heartbeat timeout is a few times this). */
export const WATCH_HEARTBEAT_MS = 1000;

export function createTelephonyActivities(port: TelephonyPort, instanceTaskQueue: string, admission?: MediaAdmission | null, siteTaskQueue?: string) {
  return {
    /**
     * Admission control (telephony/admission.ts), before the call is begun: this instance takes the call
     * (answers its own task queue, where the call's originate goes) or throws MediaAtCapacity, retryable: the
     * call workflow waits, nothing is dialed or counted. No admission control: always admitted.
     */
    async admitCall(input: { callId: string }): Promise<{ taskQueue: string }> {
      admission?.admit(input.callId);
      return { taskQueue: instanceTaskQueue };
    },
    async originate(input: { callId: string; phone: string; ringTimeoutMs: number; record?: boolean; callerId?: string }): Promise<{ taskQueue: string; siteTaskQueue?: string }> {
      const ctx = Context.current();
      // A retry (this instance or another crashed or timed out mid-originate): the port is idempotent per callId;
      // said in the activity's log (workflow and activity ids, attempt; never the phone number).
      if (ctx.info.attempt > 1) ctx.log.info('originate retried', { callId: input.callId, attempt: ctx.info.attempt });
      // Admitted already (admitCall) or, for a run recorded before admission control, admitted now: at
      // capacity it answers MediaAtCapacity (retryable) instead of dialing.
      admission?.admit(input.callId);
      try {
        await port.originate({ callId: input.callId, phone: input.phone, ringTimeoutMs: input.ringTimeoutMs, record: input.record, callerId: input.callerId });
      } finally {
        admission?.settle(input.callId);
      }
      return siteTaskQueue ? { taskQueue: instanceTaskQueue, siteTaskQueue } : { taskQueue: instanceTaskQueue };
    },
    /** On the site queue: ends what is left of a call whose worker died (TelephonyPort.release). */
    async releaseCall(input: { callId: string }): Promise<void> {
      await port.release?.(input.callId);
    },
    async playPrompt(input: PlayRequest): Promise<void> {
      await port.play(input);
    },
    async stopPlayback(input: { callId: string }): Promise<{ playedMs: number } | null> {
      return port.stopPlayback(input.callId);
    },
    /** Rings the agent and waits until they answer (bridged) or the attempt gives up, heartbeating meanwhile. */
    async transferCall(input: TransferRequest): Promise<TransferResult> {
      const ctx = Context.current();
      const pending = port.transfer(input);
      const beat = setInterval(() => ctx.heartbeat(), WATCH_HEARTBEAT_MS);
      try {
        return await pending;
      } finally {
        clearInterval(beat);
      }
    },
    async hangupCall(input: { callId: string }): Promise<void> {
      await port.hangup(input.callId);
    },
    /**
     * Runs on the instance holding the call for as long as the call is up there, heartbeating: when this
     * process dies, the heartbeat stops and Temporal tells the call workflow, which ends the call as
     * `media_lost` at once instead of waiting for events that will never come. Returns when the call is gone.
     */
    async watchCall(input: { callId: string }): Promise<void> {
      const ctx = Context.current();
      while (port.activeCalls().includes(input.callId)) {
        ctx.heartbeat();
        await ctx.sleep(WATCH_HEARTBEAT_MS); // rejects when the workflow cancels the watch
      }
    },
  };
}

export type TelephonyActivities = ReturnType<typeof createTelephonyActivities>;
