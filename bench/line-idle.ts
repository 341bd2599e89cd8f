// Where a line's idle time goes in bench:campaign (issue #14: every line busy up to the cap), from the
// workflows' own histories (server clock) and the calls' records (dialed → ended):
//   ended → campaign signaled: the call's end (its record's endedAt) → its callFinished signal delivered to the
//     campaign (the outcome write runs as a local activity in that workflow task, so the signal leaves after it);
//   campaign signaled → next call started: → the campaign's next StartChildWorkflowExecutionInitiated (its workflow
//     task: the cap, the buffer, the child's start command);
//   call started → dialed: the new call's workflow started → its record written (dialedAt): its first workflow
//     task, the admission (admitCall through the telephony queue), the dial-time check (beginCall);
// and how long the campaign's workflow tasks take (started → completed), which every one of these waits on.
import type { Client } from '@temporalio/client';
import { percentile, round } from '../lib/metrics';

type Ts = { seconds?: unknown; nanos?: number | null } | null | undefined;
const ms = (t: Ts) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);

export interface IdleStep {
  step: string;
  samples: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export async function lineIdleSteps(
  client: Client,
  campaignWorkflowId: string,
  calls: { workflowId: string; dialedAt: Date; endedAt: Date | null }[],
): Promise<IdleStep[]> {
  const childStarts: number[] = [];
  const taskMs: number[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = "${campaignWorkflowId}"` })) {
    let started = 0;
    for (const e of (await client.workflow.getHandle(campaignWorkflowId, run.runId).fetchHistory()).events ?? []) {
      if (e.startChildWorkflowExecutionInitiatedEventAttributes) childStarts.push(ms(e.eventTime));
      if (e.workflowTaskStartedEventAttributes) started = ms(e.eventTime);
      if (e.workflowTaskCompletedEventAttributes && started) taskMs.push(ms(e.eventTime) - started);
    }
  }
  childStarts.sort((a, b) => a - b);
  const toSignal: number[] = [];
  const toNextStart: number[] = [];
  const toDial: number[] = [];
  for (const c of calls) {
    let started: number | null = null;
    let signaled: number | null = null;
    const signalIds = new Set<string>();
    for (const e of (await client.workflow.getHandle(c.workflowId).fetchHistory()).events ?? []) {
      if (e.workflowExecutionStartedEventAttributes) started = ms(e.eventTime);
      if (e.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName === 'callFinished') signalIds.add(String(e.eventId));
      const done = e.externalWorkflowExecutionSignaledEventAttributes;
      if (done && signalIds.has(String(done.initiatedEventId))) signaled = ms(e.eventTime);
    }
    if (started !== null) toDial.push(c.dialedAt.getTime() - started);
    if (signaled !== null && c.endedAt) {
      toSignal.push(signaled - c.endedAt.getTime());
      const next = childStarts.find((t) => t >= signaled!);
      if (next !== undefined) toNextStart.push(next - signaled);
    }
  }
  const step = (name: string, xs: number[]): IdleStep => ({ step: name, samples: xs.length, p50Ms: round(percentile(xs, 50)), p95Ms: round(percentile(xs, 95)) });
  return [
    step('ended → campaign signaled (outcome written)', toSignal),
    step('campaign signaled → next call started', toNextStart),
    step('call started → dialed (admission, dial-time check)', toDial),
    step('campaign workflow task (started → completed)', taskMs),
  ];
}
