// npm test — node's test runner over every tier, with the services the tests need started here and stopped
// afterwards: a Temporal dev server (in-memory) and a fresh Postgres database on free ports, plus the
// per-tier prerequisites (speech tools and the Vosk test model, Asterisk in its chroot).
//   tsx scripts/test.ts [unit] [integration] [faults] [media] [asterisk] [e2e]     (default: every tier)
// The faults tier starts further services of its own (test/faults/harness.ts): it kills them.
// Tiers that need a service the machine cannot run are reported, never silently passed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CACHE_DIR, ROOT } from './services/paths';
import { freePort, isAlive } from './services/process';
import { startEphemeralTemporal } from './services/temporal';
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
const env: NodeJS.ProcessEnv = {
  ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  MINIBOT_TEST_DURATIONS_FILE: join(runDir, 'durations.json'),
};
const cleanups: (() => Promise<void> | void)[] = [];

async function startServices(): Promise<void> {
  mkdirSync(runDir, { recursive: true });
  // Temporal: an in-memory dev server of our own on free ports.
  const temporal = await startEphemeralTemporal(runDir, log);
  cleanups.push(temporal.stop);
  env.TEMPORAL_ADDRESS = temporal.address;
  env.TEMPORAL_UI_URL = temporal.uiUrl;
  env.TEMPORAL_NAMESPACE = 'default';
  env.TEMPORAL_CLI = temporal.bin;

  // Postgres: a fresh database, on DATABASE_URL's server when given, else on a project-local test cluster.
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = process.env.DATABASE_URL;
  } else {
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
    adminUrl = clusterUrl({ dataDir, port: pgPort, user: creds.user, password: creds.password, database: 'postgres' });
  }
  const admin = new URL(adminUrl);
  admin.pathname = '/postgres';
  await waitForPostgres(admin.toString());
  const dbName = `minibot_test_${process.pid}`;
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
  env.DATABASE_URL = url.toString();
  env.MINIBOT_TEST_ADMIN_DATABASE_URL = admin.toString();
  const m = await migrate(env.DATABASE_URL);
  log(`services ready: temporal ${env.TEMPORAL_ADDRESS}, postgres database ${dbName} (migrations: ${m.method})`);
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
  if (tiers.some((t) => NEEDS_SERVICES.includes(t))) await startServices();
  log(`running ${files.length} test files (${tiers.join(', ')})`);
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/test-durations.mjs', '--test-reporter-destination=stderr', ...files], {
    cwd: ROOT, env, stdio: 'inherit',
  });
  const onSignal = (s: NodeJS.Signals) => child.kill(s);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
} catch (err) {
  log((err as Error).message);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);

