// /campaigns: create (+ start the Temporal workflow), list, read with the live workflow state, figures,
// analytics, and the pause / resume / stop signals.
import { z } from 'zod';
import { ApplicationFailure, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Campaign } from '../../prisma/client';
import {
  assertLaunchable, campaignCreateSchema, campaignStatus, createCampaign, launchCampaign, setCampaignConcurrency, signalCampaign, ValidationError,
  type CampaignCommand,
} from '../../services/campaigns';
import { campaignFigures, latencyFigures } from '../../services/stats';
import { webUiLink } from '../../services/temporal';
import { campaignWorkflowId, type CampaignStatus } from '../../workflows/definitions';
import { percentile, round } from '../../lib/metrics';
import { route, type AnyRoute } from '../http/routes';
import { ApiError, conflict, notFound, serviceUnavailable } from '../http/errors';
import { unreachableDependency } from '../../services/dependencies';
import { idParam, iso, limit, sinceQuery, type Deps } from './common';
import { countLeads, readLeads } from '../../services/leads';
import { leadJson } from '../../lib/leads';
import { valueWithin } from '../../lib/timeout';
import { redactWebhookUrl } from '../../lib/lead-webhook';
import { leadDeliverySummary, leadDeliverySummaryJson } from '../../services/lead-deliveries';

export function campaignOut(c: Campaign, d: Deps) {
  const wf = c.workflowId ?? campaignWorkflowId(c.id);
  return {
    id: c.id, name: c.name, scenario: c.scenario, status: c.status, max_concurrent_calls: c.maxConcurrentCalls, contact_limit: c.contactLimit,
    schedule: {
      start_time: c.windowStart, end_time: c.windowEnd, break_start: c.windowBreakStart, break_end: c.windowBreakEnd,
      days: c.allowedDays, timezone: c.timezone, exclude_holidays: c.excludeHolidays,
    },
    max_attempts: c.maxAttempts, retry_delay_seconds: c.retryDelaySeconds, non_commercial: c.nonCommercial, machine_policy: c.machinePolicy,
    record_calls: c.recordCalls, caller_id: c.callerId, agent: c.agent, max_transfers: c.maxTransfers,
    // The secret is never returned, and the URL's query (which may hold a token) is hidden.
    lead_webhook: c.leadWebhookUrl ? { url: redactWebhookUrl(c.leadWebhookUrl), secret_set: c.leadWebhookSecret !== null } : null,
    workflow_id: c.workflowId, started_at: iso(c.startedAt), ended_at: iso(c.endedAt), created_at: iso(c.createdAt),
    web_ui: webUiLink(d.cfg.TEMPORAL_UI_URL, d.cfg.TEMPORAL_NAMESPACE, wf) || null,
  };
}

export interface LiveCampaign {
  execution: string;
  status: CampaignStatus | null;
  /** Why the workflow failed (a typed, permanent error such as CampaignNotFound), when it did. */
  failure: { type: string | null; message: string } | null;
}

/** The workflow's execution status and, while it runs, its `status` query (null when unknown). */
export async function liveCampaign(client: Client, id: string, timeoutMs = 3000): Promise<LiveCampaign | null> {
  // gRPC deadlines, so that a query to a workflow nobody serves fails instead of staying pending.
  const within = <T>(f: () => Promise<T>) => valueWithin(client.withDeadline(Date.now() + timeoutMs, f), timeoutMs + 500);
  const handle = client.workflow.getHandle(campaignWorkflowId(id));
  const desc = await within(() => handle.describe());
  if (!desc) return null;
  const status = desc.status.name === 'RUNNING' ? await within(() => campaignStatus(client, id)) : null;
  let failure: LiveCampaign['failure'] = null;
  if (desc.status.name === 'FAILED') {
    const err = await within(() => handle.result().then(() => null, (e: unknown) => e));
    const cause = err instanceof WorkflowFailedError ? err.cause : null;
    failure = { type: cause instanceof ApplicationFailure ? cause.type ?? null : null, message: cause?.message ?? 'the campaign workflow failed' };
  }
  return { execution: desc.status.name, status, failure };
}

export function campaignRoutes(d: Deps): AnyRoute[] {
  const { prisma, client, cfg } = d;
  const find = async (id: string) => {
    const c = await prisma.campaign.findUnique({ where: { id } });
    if (!c) throw notFound(`campaign ${id}`);
    return c;
  };
  const signalRoute = (cmd: CampaignCommand) =>
    route({
      method: 'post', path: `/campaigns/:id/${cmd}`, tag: 'campaigns', summary: `${cmd[0]!.toUpperCase()}${cmd.slice(1)} a campaign (Temporal signal "${cmd}")`,
      params: idParam, errors: [404, 409], needs: ['postgres', 'temporal'], success: { status: 202, description: 'Signal delivered to the campaign workflow' },
      handler: async ({ params }) => {
        await find(params.id);
        try {
          const desc = await client.withDeadline(Date.now() + 3000, () => client.workflow.getHandle(campaignWorkflowId(params.id)).describe());
          if (desc.status.name !== 'RUNNING') throw conflict(`the campaign workflow is not running (${desc.status.name.toLowerCase()})`);
          await signalCampaign(client, params.id, cmd);
        } catch (e) {
          if (e instanceof WorkflowNotFoundError) throw conflict('the campaign has not been launched');
          throw e;
        }
        return { campaign_id: params.id, signal: cmd, delivered: true };
      },
    });

  return [
    route({
      method: 'get', path: '/campaigns', tag: 'campaigns', summary: 'List campaigns (newest first)',
      query: z.object({
        status: z.enum(['draft', 'running', 'paused', 'stopped', 'completed']).optional(),
        limit: limit(200, 50),
        offset: z.coerce.number().int().min(0).max(100_000).default(0),
      }).strict(),
      handler: async ({ query }) => {
        const where = query.status ? { status: query.status } : {};
        const [items, total] = await Promise.all([
          prisma.campaign.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: query.limit, skip: query.offset }),
          prisma.campaign.count({ where }),
        ]);
        return { items: items.map((c) => campaignOut(c, d)), total };
      },
    }),
    route({
      method: 'post', path: '/campaigns', tag: 'campaigns', summary: 'Create a campaign and start its workflow',
      description: 'With `?launch=false` the campaign is only created (draft); start it with POST /campaigns/{id}/launch. ' +
        'When Temporal is down the answer is 503 and the campaign stays a draft (its id is in the error as `campaign_id`): launch it once Temporal is back.',
      query: z.object({ launch: z.enum(['true', 'false']).default('true') }).strict(),
      body: campaignCreateSchema,
      needs: ['postgres', 'temporal'],
      errors: [422],
      success: { status: 201, description: 'Created (and started)' },
      handler: async ({ body, query }) => {
        // The law's launch checks (disclosure, caller ID) refuse before anything is written.
        if (query.launch === 'true') assertLaunchable(body, cfg);
        const c = await createCampaign(prisma, body);
        let launched: Awaited<ReturnType<typeof launchCampaign>> | null = null;
        try {
          launched = query.launch === 'true' ? await launchCampaign(client, prisma, cfg, c.id) : null;
        } catch (e) {
          // The launch rolled back: the campaign is a draft with no workflow, launchable later.
          const down = unreachableDependency(e);
          if (down) throw serviceUnavailable(down, { campaign_id: c.id, campaign_status: 'draft' });
          throw e;
        }
        return { ...campaignOut(c, d), workflow_id: launched?.workflowId ?? null, started: launched?.started ?? false };
      },
    }),
    route({
      method: 'post', path: '/campaigns/:id/launch', tag: 'campaigns', summary: 'Start the workflow of a draft campaign (idempotent)',
      description: 'Repeating it (after a timeout, a crash, an outage) never starts a second workflow: `started` is false when it already runs.',
      params: idParam, errors: [404, 409], needs: ['postgres', 'temporal'], success: { status: 202 },
      handler: async ({ params }) => {
        let r;
        try {
          r = await launchCampaign(client, prisma, cfg, params.id);
        } catch (e) {
          // The stored campaign cannot start as it is (disclosure, caller ID): 409 naming the field to change.
          if (e instanceof ValidationError) throw new ApiError(409, 'launch_refused', e.message, e.issues);
          throw e;
        }
        return { campaign_id: params.id, workflow_id: r.workflowId, started: r.started };
      },
    }),
    route({
      method: 'get', path: '/campaigns/:id', tag: 'campaigns', summary: 'A campaign with its live workflow state',
      params: idParam, errors: [404],
      handler: async ({ params }) => {
        const c = await prisma.campaign.findUnique({ where: { id: params.id } });
        if (!c) {
          // Deleted under its workflow: say what became of that workflow (it fails with CampaignNotFound).
          const gone = await liveCampaign(client, params.id).catch(() => null);
          if (!gone) throw notFound(`campaign ${params.id}`);
          const why = gone.failure ? `: ${gone.failure.type ?? 'error'}: ${gone.failure.message}` : '';
          throw new ApiError(404, 'not_found', `campaign ${params.id} not found (deleted); its workflow is ${gone.execution.toLowerCase()}${why}`, undefined, {
            workflow: { execution_status: gone.execution.toLowerCase(), failure: gone.failure },
          });
        }
        const [live, deliveries] = await Promise.all([liveCampaign(client, c.id), c.leadWebhookUrl ? leadDeliverySummary(prisma, c.id) : null]);
        return {
          ...campaignOut(c, d),
          // CRM webhook deliveries (null without a webhook): failures stay listed until delivered.
          lead_deliveries: deliveries ? leadDeliverySummaryJson(deliveries) : null,
          workflow: live ? {
            execution_status: live.execution.toLowerCase(),
            state: live.status?.state ?? null,
            max_concurrent: live.status?.maxConcurrent ?? null,
            active_calls: live.status?.activeCalls.length ?? null,
            next_window_opening: live.status?.nextWindowOpening ?? null,
            // Zones whose contacts wait for their local calling window, with its next opening.
            window_waits: (live.status?.windowWaits ?? []).map((w) => ({ time_zone: w.timeZone, territory: w.territory, contacts: w.contacts, next_opening: w.nextOpening })),
            next_retry_at: live.status?.nextRetryAt ?? null,
            runs: live.status?.runs ?? null,
            history_length: live.status?.historyLength ?? null,
            failure: live.failure,
          } : null,
        };
      },
    }),
    route({
      method: 'get', path: '/campaigns/:id/stats', tag: 'campaigns', summary: 'Live figures of a campaign (from the call records)',
      params: idParam, errors: [404],
      handler: async ({ params }) => {
        const c = await find(params.id);
        const [f, states, active] = await Promise.all([
          campaignFigures(prisma, c.id),
          prisma.campaignContact.groupBy({ by: ['state'], where: { campaignId: c.id }, _count: true }),
          prisma.call.count({ where: { campaignId: c.id, endedAt: null } }),
        ]);
        const byState = Object.fromEntries(states.map((s) => [s.state, s._count]));
        const settled = (byState.done ?? 0) + (byState.skipped ?? 0);
        return {
          campaign_id: c.id, status: c.status, contacts: f.contacts, settled, open: f.open,
          progress: f.contacts ? round(settled / f.contacts, 4) : 0,
          contact_states: byState, calls_dialed: f.dialed, unique_contacts_dialed: f.uniqueContactsDialed, active_calls: active,
          max_concurrent_measured: f.maxConcurrent, max_concurrent_calls: c.maxConcurrentCalls, double_dials: f.doubleDials,
          outcomes: f.outcomes, skipped: f.skipped,
        };
      },
    }),
    route({
      method: 'get', path: '/campaigns/:id/leads', tag: 'campaigns',
      summary: 'The leads of a campaign (calls with outcome "lead", oldest first by the end of the call): contact, call, answers per step, callback time',
      params: idParam, errors: [404],
      query: z.object({
        since: sinceQuery,
        limit: limit(1000, 100),
        offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
      }).strict(),
      handler: async ({ params, query }) => {
        const c = await find(params.id);
        const since = query.since ? new Date(query.since) : undefined;
        const [items, total] = await Promise.all([
          readLeads(prisma, c.id, { since, take: query.limit, skip: query.offset }),
          countLeads(prisma, c.id, since),
        ]);
        return { campaign_id: c.id, since: iso(since), total, limit: query.limit, offset: query.offset, items: items.map(leadJson) };
      },
    }),
    route({
      method: 'get', path: '/campaigns/:id/analytics', tag: 'campaigns', summary: 'Outcome and intent analysis, rates, durations, latencies, calls per hour',
      params: idParam, errors: [404],
      handler: async ({ params }) => {
        const c = await find(params.id);
        const [calls, intents, lat, hourly] = await Promise.all([
          prisma.call.findMany({ where: { campaignId: c.id }, select: { outcome: true, answeredAt: true, amdResult: true, hangupCause: true, talkDurationMs: true, ringDurationMs: true, attempt: true } }),
          prisma.callInteraction.groupBy({ by: ['intent'], where: { call: { campaignId: c.id } }, _count: true }),
          latencyFigures(prisma, { campaignId: c.id }),
          prisma.$queryRaw<{ hour: Date; calls: number; leads: number }[]>`
            SELECT date_trunc('hour', dialed_at) AS hour, count(*)::int AS calls, count(*) FILTER (WHERE outcome = 'lead')::int AS leads
            FROM calls WHERE campaign_id = ${c.id}::uuid GROUP BY 1 ORDER BY 1`,
        ]);
        const count = <K extends string>(xs: (K | null)[]) => xs.reduce<Record<string, number>>((m, k) => ((m[k ?? 'none'] = (m[k ?? 'none'] ?? 0) + 1), m), {});
        const ended = calls.filter((x) => x.outcome);
        const answered = calls.filter((x) => x.answeredAt).length;
        const humans = calls.filter((x) => x.answeredAt && x.amdResult !== 'machine').length;
        const leads = calls.filter((x) => x.outcome === 'lead').length;
        const talk = calls.map((x) => x.talkDurationMs).filter((x): x is number => x !== null);
        const ring = calls.map((x) => x.ringDurationMs).filter((x): x is number => x !== null);
        return {
          campaign_id: c.id,
          calls: calls.length, ended: ended.length, answered, human_answers: humans, leads,
          rates: {
            answer: calls.length ? round(answered / calls.length, 4) : null,
            lead_per_human: humans ? round(leads / humans, 4) : null,
            lead_per_call: calls.length ? round(leads / calls.length, 4) : null,
          },
          outcomes: count(ended.map((x) => x.outcome)),
          amd: count(calls.filter((x) => x.answeredAt).map((x) => x.amdResult)),
          hangup_causes: count(calls.map((x) => x.hangupCause).filter((x) => x !== null)),
          attempts: count(calls.map((x) => String(x.attempt))),
          intents: Object.fromEntries(intents.map((i) => [i.intent ?? 'none', i._count])),
          durations_ms: {
            talk_avg: talk.length ? round(talk.reduce((a, b) => a + b, 0) / talk.length) : null,
            talk_p50: round(percentile(talk, 50)), talk_p95: round(percentile(talk, 95)),
            ring_p50: round(percentile(ring, 50)), ring_p95: round(percentile(ring, 95)),
          },
          latency_ms: lat,
          calls_per_hour: hourly.map((h) => ({ hour: h.hour.toISOString(), calls: h.calls, leads: h.leads })),
        };
      },
    }),
    signalRoute('pause'),
    signalRoute('resume'),
    signalRoute('stop'),
    route({
      method: 'post', path: '/campaigns/:id/concurrency', tag: 'campaigns', summary: 'Change the concurrent call cap (signal setConcurrency)',
      params: idParam, body: z.object({ max_concurrent_calls: z.number().int().min(1).max(1000) }).strict(), errors: [404, 409], needs: ['postgres', 'temporal'], success: { status: 202 },
      handler: async ({ params, body }) => {
        await find(params.id);
        try {
          await setCampaignConcurrency(client, params.id, body.max_concurrent_calls);
        } catch (e) {
          if (e instanceof WorkflowNotFoundError) throw conflict('the campaign workflow is not running');
          throw e;
        }
        await prisma.campaign.update({ where: { id: params.id }, data: { maxConcurrentCalls: body.max_concurrent_calls } });
        return { campaign_id: params.id, max_concurrent_calls: body.max_concurrent_calls };
      },
    }),
  ];
}
