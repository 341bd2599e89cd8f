// A project-local Postgres cluster from the installed server binaries (initdb + pg_ctl), listening on
// 127.0.0.1 only, password-protected with a generated password kept in the cluster's folder.
// Postgres refuses to run as root: when we are root, the cluster belongs to the `postgres` system user.
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { isAlive, run, waitFor } from './process';

const isRoot = process.getuid?.() === 0;

export function postgresBinDir(): string {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'pg_ctl'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) {
    throw new Error('No Postgres server binaries found under /usr/lib/postgresql (install postgresql, or set DATABASE_URL or PG_BIN_DIR)');
  }
  return join(base, versions[0], 'bin');
}

function pgUser(): { uid: number; gid: number } | undefined {
  if (!isRoot) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, but there is no `postgres` system user to own the cluster');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function pgRun(bin: string, args: string[]): string {
  const exe = join(postgresBinDir(), bin);
  return isRoot ? run('runuser', ['-u', 'postgres', '--', exe, ...args]) : run(exe, args);
}

export interface Cluster {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function clusterUrl(c: Cluster, database = c.database): string {
  return `postgresql://${c.user}:${encodeURIComponent(c.password)}@127.0.0.1:${c.port}/${database}`;
}

/** Creates the cluster's folder and runs initdb when the folder holds no cluster yet. */
export function initCluster(dataDir: string): { user: string; password: string } {
  const pwFile = join(dataDir, '..', `${dataDir.split('/').pop()}.credentials.json`);
  if (existsSync(join(dataDir, 'PG_VERSION')) && existsSync(pwFile)) {
    return JSON.parse(readFileSync(pwFile, 'utf8')) as { user: string; password: string };
  }
  const owner = pgUser();
  mkdirSync(dataDir, { recursive: true });
  chmodSync(dataDir, 0o700);
  if (owner) chownSync(dataDir, owner.uid, owner.gid);
  const creds = { user: 'minibot', password: randomBytes(18).toString('base64url') };
  // The password reaches initdb through a private file that the cluster's owner can read.
  const pwDir = mkdtempSync(join(tmpdir(), 'minibot-pg-'));
  const tmpPw = join(pwDir, 'pw');
  writeFileSync(tmpPw, creds.password + '\n', { mode: 0o600 });
  if (owner) {
    chownSync(pwDir, owner.uid, owner.gid);
    chownSync(tmpPw, owner.uid, owner.gid);
  }
  try {
    pgRun('initdb', ['-D', dataDir, '-U', creds.user, '--pwfile', tmpPw, '--auth=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8']);
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
  writeFileSync(pwFile, JSON.stringify(creds), { mode: 0o600 });
  return creds;
}

/**
 * `durable`: keep Postgres's crash safety (fsync, synchronous commit). Off by default for speed (tests, dev), which
 * is fine as long as nothing crashes the server; a cluster that is to be crashed on purpose needs it on, or a
 * crash loses transactions whose commit it already acknowledged (no application can survive that).
 */
export function startCluster(dataDir: string, port: number, o: { durable?: boolean } = {}): void {
  const sockDir = join(dataDir, 'run');
  const owner = pgUser();
  mkdirSync(sockDir, { recursive: true });
  if (owner) chownSync(sockDir, owner.uid, owner.gid);
  pgRun('pg_ctl', [
    'start', '-D', dataDir, '-w', '-t', '60', '-l', join(dataDir, 'server.log'),
    '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${sockDir} -c max_connections=200${o.durable ? '' : ' -c fsync=off -c synchronous_commit=off'}`,
  ]);
}

/** The postmaster's pid from postmaster.pid, if the cluster runs. */
export function clusterPid(dataDir: string): number | undefined {
  const f = join(dataDir, 'postmaster.pid');
  if (!existsSync(f)) return undefined;
  const pid = Number.parseInt(readFileSync(f, 'utf8').split('\n')[0] ?? '', 10);
  return Number.isFinite(pid) && isAlive(pid) ? pid : undefined;
}

/** `immediate` is the crash-like stop of the fault tests (no shutdown checkpoint, connections cut). */
export function stopCluster(dataDir: string, mode: 'fast' | 'immediate' = 'fast'): void {
  if (clusterPid(dataDir) === undefined) return;
  pgRun('pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60']);
}

export async function waitForPostgres(url: string, timeoutMs = 30_000): Promise<void> {
  await waitFor('Postgres', async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.end();
    return true;
  }, timeoutMs);
}

/** Creates `database` if it does not exist, connecting through the maintenance database. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`DATABASE_URL: database name "${name}" must be [A-Za-z0-9_]+`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (r.rowCount === 0) await c.query(`CREATE DATABASE "${name}"`);
  } finally {
    await c.end();
  }
}
