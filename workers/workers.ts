// Builds the Temporal workers of one MiniBot process:
// - the orchestration worker (campaign + call workflows, database and intent activities) on TEMPORAL_TASK_QUEUE;
// - the telephony workers: the shared `<queue>-telephony` queue where new calls are originated, and this
//   instance's own `<queue>-telephony-<instance>` queue for everything else about the calls it holds.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { PrismaClient } from '../prisma/client';
import { createCampaignActivities } from '../activities/campaign';
import { createCallActivities } from '../activities/call';
import { createTransferActivities } from '../activities/transfer';
import { createIntentActivities } from '../activities/intent';
import { createTelephonyActivities } from '../activities/telephony';
import type { TelephonyPort } from '../telephony/port';
import { telephonyQueue } from '../lib/task-queues';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per process. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (m: string, meta?: unknown) => console.warn(m, meta ?? ''),
  error: (m: string, meta?: unknown) => console.error(m, meta ?? ''),
};

export { telephonyQueue };

export interface WorkerSetOptions {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  taskQueue: string;
  prisma: PrismaClient;
  telephony: TelephonyPort | null; // null: this process does not handle calls' media
  /** false: only the telephony workers (a process that holds calls' media and runs no workflows). Default true. */
  orchestration?: boolean;
  instanceId?: string;
  intent?: Parameters<typeof createIntentActivities>[0];
  maxConcurrentActivities?: number;
}

export interface WorkerSet {
  workers: Worker[];
  instanceQueue: string | null;
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

export async function createWorkers(o: WorkerSetOptions): Promise<WorkerSet> {
  const workers: Worker[] = [];
  if (o.orchestration !== false) workers.push(await Worker.create({
    connection: o.connection,
    namespace: o.namespace,
    taskQueue: o.taskQueue,
    workflowBundle: await workflowBundle(),
    // The client's data converter (services/temporal.ts: payload encryption), so that workers and clients
    // always read and write payloads alike.
    dataConverter: o.client.options.dataConverter,
    activities: {
      ...createCampaignActivities({ prisma: o.prisma, client: o.client }),
      ...createCallActivities({ prisma: o.prisma }),
      ...createTransferActivities({ prisma: o.prisma }),
      ...createIntentActivities(o.intent),
    },
    maxConcurrentActivityTaskExecutions: o.maxConcurrentActivities ?? 100,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxCachedWorkflows: 2000,
  }));
  let instanceQueue: string | null = null;
  if (o.telephony) {
    instanceQueue = `${telephonyQueue(o.taskQueue)}-${o.instanceId ?? randomUUID().slice(0, 8)}`;
    const activities = createTelephonyActivities(o.telephony, instanceQueue);
    for (const taskQueue of [telephonyQueue(o.taskQueue), instanceQueue]) {
      workers.push(await Worker.create({
        connection: o.connection, namespace: o.namespace, taskQueue, activities, maxConcurrentActivityTaskExecutions: 200,
        dataConverter: o.client.options.dataConverter,
      }));
    }
  }
  return {
    workers,
    instanceQueue,
    run: () => Promise.all(workers.map((w) => w.run())).then(() => undefined),
    shutdown: async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
