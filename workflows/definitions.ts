// Signals, queries and the inputs/outputs of the campaign and call workflows. Shared by the workflows, the
// activities, the API, the CLI and the telephony backends. Signal names are plain words so that operators can
// use them from the Temporal CLI: temporal workflow signal --workflow-id campaign-<id> --name pause
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type {
  AmdResultEvent, AnsweredEvent, DtmfEvent, HungUpEvent, PlaybackFinishedEvent, SpeechStartedEvent, UtteranceEvent,
} from '../lib/call-events';
import type { CallOutcome } from '../lib/outcomes';
import type { CallingWindow } from '../lib/calling-window';
import type { Scenario } from '../lib/scenario';

// ---- campaign ---------------------------------------------------------------------------------------------
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const stopSignal = defineSignal('stop');
export const setConcurrencySignal = defineSignal<[number | { max: number }]>('setConcurrency');
export const callFinishedSignal = defineSignal<[CallFinished]>('callFinished');
export const campaignStatusQuery = defineQuery<CampaignStatus>('status');

export interface CallTiming {
  noAnswerTimeoutMs: number;
  amdTimeoutMs: number;
  /** Multiplies every scenario listen timeout (simulation time compression uses < 1). */
  listenScale: number;
  maxCallMs: number;
}

export interface CampaignInput {
  campaignId: string;
  scenario: string;
  /** The scenario's graph compiled from its file at launch (absent in runs started before scenario files). */
  scenarioGraph?: Scenario;
  window: CallingWindow | null; // null: no calling-window restriction (technical tests only)
  maxConcurrent: number;
  maxAttempts: number;
  retryDelaySeconds: number;
  nonCommercial: boolean;
  /** Number presented to callees (E.164); absent = the trunk's SIP_TRUNK_CALLER_ID. Checked at launch. */
  callerId?: string;
  machinePolicy: 'hangup' | 'leave_message';
  timing: CallTiming;
  /** Task queue where `originate` runs (any telephony worker instance). */
  telephonyTaskQueue: string;
  bargeInEnabled: boolean;
  /** Contacts claimed per activity call. */
  batchSize?: number;
  /** Continue-as-new once the run's history has this many events. */
  historyLimit?: number;
  /** The campaign has a CRM webhook: each lead is delivered by a lead delivery workflow with this retry policy. */
  leadWebhook?: LeadDeliveryPolicy;
}

export interface ActiveCall {
  workflowId: string;
  contactId: string;
  attempt: number;
  startedAt: number;
}

export interface CampaignCounts {
  dialed: number;
  finished: number;
  skipped: number;
  outcomes: Partial<Record<CallOutcome, number>>;
  skipReasons: Record<string, number>;
}

/** What a campaign run hands to its continuation. */
export interface CampaignCarry {
  counts: CampaignCounts;
  active: ActiveCall[];
  buffer: ClaimedContact[];
  paused: boolean;
  stopped: boolean;
  maxConcurrent: number;
  runs: number;
  claimSeq: number;
  /** Scheduler lag samples (ms from a slot freeing at the cap to the next call started), the latest 2000. */
  lags: number[];
  /**
   * Calls turned back by the dial-time window check (contactId:attempt → times): the next call for that
   * attempt gets a fresh workflow id (ids are never reused).
   */
  deferrals?: Record<string, number>;
}

/** Contacts waiting for their local calling window, per zone. */
export interface ZoneWait {
  timeZone: string;
  territory: string;
  contacts: number;
  /** ISO 8601 (UTC). */
  nextOpening: string | null;
}

export interface CampaignStatus {
  campaignId: string;
  state: 'starting' | 'running' | 'paused' | 'waiting_window' | 'waiting_retry' | 'stopping' | 'stopped' | 'completed';
  maxConcurrent: number;
  activeCalls: ActiveCall[];
  counts: CampaignCounts;
  nextWindowOpening: string | null;
  /** Zones whose contacts wait for their local window, with its next opening (from the latest claim). */
  windowWaits?: ZoneWait[];
  nextRetryAt: string | null;
  runs: number;
  historyLength: number;
  schedulerLag: { samples: number; p50Ms: number | null; p95Ms: number | null; maxMs: number | null };
}

export interface ClaimedContact {
  campaignContactId: string;
  contactId: string;
  phone: string;
  attempt: number;
  timeZone: string;
}

export interface CallFinished {
  workflowId: string;
  contactId: string;
  attempt: number;
  outcome: CallOutcome | null; // null when skipped at dial time, or when `failure` says the call could not be written
  skipReason?: string;
  /** Not dialed because the callee's window had closed: the contact waits again (neither dialed nor skipped). */
  requeued?: boolean;
  /**
   * The call workflow could not begin or finalise its record (a permanent error): the campaign repairs the
   * contact's state itself (finalises the call `failed`, or skips a contact whose call never began).
   */
  failure?: { stage: 'begin' | 'finalize'; type: string; message: string };
}

// ---- call -------------------------------------------------------------------------------------------------
export const answeredSignal = defineSignal<[AnsweredEvent]>('answered');
export const amdResultSignal = defineSignal<[AmdResultEvent]>('amdResult');
export const speechStartedSignal = defineSignal<[SpeechStartedEvent]>('speechStarted');
export const utteranceSignal = defineSignal<[UtteranceEvent]>('utterance');
export const playbackFinishedSignal = defineSignal<[PlaybackFinishedEvent]>('playbackFinished');
export const hungUpSignal = defineSignal<[HungUpEvent]>('hungUp');
export const dtmfSignal = defineSignal<[DtmfEvent]>('dtmf');
export const callStateQuery = defineQuery<CallState>('state');

export interface CallInput {
  campaignId: string;
  campaignWorkflowId: string;
  campaignContactId: string;
  contactId: string;
  phone: string;
  attempt: number;
  scenario: string;
  /**
   * The graph this call runs, handed over when it starts: an edit of the scenario file reaches new calls only,
   * and a replay reads the same graph from the history. Absent in calls started before scenario files: the
   * built-in graph of that name (lib/scenario.ts).
   */
  scenarioGraph?: Scenario;
  timeZone: string;
  nonCommercial: boolean;
  /** Number presented to the callee (E.164); absent = the trunk's SIP_TRUNK_CALLER_ID. */
  callerId?: string;
  machinePolicy: 'hangup' | 'leave_message';
  maxAttempts: number;
  retryDelaySeconds: number;
  timing: CallTiming;
  telephonyTaskQueue: string;
  bargeInEnabled: boolean;
  /** The campaign's window, checked again in the callee's local time at dial time (absent: not checked). */
  window?: CallingWindow | null;
  /** The campaign has a CRM webhook (the URL and secret stay in Postgres, out of the history). */
  leadWebhook?: LeadDeliveryPolicy;
}

export interface CallState {
  phase: 'checking' | 'dialing' | 'ringing' | 'in_call' | 'ending' | 'ended';
  step: string | null;
  turn: number;
  outcome: CallOutcome | null;
}

export interface CallResult {
  workflowId: string;
  outcome: CallOutcome | null;
  skipReason?: string;
  requeued?: boolean;
  turns: number;
}

/** beginCall's reason for an attempt whose call is already finalised (a reset re-run): the workflow refuses. */
export const ALREADY_DIALED = 'already_dialed';

export function callWorkflowId(campaignId: string, contactId: string, attempt: number): string {
  return `call-${campaignId}-${contactId}-${attempt}`;
}

export function campaignWorkflowId(campaignId: string): string {
  return `campaign-${campaignId}`;
}

// ---- lead delivery (CRM webhook) --------------------------------------------------------------------------
export interface LeadDeliveryPolicy {
  initialIntervalMs: number;
  maximumIntervalMs: number;
  maximumAttempts: number;
  requestTimeoutMs: number;
}

export interface LeadDeliveryInput {
  campaignId: string;
  callWorkflowId: string;
  policy: LeadDeliveryPolicy;
}

export interface LeadDeliveryResult {
  state: 'delivered' | 'failed' | 'no_webhook';
  attempts: number;
  reason?: string;
}

export function leadDeliveryWorkflowId(callWorkflowId: string): string {
  return `lead-delivery-${callWorkflowId}`;
}
