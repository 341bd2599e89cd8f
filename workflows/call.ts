// The call workflow: one per contact attempt (id call-<campaignId>-<contactId>-<attempt>). Checks the law at
// dial time, dials, and walks the scenario graph on the telephony/media side's signals (answered, AMD verdict,
// speech start = barge-in, final utterance, end of prompt, hang-up), then writes the outcome and tells the
// campaign. Deterministic: all I/O is in activities; time is Temporal's (the sandbox's Date is the
// workflow-task time, identical on replay).
import {
  ActivityFailure, ApplicationFailure, CancellationScope, condition, getExternalWorkflowHandle, log, patched, proxyActivities,
  proxyLocalActivities, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import { startLeadDelivery } from './lead-delivery';
import type { AmdResultEvent, DtmfEvent, HungUpEvent, PlaybackFinishedEvent, SpeechStartedEvent, UtteranceEvent } from '../lib/call-events';
import type { CallOutcome } from '../lib/outcomes';
import { decide, dtmfIntent, getScenario, type StepEvent } from '../lib/scenario';
import { captureAnswer } from '../lib/capture';
import type { CallActivities, InteractionInput } from '../activities/call';
import type { TelephonyActivities } from '../activities/telephony';
import type { createIntentActivities } from '../activities/intent';
import {
  ALREADY_DIALED, amdResultSignal, answeredSignal, callFinishedSignal, callStateQuery, dtmfSignal, hungUpSignal, playbackFinishedSignal,
  speechStartedSignal, utteranceSignal, type CallFinished, type CallInput, type CallResult, type CallState,
} from './definitions';
import { CallOutcomeKey } from './search-attributes';
import { transferStep } from './transfer';

type IntentActivities = ReturnType<typeof createIntentActivities>;

// The call's database writes are short, idempotent Postgres transactions on the orchestration worker: they run
// as local activities (recorded as markers in the workflow task that needs them), which spares the server a
// task round trip per write. A crash re-runs the workflow task and so the write: idempotency makes that safe.
// No attempt limit: a write that gives up loses the call's record (a contact stuck in_call, a call with no end),
// whereas a database outage ends by itself; the interval is capped so that the write lands within seconds of
// Postgres coming back. Errors a retry cannot fix are non-retryable (activities/errors.ts) and end the loop.
const db = proxyLocalActivities<CallActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', backoffCoefficient: 2 },
});
const intent = proxyLocalActivities<IntentActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '100ms', maximumAttempts: 3 },
});

/** The sandbox's clock: the current workflow task's time, replayed identically. */
function now(): number {
  return Date.now();
}

class CallEnded extends Error {}
/** The intent classifier failed (its retries exhausted): the call ends `failed`, cause `intent_failed`. */
class IntentFailed extends Error {}

/** The type and message of a permanent activity error, for the history and the campaign. */
function failureOf(err: unknown): { type: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'ApplicationFailure', message: cause.message };
  return { type: (cause as Error)?.name ?? 'Error', message: (cause as Error)?.message ?? String(cause) };
}

export async function callWorkflow(input: CallInput): Promise<CallResult> {
  const { workflowId } = workflowInfo();
  // The graph handed over at start (scenario files); calls started before them run the built-in graph by name.
  const scenario = input.scenarioGraph ?? getScenario(input.scenario);
  const state: CallState = { phase: 'checking', step: null, turn: 0, outcome: null };
  // Mutated by signal handlers (an object, so the compiler does not narrow them to their initial null).
  const ev: { answeredAt: number | null; amd: AmdResultEvent | null; hungUp: HungUpEvent | null } = { answeredAt: null, amd: null, hungUp: null };
  const finished = new Map<string, PlaybackFinishedEvent>();
  const speech: SpeechStartedEvent[] = [];
  const utterances: UtteranceEvent[] = [];
  // Keys pressed, with the turn whose prompt was playing. Runs recorded before keys were read ignored them.
  const keysAreAnswers = patched('dtmf-answers');
  const keys: (DtmfEvent & { turn: number })[] = [];

  setHandler(answeredSignal, (e) => {
    ev.answeredAt ??= e.at;
  });
  setHandler(amdResultSignal, (e) => {
    ev.amd ??= e;
  });
  setHandler(hungUpSignal, (e) => {
    ev.hungUp ??= e;
  });
  setHandler(playbackFinishedSignal, (e) => {
    finished.set(e.promptId, e);
  });
  setHandler(speechStartedSignal, (e) => {
    speech.push(e);
  });
  setHandler(utteranceSignal, (e) => {
    utterances.push(e);
  });
  setHandler(dtmfSignal, (e) => {
    if (keysAreAnswers) keys.push({ ...e, turn: state.turn });
  });
  setHandler(callStateQuery, () => state);

  const result: CallResult = { workflowId, outcome: null, turns: 0 };
  const telMain = proxyActivities<TelephonyActivities>({
    taskQueue: input.telephonyTaskQueue,
    scheduleToCloseTimeout: '30s',
    startToCloseTimeout: '10s',
    retry: { initialInterval: '200ms', maximumAttempts: 5 },
  });

  let failure: CallFinished['failure'];
  let notify = true;
  // The queue this call's originate goes to: the shared one, or the instance that admitted the call.
  let dialQueue = input.telephonyTaskQueue;
  try {
    // 0. Admission (issue #14): a media worker instance with headroom takes the call before anything is
    // written or dialed. At capacity it answers MediaAtCapacity (retryable), and Temporal tries again, on
    // any instance, until one has room: the call waits; its contact is not lost and no attempt is counted.
    // Runs recorded before admission control dial through the shared queue, as they did.
    if (patched('media-admission')) {
      const admission = proxyActivities<TelephonyActivities>({
        taskQueue: input.telephonyTaskQueue,
        startToCloseTimeout: '10s',
        retry: { initialInterval: '1s', backoffCoefficient: 1.5, maximumInterval: '10s' },
      });
      dialQueue = (await admission.admitCall({ callId: workflowId })).taskQueue;
    }

    // 1. The law, at dial time.
    let begin: Awaited<ReturnType<CallActivities['beginCall']>>;
    try {
      begin = await db.beginCall({
        workflowId, campaignId: input.campaignId, campaignContactId: input.campaignContactId, contactId: input.contactId,
        phone: input.phone, attempt: input.attempt, nonCommercial: input.nonCommercial,
        ...(input.window !== undefined ? { window: input.window } : {}),
      });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      failure = { stage: 'begin', ...failureOf(err) };
      throw ApplicationFailure.create({ type: 'CallNotBegun', nonRetryable: true, message: `the call could not begin: ${failure.type}: ${failure.message}`, cause: err });
    }
    if (!begin.allowed && begin.reason === ALREADY_DIALED) {
      // A reset re-run of a finished call (the first run reported to the campaign already).
      notify = false;
      throw ApplicationFailure.create({
        type: 'AttemptAlreadyDialed', nonRetryable: true,
        message: `refused: ${begin.detail}. A reset never dials the same attempt again; to call this contact again use POST /calls/:id/retry (a new, counted attempt)`,
      });
    }
    if (!begin.allowed) {
      result.skipReason = begin.reason;
      if (begin.requeued) result.requeued = true;
      state.phase = 'ended';
      return result;
    }

    // 2. Dial.
    state.phase = 'dialing';
    const dialedAt = now();
    const deadline = dialedAt + input.timing.maxCallMs;
    const left = (ms: number) => Math.max(1, Math.min(ms, deadline - now()));
    let outcome: CallOutcome | null = null;
    let hangupCause: string | null = null;
    let optOut = false;
    let callbackAt: string | null = null;
    const pending: Promise<void>[] = [];
    let tel: TelephonyActivities | null = null;
    // Several workers on one Asterisk: that server's queue, and whether the call's own worker died with it.
    let siteTaskQueue: string | undefined;
    let workerLost = false;
    // Cancelled when the call ends: stops the watch of the call's media (below).
    const watchScope = new CancellationScope();

    try {
      const dial = dialQueue === input.telephonyTaskQueue ? telMain : proxyActivities<TelephonyActivities>({
        taskQueue: dialQueue,
        // The admitting instance holds the call's place: if it is gone, fail fast (originate_failed, retried).
        scheduleToStartTimeout: '5s',
        startToCloseTimeout: '10s',
        retry: { initialInterval: '200ms', maximumAttempts: 5 },
      });
      const { taskQueue, siteTaskQueue: site } = await dial.originate({
        callId: workflowId, phone: input.phone, ringTimeoutMs: input.timing.noAnswerTimeoutMs, ...(input.callerId ? { callerId: input.callerId } : {}),
      });
      siteTaskQueue = site;
      tel = proxyActivities<TelephonyActivities>({
        taskQueue,
        // The call's media lives in that worker instance: if it is gone, fail fast instead of waiting.
        scheduleToStartTimeout: '5s',
        startToCloseTimeout: '10s',
        retry: { initialInterval: '200ms', maximumAttempts: 3 },
      });
      if (patched('media-watch')) {
        // The instance holding the call heartbeats while the call is up there. If that process dies, the
        // heartbeat timeout (then a retry nobody picks up) ends the call as media_lost at once, whatever the
        // workflow is waiting for. A retry covers a Temporal server restart (heartbeats lost, worker alive).
        const watcher = proxyActivities<TelephonyActivities>({
          taskQueue,
          scheduleToStartTimeout: '5s',
          startToCloseTimeout: input.timing.maxCallMs + input.timing.noAnswerTimeoutMs + 60_000,
          heartbeatTimeout: '5s',
          retry: { initialInterval: '200ms', maximumAttempts: 3 },
        });
        void watchScope.run(() => watcher.watchCall({ callId: workflowId })).then(
          () => undefined,
          (err) => {
            if (watchScope.consideredCancelled) return;
            log.warn('the call\'s telephony worker is gone', { workflowId, error: (err as Error).message });
            workerLost = true;
            ev.hungUp ??= { cause: 'media_lost', at: now(), detail: 'telephony worker lost' };
          },
        );
      }
      state.phase = 'ringing';
      await condition(() => ev.answeredAt !== null || ev.hungUp !== null, input.timing.noAnswerTimeoutMs);
      if (ev.answeredAt === null) {
        outcome = ev.hungUp ? ringOutcome(ev.hungUp.cause) : 'no_answer';
        hangupCause = ev.hungUp?.cause ?? 'no_answer_timeout';
        throw new CallEnded();
      }
      state.phase = 'in_call';
      pending.push(db.markAnswered({ workflowId, at: ev.answeredAt }).catch(writeFailed('markAnswered')));

      // 3. The scenario. The hello starts at once (no dead air); the AMD verdict arrives while it plays.
      const isMachine = () => ev.amd?.verdict === 'machine';
      let stepId: string | null = scenario.start;
      const retries: Record<string, number> = {};
      const onMachine = async (promptId: string | null) => {
        outcome = 'machine';
        if (promptId && !finished.has(promptId)) await tel!.stopPlayback({ callId: workflowId });
        if (input.machinePolicy === 'leave_message' && ev.hungUp === null) {
          // Leave the presentation on the voicemail, then hang up.
          const msgId = `${++state.turn}-voicemail`;
          const hello = scenario.steps[scenario.start]!.prompt; // 'hello' in the built-in scenarios
          await tel!.playPrompt({ callId: workflowId, promptId: msgId, prompt: hello, scenario: scenario.name, turn: state.turn, bargeIn: false, minSpeechMs: 0 });
          await condition(() => finished.has(msgId) || ev.hungUp !== null, left(60_000));
        }
      };
      while (stepId !== null) {
        if (ev.hungUp !== null) break;
        if (isMachine()) {
          await onMachine(null);
          break;
        }
        const step = scenario.steps[stepId]!;
        state.step = stepId;
        const turn = ++state.turn;
        if (step.transfer && patched('live-transfer')) {
          // A transfer step (workflows/transfer.ts): the lead put through to an agent, or on to onNoAgent.
          const tr = await transferStep({
            workflowId, step: { ...step, transfer: step.transfer }, turn, taskQueue, tel, listenScale: input.timing.listenScale, finished,
            hungUp: () => ev.hungUp, now, left,
            recordInteraction: (i) => pending.push(db.recordInteraction(i).catch(writeFailed('recordInteraction'))),
          });
          outcome = tr.outcome;
          stepId = tr.next;
          continue;
        }
        const promptId = `${turn}-${step.prompt}`;
        const playAt = now();
        await tel.playPrompt({
          callId: workflowId, promptId, prompt: step.prompt, scenario: scenario.name, turn,
          bargeIn: input.bargeInEnabled && step.bargeIn.enabled, minSpeechMs: step.bargeIn.minSpeechMs,
        });
        // A key that means something on this step is an answer; it interrupts the prompt as speech does.
        const keyFor = () => keys.find((k) => k.turn >= turn && dtmfIntent(step, k.digit) !== null);
        const keyInterrupts = step.listen && input.bargeInEnabled && step.bargeIn.enabled;
        const done = await condition(
          () => finished.has(promptId) || ev.hungUp !== null || isMachine() || (keyInterrupts && keyFor() !== undefined),
          left(120_000),
        );
        if (!done) {
          hangupCause = 'max_duration';
          break;
        }
        if (isMachine()) {
          await onMachine(promptId);
          break;
        }
        if (ev.hungUp !== null) break;
        if (!finished.has(promptId) && keyFor()) {
          const stopped = await tel.stopPlayback({ callId: workflowId });
          // The prompt cut by the key is recorded as interrupted even when its playbackFinished event is still on
          // its way (on Asterisk it comes after the stop; runs recorded before read the event only).
          if (stopped && !finished.has(promptId) && patched('key-stop-interrupts')) {
            finished.set(promptId, { promptId, turn, interrupted: true, playedMs: stopped.playedMs });
          }
        }
        if (step.end) {
          outcome ??= step.end;
          break;
        }
        if (!step.listen) {
          stepId = decide(scenario, stepId, 'silence', 0).next;
          continue;
        }

        // Wait for the callee's answer to this turn (an interruption of the prompt counts as this turn).
        const listenMs = Math.round(step.timeoutMs * input.timing.listenScale);
        const uttFor = () => utterances.find((u) => u.turn >= turn);
        const speaking = () => speech.some((s) => s.turn >= turn);
        await condition(() => uttFor() !== undefined || keyFor() !== undefined || ev.hungUp !== null || isMachine(), left(listenMs));
        if (!uttFor() && !keyFor() && speaking() && ev.hungUp === null) {
          // Speech began before the timeout: let the recogniser finish.
          await condition(() => uttFor() !== undefined || keyFor() !== undefined || ev.hungUp !== null, left(listenMs * 2));
        }
        if (ev.hungUp !== null || isMachine()) continue; // handled at the top of the loop
        // A key press is unambiguous: it wins over what the recogniser heard on the same turn.
        const key = keyFor();
        if (key) keys.splice(keys.indexOf(key), 1);
        const utt = key ? undefined : uttFor();
        if (utt) utterances.splice(utterances.indexOf(utt), 1);
        let event: StepEvent = 'silence';
        let classified: Awaited<ReturnType<IntentActivities['classifyIntent']>> | null = null;
        if (key) {
          event = dtmfIntent(step, key.digit)!;
        } else if (utt && utt.text.trim() !== '') {
          try {
            classified = await intent.classifyIntent({ callId: workflowId, step: step.id, text: utt.text, now: now(), timeZone: input.timeZone });
          } catch (err) {
            if (!(err instanceof ActivityFailure)) throw err;
            log.warn('intent classification failed', { workflowId, error: err.cause?.message ?? err.message });
            throw new IntentFailed();
          }
          event = classified.intent;
        }
        const d = decide(scenario, stepId, event, retries[stepId] ?? 0);
        if (d.repeat) retries[stepId] = (retries[stepId] ?? 0) + 1;
        if (d.outcome) outcome = d.outcome;
        if (d.effects.includes('opt_out')) {
          optOut = true;
          // On the DNC list before the goodbye and the hang-up, not only when the call is written down (runs
          // recorded before this wrote it at the end only).
          if (patched('opt-out-before-hangup')) await db.recordOptOut({ workflowId, phone: input.phone, contactId: input.contactId });
        }
        if (d.effects.includes('note_callback')) callbackAt = classified?.callbackTime?.at ?? null;

        const barge = speech.find((s) => s.turn === turn && s.flushedAt !== undefined);
        // The step keeps this answer as a named field (pure extraction at the call's time: replays identically).
        const capture = step.capture
          ? captureAnswer(step.capture, { transcript: utt?.text ?? null, intent: key || utt ? event : null, ...(key ? { dtmf: key.digit } : {}) }, new Date(now()), input.timeZone)
          : undefined;
        const respondAt = now();
        const interaction: InteractionInput = {
          workflowId, turn, step: step.id, prompt: step.prompt,
          transcript: utt?.text ?? null,
          intent: key ? event : classified?.intent ?? (utt ? null : 'silence'),
          intentConfidence: key ? 1 : classified?.confidence ?? null,
          asrLatencyMs: utt?.asrLatencyMs ?? null,
          intentLatencyMs: classified?.latencyMs ?? null,
          // The segment that cut the prompt may have given no words (dropped), and the answer then comes from
          // the next one: the prompt was still barged in on (patched: runs recorded before read the utterance's).
          bargeInDetected: patched('barge-in-of-the-turn') ? (utt?.bargeIn ?? false) || barge !== undefined : utt?.bargeIn ?? barge !== undefined,
          bargeInLatencyMs: barge?.flushedAt !== undefined ? barge.flushedAt - barge.speechStartAt : null,
          // End of the callee's speech → the bot's next prompt requested.
          totalLatencyMs: utt ? Math.max(0, respondAt - utt.speechEndAt) : key ? Math.max(0, respondAt - key.at) : null,
          processingMethod: key ? 'dtmf' : classified?.processingMethod ?? null,
          metadata: {
            promptPlayedMs: finished.get(promptId)?.playedMs ?? null,
            promptInterrupted: finished.get(promptId)?.interrupted ?? false,
            asrConfidence: utt?.confidence ?? null,
            callbackTime: classified?.callbackTime ?? null,
            decision: { next: d.next, repeat: d.repeat, outcome: d.outcome ?? null },
            ...(key ? { dtmf: key.digit } : {}),
            ...(capture ? { capture } : {}),
            ...(utt?.metadata ?? {}),
          },
          startedAt: playAt,
          endedAt: respondAt,
        };
        pending.push(db.recordInteraction(interaction).catch(writeFailed('recordInteraction')));
        stepId = d.next;
      }
      if (ev.hungUp !== null && outcome === null) {
        // The line was cut by our side's infrastructure (media connection, Asterisk restart), not by the callee:
        // a failed call, retried under the campaign's rules.
        outcome = ev.hungUp.cause === 'media_lost' ? 'failed' : 'hangup';
        hangupCause = ev.hungUp.cause;
      }
      outcome ??= hangupCause === 'max_duration' ? 'failed' : 'not_interested';
    } catch (err) {
      if (err instanceof IntentFailed) {
        outcome = 'failed';
        hangupCause = 'intent_failed';
      } else if (!(err instanceof CallEnded)) {
        if (!(err instanceof ActivityFailure)) throw err;
        log.warn('telephony failed during the call', { workflowId, error: err.message });
        // An outcome the conversation had decided (an opt-out, a callback, a refusal, a lead) stands: what the
        // failure cut is the goodbye. Runs recorded before this ended such calls failed (and dialed them again).
        if (outcome === null || !patched('keep-decided-outcome')) outcome = 'failed';
        hangupCause = tel ? 'media_lost' : 'originate_failed';
      }
    }

    // 4. Hang up (our side) and write everything down.
    state.phase = 'ending';
    watchScope.cancel();
    if (ev.hungUp === null && tel) {
      try {
        await tel.hangupCall({ callId: workflowId });
      } catch (err) {
        log.warn('hangup failed (the call is gone with its worker)', { workflowId, error: (err as Error).message });
        workerLost = true;
      }
    }
    if (workerLost && siteTaskQueue && patched('release-lost-call')) {
      // Its worker died with the line perhaps still up (the callee hearing silence, a bridge left): another live
      // worker of the same Asterisk ends it. Bounded: with no such worker the call is written down regardless.
      const site = proxyActivities<TelephonyActivities>({
        taskQueue: siteTaskQueue, scheduleToCloseTimeout: '20s', startToCloseTimeout: '10s', retry: { initialInterval: '500ms', maximumInterval: '2s' },
      });
      pending.push(site.releaseCall({ callId: workflowId }).catch((err) => log.warn('could not release the lost call', { workflowId, error: (err as Error).message })));
    }
    await Promise.all(pending); // each has its own catch: never rejects
    let final: Awaited<ReturnType<CallActivities['finalizeCall']>>;
    try {
      final = await db.finalizeCall({
        workflowId, contactId: input.contactId, phone: input.phone, outcome: outcome!, maxAttempts: input.maxAttempts, retryDelaySeconds: input.retryDelaySeconds,
        amdResult: ev.amd?.verdict ?? null, amdCause: ev.amd?.cause ?? null,
        hangupCause: hangupCause ?? ev.hungUp?.cause ?? 'normal',
        callbackAt, answeredAt: ev.answeredAt, endedAt: now(), optOut,
      });
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      failure = { stage: 'finalize', ...failureOf(err) };
      throw ApplicationFailure.create({ type: 'CallNotFinalised', nonRetryable: true, message: `the call's outcome could not be written: ${failure.type}: ${failure.message}`, cause: err });
    }
    result.outcome = final.outcome;
    result.turns = state.turn;
    state.outcome = final.outcome;
    state.phase = 'ended';
    upsertSearchAttributes([{ key: CallOutcomeKey, value: final.outcome }]);
    // CRM webhook: a lead is handed to its own delivery workflow (never awaited beyond its start). Runs
    // recorded before webhooks existed replay without it.
    if (final.outcome === 'lead' && input.leadWebhook && patched('lead-webhook')) {
      await startLeadDelivery({ campaignId: input.campaignId, callWorkflowId: workflowId, policy: input.leadWebhook });
    }
    return result;
  } finally {
    // Tell the campaign, whatever happened (it also reconciles calls it never hears back from); a call that
    // could not be written says so, and the campaign repairs the contact's state.
    try {
      if (notify) {
        await getExternalWorkflowHandle(input.campaignWorkflowId).signal(callFinishedSignal, {
          workflowId, contactId: input.contactId, attempt: input.attempt, outcome: result.outcome, skipReason: result.skipReason,
          ...(result.requeued ? { requeued: true } : {}),
          ...(failure ? { failure } : {}),
        });
      }
    } catch (err) {
      log.warn('could not notify the campaign', { workflowId, error: (err as Error).message });
    }
  }
}

/** A catch for the call's background writes: they retry until the database answers, so only a permanent error
 * (the record deleted) lands here; it must not become an unhandled rejection that wedges the workflow. */
function writeFailed(what: string): (err: unknown) => void {
  return (err) => log.warn(`${what} failed for good; the call goes on`, failureOf(err));
}

function ringOutcome(cause: HungUpEvent['cause']): CallOutcome {
  switch (cause) {
    case 'busy':
      return 'busy';
    case 'no_answer':
      return 'no_answer';
    case 'normal':
    case 'rejected':
      return 'no_answer';
    default:
      return 'failed';
  }
}
