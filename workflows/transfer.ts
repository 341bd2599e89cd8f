// The transfer step of the call workflow (lib/scenario.ts Step.transfer), kept apart from workflows/call.ts:
//   1. a slot among the campaign's agents (activities/transfer.ts claimTransfer: max_transfers); none free, or
//      no agent set: transfer_failed at once, on to onNoAgent
//   2. the telephony side rings the agent (transferCall, on the instance holding the call) while the callee
//      hears the step's prompt, then the hold prompt again and again
//   3. the agent answered: `transferred`; the bot is off the call, which ends when either side hangs up; the
//      callee's wait and the talk time are written down
//   4. nobody answered in time (or refused): `transfer_failed`, on to onNoAgent with the bot.
// Deterministic like the rest of the workflow: all I/O in activities, time from the workflow clock, except the
// wait and talk times, which come from the telephony side's own clock (agent answer and hang-up events).
import { condition, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { HungUpEvent, PlaybackFinishedEvent } from '../lib/call-events';
import type { CallOutcome } from '../lib/outcomes';
import type { PromptName, Step } from '../lib/scenario';
import type { TelephonyActivities } from '../activities/telephony';
import type { TransferActivities } from '../activities/transfer';
import type { InteractionInput } from '../activities/call';
import type { TransferResult } from '../telephony/port';

const db = proxyLocalActivities<TransferActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', backoffCoefficient: 2 },
});

/** An agent conversation may outlast the bot's own maximum call duration; this bounds it all the same. */
const MAX_TALK_MS = 4 * 3600_000;

export interface TransferStepContext {
  workflowId: string;
  step: Step & { transfer: NonNullable<Step['transfer']> };
  turn: number;
  /** The task queue of the telephony instance holding the call. */
  taskQueue: string;
  tel: TelephonyActivities;
  listenScale: number;
  finished: Map<string, PlaybackFinishedEvent>;
  hungUp: () => HungUpEvent | null;
  now: () => number;
  /** The workflow's deadline-bounded wait (ms → ms left). */
  left: (ms: number) => number;
  recordInteraction: (i: InteractionInput) => void;
}

export interface TransferStepResult {
  outcome: Extract<CallOutcome, 'transferred' | 'transfer_failed'>;
  /** The step to go on at (onNoAgent), or null: the call is over (transferred, or the callee hung up). */
  next: string | null;
}

export async function transferStep(x: TransferStepContext): Promise<TransferStepResult> {
  const { workflowId, step, turn, tel } = x;
  const t = step.transfer;
  const startedAt = x.now();
  const claim = await db.claimTransfer({ workflowId, now: startedAt });
  const timeoutMs = Math.max(1000, Math.round(t.timeoutMs * x.listenScale));
  let result: TransferResult | null = null;
  let failed: string | null = null;
  if (claim.granted) {
    const ringing = proxyActivities<TelephonyActivities>({
      taskQueue: x.taskQueue,
      scheduleToStartTimeout: '5s',
      startToCloseTimeout: timeoutMs + 30_000,
      heartbeatTimeout: '5s',
      retry: { initialInterval: '200ms', maximumAttempts: 3 },
    });
    void ringing.transferCall({ callId: workflowId, agent: claim.agent, timeoutMs }).then(
      (r) => void (result = r),
      (err: Error) => void (failed = err.message),
    );
  }
  // The step's own prompt, then the hold prompt on a loop until the agent answers or the attempt gives up.
  const settled = () => !claim.granted || result !== null || failed !== null || x.hungUp() !== null;
  let prompt: string = step.prompt;
  for (let n = 0; !settled(); n++, prompt = t.holdPrompt) {
    const promptId = n === 0 ? `${turn}-${step.prompt}` : `${turn}-${t.holdPrompt}-${n}`;
    await tel.playPrompt({ callId: workflowId, promptId, prompt: prompt as PromptName, turn, bargeIn: false, minSpeechMs: 0 });
    const ok = await condition(() => settled() || x.finished.has(promptId), x.left(timeoutMs + 60_000));
    if (!ok) break;
  }
  if (claim.granted && !settled()) await condition(settled, x.left(timeoutMs + 60_000));
  const r = result as TransferResult | null;
  const answered = r?.answered === true;
  const decidedAt = x.now();
  const waitMs = r ? (r.answeredAt ?? decidedAt) - r.startedAt : decidedAt - startedAt;
  if (claim.granted) {
    await db.recordTransfer({
      workflowId, agentLeg: r?.agentLeg ?? claim.agent, answeredAt: r?.answeredAt ?? null, waitMs: Math.max(0, waitMs),
      ...(answered ? {} : { endedAt: decidedAt }),
    });
  }
  const cause = !claim.granted ? claim.reason : answered ? null : (r?.cause ?? failed ?? (x.hungUp() ? 'callee_gone' : 'timeout'));
  const outcome = answered ? 'transferred' : 'transfer_failed';
  const next = answered || x.hungUp() !== null ? null : t.onNoAgent;
  x.recordInteraction({
    workflowId, turn, step: step.id, prompt: step.prompt, transcript: null, intent: null, intentConfidence: null,
    asrLatencyMs: null, intentLatencyMs: null, bargeInDetected: false, bargeInLatencyMs: null, totalLatencyMs: null,
    processingMethod: 'transfer',
    metadata: {
      transfer: { agentLeg: r?.agentLeg ?? null, answered, cause, waitMs: Math.max(0, waitMs), ...(claim.granted ? {} : { inProgress: claim.inProgress, max: claim.max }) },
      decision: { next, repeat: false, outcome },
    },
    startedAt, endedAt: decidedAt,
  });
  if (!answered) return { outcome, next };

  // Callee and agent talk; the bot only waits for the end of the call.
  await condition(() => x.hungUp() !== null, MAX_TALK_MS);
  const end = x.hungUp();
  const endedAt = end?.at ?? x.now();
  await db.recordTransfer({ workflowId, talkMs: Math.max(0, endedAt - r!.answeredAt!), endedAt });
  return { outcome, next: null };
}
