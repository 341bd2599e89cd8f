// The embedded development stack: Temporal dev server + Postgres (project-local cluster unless DATABASE_URL
// is set), state kept in data/dev-services.json so that `up` is idempotent and `down` stops only what `up`
// started (by recorded pid, never by process name).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from './paths';
import { DEV_STATE_FILE, readDevState, type DevState } from '../../runtime/dev-env';
import { isAlive, readPid, stopPidFile } from './process';
import { clusterPid, clusterUrl, ensureDatabase, initCluster, startCluster, stopCluster, waitForPostgres } from './postgres';
import { ensureTemporalCli, registerSearchAttributes, startTemporal, waitForTemporal } from './temporal';
import { migrate } from './migrations';

// Reading the state and applying it to the environment is the processes' too (runtime/dev-env.ts).
export { applyDevEnv, readDevState, type DevState } from '../../runtime/dev-env';
const STATE_FILE = DEV_STATE_FILE;

function writeDevState(s: DevState): void {
  mkdirSync(DATA_DIR, { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify(s, null, 2), { mode: 0o600 });
}

export interface UpOptions {
  log?: (m: string) => void;
  temporalPort?: number;
  uiPort?: number;
  pgPort?: number;
}

export async function devUp(o: UpOptions = {}): Promise<DevState> {
  const log = o.log ?? ((m: string) => console.error(m));
  mkdirSync(DATA_DIR, { recursive: true });
  const prev = readDevState();
  const namespace = process.env.TEMPORAL_NAMESPACE || 'default';

  // Temporal
  let temporal: DevState['temporal'];
  const pidFile = join(DATA_DIR, 'temporal.pid');
  const running = readPid(pidFile);
  if (prev?.temporal?.managed && running && isAlive(running)) {
    temporal = prev.temporal;
    log(`temporal: already running (pid ${running}) at ${temporal.address}`);
  } else if (process.env.TEMPORAL_ADDRESS) {
    const bin = ensureTemporalCli(log);
    registerSearchAttributes(bin, process.env.TEMPORAL_ADDRESS, namespace);
    temporal = { address: process.env.TEMPORAL_ADDRESS, uiUrl: process.env.TEMPORAL_UI_URL ?? '', namespace, pidFile, managed: false };
    log(`temporal: using TEMPORAL_ADDRESS=${temporal.address}`);
  } else {
    const bin = ensureTemporalCli(log);
    const port = o.temporalPort ?? Number(process.env.MINIBOT_TEMPORAL_PORT || 7233);
    const uiPort = o.uiPort ?? Number(process.env.MINIBOT_TEMPORAL_UI_PORT || 8233);
    const pid = startTemporal({
      bin, port, uiPort, namespace,
      dbFile: join(DATA_DIR, 'temporal.sqlite'),
      logFile: join(DATA_DIR, 'temporal.log'),
      pidFile,
      // The Web UI decodes encrypted payloads through the API's codec server when configured (runtime/config.ts).
      uiCodecEndpoint: process.env.TEMPORAL_UI_CODEC_ENDPOINT || undefined,
    });
    temporal = { address: `127.0.0.1:${port}`, uiUrl: `http://127.0.0.1:${uiPort}`, namespace, pidFile, managed: true };
    log(`temporal: started (pid ${pid}), waiting for it to answer…`);
    // Record it at once, so that a failure further on still lets `dev:down` stop it.
    writeDevState({ temporal, postgres: prev?.postgres ?? { url: '', managed: false } });
  }
  await waitForTemporal(temporal.address, namespace);

  // Postgres
  let postgres: DevState['postgres'];
  if (process.env.DATABASE_URL) {
    postgres = { url: process.env.DATABASE_URL, managed: false };
    log('postgres: using DATABASE_URL');
  } else {
    const dataDir = join(DATA_DIR, 'postgres');
    const creds = initCluster(dataDir);
    const port = prev?.postgres.managed && prev.postgres.url ? Number(new URL(prev.postgres.url).port) : (o.pgPort ?? Number(process.env.MINIBOT_PG_PORT || 55432));
    const cluster = { dataDir, port, user: creds.user, password: creds.password, database: 'minibot' };
    if (clusterPid(dataDir) === undefined) {
      startCluster(dataDir, port);
      log(`postgres: started on 127.0.0.1:${port}`);
    } else {
      log(`postgres: already running on 127.0.0.1:${port}`);
    }
    postgres = { url: clusterUrl(cluster), managed: true, dataDir };
  }
  await waitForPostgres(postgres.url.replace(/\/[^/?]*(\?|$)/, '/postgres$1'));
  await ensureDatabase(postgres.url);
  const m = await migrate(postgres.url);
  log(`postgres: migrations ${m.applied.length ? `applied ${m.applied.join(', ')}` : 'up to date'} (${m.method})`);

  const state = { temporal, postgres };
  // The state file records what `up` started, for `down` and for later commands' addresses. When both services
  // were given by the environment (tests, CI, the demo pointed elsewhere) nothing was started: recording them
  // would redirect later commands to services that may be gone.
  if (temporal.managed || postgres.managed) writeDevState(state);
  return state;
}

export async function devDown(log: (m: string) => void = (m) => console.error(m)): Promise<void> {
  const s = readDevState();
  if (!s) {
    log('nothing to stop (no dev stack state)');
    return;
  }
  if (s.temporal.managed) {
    log((await stopPidFile(s.temporal.pidFile)) ? 'temporal: stopped' : 'temporal: was not running');
  }
  if (s.postgres.managed && s.postgres.dataDir) {
    const running = clusterPid(s.postgres.dataDir) !== undefined;
    stopCluster(s.postgres.dataDir);
    log(running ? 'postgres: stopped' : 'postgres: was not running');
  }
  // Keep the state file's data (ports stay stable) but mark nothing as running.
  rmSync(s.temporal.pidFile, { force: true });
}

export interface ServiceStatus {
  name: string;
  running: boolean;
  detail: string;
}

export async function devStatus(): Promise<ServiceStatus[]> {
  const s = readDevState();
  if (!s) return [{ name: 'dev stack', running: false, detail: 'never started (npm run dev:up)' }];
  const out: ServiceStatus[] = [];
  const tpid = readPid(s.temporal.pidFile);
  const tRunning = s.temporal.managed ? tpid !== undefined && isAlive(tpid) : true;
  out.push({ name: 'temporal gRPC', running: tRunning, detail: `${s.temporal.address} (namespace ${s.temporal.namespace})${tpid ? ` pid ${tpid}` : ''}` });
  let ui = 'not answering';
  if (s.temporal.uiUrl) {
    try {
      const r = await fetch(s.temporal.uiUrl, { signal: AbortSignal.timeout(2000) });
      ui = `HTTP ${r.status}`;
    } catch {
      /* not answering */
    }
  }
  out.push({ name: 'temporal Web UI', running: ui === 'HTTP 200', detail: `${s.temporal.uiUrl} (${ui})` });
  let pgOk = false;
  let pgDetail = 'not answering';
  try {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: s.postgres.url, connectionTimeoutMillis: 2000 });
    await c.connect();
    const r = await c.query<{ n: string }>('SELECT count(*)::text AS n FROM "_prisma_migrations" WHERE finished_at IS NOT NULL');
    await c.end();
    pgOk = true;
    pgDetail = `${r.rows[0]?.n ?? 0} migrations applied`;
  } catch (err) {
    pgDetail = (err as Error).message;
  }
  out.push({ name: 'postgres', running: pgOk, detail: `${maskUrl(s.postgres.url)} (${pgDetail})` });
  return out;
}

export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString();
  } catch {
    return url;
  }
}
