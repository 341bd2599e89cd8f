// npm test — node's test runner over every tier, with the services the tests need started here and stopped
// afterwards: per lane (below) a Temporal dev server (in-memory) and a fresh Postgres database on free ports,
// plus the per-tier prerequisites (speech tools and the Vosk test model, Asterisk in its chroot). Each test
// file's wall time, slowest first, lands in .cache/test-run/durations.json.
//   tsx scripts/test.ts [unit] [integration] [faults] [media] [asterisk] [e2e]     (default: every tier)
//   tsx scripts/test.ts test/<tier>/<file>.test.ts …                                (just those files)
// The faults tier starts further services of its own (test/faults/harness.ts): it kills them.
// Tiers that need a service the machine cannot run are reported, never silently passed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, relative } from 'node:path';
import { CACHE_DIR, ROOT } from './services/paths';
import { freePort, isAlive } from './services/process';
import { ensureTemporalCli, startEphemeralTemporal } from './services/temporal';
import { clusterPid, clusterUrl, initCluster, startCluster, stopCluster, waitForPostgres } from './services/postgres';
import { migrate } from './services/migrations';

const ALL_TIERS = ['unit', 'integration', 'faults', 'media', 'asterisk', 'e2e'] as const;
type Tier = (typeof ALL_TIERS)[number];
const NEEDS_SERVICES: Tier[] = ['integration', 'faults', 'media', 'asterisk', 'e2e'];
/** Idempotent setup scripts a tier needs before its tests (installs on a fresh machine). */
const PREPARE: Partial<Record<Tier, string[]>> = {
  unit: ['scripts/audio-install-tools.sh'],
  media: ['scripts/setup-media-deps.sh'],
  asterisk: ['scripts/asterisk-install.sh'],
  e2e: ['scripts/setup-media-deps.sh', 'scripts/asterisk-install.sh'],
};

// Arguments: tier names, or single test files (test/<tier>/….test.ts) to run just those.
const args = process.argv.slice(2);
const onlyFiles = args.filter((a) => a.endsWith('.test.ts'));
const tierOf = (f: string) => relative(ROOT, f).split('/')[1] as Tier;
const unknown = args.filter((a) => !a.endsWith('.test.ts') && !(ALL_TIERS as readonly string[]).includes(a));
if (unknown.length) {
  console.error(`test: unknown tier(s) ${unknown.join(', ')} (known: ${ALL_TIERS.join(', ')})`);
  process.exit(2);
}
const named = [...args.filter((a) => !a.endsWith('.test.ts')), ...onlyFiles.map(tierOf)] as Tier[];
const tiers: Tier[] = named.length ? [...new Set(named)] : [...ALL_TIERS];

function testFiles(tier: Tier): string[] {
  const dir = join(ROOT, 'test', tier);
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.test.ts')) out.push(relative(ROOT, p));
    }
  };
  walk(dir);
  return out.sort();
}

const log = (m: string) => console.error(`[test] ${m}`);
const files = onlyFiles.length ? onlyFiles.map((f) => relative(ROOT, f)) : tiers.flatMap(testFiles);
if (files.length === 0) {
  log(`no test files in tiers ${tiers.join(', ')}`);
  process.exit(1);
}

const runDir = join(CACHE_DIR, 'test-run');
const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
const cleanups: (() => Promise<void> | void)[] = [];

/**
 * Lanes: the suite spends most of its time waiting (campaigns on timers, calls in real time through Asterisk,
 * outages held for minutes), not computing — the machine's load stays under 1 on 2 cores when files run one
 * at a time. So the tiers run in lanes side by side, each lane's files one at a time, each lane on a Temporal
 * server and a database of its own (a shared server would mix their task queues' load and their rows). The
 * Asterisk tiers share one lane (one Asterisk chroot); the fault tier, which starts and kills services of its
 * own, has the media tier beside it. MINIBOT_TEST_LANES=1 runs everything in one lane, as before.
 */
const LANES: { name: string; tiers: Tier[] }[] = [
  { name: 'asterisk', tiers: ['asterisk', 'e2e'] },
  { name: 'faults', tiers: ['faults', 'media'] },
  { name: 'app', tiers: ['unit', 'integration'] },
];

interface Lane { name: string; files: string[]; env: NodeJS.ProcessEnv }

function planLanes(): Lane[] {
  if (process.env.MINIBOT_TEST_LANES === '1') return [{ name: 'all', files, env: { ...env } }];
  return LANES.map((l) => ({ name: l.name, files: files.filter((f) => l.tiers.includes(tierOf(f))), env: { ...env } }))
    .filter((l) => l.files.length > 0);
}

/** The project-local Postgres cluster (or DATABASE_URL's server) every lane makes its database on. */
async function startPostgres(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  // A cluster of this run's own (test runs may overlap); leftovers of interrupted runs are removed.
  for (const d of existsSync(CACHE_DIR) ? readdirSync(CACHE_DIR) : []) {
    const m = /^test-pg-(\d+)$/.exec(d);
    if (m && !isAlive(Number(m[1]))) {
      const dir = join(CACHE_DIR, d);
      if (clusterPid(dir) !== undefined) stopCluster(dir);
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.credentials.json`, { force: true });
    }
  }
  const dataDir = join(CACHE_DIR, `test-pg-${process.pid}`);
  const creds = initCluster(dataDir);
  const pgPort = await freePort();
  startCluster(dataDir, pgPort);
  cleanups.push(() => {
    stopCluster(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(`${dataDir}.credentials.json`, { force: true });
  });
  return clusterUrl({ dataDir, port: pgPort, user: creds.user, password: creds.password, database: 'postgres' });
}

/** A lane's services: an in-memory Temporal dev server on free ports, a fresh migrated database. */
async function startLaneServices(lane: Lane, adminUrl: string): Promise<void> {
  const dir = join(runDir, lane.name);
  mkdirSync(dir, { recursive: true });
  const temporal = await startEphemeralTemporal(dir, (m) => log(`${lane.name}: ${m}`));
  cleanups.push(temporal.stop);
  lane.env.TEMPORAL_ADDRESS = temporal.address;
  lane.env.TEMPORAL_UI_URL = temporal.uiUrl;
  lane.env.TEMPORAL_NAMESPACE = 'default';
  lane.env.TEMPORAL_CLI = temporal.bin;

  const admin = new URL(adminUrl);
  admin.pathname = '/postgres';
  await waitForPostgres(admin.toString());
  const dbName = `minibot_test_${process.pid}_${lane.name}`;
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${dbName}`);
  await c.query(`CREATE DATABASE ${dbName}`);
  await c.end();
  cleanups.push(async () => {
    const d = new pg.Client({ connectionString: admin.toString() });
    await d.connect().catch(() => undefined);
    await d.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await d.end().catch(() => undefined);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  lane.env.DATABASE_URL = url.toString();
  lane.env.MINIBOT_TEST_ADMIN_DATABASE_URL = admin.toString();
  const m = await migrate(lane.env.DATABASE_URL);
  log(`${lane.name}: temporal ${temporal.address}, postgres database ${dbName} (migrations: ${m.method})`);
}

async function cleanup(): Promise<void> {
  for (const f of cleanups.reverse()) {
    try {
      await f();
    } catch (err) {
      log(`cleanup: ${(err as Error).message}`);
    }
  }
}

const children = new Set<ChildProcess>();
process.on('SIGINT', () => children.forEach((c) => c.kill('SIGINT')));
process.on('SIGTERM', () => children.forEach((c) => c.kill('SIGTERM')));

interface FileDuration { file: string; seconds: number; tests: number; failed: number }
interface TestFailure { file: string; test: string; error: string }

/**
 * Runs a lane's files one at a time; with several lanes each output line carries the lane's name. Answers the
 * exit code, the lane's wall time and each file's (written by scripts/test-durations.mjs).
 */
function runLane(lane: Lane, prefixed: boolean): Promise<{ code: number; seconds: number; files: FileDuration[]; failures: TestFailure[] }> {
  const t0 = Date.now();
  const durations = join(runDir, `durations-${lane.name}.json`);
  // --test-force-exit: a file whose tests are over exits even if a handle (a pool, a channel) is left open, so
  // that one file's leak cannot stall its lane.
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-force-exit',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/test-durations.mjs', '--test-reporter-destination=stderr', ...lane.files], {
    cwd: ROOT, env: { ...lane.env, MINIBOT_TEST_DURATIONS_FILE: durations },
    stdio: prefixed ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
  });
  children.add(child);
  if (prefixed) {
    for (const [from, to] of [[child.stdout!, process.stdout], [child.stderr!, process.stderr]] as const) {
      createInterface({ input: from }).on('line', (line) => to.write(`[${lane.name}] ${line}\n`));
    }
  }
  return new Promise((resolve) => child.on('exit', (c, sig) => {
    children.delete(child);
    const report = existsSync(durations) ? JSON.parse(readFileSync(durations, 'utf8')) as { files: FileDuration[]; failures?: TestFailure[] } : { files: [] };
    resolve({ code: c ?? (sig ? 1 : 0), seconds: (Date.now() - t0) / 1000, files: report.files, failures: report.failures ?? [] });
  }));
}

let code = 1;
try {
  for (const tier of tiers) {
    for (const script of PREPARE[tier] ?? []) {
      if (!existsSync(join(ROOT, script)) || testFiles(tier).length === 0) continue;
      log(`${tier}: ${script}`);
      const r = spawnSync('bash', [join(ROOT, script)], { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT, env });
      if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status})`);
    }
  }
  const lanes = planLanes();
  mkdirSync(runDir, { recursive: true });
  // Installs the temporal CLI once, before the lanes start their servers (a fresh machine builds it).
  if (tiers.some((t) => NEEDS_SERVICES.includes(t))) {
    ensureTemporalCli(log);
    const adminUrl = await startPostgres();
    await Promise.all(lanes.filter((l) => l.files.some((f) => NEEDS_SERVICES.includes(tierOf(f)))).map((l) => startLaneServices(l, adminUrl)));
  }
  log(`running ${files.length} test files (${tiers.join(', ')}) in ${lanes.length} lane(s): ${lanes.map((l) => `${l.name} ${l.files.length}`).join(', ')}`);
  const results = await Promise.all(lanes.map((l) => runLane(l, lanes.length > 1)));
  code = results.some((r) => r.code !== 0) ? 1 : 0;
  // The whole run's files, slowest first, and each lane's wall time (the run lasts as long as its longest lane).
  const rows = results.flatMap((r) => r.files).sort((a, b) => b.seconds - a.seconds);
  log(`slowest test files (of ${rows.length}):`);
  for (const r of rows.slice(0, 15)) log(`  ${r.seconds.toFixed(1).padStart(7)} s  ${r.file}`);
  writeFileSync(join(runDir, 'durations.json'), JSON.stringify({ lanes: lanes.map((l, i) => ({ lane: l.name, seconds: results[i]!.seconds, code: results[i]!.code })), files: rows }, null, 2));
  log(`lanes: ${lanes.map((l, i) => `${l.name} ${(results[i]!.seconds / 60).toFixed(1)} min${results[i]!.code ? ' (failed)' : ''}`).join(', ')}`);
  // Last, so that the tail of a long interleaved log says what failed and why.
  const failures = results.flatMap((r, i) => r.failures.map((f) => ({ ...f, lane: lanes[i]!.name })));
  if (failures.length) {
    log(`${failures.length} failed test(s):`);
    for (const f of failures) {
      log(`  [${f.lane}] ${f.file} › ${f.test}`);
      for (const line of f.error.split('\n')) log(`      ${line}`);
    }
  } else if (code !== 0) {
    log('no test failed, yet a lane exited non-zero: read its output above (a file that crashed before its tests, a hook)');
  }
} catch (err) {
  log((err as Error).message);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
