// Integration-test helpers: the real Temporal dev server and Postgres started by scripts/test.ts (their
// addresses arrive in DATABASE_URL / TEMPORAL_ADDRESS), in-process workers on a task queue of the test's own,
// and sample data.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { parseConfig, type Config } from '../../runtime/config';
import { createPrisma, type PrismaClient } from '../../prisma/client';
import { temporalClient, workerConnection } from '../../services/temporal';
import { TimeoutError, withTimeout } from '../../lib/timeout';
import type { CampaignStatus } from '../../workflows/definitions';
import { createWorkers, type WorkerSet } from '../../workers/workers';
import { SimulatedTelephony, promptDurationsFrom, type SimulationOptions } from '../../telephony/simulated';
import { temporalSignalSink } from '../../telephony/temporal-sink';

export interface TestStack {
  cfg: Config;
  prisma: PrismaClient;
  client: Client;
  connection: NativeConnection;
  close(): Promise<void>;
}

export function requireServices(): void {
  if (!process.env.DATABASE_URL || !process.env.TEMPORAL_ADDRESS) {
    throw new Error('integration tests need DATABASE_URL and TEMPORAL_ADDRESS: run them through `npm test` (scripts/test.ts)');
  }
}

/** A stack with a task queue of its own, so test files never take each other's tasks. */
export async function testStack(overrides: Record<string, string> = {}): Promise<TestStack> {
  requireServices();
  const cfg = parseConfig({ ...process.env, TEMPORAL_TASK_QUEUE: `test-${randomUUID().slice(0, 8)}`, ...overrides });
  const prisma = createPrisma(cfg.DATABASE_URL!);
  const client = await temporalClient(cfg);
  const connection = await workerConnection(cfg);
  return {
    cfg, prisma, client, connection,
    async close() {
      await prisma.$disconnect();
      await client.connection.close();
      await connection.close();
    },
  };
}

export interface RunningWorkers {
  set: WorkerSet;
  telephony: SimulatedTelephony;
  stop(): Promise<void>;
}

/** Starts the orchestration + simulated telephony workers in this process. */
export async function startWorkers(stack: TestStack, sim: Partial<SimulationOptions> = {}): Promise<RunningWorkers> {
  const telephony = new SimulatedTelephony(temporalSignalSink(stack.client), { speed: 50, promptMs: promptDurationsFrom(stack.cfg.AUDIO_DIR), ...sim });
  const set = await createWorkers({
    connection: stack.connection, client: stack.client, namespace: stack.cfg.TEMPORAL_NAMESPACE, taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
    prisma: stack.prisma, telephony,
  });
  const running = set.run();
  return {
    set, telephony,
    async stop() {
      await set.shutdown();
      // Bounded: a shutdown that never finishes must not hold the test file's process (and its lane) forever;
      // it is reported, and the file's other cleanups still run.
      await withTimeout(running, 30_000, 'the workers to shut down').catch((err: Error) => {
        if (!(err instanceof TimeoutError)) throw err;
        console.error(`# ${err.message}`);
      });
    },
  };
}

/** Creates `n` contacts with consent under a source of their own; returns their ids in creation order. */
export async function makeContacts(prisma: PrismaClient, n: number, extra: (i: number) => Record<string, unknown> = () => ({})): Promise<{ source: string; ids: string[]; phones: string[] }> {
  const source = `test-${randomUUID().slice(0, 8)}`;
  const now = Date.now();
  let phones: string[] = [];
  // A run of numbers at a random place among 10 million: the lane's database keeps every earlier test's
  // contacts (thousands), so a run may meet one of them (contacts_phone_key). The insert is one statement
  // (all or nothing): another place is tried.
  for (let tries = 1; ; tries++) {
    const base = Math.floor(Math.random() * 1e7);
    phones = Array.from({ length: n }, (_, i) => `+3375${String((base + i) % 1e7).padStart(7, '0')}`);
    try {
      await prisma.contact.createMany({
        data: phones.map((phone, i) => ({
          phone, source, firstName: `T${i}`, consentGivenAt: new Date(now - 86_400_000), consentSource: 'test', createdAt: new Date(now + i), ...extra(i),
        })),
      });
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== 'P2002' || tries >= 5) throw err;
    }
  }
  const ids = (await prisma.contact.findMany({ where: { source }, orderBy: { createdAt: 'asc' }, select: { id: true } })).map((c) => c.id);
  return { source, ids, phones };
}

export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The campaign workflow's result, or a TimeoutError naming it after `ms`. The timer is cleared when the
 * campaign ends: a bare Promise.race with setTimeout keeps the test file's process alive for the whole `ms`.
 */
export function campaignResult(client: Client, workflowId: string, ms: number): Promise<CampaignStatus> {
  return withTimeout(client.workflow.getHandle(workflowId).result() as Promise<CampaignStatus>, ms, `campaign ${workflowId} to finish`);
}
