// The fault harness, shared by the fault tier (test/faults/faults.test.ts) and `npm run bench:faults`: real
// services it starts itself on free ports (so that it can kill them), worker processes, a small real campaign
// per fault, and the figures every fault is judged by. The faults themselves are entries in ./faults.ts.
//
// Services: one shared Temporal dev server and Postgres cluster (those of `npm test` when it runs us), plus, for
// the faults that kill a service, a service of their own: a Postgres cluster for the Postgres outage, a Temporal
// dev server on an SQLite file for the Temporal crash (so that it restarts with its state). Every fault has its
// own database and task queue, so independent faults run concurrently.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { Client } from '@temporalio/client';
import { parseConfig, type Config } from '../../runtime/config';
import { createPrisma, type PrismaClient } from '../../prisma/client';
import { temporalClient } from '../../services/temporal';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import { campaignFigures } from '../../services/stats';
import { CACHE_DIR } from '../../scripts/services/paths';
import { isAlive, readPid, restartablePort, sleep } from '../../scripts/services/process';
import { ensureTemporalCli, startTemporal, waitForTemporal } from '../../scripts/services/temporal';
import { clusterUrl, initCluster, startCluster, stopCluster, waitForPostgres } from '../../scripts/services/postgres';
import { migrate } from '../../scripts/services/migrations';
import { makeContacts } from '../helpers/stack';
import { startApi, type ApiProcess } from '../helpers/own-services';
import { campaignWorkflowId, type CampaignStatus } from '../../workflows/definitions';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The figures every fault reports (the bench's JSON), and what the tier asserts. */
export interface FaultFigures {
  name: string;
  contactsLost: number;
  doubleDials: number;
  stuckRows: number;
  wedgedCalls: number;
  completed: boolean;
  recoverySeconds: number | null;
}

/** One fault-specific fact, checked by the tier: `actual` must deep-equal `expected`. */
export interface FaultCheck {
  what: string;
  expected: unknown;
  actual: unknown;
}

export interface FaultReport extends FaultFigures {
  /** Calls in progress (record open) when the fault was injected: the fault must have hit some. */
  callsInProgressAtFault: number;
  /** How the campaign workflow ended (completed, or the typed failure the fault expects). */
  ended: string;
  checks: FaultCheck[];
  seconds: number;
  /** Fault-specific figures, for the bench's table. */
  detail?: Record<string, unknown>;
  error?: string;
  /** Why the fault could not run here (e.g. no Asterisk): said by the bench and the tier, never a pass. */
  skipped?: string;
}

export interface FaultSpec {
  name: string;
  description: string;
  /** Services of its own: the fault kills them. */
  own?: { postgres?: boolean; temporal?: boolean };
  /** The fault acts on a finished campaign, or before it runs (so hits no call in progress). */
  afterCampaign?: boolean;
  beforeCampaign?: boolean;
  /**
   * Its own simulation speed, when the default compresses calls below what the fault needs to be seen (a
   * call's maximum duration must outlast the detection of a dead process: heartbeat + schedule-to-start).
   */
  speed?: number;
  /** Why this fault cannot run on this machine (its dependency missing), or false. */
  skip?(): string | false;
  /** The tier that asserts it, when not the fault tier's own file (e.g. e2e: it needs Asterisk and root). */
  tier?: 'e2e';
  run(lab: Lab): Promise<Omit<FaultReport, 'name' | 'seconds'>>;
}

export interface HarnessOptions {
  log?: (m: string) => void;
  /** Simulation speed (time compression) of every campaign. */
  speed?: number;
}

type Log = (m: string) => void;

// ---- services --------------------------------------------------------------------------------------------

export interface OwnPostgres {
  adminUrl: string;
  /** `pg_ctl stop -m immediate`: a crash. */
  crash(): void;
  start(): Promise<void>;
  stop(): void;
}

async function ownPostgres(dir: string, durable: boolean): Promise<OwnPostgres> {
  const dataDir = join(dir, 'pg');
  const creds = initCluster(dataDir);
  const port = await restartablePort();
  // A cluster that is crashed on purpose keeps its crash safety (see startCluster).
  startCluster(dataDir, port, { durable });
  const adminUrl = clusterUrl({ dataDir, port, user: creds.user, password: creds.password, database: 'postgres' });
  const interrupt = () => stopCluster(dataDir, 'immediate');
  onInterrupt.add(interrupt);
  await waitForPostgres(adminUrl);
  return {
    adminUrl,
    crash: () => stopCluster(dataDir, 'immediate'),
    start: async () => {
      startCluster(dataDir, port, { durable });
      await waitForPostgres(adminUrl, 60_000);
    },
    stop: () => {
      onInterrupt.delete(interrupt);
      stopCluster(dataDir);
    },
  };
}

export interface OwnTemporal {
  address: string;
  /** SIGKILL of the server process. */
  kill(): Promise<void>;
  /** Starts it again on the same SQLite file and ports. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function ownTemporal(dir: string, log: Log): Promise<OwnTemporal> {
  const bin = ensureTemporalCli(log);
  const port = await restartablePort();
  const uiPort = await restartablePort();
  const pidFile = join(dir, 'temporal.pid');
  const opts = { bin, port, uiPort, namespace: 'default', dbFile: join(dir, 'temporal.sqlite'), logFile: join(dir, 'temporal.log'), pidFile };
  const address = `127.0.0.1:${port}`;
  const start = async () => {
    startTemporal(opts);
    await waitForTemporal(address, 'default', 120_000);
  };
  const kill = async () => {
    const pid = readPid(pidFile);
    if (pid === undefined || !isAlive(pid)) return;
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  };
  const interrupt = () => {
    const pid = readPid(pidFile);
    if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
  };
  onInterrupt.add(interrupt);
  await start();
  return {
    address, start, kill,
    stop: async () => {
      onInterrupt.delete(interrupt);
      await kill();
    },
  };
}

/** The shared services: those of `npm test` when it started them, else our own in-memory Temporal and a cluster. */
interface Shared {
  temporalAddress: string;
  temporalCli: string;
  adminUrl: string;
  close(): Promise<void>;
}

async function sharedServices(dir: string, log: Log): Promise<Shared> {
  const closers: (() => Promise<void> | void)[] = [];
  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  const temporalCli = ensureTemporalCli(log);
  if (!temporalAddress) {
    const t = await ownTemporal(join(dir, 'shared-temporal'), log);
    temporalAddress = t.address;
    closers.push(t.stop);
  }
  let adminUrl = process.env.MINIBOT_TEST_ADMIN_DATABASE_URL;
  if (!adminUrl) {
    const p = await ownPostgres(join(dir, 'shared-pg'), false);
    adminUrl = p.adminUrl;
    closers.push(p.stop);
  }
  return { temporalAddress, temporalCli, adminUrl, close: async () => { for (const c of closers.reverse()) await c(); } };
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return url.toString();
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect().catch(() => undefined);
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  await c.end().catch(() => undefined);
}

// ---- one fault's laboratory ----------------------------------------------------------------------------

export interface WorkerProcess {
  child: ChildProcess;
  /** SIGKILL, and wait for the process to be gone. */
  kill(): Promise<void>;
}

export interface CampaignRun {
  id: string;
  workflowId: string;
  source: string;
  contactIds: string[];
  maxAttempts: number;
}

export interface CampaignOptions {
  maxConcurrent?: number;
  maxAttempts?: number;
  /** Further campaign fields (createCampaign's input), e.g. a caller id for real telephony. */
  extra?: Record<string, unknown>;
}

export class Lab {
  readonly children: WorkerProcess[] = [];
  constructor(
    readonly name: string,
    readonly log: Log,
    readonly env: NodeJS.ProcessEnv,
    readonly cfg: Config,
    readonly prisma: PrismaClient,
    readonly client: Client,
    readonly temporalBin: string,
    readonly speed: number,
    readonly postgres?: OwnPostgres,
    readonly temporal?: OwnTemporal,
  ) {}

  /** Starts a worker process and waits until its workers run. */
  worker(role: 'all' | 'orchestration' | 'telephony', instance: string): Promise<WorkerProcess> {
    return this.spawnWorker(['test/faults/worker.ts', role], instance, {}, 'fault-worker ready');
  }

  /**
   * Starts a tsx script as a worker process (this lab's environment plus `env`) and waits for its `ready` line;
   * `echo`: its output goes on to our stderr (its log), else it is drained.
   */
  async spawnWorker(args: string[], instance: string, env: NodeJS.ProcessEnv, ready: string, echo = false): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT, env: { ...this.env, WORKER_INSTANCE_ID: `${this.name}-${instance}`, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const interrupt = () => child.kill('SIGKILL');
    onInterrupt.add(interrupt);
    child.once('exit', () => onInterrupt.delete(interrupt));
    const w: WorkerProcess = {
      child,
      kill: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGKILL');
        await gone;
      },
    };
    this.children.push(w);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (b: Buffer) => {
        out += b.toString();
        if (out.includes(ready)) {
          child.stdout!.off('data', onData);
          if (echo) child.stdout!.pipe(process.stderr);
          else child.stdout!.resume(); // keep draining
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`${this.name}: worker ${instance} exited (${code}) before it was ready`)));
    });
    return w;
  }

  /** A small campaign over `contacts` fresh contacts, a draft (not launched); its name is `fault <lab>`. */
  async draft(contacts: number, o: CampaignOptions = {}): Promise<CampaignRun> {
    const { ids, source } = await makeContacts(this.prisma, contacts);
    const maxAttempts = o.maxAttempts ?? 3;
    const c = await createCampaign(this.prisma, {
      name: `fault ${this.name}`, max_concurrent_calls: o.maxConcurrent ?? 4, contact_source: source, time_scale: 1 / this.speed,
      retry_delay_seconds: 30, max_attempts: maxAttempts, ignore_window: true, ...o.extra,
    });
    return { id: c.id, workflowId: campaignWorkflowId(c.id), source, contactIds: ids, maxAttempts };
  }

  /** A small campaign over `contacts` fresh contacts, launched. */
  async campaign(contacts: number, o: CampaignOptions = {}): Promise<CampaignRun> {
    const c = await this.draft(contacts, o);
    const { workflowId } = await launchCampaign(this.client, this.prisma, this.cfg, c.id);
    return { ...c, workflowId };
  }

  /** The API (`npm run api`) as a child process on this lab's database, Temporal and task queue. */
  async api(apiKey: string): Promise<ApiProcess> {
    const api = await startApi({
      DATABASE_URL: this.env.DATABASE_URL!, TEMPORAL_ADDRESS: this.cfg.TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE: this.cfg.TEMPORAL_NAMESPACE,
      TEMPORAL_TASK_QUEUE: this.cfg.TEMPORAL_TASK_QUEUE, API_KEY: apiKey,
    });
    const interrupt = () => api.child.kill('SIGKILL');
    onInterrupt.add(interrupt);
    api.child.once('exit', () => onInterrupt.delete(interrupt));
    this.children.push(api);
    return api;
  }

  /** Waits until some calls have ended and at least `live` are in progress (records open); returns how many are. */
  async midCampaign(c: CampaignRun, o: { ended?: number; live?: number; answered?: number } = {}): Promise<number> {
    await until(`${this.name}: calls in progress`, async () => {
      const [ended, live, answered] = await Promise.all([
        this.prisma.call.count({ where: { campaignId: c.id, endedAt: { not: null } } }),
        this.prisma.call.count({ where: { campaignId: c.id, endedAt: null } }),
        this.prisma.call.count({ where: { campaignId: c.id, endedAt: null, status: 'answered' } }),
      ]);
      return ended >= (o.ended ?? 3) && live >= (o.live ?? 2) && answered >= (o.answered ?? 0);
    }, 240_000);
    return this.prisma.call.count({ where: { campaignId: c.id, endedAt: null } });
  }

  /** Waits for the campaign workflow to close (riding out outages of Temporal), and says how it ended. */
  async closed(workflowId: string, timeoutMs: number): Promise<{ status: string; failureType: string | null; closedAt: number; result: unknown }> {
    const h = this.client.workflow.getHandle(workflowId);
    let status = 'RUNNING';
    let closeTime: Date | undefined;
    await until(`${this.name}: ${workflowId} to close`, async () => {
      const d = await h.describe();
      status = d.status.name;
      closeTime = d.closeTime;
      return status !== 'RUNNING';
    }, timeoutMs, 1000);
    let failureType: string | null = null;
    let result: unknown = null;
    try {
      result = await h.result();
    } catch (err) {
      const cause = (err as { cause?: { type?: string } }).cause;
      failureType = cause?.type ?? (err as Error).name;
    }
    return { status, failureType, closedAt: closeTime?.getTime() ?? Date.now(), result };
  }

  /** Logs what keeps a campaign from completing (rows still open, calls with no end): for a fault that failed. */
  async diagnose(c: CampaignRun): Promise<void> {
    try {
      const open = await this.prisma.campaignContact.findMany({ where: { campaignId: c.id, state: { in: ['pending', 'queued', 'in_call', 'retry_wait'] } } });
      for (const r of open) {
        const calls = await this.prisma.call.findMany({ where: { campaignId: c.id, contactId: r.contactId }, orderBy: { attempt: 'asc' } });
        this.log(`open row ${r.id} ${r.state} attempts=${r.attempts} token=${r.claimToken} updated=${r.updatedAt.toISOString()} next=${r.nextAttemptAt?.toISOString()} calls=${JSON.stringify(calls.map((k) => [k.workflowId, k.status, k.outcome, k.hangupCause, k.dialedAt, k.endedAt]))}`);
      }
      const st = await this.client.workflow.getHandle(c.workflowId).query('status').catch((e: Error) => e.message);
      this.log(`campaign status: ${JSON.stringify(st)}`);
    } catch (err) {
      this.log(`diagnose: ${(err as Error).message}`);
    }
  }

  /** Seconds from `t` to the campaign's first dial at or after it (null: none). */
  async recoverySeconds(campaignId: string, t: number): Promise<number | null> {
    const first = await this.prisma.call.findFirst({ where: { campaignId, dialedAt: { gte: new Date(t) } }, orderBy: { dialedAt: 'asc' }, select: { dialedAt: true } });
    return first ? Math.round((first.dialedAt.getTime() - t) / 100) / 10 : null;
  }

  /**
   * The four counts every fault must bring back to zero. For a deleted campaign (`deleted`), whose rows went
   * with it, a contact is lost when it is left in_progress: no campaign would enrol it again.
   */
  async figures(c: CampaignRun, o: { deleted?: boolean } = {}): Promise<Pick<FaultFigures, 'contactsLost' | 'doubleDials' | 'stuckRows' | 'wedgedCalls'>> {
    const f = await campaignFigures(this.prisma, c.id);
    const rows = await this.prisma.campaignContact.findMany({ where: { campaignId: c.id }, select: { contactId: true, state: true, skipReason: true } });
    const dialed = new Set((await this.prisma.call.findMany({ where: { campaignId: c.id }, select: { contactId: true } })).map((x) => x.contactId));
    const enrolled = new Set(rows.map((r) => r.contactId));
    const stuckRows = rows.filter((r) => r.state === 'queued' || r.state === 'in_call').length;
    // Lost: never enrolled, left to dial (pending / retry_wait) after the end, settled "done" without any call,
    // skipped for no legal reason, or a contact left in_progress (no campaign would enrol it again).
    const lostContacts = new Set<string>();
    if (!o.deleted) for (const id of c.contactIds) if (!enrolled.has(id)) lostContacts.add(id);
    for (const r of rows) {
      if (r.state === 'pending' || r.state === 'retry_wait') lostContacts.add(r.contactId);
      if (r.state === 'done' && !dialed.has(r.contactId)) lostContacts.add(r.contactId);
      if (r.state === 'skipped' && (!r.skipReason || r.skipReason === 'call_not_begun' || r.skipReason === 'unknown')) lostContacts.add(r.contactId);
    }
    for (const x of await this.prisma.contact.findMany({ where: { source: c.source, status: 'in_progress' }, select: { id: true } })) lostContacts.add(x.id);
    return { contactsLost: lostContacts.size, doubleDials: f.doubleDials, stuckRows, wedgedCalls: await this.wedgedCalls(c.id) };
  }

  /** Call records with no end, and call workflows still running past their maximum duration. */
  async wedgedCalls(campaignId: string): Promise<number> {
    const noEnd = await this.prisma.call.count({ where: { campaignId, endedAt: null } });
    const maxMs = this.cfg.CALL_MAX_DURATION_MS / this.speed + this.cfg.CALL_NO_ANSWER_TIMEOUT_MS / this.speed;
    let running = 0;
    for await (const wf of this.client.workflow.list({ query: `CampaignId = "${campaignId}" AND WorkflowType = "callWorkflow" AND ExecutionStatus = "Running"` })) {
      if (Date.now() - wf.startTime.getTime() <= maxMs) continue;
      // Visibility is updated after the execution: a call that closed a moment ago (the campaign's last, whose
      // report let the campaign complete) may still be listed as running. Its own state says.
      const now = await this.client.workflow.getHandle(wf.workflowId, wf.runId).describe();
      if (now.status.name === 'RUNNING') running++;
    }
    return noEnd + running;
  }

  /** An operator's `temporal` CLI command against this fault's server. */
  async operatorCli(...args: string[]): Promise<string> {
    const { execFile } = await import('node:child_process');
    return new Promise((resolve, reject) =>
      execFile(this.temporalBin, [...args, '--address', this.cfg.TEMPORAL_ADDRESS], (err, stdout, stderr) =>
        err ? reject(new Error(`temporal ${args.join(' ')}: ${stderr || err.message}`)) : resolve(stdout)),
    );
  }
}

/** Waits for the campaign to complete, and reports the common figures. */
export async function finish(lab: Lab, c: CampaignRun, o: { inProgress: number; recoveredAt: number | null; checks?: FaultCheck[]; timeoutMs?: number }): Promise<Omit<FaultReport, 'name' | 'seconds'>> {
  const end = await lab.closed(c.workflowId, o.timeoutMs ?? 300_000).catch(async (err) => {
    await lab.diagnose(c);
    throw err;
  });
  const state = (end.result as CampaignStatus | null)?.state ?? null;
  const completed = end.status === 'COMPLETED' && state === 'completed';
  return {
    ...(await lab.figures(c)),
    completed,
    recoverySeconds: o.recoveredAt === null ? null : await lab.recoverySeconds(c.id, o.recoveredAt),
    callsInProgressAtFault: o.inProgress,
    ended: completed ? 'completed' : `${end.status.toLowerCase()} ${state ?? end.failureType ?? ''}`.trim(),
    checks: o.checks ?? [],
  };
}

/** Polls `probe` (its errors, e.g. a service down, count as "not yet") until it holds. */
export async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/**
 * What to stop if we are interrupted (SIGINT / SIGTERM) before the normal cleanup: the servers and workers we
 * started run detached or as our children and would outlive us. Synchronous, by the pids we recorded.
 */
const onInterrupt = new Set<() => void>();
let interruptHandlers = false;
function installInterruptHandlers(): void {
  if (interruptHandlers) return;
  interruptHandlers = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const f of onInterrupt) {
        try {
          f();
        } catch {
          /* best effort: we are exiting */
        }
      }
      process.exit(130);
    });
  }
}

/** Runs the faults concurrently, each in its own laboratory; never throws (a fault's error is in its report). */
export async function runFaults(specs: FaultSpec[], o: HarnessOptions = {}): Promise<FaultReport[]> {
  const log = o.log ?? ((m: string) => console.error(`[faults] ${m}`));
  const speed = o.speed ?? 25;
  const dir = join(CACHE_DIR, `faults-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  installInterruptHandlers();
  const shared = await sharedServices(dir, log);
  try {
    return await Promise.all(specs.map((spec) => runOne(spec, shared, dir, spec.speed ?? speed, log)));
  } finally {
    await shared.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runOne(spec: FaultSpec, shared: Shared, dir: string, speed: number, log: Log): Promise<FaultReport> {
  const t0 = Date.now();
  const flog = (m: string) => log(`${spec.name}: ${m}`);
  const fdir = join(dir, spec.name);
  mkdirSync(fdir, { recursive: true });
  const cleanups: (() => Promise<void> | void)[] = [];
  const blank: FaultReport = {
    name: spec.name, contactsLost: -1, doubleDials: -1, stuckRows: -1, wedgedCalls: -1, completed: false, recoverySeconds: null,
    callsInProgressAtFault: 0, ended: 'not run', checks: [], seconds: 0,
  };
  const skipped = spec.skip?.();
  if (skipped) {
    flog(`skipped: ${skipped}`);
    return { ...blank, ended: 'skipped', skipped };
  }
  try {
    const postgres = spec.own?.postgres ? await ownPostgres(join(fdir, 'pg'), true) : undefined;
    if (postgres) cleanups.push(() => postgres.stop());
    const temporal = spec.own?.temporal ? await ownTemporal(fdir, flog) : undefined;
    if (temporal) cleanups.push(() => temporal.stop());
    const adminUrl = postgres?.adminUrl ?? shared.adminUrl;
    const dbName = `minibot_fault_${spec.name.replace(/[^a-z0-9]/gi, '_')}_${process.pid}`;
    const databaseUrl = await createDatabase(adminUrl, dbName);
    cleanups.push(() => dropDatabase(adminUrl, dbName));
    const env: NodeJS.ProcessEnv = {
      ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'error', DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal?.address ?? shared.temporalAddress, TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: `fault-${spec.name}-${randomUUID().slice(0, 6)}`, SIM_SPEED: String(speed), SIM_SEED: `fault-${spec.name}`,
    };
    const cfg = parseConfig(env);
    const prisma = createPrisma(databaseUrl);
    cleanups.push(() => prisma.$disconnect());
    // A minute to connect, not the SDK's 10 s: faults start side by side (each with its own Postgres or Temporal
    // to start) on a loaded machine; a CI run once failed postgres-stop here, before any fault, at load ~10.
    const client = await temporalClient(cfg, { connectTimeoutMs: 60_000 });
    cleanups.push(() => client.connection.close());
    const lab = new Lab(spec.name, flog, env, cfg, prisma, client, shared.temporalCli, speed, postgres, temporal);
    cleanups.push(async () => {
      for (const w of lab.children) await w.kill();
    });
    flog(spec.description);
    const r = await spec.run(lab);
    flog(`done in ${Math.round((Date.now() - t0) / 1000)} s: ${JSON.stringify({ ...r, checks: undefined })}`);
    return { name: spec.name, ...r, seconds: Math.round((Date.now() - t0) / 1000) };
  } catch (err) {
    flog(`failed: ${(err as Error).stack ?? err}`);
    return { ...blank, error: (err as Error).message, seconds: Math.round((Date.now() - t0) / 1000) };
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (err) {
        flog(`cleanup: ${(err as Error).message}`);
      }
    }
  }
}
