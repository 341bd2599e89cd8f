// npm run demo — the main job on embedded defaults: brings up Temporal and Postgres, starts the workers with
// the simulated telephony, creates sample contacts and a campaign, runs it with a live progress bar, prints a
// summary and the Web UI link, and leaves the services up (npm run dev:down stops them).
// The last line of output is one JSON object with the measured figures.
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { devUp } from '../scripts/services/dev-stack';

function positiveInt(name: string) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

const program = new Command()
  .name('npm run demo --')
  .description('Runs a simulated MiniBot campaign end to end on the embedded services.')
  .option('--contacts <n>', 'number of sample contacts (at most 20000)', (v) => {
    const n = positiveInt('--contacts')(v);
    if (n > 20_000) throw new InvalidArgumentError('--contacts must be at most 20000');
    return n;
  }, 200)
  .option('--concurrent <n>', 'maximum concurrent calls', positiveInt('--concurrent'), 10)
  .option('--speed <x>', 'simulation time compression (1 = real time)', (v) => {
    const n = Number(v);
    if (!(n > 0 && n <= 1000)) throw new InvalidArgumentError('--speed must be a number in (0, 1000]');
    return n;
  }, 25)
  .option('--scenario <name>', 'production or test', 'production')
  .option('--max-attempts <n>', 'attempts per contact (retries of no answer / busy / machine / failure)', positiveInt('--max-attempts'), 3)
  .option('--retry-delay <s>', 'seconds between attempts (simulated time)', positiveInt('--retry-delay'), 300)
  .option('--legal-window', 'respect the French legal calling window (Mon-Fri 10-13h, 14-20h) instead of dialing now', false)
  .option('--seed <s>', 'seed of the simulation draws', 'demo')
  .option('--no-progress', 'no progress bar');
program.parse();
const opts = program.opts<{
  contacts: number; concurrent: number; speed: number; scenario: string; maxAttempts: number; retryDelay: number;
  legalWindow: boolean; seed: string; progress: boolean;
}>();

const say = (m: string) => console.log(m);
const started = Date.now();

// Services first, then everything that reads the configuration.
const stack = await devUp({ log: (m) => console.error(`  ${m}`) });
process.env.DATABASE_URL ||= stack.postgres.url;
process.env.TEMPORAL_ADDRESS ||= stack.temporal.address;
process.env.TEMPORAL_UI_URL ||= stack.temporal.uiUrl;
process.env.LOG_LEVEL ||= 'warn';

const { config } = await import('../runtime/config');
const { createPrisma } = await import('../prisma/client');
const { temporalClient, workerConnection } = await import('../services/temporal');
const { createWorkers } = await import('../workers/workers');
const { SimulatedTelephony, promptDurationsFrom } = await import('../telephony/simulated');
const { temporalSignalSink } = await import('../telephony/temporal-sink');
const { createCampaign, launchCampaign } = await import('../services/campaigns');
const { campaignFigures, latencyFigures } = await import('../services/stats');
const { seedContacts } = await import('./demo-data');
const { DEPENDENCY_LABEL, dependencyAddress, howToStart, probeDown, unreachableDependency } = await import('../services/dependencies');
type Dependency = import('../services/dependencies').Dependency;

const cfg = config();
const prisma = createPrisma(cfg.DATABASE_URL!);
const client = await temporalClient(cfg);
const connection = await workerConnection(cfg);

const dnc = Math.min(3, Math.floor(opts.contacts / 20));
const optedOut = Math.min(2, Math.floor(opts.contacts / 40));
const noConsent = Math.min(3, Math.floor(opts.contacts / 30));
say(`Seeding ${opts.contacts} sample contacts (${dnc} on the DNC list, ${optedOut} opted out, ${noConsent} without consent: none of them may be dialed)…`);
await seedContacts(prisma, { count: opts.contacts, source: 'demo', dnc, optedOut, noConsent });

const telephony = new SimulatedTelephony(temporalSignalSink(client), { speed: opts.speed, seed: opts.seed, promptMs: promptDurationsFrom(cfg.AUDIO_DIR) });
const workers = await createWorkers({ connection, client, namespace: cfg.TEMPORAL_NAMESPACE, taskQueue: cfg.TEMPORAL_TASK_QUEUE, prisma, telephony });
const running = workers.run();

const campaign = await createCampaign(prisma, {
  name: `Démo ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
  scenario: opts.scenario,
  max_concurrent_calls: opts.concurrent,
  contact_limit: opts.contacts,
  contact_source: 'demo',
  max_attempts: opts.maxAttempts,
  retry_delay_seconds: opts.retryDelay,
  time_scale: 1 / opts.speed,
  ignore_window: !opts.legalWindow,
});
const { workflowId } = await launchCampaign(client, prisma, cfg, campaign.id);
say(`Campaign ${campaign.id} started (workflow ${workflowId}), ${opts.concurrent} concurrent calls max, simulation ×${opts.speed}.`);
if (!opts.legalWindow) say('  (simulated calls: dialing now; real campaigns keep the legal window, see --legal-window)');

const bar = opts.progress && process.stderr.isTTY
  ? new cliProgress.SingleBar({ format: '  {bar} {percentage}% | {value}/{total} contacts settled | {active} calls live | {leads} leads', hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic)
  : null;
bar?.start(opts.contacts, 0, { active: 0, leads: 0 });
// The progress poll reads Postgres: during an outage it waits, says what is down, and carries on once the
// service is back (the calls themselves are durable in Temporal and their writes are retried by the workers).
let lastLine = 0;
let downSince: { dep: Dependency; at: number } | null = null;
const note = (m: string) => {
  if (bar) bar.stop();
  console.error(`  ${m}`);
  if (bar) bar.start(opts.contacts, 0, { active: 0, leads: 0 });
};
/** Runs `f` until it succeeds while a service is down (any other error is a bug and propagates). */
async function whileDown<T>(f: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      const v = await f();
      if (downSince) {
        note(`${DEPENDENCY_LABEL[downSince.dep]} is back after ${((Date.now() - downSince.at) / 1000).toFixed(0)} s; carrying on`);
        downSince = null;
      }
      return v;
    } catch (e) {
      const dep = unreachableDependency(e) ?? (await probeDown({ prisma, client }));
      if (!dep) throw e;
      if (!downSince || downSince.dep !== dep) {
        downSince = { dep, at: Date.now() };
        note(`${DEPENDENCY_LABEL[dep]} is unreachable at ${dependencyAddress(dep, cfg)}: waiting for it to come back (${howToStart(dep)})`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
const handle = client.workflow.getHandle(workflowId);
// Waiting for the result rides out a Temporal outage the same way (the workflow itself is durable).
const result = whileDown(() => handle.result());
let done = false;
void result.finally(() => {
  done = true;
});
while (!done) {
  await new Promise((r) => setTimeout(r, 300));
  const [settled, active, leads] = await whileDown(() => Promise.all([
    prisma.campaignContact.count({ where: { campaignId: campaign.id, state: { in: ['done', 'skipped'] } } }),
    prisma.call.count({ where: { campaignId: campaign.id, endedAt: null } }),
    prisma.call.count({ where: { campaignId: campaign.id, outcome: 'lead' } }),
  ]));
  if (bar) bar.update(settled, { active, leads });
  else if (Date.now() - lastLine > 2000) {
    console.error(`  ${settled}/${opts.contacts} contacts settled, ${active} calls live, ${leads} leads`);
    lastLine = Date.now();
  }
}
bar?.update(opts.contacts);
bar?.stop();
const status = await result;
const durationMs = Date.now() - started;

const figures = await whileDown(() => campaignFigures(prisma, campaign.id));
const lat = await whileDown(() => latencyFigures(prisma, { campaignId: campaign.id }));
await workers.shutdown();
await running;

say('');
say(`Campaign ${status.state} in ${(durationMs / 1000).toFixed(1)} s (${status.runs} workflow run${status.runs > 1 ? 's' : ''})`);
say('');
const rows: [string, string][] = [
  ['contacts', String(figures.contacts)],
  ['calls dialed', String(figures.dialed)],
  ['unique contacts dialed', String(figures.uniqueContactsDialed)],
  ['double dials', String(figures.doubleDials)],
  ['max concurrent (measured)', `${figures.maxConcurrent} (cap ${opts.concurrent})`],
  ...Object.entries(figures.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => [`  outcome ${k}`, String(v)] as [string, string]),
  ...Object.entries(figures.skipped).map(([k, v]) => [`  skipped: ${k}`, String(v)] as [string, string]),
  ['bot turns', String(lat.turns)],
  ['intent latency p50 / p95', `${lat.intentP50Ms} / ${lat.intentP95Ms} ms`],
  ['end of speech → next prompt p50 / p95', `${lat.turnP50Ms} / ${lat.turnP95Ms} ms (simulated ASR excluded)`],
  ['barge-ins', String(lat.bargeIns)],
];
const w = Math.max(...rows.map((r) => r[0].length));
for (const [k, v] of rows) say(`  ${k.padEnd(w)}  ${v}`);
say('');
if (cfg.TEMPORAL_UI_URL) {
  const q = encodeURIComponent(`CampaignId="${campaign.id}"`);
  say(`Temporal Web UI: ${cfg.TEMPORAL_UI_URL}/namespaces/${cfg.TEMPORAL_NAMESPACE}/workflows?query=${q}`);
}
say('Services are still running for exploration; stop them with: npm run dev:down');
await prisma.$disconnect();
await connection.close();
console.log(JSON.stringify({
  contacts: figures.contacts,
  dialed: figures.dialed,
  uniqueContactsDialed: figures.uniqueContactsDialed,
  doubleDials: figures.doubleDials,
  open: figures.open,
  maxConcurrent: figures.maxConcurrent,
  concurrencyCap: opts.concurrent,
  outcomes: figures.outcomes,
  skipped: figures.skipped,
  durationMs,
}));
process.exit(0);
