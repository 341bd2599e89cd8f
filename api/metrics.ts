// GET /metrics (Prometheus, prom-client). Call figures come from Postgres at scrape time: counters of calls
// by outcome, active calls, dial rate, and latency histograms fed incrementally with the bot turns recorded
// since the previous scrape. Temporal visibility gives the workflows by status and those with workflow task
// failures (the TemporalReportedProblems search attribute, Temporal ≥ 1.28). The API's own HTTP metrics and
// process metrics are included. observability/grafana-dashboard.json charts them (test/unit/dashboard.test.ts
// checks that every series it names is defined here or served by the workers' Temporal SDK metrics).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Prisma } from '../prisma/client';
import type { Deps } from './routes/common';

export interface ApiMetrics {
  registry: Registry;
  http: Histogram<'method' | 'route' | 'status'>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.4, 0.6, 0.8, 1, 1.5, 2, 3, 5];

export function createMetrics(d: Deps): ApiMetrics {
  const { prisma, client } = d;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'minibot_api_' });
  const http = new Histogram({
    name: 'minibot_http_request_duration_seconds', help: 'API request durations', labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry],
  });

  const callsByOutcome = new Counter({ name: 'minibot_calls_total', help: 'Calls ended, by outcome (from the call records)', labelNames: ['outcome'] as const, registers: [registry] });
  const dialed = new Counter({ name: 'minibot_calls_dialed_total', help: 'Calls dialed (from the call records)', registers: [registry] });
  new Gauge({
    name: 'minibot_active_calls', help: 'Calls in progress', registers: [registry],
    async collect() {
      this.set(await prisma.call.count({ where: { endedAt: null } }));
    },
  });
  new Gauge({
    name: 'minibot_dial_rate_per_minute', help: 'Calls dialed during the last minute', registers: [registry],
    async collect() {
      this.set(await prisma.call.count({ where: { dialedAt: { gt: new Date(Date.now() - 60_000) } } }));
    },
  });
  new Gauge({
    name: 'minibot_campaigns', help: 'Campaigns by status', labelNames: ['status'] as const, registers: [registry],
    async collect() {
      this.reset();
      for (const g of await prisma.campaign.groupBy({ by: ['status'], _count: true })) this.set({ status: g.status }, g._count);
    },
  });
  new Gauge({
    name: 'minibot_workflows', help: 'Temporal workflow executions by status', labelNames: ['status'] as const, registers: [registry],
    async collect() {
      this.reset();
      try {
        const r = await client.workflow.count('GROUP BY ExecutionStatus');
        for (const g of r.groups) this.set({ status: String(g.groupValues[0] ?? 'unknown') }, g.count);
      } catch {
        // visibility store without GROUP BY: leave the gauge empty rather than guess
      }
    },
  });
  new Gauge({
    name: 'minibot_workflow_task_failures', help: 'Running workflows flagged by Temporal for repeated workflow task failures or timeouts', registers: [registry],
    async collect() {
      try {
        this.set((await client.workflow.count('TemporalReportedProblems IS NOT NULL AND ExecutionStatus = "Running"')).count);
      } catch {
        this.set(0);
      }
    },
  });

  const hist = (name: string, help: string) => new Histogram({ name, help, buckets: LATENCY_BUCKETS, registers: [registry] });
  const bargeIn = hist('minibot_barge_in_latency_seconds', 'Callee speech onset → prompt flushed');
  const asr = hist('minibot_asr_latency_seconds', 'End of speech → final transcript');
  const intent = hist('minibot_intent_latency_seconds', 'Intent classification time');
  const turn = hist('minibot_turn_latency_seconds', 'End of callee speech → next prompt requested');
  // Intents and ASR quality (the guide's figures; the same turns as the latencies, also in GET /stats/asr-quality).
  const intents = new Counter({ name: 'minibot_intents_total', help: 'Callee turns by classified intent (none: not classified)', labelNames: ['intent'] as const, registers: [registry] });
  const turns = new Counter({ name: 'minibot_turns_total', help: 'Callee turns, transcribed or silent (no transcript)', labelNames: ['speech'] as const, registers: [registry] });
  const asrConfidence = new Histogram({
    name: 'minibot_asr_confidence', help: 'Recogniser confidence of each transcribed turn (0-1)', registers: [registry],
    buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
  });

  // Watermark over (created_at, id) of the turns already observed.
  let mark: { at: Date; id: string } | null = null;
  const feed = async () => {
    for (let i = 0; i < 20; i++) {
      const rows = await prisma.$queryRaw<{ id: string; created_at: Date; asr: number | null; intent: number | null; barge: number | null; total: number | null; label: string | null; conf: number | null; transcribed: boolean }[]>`
        SELECT id, created_at, asr_latency_ms AS asr, intent_latency_ms AS intent,
               CASE WHEN barge_in_detected THEN barge_in_latency_ms END AS barge, total_latency_ms AS total,
               intent AS label, (streaming_metadata->>'asrConfidence')::float AS conf,
               (transcript IS NOT NULL AND transcript <> '') AS transcribed
        FROM call_interactions
        WHERE ${mark ? prismaTuple(mark) : Prisma.sql`TRUE`}
        ORDER BY created_at, id LIMIT 10000`;
      for (const r of rows) {
        if (r.asr !== null) asr.observe(r.asr / 1000);
        if (r.intent !== null) intent.observe(r.intent / 1000);
        if (r.barge !== null) bargeIn.observe(r.barge / 1000);
        if (r.total !== null) turn.observe(r.total / 1000);
        intents.inc({ intent: r.label ?? 'none' });
        turns.inc({ speech: r.transcribed ? 'transcribed' : 'silent' });
        if (r.conf !== null) asrConfidence.observe(r.conf);
      }
      if (rows.length) mark = { at: rows[rows.length - 1]!.created_at, id: rows[rows.length - 1]!.id };
      if (rows.length < 10000) break;
    }
  };
  const prismaTuple = (m: { at: Date; id: string }) => Prisma.sql`(created_at, id) > (${m.at}, ${m.id}::uuid)`;

  // Counters follow the database totals (monotonic as long as call records are kept).
  const counted = new Map<string, number>();
  let dialedSeen = 0;
  const syncCounters = async () => {
    const [groups, n] = await Promise.all([prisma.call.groupBy({ by: ['outcome'], where: { outcome: { not: null } }, _count: true }), prisma.call.count()]);
    for (const g of groups) {
      const prev = counted.get(g.outcome!) ?? 0;
      if (g._count > prev) callsByOutcome.inc({ outcome: g.outcome! }, g._count - prev);
      counted.set(g.outcome!, Math.max(prev, g._count));
    }
    if (n > dialedSeen) dialed.inc(n - dialedSeen);
    dialedSeen = Math.max(dialedSeen, n);
  };
  // Fed before each scrape (the registry's metrics() awaits collect() of gauges only).
  const origMetrics = registry.metrics.bind(registry);
  let chain: Promise<unknown> = Promise.resolve();
  registry.metrics = async () => {
    // One scrape at a time, so that concurrent scrapes never observe the same turns twice.
    const run = chain.then(async () => {
      await Promise.all([feed(), syncCounters()]);
      return origMetrics();
    });
    chain = run.catch(() => undefined);
    return run;
  };
  return { registry, http };
}
