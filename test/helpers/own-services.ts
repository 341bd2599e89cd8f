// Fault tests stop and kill services: they run a Postgres cluster and a Temporal dev server of their own on
// free ports (the runner's shared ones keep serving the other tests), and the API as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE_DIR, ROOT } from '../../scripts/services/paths';
import { freePort, isAlive, readPid, restartablePort, stopPidFile } from '../../scripts/services/process';
import { clusterUrl, ensureDatabase, initCluster, startCluster, stopCluster, waitForPostgres } from '../../scripts/services/postgres';
import { ensureTemporalCli, startTemporal, waitForTemporal } from '../../scripts/services/temporal';
import { migrate } from '../../scripts/services/migrations';

export interface OwnPostgres {
  url: string;
  port: number;
  /** pg_ctl stop -m immediate. */
  kill(): void;
  start(): Promise<void>;
  remove(): void;
}

export async function ownPostgres(name: string): Promise<OwnPostgres> {
  const dataDir = join(CACHE_DIR, `fault-pg-${name}-${process.pid}`);
  rmSync(dataDir, { recursive: true, force: true });
  const creds = initCluster(dataDir);
  const port = await restartablePort();
  const url = clusterUrl({ dataDir, port, user: creds.user, password: creds.password, database: 'minibot' });
  const start = async () => {
    // Crash-safe (fsync, synchronous commit): these tests stop it with -m immediate, and without them the crash
    // loses commits Postgres had acknowledged (a finalised call back to in_call), which no program can ride out.
    startCluster(dataDir, port, { durable: true });
    await waitForPostgres(url.replace(/\/minibot$/, '/postgres'));
  };
  await start();
  await ensureDatabase(url);
  await migrate(url);
  return {
    url, port, start,
    kill: () => stopCluster(dataDir, 'immediate'),
    remove: () => {
      stopCluster(dataDir, 'immediate');
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(`${dataDir}.credentials.json`, { force: true });
    },
  };
}

export interface OwnTemporal {
  address: string;
  /** The server's pid (SIGSTOP/SIGCONT to freeze it). */
  pid(): number;
  /** SIGKILL of the server process. */
  kill(): Promise<void>;
  /** (Re)starts it on the same port and SQLite file. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function ownTemporal(name: string): Promise<OwnTemporal> {
  const bin = ensureTemporalCli();
  const dir = join(CACHE_DIR, `fault-temporal-${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const port = await restartablePort();
  const uiPort = await restartablePort();
  const pidFile = join(dir, 'temporal.pid');
  const address = `127.0.0.1:${port}`;
  const start = async () => {
    startTemporal({ bin, port, uiPort, namespace: 'default', dbFile: join(dir, 'temporal.sqlite'), logFile: join(dir, 'temporal.log'), pidFile });
    await waitForTemporal(address, 'default', 90_000);
  };
  await start();
  return {
    address, start,
    pid() {
      const pid = readPid(pidFile);
      if (pid === undefined) throw new Error('the test Temporal server has no pid');
      return pid;
    },
    async kill() {
      const pid = readPid(pidFile);
      if (pid === undefined) throw new Error('the test Temporal server has no pid');
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
      rmSync(pidFile, { force: true });
    },
    async stop() {
      await stopPidFile(pidFile);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ApiProcess {
  base: string;
  child: ChildProcess;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `npm run api` as a child process on a free port, resolved once it listens. */
export async function startApi(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/server.ts'], {
    cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'warn', API_HOST: '127.0.0.1', API_PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const deadline = Date.now() + 90_000;
  while (!/MiniBot API on/.test(out)) {
    if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode}): ${out}`);
    if (Date.now() > deadline) throw new Error(`the API did not listen: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base: `http://127.0.0.1:${port}`, child, output: () => out,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await gone;
    },
  };
}
