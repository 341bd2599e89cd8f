// Telephony activities: thin, idempotent wrappers over the TelephonyPort. `originate` runs on the shared
// telephony task queue (any instance may take a new call); it answers with the task queue of the instance
// that now holds the call, where the call workflow sends everything else for that call (play, stop, hang up):
// the call's media lives in that process.
import { Context } from '@temporalio/activity';
import type { TelephonyPort, PlayRequest } from '../telephony/port';

export function createTelephonyActivities(port: TelephonyPort, instanceTaskQueue: string) {
  return {
    async originate(input: { callId: string; phone: string; ringTimeoutMs: number; record?: boolean; callerId?: string }): Promise<{ taskQueue: string }> {
      const ctx = Context.current();
      // A retry (this instance or another crashed or timed out mid-originate): the port is idempotent per callId;
      // said in the activity's log (workflow and activity ids, attempt; never the phone number).
      if (ctx.info.attempt > 1) ctx.log.info('originate retried', { callId: input.callId, attempt: ctx.info.attempt });
      await port.originate({ callId: input.callId, phone: input.phone, ringTimeoutMs: input.ringTimeoutMs, record: input.record, callerId: input.callerId });
      return { taskQueue: instanceTaskQueue };
    },
    async playPrompt(input: PlayRequest): Promise<void> {
      await port.play(input);
    },
    async stopPlayback(input: { callId: string }): Promise<{ playedMs: number } | null> {
      return port.stopPlayback(input.callId);
    },
    async hangupCall(input: { callId: string }): Promise<void> {
      await port.hangup(input.callId);
    },
  };
}

export type TelephonyActivities = ReturnType<typeof createTelephonyActivities>;
