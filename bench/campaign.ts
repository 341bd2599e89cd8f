// npm run bench:campaign — a large simulated campaign through the real stack (Temporal dev server, Postgres,
// a worker process with the simulated telephony): sustained dials per second, scheduler lag (a slot freeing →
// the next dial), line idle (a call's end → the next call dialed on its line, and where that time goes:
// bench/line-idle.ts), history length per workflow run, the worker's peak memory, double dials.
// Prints a table, then one JSON object as the last line.
//   npm run bench:campaign -- [--contacts 10000] [--concurrent 200] [--speed 300] [--scenario production]
// BENCH_WORKER_NODE_ARGS adds node flags to the worker process, to profile it: e.g. "--cpu-prof --heap-prof"
// (profiles written in the worker's cwd, the repository root, at its exit).
import { loadavg } from 'node:os';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { devUp } from '../scripts/services/dev-stack';
import { startEphemeralTemporal } from '../scripts/services/temporal';
import { CACHE_DIR } from '../scripts/services/paths';
import { workerLaunch } from '../workers/launch';
import { lineIdleSteps } from './line-idle';

const program = new Command()
  .option('--contacts <n>', 'contacts', (v) => Number(v), 10_000)
  .option('--concurrent <n>', 'concurrency cap', (v) => Number(v), 50)
  .option('--speed <x>', 'simulation time compression', (v) => Number(v), 300)
  .option('--scenario <name>', 'scenario', 'production')
  .option('--timeout <s>', 'give up after this many seconds', (v) => Number(v), 1800);
program.parse();
const o = program.opts<{ contacts: number; concurrent: number; speed: number; scenario: string; timeout: number }>();

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Postgres from the dev stack; Temporal in memory and of our own, so the figures measure MiniBot rather than the
// dev server's SQLite file (a production cluster persists to Postgres or Cassandra on its own machines).
const stack = await devUp({ log: (m) => console.error(`  ${m}`) });
process.env.DATABASE_URL ||= stack.postgres.url;
const temporal = process.env.TEMPORAL_ADDRESS ? null : await startEphemeralTemporal(CACHE_DIR, (m) => console.error(`  ${m}`));
if (temporal) process.env.TEMPORAL_ADDRESS = temporal.address;
process.env.LOG_LEVEL ||= 'warn';
const taskQueue = `bench-${Date.now().toString(36)}`;
process.env.TEMPORAL_TASK_QUEUE = taskQueue;

const { config } = await import('../runtime/config');
const { createPrisma } = await import('../prisma/client');
const { temporalClient } = await import('../services/temporal');
const { createCampaign, launchCampaign } = await import('../services/campaigns');
const { campaignFigures } = await import('../services/stats');
const { percentile, round } = await import('../lib/metrics');
const { seedContacts } = await import('../cli/demo-data');

const cfg = config();
const prisma = createPrisma(cfg.DATABASE_URL!);
const client = await temporalClient(cfg);

console.error(`  seeding ${o.contacts} contacts…`);
await seedContacts(prisma, { count: o.contacts, source: 'bench', offset: 20_000 });

// The worker runs in its own process, so its memory is its own; started as `npm run worker` starts it.
const load0 = loadavg()[0]!;
const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
const launch = workerLaunch();
const worker = spawn(process.execPath, [...nodeArgs, ...launch.args], {
  cwd: ROOT,
  env: { ...process.env, ...launch.env, SIM_SPEED: String(o.speed), SIM_SEED: 'bench', WORKER_INSTANCE_ID: 'bench' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const peakRssMb = () => {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${worker.pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
};

const campaign = await createCampaign(prisma, {
  name: `bench ${o.contacts}`, scenario: o.scenario, max_concurrent_calls: o.concurrent, contact_limit: o.contacts,
  contact_source: 'bench', max_attempts: 2, retry_delay_seconds: 60, time_scale: 1 / o.speed, ignore_window: true,
});
const t0 = Date.now();
const { workflowId } = await launchCampaign(client, prisma, cfg, campaign.id);
const handle = client.workflow.getHandle(workflowId);
let finished = false;
// Handled at once: a terminated run (the timeout below) must not become an unhandled rejection.
const result = handle.result().catch(() => null).finally(() => {
  finished = true;
});
let peak: number | null = null;
while (!finished) {
  await new Promise((r) => setTimeout(r, 2000));
  peak = peakRssMb() ?? peak;
  const settled = await prisma.campaignContact.count({ where: { campaignId: campaign.id, state: { in: ['done', 'skipped'] } } });
  console.error(`  ${settled}/${o.contacts} settled after ${((Date.now() - t0) / 1000).toFixed(0)} s, worker peak RSS ${peak} MB`);
  if (Date.now() - t0 > o.timeout * 1000) {
    console.error('  timeout: stopping the campaign');
    await handle.terminate('benchmark timeout');
    break;
  }
}
const load1 = loadavg()[0]!;
const finalStatus = (await result) as { schedulerLag: { samples: number; p50Ms: number | null; p95Ms: number | null; maxMs: number | null } } | null;
const elapsedMs = Date.now() - t0;
peak = peakRssMb() ?? peak;
worker.kill('SIGTERM');
await new Promise((r) => worker.once('exit', r));

const figures = await campaignFigures(prisma, campaign.id);
const calls = await prisma.call.findMany({ where: { campaignId: campaign.id }, select: { dialedAt: true, endedAt: true, workflowId: true } });
const intervals = calls.filter((c) => c.endedAt).map((c) => ({ start: c.dialedAt.getTime(), end: c.endedAt!.getTime() }));
const firstDial = Math.min(...intervals.map((i) => i.start));
const lastDial = Math.max(...intervals.map((i) => i.start));
const dialsPerSecond = calls.length / Math.max(1, (lastDial - firstDial) / 1000);
// Scheduler lag as the campaign workflow saw it: a call's end reported at the cap → the next call started.
const lag = finalStatus?.schedulerLag ?? { samples: 0, p50Ms: null, p95Ms: null, maxMs: null };
const lines = lineUse(intervals, o.concurrent);

// History length of every run of the campaign workflow, and of a sample of call workflows.
let maxCampaignEvents = 0;
let campaignRuns = 0;
for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
  campaignRuns++;
  maxCampaignEvents = Math.max(maxCampaignEvents, wf.historyLength);
}
let maxCallEvents = 0;
// Where the idle time goes: 100 calls dialed once the lines were full (after the first cap), from their histories.
const byDial = [...calls].sort((a, b) => a.dialedAt.getTime() - b.dialedAt.getTime());
const idleSteps = await lineIdleSteps(client, workflowId, byDial.slice(o.concurrent * 2, o.concurrent * 2 + 100));
for (const c of calls.slice(0, 200)) {
  const d = await client.workflow.getHandle(c.workflowId).describe();
  maxCallEvents = Math.max(maxCallEvents, d.historyLength);
}

const rows: [string, string][] = [
  ['contacts', String(o.contacts)],
  ['calls dialed', String(figures.dialed)],
  ['campaign duration', `${(elapsedMs / 1000).toFixed(1)} s`],
  ['sustained dials / s', dialsPerSecond.toFixed(1)],
  ['scheduler lag p50 / p95 / max', `${round(lag.p50Ms)} / ${round(lag.p95Ms)} / ${round(lag.maxMs)} ms (${lag.samples} freed slots)`],
  ['line idle, call ended → next dialed (database) p50 / p95 / max', `${round(lines.idleP50Ms)} / ${round(lines.idleP95Ms)} / ${round(lines.idleMaxMs)} ms (${lines.idleSamples} lines reused)`],
  ...idleSteps.map((x): [string, string] => [`  ${x.step} p50 / p95`, `${x.p50Ms} / ${x.p95Ms} ms (${x.samples} samples)`]),
  ['max concurrent (measured) / cap', `${figures.maxConcurrent} / ${o.concurrent}`],
  ['mean concurrent, first → last dial (measured)', lines.meanConcurrent.toFixed(1)],
  ['campaign workflow runs', String(campaignRuns)],
  ['max history events, campaign run', String(maxCampaignEvents)],
  ['max history events, call (200 sampled)', String(maxCallEvents)],
  ['worker peak RSS', `${peak} MB`],
  ['double dials', String(figures.doubleDials)],
  ['contacts left unsettled', String(figures.open)],
  ['load average (1 min) at start / end', `${load0.toFixed(1)} / ${load1.toFixed(1)}`],
];
const w = Math.max(...rows.map((r) => r[0].length));
console.log(`\nbench:campaign (${o.scenario}, cap ${o.concurrent}, simulation ×${o.speed})`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
await prisma.$disconnect();
await temporal?.stop();
console.log(JSON.stringify({
  contacts: o.contacts,
  dialed: figures.dialed,
  durationMs: elapsedMs,
  dialsPerSecond: round(dialsPerSecond, 2),
  schedulerLagP50Ms: round(lag.p50Ms),
  schedulerLagP95Ms: round(lag.p95Ms),
  schedulerLagMaxMs: round(lag.maxMs),
  schedulerLagSamples: lag.samples,
  lineIdleP50Ms: round(lines.idleP50Ms),
  lineIdleP95Ms: round(lines.idleP95Ms),
  lineIdleMaxMs: round(lines.idleMaxMs),
  lineIdleSteps: Object.fromEntries(idleSteps.map((x) => [x.step, { p50Ms: x.p50Ms, p95Ms: x.p95Ms }])),
  maxConcurrent: figures.maxConcurrent,
  meanConcurrent: round(lines.meanConcurrent, 1),
  concurrencyCap: o.concurrent,
  campaignRuns,
  maxHistoryEvents: Math.max(maxCampaignEvents, maxCallEvents),
  maxCampaignHistoryEvents: maxCampaignEvents,
  maxCallHistoryEvents: maxCallEvents,
  peakRssMb: peak,
  doubleDials: figures.doubleDials,
  unsettled: figures.open,
  loadAverage: [round(load0, 1), round(load1, 1)],
}));
process.exit(0);

/**
 * How busy the lines were, from the calls' own records (dialed → ended). Every dial after the first `cap` takes
 * the line of the earliest call ended before it (the k-th end frees the line of dial cap + k): the idle time is
 * that dial's time minus that end's, the whole way from the callee hanging up to the next number being dialed
 * (the campaign hearing of the end, starting the call workflow, its dial-time check). Mean concurrency is the
 * number of calls up, averaged over the time from the first dial to the last.
 */
function lineUse(calls: { start: number; end: number }[], cap: number) {
  const starts = calls.map((c) => c.start).sort((a, b) => a - b);
  const ends = calls.map((c) => c.end).sort((a, b) => a - b);
  const idle: number[] = [];
  for (let k = 0; cap + k < starts.length && k < ends.length; k++) idle.push(Math.max(0, starts[cap + k]! - ends[k]!));
  const first = starts[0] ?? 0;
  const last = starts[starts.length - 1] ?? 0;
  let busy = 0;
  for (const c of calls) busy += Math.max(0, Math.min(c.end, last) - Math.max(c.start, first));
  return {
    idleSamples: idle.length, idleP50Ms: percentile(idle, 50), idleP95Ms: percentile(idle, 95), idleMaxMs: idle.length ? Math.max(...idle) : null,
    meanConcurrent: last > first ? busy / (last - first) : 0,
  };
}
