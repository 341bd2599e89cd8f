// /stats: performance, latency, ASR quality, intent distribution (from the call records), and the live
// Server-Sent Events stream that the dashboard reads.
import { z } from 'zod';
import { Prisma } from '../../prisma/client';
import { round } from '../../lib/metrics';
import { maskNumber } from '../../lib/mask';
import { webUiLink } from '../../services/temporal';
import { liveCampaign } from './campaigns';
import { unreachableDependency } from '../../services/dependencies';
import { route, type AnyRoute } from '../http/routes';
import { campaignFilter, iso, sinceQuery, type Deps } from './common';

const filters = z.object({ campaign_id: campaignFilter, since: sinceQuery }).strict();
type Filters = z.output<typeof filters>;

function where(f: Filters, alias: string, timeCol: string): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`TRUE`];
  if (f.campaign_id) parts.push(Prisma.sql`${Prisma.raw(alias)}.campaign_id = ${f.campaign_id}::uuid`);
  if (f.since) parts.push(Prisma.sql`${Prisma.raw(`${alias}.${timeCol}`)} >= ${new Date(f.since)}`);
  return Prisma.join(parts, ' AND ');
}

type Num = number | null;
export interface LatencyRow {
  turns: number; asr_avg: Num; asr_p50: Num; asr_p95: Num; intent_avg: Num; intent_p50: Num; intent_p95: Num;
  barge_ins: number; barge_avg: Num; barge_p50: Num; barge_p95: Num; total_avg: Num; total_p50: Num; total_p95: Num;
}

export async function latencyStats(d: Deps, f: Filters) {
  const [r] = await d.prisma.$queryRaw<LatencyRow[]>`
    SELECT count(*)::int AS turns,
      avg(i.asr_latency_ms) AS asr_avg, percentile_cont(0.5) WITHIN GROUP (ORDER BY i.asr_latency_ms) AS asr_p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY i.asr_latency_ms) AS asr_p95,
      avg(i.intent_latency_ms) AS intent_avg, percentile_cont(0.5) WITHIN GROUP (ORDER BY i.intent_latency_ms) AS intent_p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY i.intent_latency_ms) AS intent_p95,
      count(*) FILTER (WHERE i.barge_in_detected)::int AS barge_ins,
      avg(i.barge_in_latency_ms) FILTER (WHERE i.barge_in_detected) AS barge_avg,
      percentile_cont(0.5) WITHIN GROUP (ORDER BY i.barge_in_latency_ms) FILTER (WHERE i.barge_in_detected) AS barge_p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY i.barge_in_latency_ms) FILTER (WHERE i.barge_in_detected) AS barge_p95,
      avg(i.total_latency_ms) AS total_avg, percentile_cont(0.5) WITHIN GROUP (ORDER BY i.total_latency_ms) AS total_p50,
      percentile_cont(0.95) WITHIN GROUP (ORDER BY i.total_latency_ms) AS total_p95
    FROM call_interactions i JOIN calls c ON c.id = i.call_id
    WHERE ${where(f, 'c', 'dialed_at')} ${f.since ? Prisma.sql`AND i.started_at >= ${new Date(f.since)}` : Prisma.empty}`;
  const x = r!;
  const n = (v: Num) => round(v === null ? null : Number(v));
  const t = d.cfg;
  return {
    turns: x.turns,
    asr_avg_ms: n(x.asr_avg), intent_avg_ms: round(x.intent_avg === null ? null : Number(x.intent_avg), 3), barge_in_avg_ms: n(x.barge_avg), total_avg_ms: n(x.total_avg),
    percentiles_ms: {
      asr: { p50: n(x.asr_p50), p95: n(x.asr_p95) },
      intent: { p50: round(x.intent_p50 === null ? null : Number(x.intent_p50), 3), p95: round(x.intent_p95 === null ? null : Number(x.intent_p95), 3) },
      barge_in: { p50: n(x.barge_p50), p95: n(x.barge_p95) },
      total: { p50: n(x.total_p50), p95: n(x.total_p95) },
    },
    barge_ins: x.barge_ins,
    targets_ms: { asr: t.TARGET_ASR_LATENCY, intent: t.TARGET_INTENT_LATENCY, barge_in: t.TARGET_BARGE_IN_LATENCY, total: t.TARGET_TOTAL_LATENCY },
  };
}

export async function performanceStats(d: Deps, f: Filters) {
  const [r] = await d.prisma.$queryRaw<{
    calls: number; ended: number; answered: number; machines: number; leads: number; active: number; last_minute: number; last_5_minutes: number; last_hour: number;
    talk_avg: Num; total_avg: Num;
  }[]>`
    SELECT count(*)::int AS calls, count(*) FILTER (WHERE c.ended_at IS NOT NULL)::int AS ended,
      count(*) FILTER (WHERE c.answered_at IS NOT NULL)::int AS answered,
      count(*) FILTER (WHERE c.outcome = 'machine')::int AS machines,
      count(*) FILTER (WHERE c.outcome = 'lead')::int AS leads,
      count(*) FILTER (WHERE c.ended_at IS NULL)::int AS active,
      count(*) FILTER (WHERE c.dialed_at > now() - interval '1 minute')::int AS last_minute,
      count(*) FILTER (WHERE c.dialed_at > now() - interval '5 minutes')::int AS last_5_minutes,
      count(*) FILTER (WHERE c.dialed_at > now() - interval '1 hour')::int AS last_hour,
      avg(c.talk_duration_ms) AS talk_avg, avg(c.total_duration_ms) AS total_avg
    FROM calls c WHERE ${where(f, 'c', 'dialed_at')}`;
  const outcomes = await d.prisma.$queryRaw<{ outcome: string; n: number }[]>`
    SELECT c.outcome::text AS outcome, count(*)::int AS n FROM calls c WHERE c.outcome IS NOT NULL AND ${where(f, 'c', 'dialed_at')} GROUP BY 1 ORDER BY 2 DESC`;
  const campaigns = await d.prisma.campaign.groupBy({ by: ['status'], _count: true, where: f.campaign_id ? { id: f.campaign_id } : {} });
  const x = r!;
  const humans = x.answered - x.machines;
  return {
    calls: x.calls, ended: x.ended, active_calls: x.active, answered: x.answered, leads: x.leads,
    answer_rate: x.calls ? round(x.answered / x.calls, 4) : null,
    lead_rate: humans > 0 ? round(x.leads / humans, 4) : null,
    dial_rate_per_minute: { last_minute: x.last_minute, last_5_minutes_avg: round(x.last_5_minutes / 5, 2) },
    calls_last_hour: x.last_hour,
    durations_ms: { talk_avg: round(x.talk_avg === null ? null : Number(x.talk_avg)), total_avg: round(x.total_avg === null ? null : Number(x.total_avg)) },
    outcomes: Object.fromEntries(outcomes.map((o) => [o.outcome, o.n])),
    campaigns: Object.fromEntries(campaigns.map((c) => [c.status, c._count])),
    latency: await latencyStats(d, f),
  };
}

export async function intentDistribution(d: Deps, f: Filters) {
  const rows = await d.prisma.$queryRaw<{ intent: string | null; n: number }[]>`
    SELECT i.intent, count(*)::int AS n FROM call_interactions i JOIN calls c ON c.id = i.call_id
    WHERE ${where(f, 'c', 'dialed_at')} ${f.since ? Prisma.sql`AND i.started_at >= ${new Date(f.since)}` : Prisma.empty}
    GROUP BY 1 ORDER BY 2 DESC`;
  return Object.fromEntries(rows.map((r) => [r.intent ?? 'none', r.n]));
}

/** One picture of the whole system for the dashboard (and the SSE stream). */
export async function realtimeSnapshot(d: Deps) {
  const { prisma, client, cfg } = d;
  const campaigns = await prisma.campaign.findMany({
    where: { OR: [{ status: { in: ['running', 'paused'] } }, { createdAt: { gt: new Date(Date.now() - 7 * 86_400_000) } }] },
    orderBy: { createdAt: 'desc' }, take: 20,
  });
  const ids = campaigns.map((c) => c.id);
  const [states, outcomes, active] = await Promise.all([
    ids.length ? prisma.campaignContact.groupBy({ by: ['campaignId', 'state'], where: { campaignId: { in: ids } }, _count: true }) : [],
    ids.length ? prisma.call.groupBy({ by: ['campaignId', 'outcome'], where: { campaignId: { in: ids } }, _count: true }) : [],
    prisma.call.findMany({ where: { endedAt: null }, orderBy: { dialedAt: 'asc' }, take: 50, select: { id: true, campaignId: true, phone: true, status: true, dialedAt: true, workflowId: true, attempt: true } }),
  ]);
  const lives = await Promise.all(campaigns.map((c) => (c.status === 'running' || c.status === 'paused' ? liveCampaign(client, c.id, 1500) : Promise.resolve(null))));
  const now = Date.now();
  const since5 = new Date(now - 5 * 60_000).toISOString();
  return {
    ts: new Date(now).toISOString(),
    campaigns: campaigns.map((c, i) => {
      const st = Object.fromEntries(states.filter((s) => s.campaignId === c.id).map((s) => [s.state, s._count]));
      const contacts = Object.values(st).reduce((a, b) => a + b, 0);
      const settled = (st.done ?? 0) + (st.skipped ?? 0);
      const oc = Object.fromEntries(outcomes.filter((o) => o.campaignId === c.id && o.outcome).map((o) => [o.outcome!, o._count]));
      const live = lives[i];
      return {
        id: c.id, name: c.name, scenario: c.scenario, status: c.status, contacts, settled, progress: contacts ? round(settled / contacts, 4) : 0,
        calls: outcomes.filter((o) => o.campaignId === c.id).reduce((a, o) => a + o._count, 0), outcomes: oc,
        workflow_state: live?.status?.state ?? (live ? live.execution.toLowerCase() : null),
        active_calls: live?.status?.activeCalls.length ?? null, max_concurrent: live?.status?.maxConcurrent ?? c.maxConcurrentCalls,
        web_ui: webUiLink(cfg.TEMPORAL_UI_URL, cfg.TEMPORAL_NAMESPACE, c.workflowId ?? `campaign-${c.id}`) || null,
      };
    }),
    active_calls: active.map((a) => ({
      id: a.id, campaign_id: a.campaignId, phone: maskNumber(a.phone), status: a.status, attempt: a.attempt,
      dialed_at: iso(a.dialedAt), duration_ms: now - a.dialedAt.getTime(), web_ui: webUiLink(cfg.TEMPORAL_UI_URL, cfg.TEMPORAL_NAMESPACE, a.workflowId) || null,
    })),
    performance: await performanceStats(d, {}),
    intents: await intentDistribution(d, {}),
    latency_last_5_minutes: (await latencyStats(d, { since: since5 })).percentiles_ms,
  };
}

/** One snapshot computation is shared by every open stream (dashboards) within this interval (ms). */
export const SNAPSHOT_SHARED_MS = 400;

export function statsRoutes(d: Deps): AnyRoute[] {
  let shared: { at: number; p: ReturnType<typeof realtimeSnapshot> } | null = null;
  const snapshot = () => {
    if (!shared || Date.now() - shared.at > SNAPSHOT_SHARED_MS) {
      const p = realtimeSnapshot(d);
      shared = { at: Date.now(), p };
      p.catch(() => {
        if (shared?.p === p) shared = null;
      });
    }
    return shared.p;
  };
  return [
    route({
      method: 'get', path: '/stats/performance', tag: 'stats', summary: 'Call volumes, rates, durations, dial rate and latencies', query: filters,
      handler: async ({ query }) => performanceStats(d, query),
    }),
    route({
      method: 'get', path: '/stats/latency', tag: 'stats', summary: 'Latency averages and percentiles per stage (ASR, intent, barge-in, turn) with the targets', query: filters,
      handler: async ({ query }) => latencyStats(d, query),
    }),
    route({
      method: 'get', path: '/stats/asr-quality', tag: 'stats', summary: 'Speech recognition quality measured on the calls',
      description: 'Confidence of the recogniser on each transcribed turn, silent turns, barge-ins. Transcription accuracy needs reference transcripts: it is measured offline (npm run eval:intent), not here.',
      query: filters,
      handler: async ({ query }) => {
        const [r] = await d.prisma.$queryRaw<{ turns: number; transcribed: number; silent: number; conf_avg: Num; conf_p10: Num; conf_p50: Num; low: number; barge: number; unsure: number; asr_p50: Num; asr_p95: Num }[]>`
          SELECT count(*)::int AS turns,
            count(*) FILTER (WHERE i.transcript IS NOT NULL AND i.transcript <> '')::int AS transcribed,
            count(*) FILTER (WHERE i.transcript IS NULL OR i.transcript = '')::int AS silent,
            avg((i.streaming_metadata->>'asrConfidence')::float) AS conf_avg,
            percentile_cont(0.1) WITHIN GROUP (ORDER BY (i.streaming_metadata->>'asrConfidence')::float) AS conf_p10,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY (i.streaming_metadata->>'asrConfidence')::float) AS conf_p50,
            count(*) FILTER (WHERE (i.streaming_metadata->>'asrConfidence')::float < 0.6)::int AS low,
            count(*) FILTER (WHERE i.barge_in_detected)::int AS barge,
            count(*) FILTER (WHERE i.intent = 'unsure')::int AS unsure,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY i.asr_latency_ms) AS asr_p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY i.asr_latency_ms) AS asr_p95
          FROM call_interactions i JOIN calls c ON c.id = i.call_id
          WHERE ${where(query, 'c', 'dialed_at')}`;
        const x = r!;
        const num = (v: Num, digits = 3) => round(v === null ? null : Number(v), digits);
        return {
          turns: x.turns, transcribed_turns: x.transcribed, silent_turns: x.silent,
          confidence_avg: num(x.conf_avg), confidence_p10: num(x.conf_p10), confidence_p50: num(x.conf_p50),
          low_confidence_rate: x.transcribed ? num(x.low / x.transcribed, 4) : null,
          silence_rate: x.turns ? num(x.silent / x.turns, 4) : null,
          barge_in_rate: x.turns ? num(x.barge / x.turns, 4) : null,
          unsure_intent_rate: x.transcribed ? num(x.unsure / x.transcribed, 4) : null,
          asr_latency_ms: { p50: num(x.asr_p50, 1), p95: num(x.asr_p95, 1) },
        };
      },
    }),
    route({
      method: 'get', path: '/stats/intent-distribution', tag: 'stats', summary: 'How many bot turns ended on each intent', query: filters,
      handler: async ({ query }) => intentDistribution(d, query),
    }),
    route({
      method: 'get', path: '/stats/realtime', tag: 'stats', summary: 'Live snapshots (Server-Sent Events, event "snapshot")',
      description: 'A `snapshot` event at once, then one every `interval` seconds: campaigns with progress and workflow state, active calls, performance, intents, latency percentiles of the last 5 minutes.',
      query: z.object({ interval: z.coerce.number().min(0.5).max(60).default(2) }).strict(),
      success: {
        contentType: 'text/event-stream',
        description: 'Event stream: `snapshot` events (id, JSON data), and `error` events (JSON data naming the dependency that is down) while a snapshot cannot be read',
        // Each event of the stream (Schemathesis validates events one by one against this schema).
        schema: z.object({
          event: z.enum(['snapshot', 'error']),
          id: z.string().regex(/^\d+$/).optional(),
          data: z.string().meta({ contentMediaType: 'application/json' }),
        }),
      },
      handler: async ({ query, req, res }) => {
        // The first snapshot before the stream opens: a service down is then a plain 503, not an empty stream.
        let first: Awaited<ReturnType<typeof realtimeSnapshot>> | null = await snapshot();
        res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
        res.flushHeaders();
        let closed = false;
        req.on('close', () => {
          closed = true;
        });
        let seq = 0;
        while (!closed) {
          try {
            const snap = first ?? (await snapshot());
            first = null;
            if (closed) break;
            res.write(`id: ${++seq}\nevent: snapshot\ndata: ${JSON.stringify(snap)}\n\n`);
          } catch (e) {
            res.locals.log?.warn({ err: e }, 'realtime snapshot failed');
            const dependency = unreachableDependency(e);
            res.write(`event: error\ndata: ${JSON.stringify({ message: 'snapshot failed, retrying', ...(dependency ? { dependency } : {}) })}\n\n`);
          }
          await new Promise((r) => setTimeout(r, query.interval * 1000));
        }
        res.end();
        return undefined;
      },
    }),
  ];
}
