// The campaign workflow (id campaign-<campaignId>): starts one child call workflow per contact attempt, inside
// the calling window and under the concurrency cap, until every enrolled contact has a final state.
// pause / resume / stop / setConcurrency arrive as signals; `status` is a query. Contacts are paged from
// Postgres by activities; the run continues-as-new long before Temporal's history limits, carrying its state.
// Children report back with a `callFinished` signal (so calls outlive a continue-as-new of their parent);
// calls never heard from are reconciled through Temporal itself.
import {
  ActivityFailure, ApplicationFailure, ParentClosePolicy, WorkflowIdReusePolicy, condition, continueAsNew, log, patched,
  proxyActivities, proxyLocalActivities, setHandler, startChild, workflowInfo, allHandlersFinished,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { isOpen, nextOpening, type CallingWindow } from '../lib/calling-window';
import { percentile } from '../lib/metrics';
import type { Scenario } from '../lib/scenario';
import type { CampaignActivities } from '../activities/campaign';
import type { CallActivities } from '../activities/call';
import {
  callFinishedSignal, callWorkflowId, campaignStatusQuery, pauseSignal, resumeSignal, setConcurrencySignal, stopSignal,
  type ActiveCall, type CallFinished, type CampaignCarry, type CampaignInput, type CampaignStatus, type ClaimedContact,
  type ZoneWait,
} from './definitions';
import { callWorkflow } from './call';
import { CampaignIdKey, ContactIdKey, ScenarioKey } from './search-attributes';

const acts = proxyActivities<CampaignActivities & Pick<CallActivities, 'abandonCall'>>({
  startToCloseTimeout: '60s',
  retry: { initialInterval: '250ms', maximumInterval: '10s' },
});

/**
 * The scenario file read again where the campaign's workflow runs: a local activity (a file read and a compile,
 * no server round trip). Why: a page's first dial waits for it (scenario-graph-at-dial), and as an activity
 * through the server it held up the page's dials for that round trip, seconds on a loaded server, while freed
 * lines waited (bench:campaign's scheduler lag).
 */
const localActs = proxyLocalActivities<Pick<CampaignActivities, 'scenarioGraph'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '250ms', maximumInterval: '10s' },
});

const DEFAULT_BATCH = 50;
const DEFAULT_HISTORY_LIMIT = 8000;
/** Ask Temporal about a call we have not heard from for this long past its maximum duration. */
const RECONCILE_GRACE_MS = 60_000;

/** The sandbox's clock: the current workflow task's time, replayed identically. */
function now(): number {
  return Date.now();
}

/** Activity errors that no retry can fix: the campaign fails with them, typed, instead of retrying forever. */
const PERMANENT = new Set(['CampaignNotFound']);

export async function campaignWorkflow(input: CampaignInput, carry?: CampaignCarry): Promise<CampaignStatus> {
  try {
    return await runCampaign(input, carry);
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : null;
    if (cause instanceof ApplicationFailure && cause.type && PERMANENT.has(cause.type)) {
      throw ApplicationFailure.create({
        type: cause.type, nonRetryable: true,
        message: `campaign ${input.campaignId} cannot go on: ${cause.message}. Calls in progress finish on their own; nothing more is dialed.`,
        cause: err as Error,
      });
    }
    throw err;
  }
}

async function runCampaign(input: CampaignInput, carry?: CampaignCarry): Promise<CampaignStatus> {
  const info = workflowInfo();
  const batchSize = input.batchSize ?? DEFAULT_BATCH;
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const s: CampaignCarry = carry ?? {
    counts: { dialed: 0, finished: 0, skipped: 0, outcomes: {}, skipReasons: {} },
    active: [],
    buffer: [],
    paused: false,
    stopped: false,
    maxConcurrent: input.maxConcurrent,
    runs: 0,
    claimSeq: 0,
    lags: [],
  };
  s.lags ??= [];
  s.deferrals ??= {};
  s.runs += 1;
  // The calling window is read in each callee's local time, by the claim and again at dial time. Runs recorded
  // before that kept one campaign-wide check here: they replay on that path.
  const calleeWindows = patched('callee-local-window');
  // Scheduler (runs recorded before this awaited each batch of child starts and claimed only once the buffer was
  // empty, so a freed slot waited for those round trips): child starts are not awaited by the loop, and the next
  // page of contacts is claimed in the background while the buffer still holds some.
  const pipelined = patched('scheduler-pipelined');
  const inflight = { dials: 0, claim: false, dry: false, error: null as unknown };
  // The scenario graph each new call gets in its input (a call keeps the graph it started with): compiled at
  // launch, compiled again from its file for each page of contacts claimed, so that an edit mid-campaign
  // reaches the next calls only. Runs recorded before scenario files started calls by name (the built-in graph).
  const graphInInput = patched('scenario-graph-in-input');
  // A page claimed ahead (pipelined) may wait a long while in the buffer: its graph is read when its first
  // contact is dialed, not when it was claimed, so a call that starts after an edit runs the edit. Runs recorded
  // before read it right after the claim.
  const graphAtDial = graphInInput && patched('scenario-graph-at-dial');
  // Runs recorded before read the file through a (remote) activity.
  const readGraph = graphInInput && patched('scenario-graph-local') ? localActs.scenarioGraph : acts.scenarioGraph;
  let graphStale = false;
  let graph: Scenario | undefined = input.scenarioGraph;
  const active = new Map<string, ActiveCall>(s.active.map((a) => [a.workflowId, a]));
  let phase: CampaignStatus['state'] = carry ? 'running' : 'starting';
  let nextWindow: number | null = null;
  let windowWaits: ZoneWait[] = [];
  let nextRetry: number | null = null;
  let wake = 0; // bumped by every signal, so waits can be interrupted
  const freedAt: number[] = []; // slots freed at the cap, waiting for the next call (scheduler lag)

  // Calls that reported they could not write their record: repaired by the main loop (an activity).
  const repairs: CallFinished[] = [];

  const onFinished = (f: CallFinished) => {
    if (f.failure) {
      if (active.has(f.workflowId) && !repairs.some((r) => r.workflowId === f.workflowId)) repairs.push(f);
      wake++;
      return;
    }
    // A line the scheduler owes a call: freed at the cap, or while earlier freed lines still wait (every one of
    // them is a sample, not only the first of a wait).
    const owed = active.size + freedAt.length >= s.maxConcurrent;
    if (!active.delete(f.workflowId)) return; // duplicate, or reconciled already
    if (owed) freedAt.push(now());
    if (f.requeued) {
      // Its window closed before the dial: the contact waits again; its next call needs a new id.
      s.counts.dialed -= 1;
      const k = `${f.contactId}:${f.attempt}`;
      s.deferrals![k] = (s.deferrals![k] ?? 0) + 1;
    } else if (f.outcome) {
      s.counts.finished += 1;
      s.counts.outcomes[f.outcome] = (s.counts.outcomes[f.outcome] ?? 0) + 1;
    } else {
      s.counts.skipped += 1;
      s.counts.dialed -= 1; // started as a call workflow, but the dial-time check stopped it
      const r = f.skipReason ?? 'unknown';
      s.counts.skipReasons[r] = (s.counts.skipReasons[r] ?? 0) + 1;
    }
    wake++;
  };
  setHandler(callFinishedSignal, onFinished);
  setHandler(pauseSignal, () => {
    s.paused = true;
    wake++;
  });
  setHandler(resumeSignal, () => {
    s.paused = false;
    wake++;
  });
  setHandler(stopSignal, () => {
    s.stopped = true;
    wake++;
  });
  setHandler(setConcurrencySignal, (v) => {
    const n = typeof v === 'number' ? v : v?.max;
    if (Number.isInteger(n) && n! >= 1 && n! <= 1000) {
      s.maxConcurrent = n!;
      wake++;
    } else {
      log.warn('setConcurrency ignored: expected an integer 1-1000', { value: v });
    }
  });
  setHandler(campaignStatusQuery, (): CampaignStatus => ({
    campaignId: input.campaignId,
    state: s.stopped ? (active.size ? 'stopping' : 'stopped') : s.paused ? 'paused' : phase,
    maxConcurrent: s.maxConcurrent,
    activeCalls: [...active.values()],
    counts: s.counts,
    nextWindowOpening: nextWindow ? new Date(nextWindow).toISOString() : null,
    windowWaits,
    nextRetryAt: nextRetry ? new Date(nextRetry).toISOString() : null,
    runs: s.runs,
    historyLength: workflowInfo().historyLength,
    schedulerLag: lagStats(s.lags),
  }));

  /** Waits until `until()` holds, a signal arrives, or `ms` pass. */
  const waitSignal = async (until: () => boolean, ms?: number) => {
    const seen = wake;
    await condition(() => until() || wake !== seen, ms === undefined ? undefined : Math.max(1, ms));
  };

  /** Closes the record of each call that could not (a `failed` call, retried by the policy; a call that never began is skipped). */
  const repair = async () => {
    while (repairs.length > 0) {
      const f = repairs.shift()!;
      const r = await acts.abandonCall({
        workflowId: f.workflowId, campaignId: input.campaignId, contactId: f.contactId, maxAttempts: input.maxAttempts,
        retryDelaySeconds: input.retryDelaySeconds, skipReason: f.failure!.stage === 'begin' ? 'call_not_begun' : undefined,
        hangupCause: f.failure!.stage === 'finalize' ? 'finalize_failed' : undefined,
      });
      onFinished({ workflowId: f.workflowId, contactId: f.contactId, attempt: f.attempt, outcome: r?.outcome ?? null, skipReason: r ? undefined : 'call_not_begun' });
    }
  };

  const reconcile = async () => {
    await repair();
    const overdue = [...active.values()].filter((a) => now() - a.startedAt > input.timing.maxCallMs + input.timing.noAnswerTimeoutMs + RECONCILE_GRACE_MS);
    if (overdue.length === 0) return;
    const states = await acts.reconcileCalls({ workflowIds: overdue.map((a) => a.workflowId) });
    for (const st of states.filter((x) => x.closed)) {
      const a = active.get(st.workflowId);
      if (!a) continue;
      let outcome = st.result?.outcome ?? null;
      if (!st.result) {
        const r = await acts.abandonCall({ workflowId: a.workflowId, campaignId: input.campaignId, contactId: a.contactId, maxAttempts: input.maxAttempts, retryDelaySeconds: input.retryDelaySeconds });
        outcome = r?.outcome ?? null;
        if (!r) {
          // Never dialed: the contact went back to pending; not a skip either.
          active.delete(a.workflowId);
          s.counts.dialed -= 1;
          continue;
        }
      }
      onFinished({ workflowId: a.workflowId, contactId: a.contactId, attempt: a.attempt, outcome, skipReason: st.result?.skipReason, requeued: st.result?.requeued });
    }
  };

  const dial = async (c: ClaimedContact) => {
    const deferred = s.deferrals![`${c.contactId}:${c.attempt}`] ?? 0;
    const workflowId = callWorkflowId(input.campaignId, c.contactId, c.attempt) + (deferred ? `-w${deferred}` : '');
    const freed = freedAt.shift();
    if (freed !== undefined) {
      s.lags.push(now() - freed);
      if (s.lags.length > 2000) s.lags.shift();
    }
    active.set(workflowId, { workflowId, contactId: c.contactId, attempt: c.attempt, startedAt: now() });
    s.counts.dialed += 1;
    try {
      await startChild(callWorkflow, {
        workflowId,
        args: [{
          campaignId: input.campaignId, campaignWorkflowId: info.workflowId, campaignContactId: c.campaignContactId,
          contactId: c.contactId, phone: c.phone, attempt: c.attempt, scenario: input.scenario, timeZone: c.timeZone,
          nonCommercial: input.nonCommercial, ...(input.callerId ? { callerId: input.callerId } : {}), machinePolicy: input.machinePolicy, maxAttempts: input.maxAttempts,
          retryDelaySeconds: input.retryDelaySeconds, timing: input.timing, telephonyTaskQueue: input.telephonyTaskQueue,
          bargeInEnabled: input.bargeInEnabled, ...(calleeWindows ? { window: input.window } : {}),
          ...(input.leadWebhook ? { leadWebhook: input.leadWebhook } : {}), // CRM webhook (workflows/lead-delivery.ts)
          ...(graphInInput && graph ? { scenarioGraph: graph } : {}),
        }],
        // The call outlives this run (continue-as-new) and even a terminated campaign: never cut a live call.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // An id is used once, unless its run failed or was terminated before its call began (its contact went
        // back to pending): a call that began has a record, and the contact's next attempt has a new id.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        typedSearchAttributes: [
          { key: CampaignIdKey, value: input.campaignId },
          { key: ContactIdKey, value: c.contactId },
          { key: ScenarioKey, value: input.scenario },
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Already started by an earlier run: it will report, or be reconciled.
        log.info('call already started', { workflowId });
        s.counts.dialed -= 1; // counted when it was first started
        return;
      }
      throw err;
    }
  };

  /** Starts a call without holding up the loop; a failure other than "already started" fails the run at its next turn. */
  const dialInBackground = (c: ClaimedContact) => {
    inflight.dials++;
    void dial(c).catch((err) => {
      inflight.error ??= err;
    }).finally(() => {
      inflight.dials--;
      wake++;
    });
  };

  /** Counts a claim's skipped contacts and takes its view of the callees' windows. */
  const took = (claim: Awaited<ReturnType<typeof acts.claimContacts>>) => {
    if (calleeWindows) {
      windowWaits = claim.waitingWindow ?? [];
      nextWindow = claim.nextWindowOpening ?? null;
    }
    for (const k of claim.skipped) {
      s.counts.skipped += 1;
      s.counts.skipReasons[k.reason] = (s.counts.skipReasons[k.reason] ?? 0) + 1;
    }
    s.buffer.push(...claim.contacts);
  };
  /** The scenario compiled again from its file, for the calls of the page just claimed (a broken edit is ignored). */
  const refreshGraph = async () => {
    const latest = await readGraph({ name: input.scenario });
    if (latest.scenario) graph = latest.scenario;
    else log.warn('the scenario file does not compile: new calls keep the previous graph', { scenario: input.scenario, error: latest.error });
  };
  const claimInput = () => ({
    campaignId: input.campaignId, token: `${info.runId}:${++s.claimSeq}`, limit: batchSize, nonCommercial: input.nonCommercial,
    ...(calleeWindows ? { window } : {}),
  });

  /**
   * Claims the next page while the buffer still holds contacts, so that a freed slot is filled from memory.
   * A page that brings nothing stops the prefetch until the loop's own claim (which handles the waits) runs.
   */
  const claimAhead = () => {
    if (!pipelined || inflight.claim || inflight.dry || s.stopped || s.paused) return;
    if (s.buffer.length > Math.floor(batchSize / 2)) return;
    inflight.claim = true;
    void acts.claimContacts(claimInput()).then(async (claim) => {
      if (claim.contacts.length === 0) inflight.dry = true;
      took(claim);
      if (graphAtDial) graphStale ||= claim.contacts.length > 0;
      else if (graphInInput && claim.contacts.length > 0) await refreshGraph();
    }, (err) => {
      inflight.error ??= err;
    }).finally(() => {
      inflight.claim = false;
      wake++;
    });
  };
  /** Waits for the dials and the claim in flight (before continue-as-new, releasing the buffer, or claiming). */
  const settled = async () => {
    if (pipelined) await condition(() => inflight.dials === 0 && !inflight.claim);
    if (inflight.error) throw inflight.error;
  };

  if (!carry) {
    await acts.enrollContacts({ campaignId: input.campaignId });
    await acts.setCampaignStatus({ campaignId: input.campaignId, status: 'running', workflowId: info.workflowId });
  }
  let statusInDb: 'running' | 'paused' = s.paused ? 'paused' : 'running';
  const window: CallingWindow | null = input.window;
  let exhausted = false;

  while (!s.stopped) {
    if (inflight.error) throw inflight.error;
    if (repairs.length > 0) await repair();
    if (s.paused) {
      phase = 'paused';
      if (statusInDb !== 'paused') {
        await acts.setCampaignStatus({ campaignId: input.campaignId, status: 'paused' });
        statusInDb = 'paused';
      }
      await waitSignal(() => !s.paused || s.stopped);
      continue;
    }
    if (statusInDb !== 'running') {
      await acts.setCampaignStatus({ campaignId: input.campaignId, status: 'running' });
      statusInDb = 'running';
    }
    // Calling window (runs recorded before callee-local windows): sleep until it opens in the campaign's zone.
    if (!calleeWindows && window && !isOpen(window, new Date(now()))) {
      const opening = nextOpening(window, new Date(now()));
      phase = 'waiting_window';
      nextWindow = opening ? opening.getTime() : null;
      await waitSignal(() => false, opening ? opening.getTime() - now() : undefined);
      continue;
    }
    if (!calleeWindows) nextWindow = null;
    // Concurrency cap.
    if (active.size >= s.maxConcurrent) {
      phase = 'running';
      await waitSignal(() => active.size < s.maxConcurrent, 30_000);
      await reconcile();
      continue;
    }
    // History bound: continue as new with the state (active calls keep signalling the workflow id).
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit) {
      await settled();
      await condition(allHandlersFinished);
      await continueAsNew<typeof campaignWorkflow>(graph ? { ...input, scenarioGraph: graph } : input, { ...s, active: [...active.values()] });
    }
    if (s.buffer.length === 0 && inflight.claim) {
      await condition(() => !inflight.claim); // the page being claimed ahead
      continue;
    }
    if (s.buffer.length === 0) {
      inflight.dry = false;
      const claim = await acts.claimContacts(claimInput());
      took(claim);
      if (graphInInput && claim.contacts.length > 0) await refreshGraph();
      if (s.buffer.length === 0) {
        if (claim.skipped.length > 0) continue; // the whole page was skipped: look again at once
        if (claim.open === 0 && active.size === 0) {
          exhausted = true;
          break;
        }
        // Nothing due now: wait for a retry to come due, for a callee's window to open (durable timer until the
        // earliest opening), or for a call to end (it may schedule a retry). Lines idle for want of contacts are
        // not scheduler lag.
        freedAt.length = 0;
        nextRetry = claim.nextDueAt;
        if (calleeWindows) {
          phase = nextWindow !== null ? 'waiting_window' : 'waiting_retry';
          const wakeAt = Math.min(claim.nextDueAt ?? Infinity, nextWindow ?? Infinity);
          const waitMs = wakeAt !== Infinity ? Math.max(1, wakeAt - now()) : 30_000;
          // With calls in progress, look at them every minute (reconcile); otherwise sleep until the opening.
          await waitSignal(() => false, active.size > 0 ? Math.min(waitMs, 60_000) : waitMs);
        } else {
          phase = 'waiting_retry';
          const waitMs = claim.nextDueAt !== null ? Math.max(1, claim.nextDueAt - now()) : 30_000;
          await waitSignal(() => false, Math.min(waitMs, 60_000));
        }
        await reconcile();
        continue;
      }
    }
    phase = 'running';
    nextRetry = null;
    // Start as many calls as there are free slots, concurrently.
    const free = Math.min(s.maxConcurrent - active.size, s.buffer.length);
    if (graphStale) {
      graphStale = false;
      await refreshGraph();
    }
    const batch = s.buffer.splice(0, free);
    if (pipelined) {
      batch.forEach(dialInBackground);
      claimAhead();
    } else {
      await Promise.all(batch.map(dial));
    }
  }

  // Stopped or done: start nothing more, let calls in progress finish.
  await settled();
  if (s.stopped && s.buffer.length > 0) {
    await acts.releaseClaims({ campaignId: input.campaignId, campaignContactIds: s.buffer.map((c) => c.campaignContactId) });
    s.buffer = [];
  }
  phase = s.stopped ? 'stopping' : 'running';
  while (active.size > 0) {
    await waitSignal(() => active.size === 0, 60_000);
    await reconcile();
  }
  phase = exhausted && !s.stopped ? 'completed' : 'stopped';
  await acts.setCampaignStatus({ campaignId: input.campaignId, status: phase === 'completed' ? 'completed' : 'stopped' });
  await condition(allHandlersFinished);
  return {
    campaignId: input.campaignId,
    state: phase,
    maxConcurrent: s.maxConcurrent,
    activeCalls: [],
    counts: s.counts,
    nextWindowOpening: null,
    windowWaits: [],
    nextRetryAt: null,
    runs: s.runs,
    historyLength: workflowInfo().historyLength,
    schedulerLag: lagStats(s.lags),
  };
}

function lagStats(lags: number[]): CampaignStatus['schedulerLag'] {
  return { samples: lags.length, p50Ms: percentile(lags, 50), p95Ms: percentile(lags, 95), maxMs: lags.length ? Math.max(...lags) : null };
}
