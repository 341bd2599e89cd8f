// Builds the Temporal workers of one MiniBot process:
// - the orchestration worker (campaign + call workflows, database and intent activities) on TEMPORAL_TASK_QUEUE;
// - the telephony workers: the shared `<queue>-telephony` queue where new calls are originated, and this
//   instance's own `<queue>-telephony-<instance>` queue for everything else about the calls it holds, and, when
//   the backend is a server several workers share (Asterisk), that server's `<queue>-telephony-site-<site>`
//   queue, where any live worker of it releases a call lost with another's process.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions, type WorkflowBundle } from '@temporalio/worker';
import type { PrismaClient } from '../prisma/client';
import { createCampaignActivities } from '../activities/campaign';
import { createCallActivities } from '../activities/call';
import { createLeadWebhookActivities } from '../activities/lead-webhook';
import { createTransferActivities } from '../activities/transfer';
import { createIntentActivities } from '../activities/intent';
import { createTelephonyActivities } from '../activities/telephony';
import type { TelephonyPort } from '../telephony/port';
import { telephonyQueue, telephonySiteQueue } from '../lib/task-queues';
import type { MediaAdmission } from '../telephony/admission';
import { tracing } from '../runtime/tracing';

export { WORKFLOWS_PATH } from './workflows-path';

let bundle: Promise<WorkflowBundle> | undefined;

/**
 * The workflow bundle, built once per process, by webpack in a child process (workers/bundle-workflows.ts).
 * Bundling in the worker itself took it to ~450 MB before its first task (measured in bench:campaign; 180 MB
 * with the child) and left webpack loaded in it for good.
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'minibot-bundle-'));
    try {
      const out = join(dir, 'workflows.js');
      const script = fileURLToPath(new URL('./bundle-workflows.ts', import.meta.url));
      const interceptors = tracing()?.workflowInterceptorModules ?? [];
      const { stderr } = await promisify(execFile)(process.execPath, ['--import', import.meta.resolve('tsx'), script, out, ...interceptors], { maxBuffer: 1 << 20 });
      if (stderr.trim()) console.warn(stderr.trim()); // the bundler's warnings
      return { code: readFileSync(out, 'utf8') };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return bundle;
}


/** Tracing of the workers' activities and workflows (runtime/tracing.ts), when the process started it. */
function tracingOptions(): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const t = tracing();
  return t ? { interceptors: { activity: t.activityInterceptors }, sinks: t.sinks } : {};
}

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
  /** Admission control of this instance's calls (telephony/admission.ts); absent: none. */
  admission?: MediaAdmission | null;
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
      ...createLeadWebhookActivities({ prisma: o.prisma }),
      ...createTransferActivities({ prisma: o.prisma }),
      ...createIntentActivities(o.intent),
    },
    maxConcurrentActivityTaskExecutions: o.maxConcurrentActivities ?? 100,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxCachedWorkflows: 2000,
    ...tracingOptions(),
  }));
  let instanceQueue: string | null = null;
  if (o.telephony) {
    instanceQueue = `${telephonyQueue(o.taskQueue)}-${o.instanceId ?? randomUUID().slice(0, 8)}`;
    const siteQueue = o.telephony.site ? telephonySiteQueue(o.taskQueue, o.telephony.site) : undefined;
    const activities = createTelephonyActivities(o.telephony, instanceQueue, o.admission, siteQueue);
    for (const taskQueue of [telephonyQueue(o.taskQueue), instanceQueue, ...(siteQueue ? [siteQueue] : [])]) {
      workers.push(await Worker.create({
        connection: o.connection, namespace: o.namespace, taskQueue, activities, maxConcurrentActivityTaskExecutions: 200,
        dataConverter: o.client.options.dataConverter,
        ...tracingOptions(),
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
