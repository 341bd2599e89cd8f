// Campaign application service, shared by the REST API, the CLI and the demo: validate and create a
// campaign, start its workflow, send it signals, read its status.
import { z } from 'zod';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { PrismaClient, Campaign } from '../prisma/client';
import { commercialScheduleErrors, validateWindow, windowFromSchedule, type CallingWindow } from '../lib/calling-window';
import type { Scenario } from '../lib/scenario';
import { formatIssue } from '../lib/scenario-file';
import { checkCanvassingCallerId } from '../lib/caller-id';
import { normalizeFrenchPhone, PHONE_INPUT } from '../lib/phone';
import { TEXT_INPUT, TIME_ZONES } from '../lib/input-rules';
import { MIN_SECRET_LENGTH, webhookUrlError } from '../lib/lead-webhook';
import { findScenario, scenarioNames, ScenarioError, type LoadedScenario } from './scenarios';
import { config, type Config } from '../runtime/config';
import {
  campaignStatusQuery, campaignWorkflowId, pauseSignal, resumeSignal, setConcurrencySignal, stopSignal,
  type CampaignInput, type CampaignStatus,
} from '../workflows/definitions';
import { CampaignIdKey, ScenarioKey } from '../workflows/search-attributes';
import { telephonyQueue } from '../lib/task-queues';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, 'expected HH:MM');

export const scheduleSchema = z
  .object({
    start_time: hhmm.default('10:00'),
    end_time: hhmm.default('20:00'),
    break_start: hhmm.nullable().default('13:00'),
    break_end: hhmm.nullable().default('14:00'),
    days: z.array(z.number().int().min(1).max(7)).min(1).max(7).default([1, 2, 3, 4, 5]),
    timezone: z.enum(TIME_ZONES).default('Europe/Paris').describe('IANA time zone (canonical name)'),
    exclude_holidays: z.boolean().default(true),
  })
  .strict();

export const campaignCreateSchema = z
  .object({
    name: z.string().max(200).regex(TEXT_INPUT, 'blank, or contains control characters').transform((s) => s.trim()),
    // A scenario's name (its folder's); whether the loader knows it (built-in, or a folder of SCENARIOS_DIR, which
    // may change while the API runs) is a rule checked after the schema (422), and whether it is valid at launch.
    scenario: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected a scenario name: lower-case letters, digits, _ and -').default('production')
      .describe('a scenario known to the server: built-in or in SCENARIOS_DIR (422 otherwise; see minibot scenario list)'),
    max_concurrent_calls: z.number().int().min(1).max(1000).default(3),
    contact_limit: z.number().int().min(1).max(10_000_000).nullable().optional(),
    schedule: scheduleSchema.optional(),
    max_attempts: z.number().int().min(1).max(10).default(3),
    retry_delay_seconds: z.number().int().min(1).max(30 * 86400).default(3600),
    non_commercial: z.boolean().default(false),
    machine_policy: z.enum(['hangup', 'leave_message']).default('hangup'),
    record_calls: z.boolean().default(false),
    contact_ids: z.array(z.string().uuid()).max(100_000).optional(),
    /** Only contacts imported from this source (the CLI's import tags each file's contacts). */
    contact_source: z.string().max(100).regex(TEXT_INPUT, 'blank, or contains control characters').transform((s) => s.trim()).optional(),
    departements: z.array(z.string().regex(/^(?:0[1-9]|1[0-9]|2[1-9]|[3-8][0-9]|9[0-5]|2A|2B|97[1-6])$/, 'expected a département code (01-95, 2A, 2B, 971-976)')).max(120).optional(),
    /** Simulation only: time compression of the simulated telephony (the call timeouts follow it). */
    time_scale: z.number().positive().max(1).optional(),
    /** Technical/demo campaigns only: dial at any time (no calling window). */
    ignore_window: z.boolean().default(false),
    /** The number this campaign presents (any French spelling, stored E.164); default SIP_TRUNK_CALLER_ID. */
    caller_id: z.string().regex(new RegExp(PHONE_INPUT), 'expected a phone number: digits, +, spaces, . - / ( )').nullable().optional().describe('422 when it is in no assigned range'),
    /** CRM webhook: each lead is POSTed there as JSON, signed with lead_webhook_secret (lib/lead-webhook.ts). */
    lead_webhook_url: z.string().max(2000).regex(/^https?:\/\/[^ \t\r\n]+$/, 'expected an http(s) URL').optional()
      .describe('CRM webhook: each lead is POSTed there as signed JSON (https, or plain http to localhost only; no credentials in the URL: 422 otherwise)'),
    /** The HMAC-SHA256 key of the signature (stored; never returned by the API). Required with lead_webhook_url. */
    lead_webhook_secret: z.string().min(MIN_SECRET_LENGTH, `at least ${MIN_SECRET_LENGTH} characters`).max(200).regex(TEXT_INPUT, 'blank, or contains control characters').optional()
      .describe('HMAC-SHA256 key of the X-MiniBot-Signature header; required with lead_webhook_url; write-only (never returned)'),
    /** Live transfer (a scenario's transfer step): the agent destination, {agent} of AGENT_DIAL_TEMPLATE. */
    agent: z.string().regex(/^[A-Za-z0-9_.+-]{1,80}$/, 'letters, digits, . _ + - only (an extension, a queue name…)').nullable().optional(),
    /** Transfers in progress at once (the number of agents): a lead beyond it goes to onNoAgent at once. */
    max_transfers: z.number().int().min(1).max(1000).nullable().optional(),
  })
  .strict()
  // The document says it too (dependentRequired), so that it states exactly what the server accepts.
  .meta({ dependentRequired: { lead_webhook_url: ['lead_webhook_secret'], lead_webhook_secret: ['lead_webhook_url'] } })
  .superRefine((v, ctx) => {
    if (v.lead_webhook_url && !v.lead_webhook_secret) ctx.addIssue({ code: 'custom', path: ['lead_webhook_secret'], message: 'required with lead_webhook_url (the signature key)' });
    if (v.lead_webhook_secret && !v.lead_webhook_url) ctx.addIssue({ code: 'custom', path: ['lead_webhook_url'], message: 'required with lead_webhook_secret' });
  });

export type CampaignCreate = z.input<typeof campaignCreateSchema>;

export class ValidationError extends Error {
  constructor(readonly issues: { field: string; reason: string }[]) {
    super(issues.map((i) => `${i.field}: ${i.reason}`).join('; '));
    this.name = 'ValidationError';
  }
}

export function parseCampaignCreate(body: unknown): z.output<typeof campaignCreateSchema> {
  const r = campaignCreateSchema.safeParse(body);
  if (!r.success) throw new ValidationError(r.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', reason: i.message })));
  const v = r.data;
  const known = scenarioNames(config());
  if (!known.includes(v.scenario)) {
    throw new ValidationError([{ field: 'scenario', reason: `unknown scenario "${v.scenario}" (known: ${known.join(', ')}; operators' scenarios are read from SCENARIOS_DIR)` }]);
  }
  if (v.lead_webhook_url) {
    const e = webhookUrlError(v.lead_webhook_url);
    if (e) throw new ValidationError([{ field: 'lead_webhook_url', reason: e }]);
  }
  if (v.caller_id) {
    const p = normalizeFrenchPhone(v.caller_id);
    if (!p.ok) throw new ValidationError([{ field: 'caller_id', reason: `not a valid French phone number (${p.reason})` }]);
  }
  if (v.schedule) {
    const errs = validateWindow(windowFromSchedule({ start: v.schedule.start_time, end: v.schedule.end_time, days: v.schedule.days, timeZone: v.schedule.timezone }));
    if (errs.length) throw new ValidationError(errs.map((e) => ({ field: `schedule.${e.split(':')[0]}`, reason: e.split(': ').slice(1).join(': ') })));
  }
  if (!v.non_commercial) {
    // Canvassing: the schedule must lie inside D.223-9's window (read in each callee's local time).
    const sch = v.schedule ?? scheduleSchema.parse({});
    const errs = commercialScheduleErrors({
      start: sch.start_time, end: sch.end_time, breakStart: sch.break_start, breakEnd: sch.break_end, days: sch.days, excludeHolidays: sch.exclude_holidays,
    });
    if (errs.length) throw new ValidationError(errs);
  }
  return v;
}

export async function createCampaign(prisma: PrismaClient, body: unknown): Promise<Campaign> {
  const v = parseCampaignCreate(body);
  const sch = v.schedule ?? scheduleSchema.parse({});
  return prisma.campaign.create({
    data: {
      name: v.name,
      scenario: v.scenario,
      windowStart: sch.start_time,
      windowEnd: sch.end_time,
      windowBreakStart: sch.break_start,
      windowBreakEnd: sch.break_end,
      allowedDays: sch.days,
      timezone: sch.timezone,
      excludeHolidays: sch.exclude_holidays,
      maxConcurrentCalls: v.max_concurrent_calls,
      contactLimit: v.contact_limit ?? null,
      maxAttempts: v.max_attempts,
      retryDelaySeconds: v.retry_delay_seconds,
      nonCommercial: v.non_commercial,
      machinePolicy: v.machine_policy,
      recordCalls: v.record_calls,
      callerId: v.caller_id ? (normalizeFrenchPhone(v.caller_id) as { e164: string }).e164 : null,
      leadWebhookUrl: v.lead_webhook_url ?? null,
      leadWebhookSecret: v.lead_webhook_secret ?? null,
      agent: v.agent ?? null,
      maxTransfers: v.max_transfers ?? null,
      settings: {
        ...(v.contact_ids ? { contactIds: v.contact_ids } : {}),
        ...(v.departements ? { departements: v.departements } : {}),
        ...(v.contact_source ? { source: v.contact_source } : {}),
        ...(v.time_scale ? { timeScale: v.time_scale } : {}),
        ...(v.ignore_window ? { ignoreWindow: true } : {}),
      },
    },
  });
}

export function campaignWindow(c: Campaign): CallingWindow | null {
  const settings = (c.settings ?? {}) as { ignoreWindow?: boolean };
  if (settings.ignoreWindow) return null;
  return windowFromSchedule({
    start: c.windowStart, end: c.windowEnd, breakStart: c.windowBreakStart, breakEnd: c.windowBreakEnd,
    days: c.allowedDays, timeZone: c.timezone, excludeHolidays: c.excludeHolidays,
  });
}

/**
 * The law's checks before a campaign may start, for a campaign row or a create request not yet written:
 * - the scenario's first prompt says who calls, why, and that the call is automated (lib/disclosure.ts);
 * - a commercial campaign on real telephony presents a caller ID in ARCEP's canvassing ranges (lib/caller-id.ts):
 *   its own `caller_id`, else SIP_TRUNK_CALLER_ID.
 * Each refusal names the field (or env variable) to fix.
 */
export function launchRefusals(
  c: { scenario: string; nonCommercial: boolean; callerId: string | null }, cfg: Config, loaded?: LoadedScenario,
): { field: string; reason: string }[] {
  const issues: { field: string; reason: string }[] = [];
  // The scenario file compiles: its graph, its prompt files, and its first prompt's disclosure (lib/scenario-file.ts).
  try {
    const s = loaded ?? findScenario(cfg, c.scenario);
    // The path and the message, as the API has always said them (`minibot scenario validate` adds file and line).
    issues.push(...s.issues.map((i) => ({ field: 'scenario', reason: i.path ? `${i.path}: ${i.message}` : formatIssue(i) })));
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    issues.push({ field: 'scenario', reason: e.message });
  }
  if (cfg.TELEPHONY_BACKEND === 'asterisk' && !c.nonCommercial) {
    // The field to fix: the campaign's own caller_id, or the server's environment variable.
    const field = c.callerId ? 'caller_id' : 'env.SIP_TRUNK_CALLER_ID';
    const check = checkCanvassingCallerId(c.callerId ?? cfg.SIP_TRUNK_CALLER_ID);
    if (!check.ok) issues.push({ field, reason: check.reason });
  }
  return issues;
}

/** Throws the launch refusals of a create request (before anything is written). */
export function assertLaunchable(body: unknown, cfg: Config): void {
  const v = parseCampaignCreate(body);
  const callerId = v.caller_id ? (normalizeFrenchPhone(v.caller_id) as { e164: string }).e164 : null;
  const issues = launchRefusals({ scenario: v.scenario, nonCommercial: v.non_commercial, callerId }, cfg);
  if (issues.length) throw new ValidationError(issues);
}

export function campaignInput(c: Campaign, cfg: Config): CampaignInput {
  let loaded: LoadedScenario | undefined;
  try {
    loaded = findScenario(cfg, c.scenario);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e; // reported by launchRefusals
  }
  const refusals = launchRefusals(c, cfg, loaded);
  if (refusals.length) throw new ValidationError(refusals);
  const settings = (c.settings ?? {}) as { timeScale?: number; batchSize?: number; historyLimit?: number; ignoreWindow?: boolean };
  if (settings.ignoreWindow && cfg.NODE_ENV === 'production' && cfg.TELEPHONY_BACKEND === 'asterisk' && !c.nonCommercial) {
    // Real commercial calls always keep a calling window; dialing at any hour is for demos and technical tests.
    throw new ValidationError([{ field: 'ignore_window', reason: 'not allowed for commercial campaigns on real telephony in production' }]);
  }
  if (!c.nonCommercial) {
    // Campaigns created before schedules were checked against D.223-9 are checked again before they dial.
    const errs = commercialScheduleErrors({
      start: c.windowStart, end: c.windowEnd, breakStart: c.windowBreakStart, breakEnd: c.windowBreakEnd, days: c.allowedDays, excludeHolidays: c.excludeHolidays,
    });
    if (errs.length) throw new ValidationError(errs);
  }
  const scale = settings.timeScale ?? 1;
  // Checked just above (launchRefusals): the file compiles. Its graph goes with the campaign to its calls.
  const scenarioGraph: Scenario | null = loaded?.scenario ?? null;
  return {
    campaignId: c.id,
    scenario: c.scenario,
    ...(scenarioGraph ? { scenarioGraph } : {}),
    window: campaignWindow(c),
    maxConcurrent: c.maxConcurrentCalls,
    maxAttempts: c.maxAttempts,
    retryDelaySeconds: c.retryDelaySeconds * scale,
    nonCommercial: c.nonCommercial,
    ...(c.callerId ? { callerId: c.callerId } : {}),
    machinePolicy: c.machinePolicy === 'leave_message' ? 'leave_message' : 'hangup',
    timing: {
      noAnswerTimeoutMs: Math.round(cfg.CALL_NO_ANSWER_TIMEOUT_MS * scale),
      amdTimeoutMs: Math.round(cfg.CALL_AMD_TIMEOUT_MS * scale),
      listenScale: scale,
      maxCallMs: Math.round(cfg.CALL_MAX_DURATION_MS * scale),
    },
    telephonyTaskQueue: telephonyQueue(cfg.TEMPORAL_TASK_QUEUE),
    bargeInEnabled: cfg.BARGE_IN_ENABLED,
    batchSize: settings.batchSize,
    historyLimit: settings.historyLimit,
    // The URL and secret stay in Postgres (read by the delivery activity): only the retry policy enters the history.
    ...(c.leadWebhookUrl ? {
      leadWebhook: {
        initialIntervalMs: Math.max(1, Math.round(cfg.LEAD_WEBHOOK_RETRY_INITIAL_MS * scale)),
        maximumIntervalMs: Math.max(1, Math.round(600_000 * scale)),
        maximumAttempts: cfg.LEAD_WEBHOOK_MAX_ATTEMPTS,
        requestTimeoutMs: cfg.LEAD_WEBHOOK_TIMEOUT_MS,
      },
    } : {}),
  };
}

/** Bound of each Temporal call made for an operator (API, CLI): an outage is reported, never waited out. */
const TEMPORAL_DEADLINE_MS = 3000;

/**
 * Starts the campaign's workflow, idempotently, so that a launch interrupted anywhere (the process killed,
 * Temporal or Postgres down) is completed by repeating it, and never gives a second workflow:
 * - the workflow id is the campaign's (campaign-<id>), and a launch refuses to start a new run once one has
 *   closed (REJECT_DUPLICATE), unless `relaunch` (POST /calls/:id/retry restarting a completed campaign);
 * - the campaign row is the state machine: draft (workflow_id null) → launch recorded (draft, workflow_id
 *   set, written in the same transaction that starts the workflow) → running, paused, stopped, completed (set
 *   by the workflow itself). The transaction holds the row lock across the start, so concurrent or repeated
 *   launches serialise on it; if the start fails the recording is rolled back (nothing half-written), and if
 *   the process dies after the start, the workflow records itself and a repeated launch finds it started.
 * A stopped or completed campaign is not launched again (CampaignStateError) unless `relaunch`.
 */
export async function launchCampaign(
  client: Client, prisma: PrismaClient, cfg: Config, campaignId: string, o: { relaunch?: boolean } = {},
): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = campaignWorkflowId(campaignId);
  return prisma.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM campaigns WHERE id = ${campaignId}::uuid FOR UPDATE`;
    if (!locked.length) throw new NotFoundError(`campaign ${campaignId} not found`);
    const c = await tx.campaign.findUniqueOrThrow({ where: { id: campaignId } });
    if (!o.relaunch && (c.status === 'stopped' || c.status === 'completed')) throw new CampaignStateError(`the campaign is ${c.status}`);
    if (c.workflowId !== workflowId) await tx.campaign.update({ where: { id: c.id }, data: { workflowId } });
    // Before the deadline starts: it bounds the Temporal call, not the reading of the scenario file.
    const input = campaignInput(c, cfg);
    try {
      await client.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => client.workflow.start('campaignWorkflow', {
        workflowId,
        taskQueue: cfg.TEMPORAL_TASK_QUEUE,
        args: [input],
        workflowIdReusePolicy: o.relaunch ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: CampaignIdKey, value: c.id },
          { key: ScenarioKey, value: c.scenario },
        ],
      }));
      return { workflowId, started: true };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
      throw err;
    }
  }, { maxWait: 5000, timeout: 15_000 });
}

/** The campaign's state forbids the operation (409 in the API). */
export class CampaignStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CampaignStateError';
  }
}

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export type CampaignCommand = 'pause' | 'resume' | 'stop';

export async function signalCampaign(client: Client, campaignId: string, command: CampaignCommand): Promise<void> {
  const h = client.workflow.getHandle(campaignWorkflowId(campaignId));
  const def = { pause: pauseSignal, resume: resumeSignal, stop: stopSignal }[command];
  await client.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => h.signal(def));
}

export async function setCampaignConcurrency(client: Client, campaignId: string, max: number): Promise<void> {
  await client.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => client.workflow.getHandle(campaignWorkflowId(campaignId)).signal(setConcurrencySignal, max));
}

export async function campaignStatus(client: Client, campaignId: string): Promise<CampaignStatus> {
  return client.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () => client.workflow.getHandle(campaignWorkflowId(campaignId)).query(campaignStatusQuery));
}
