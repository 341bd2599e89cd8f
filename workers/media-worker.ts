// The MiniBot worker process (`npm run worker`, or `npm run worker:media`: the same process): the Temporal
// workers — orchestration (campaign and call workflows) plus the telephony queues: the shared
// `<queue>-telephony` (originate) and this instance's own `<queue>-telephony-<instance>` (play / stop / hang
// up the calls whose media live here) — with the telephony backend chosen by configuration
// (TELEPHONY_BACKEND, telephony/from-config.ts): simulated, or Asterisk (chan_websocket media server + ARI
// adapter, with recordings retention). An optional health endpoint (MEDIA_HEALTH_PORT). Stops gracefully on
// SIGINT/SIGTERM.
import http from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Config } from '../runtime/config';
import { logger } from '../runtime/logger';
import { createPrisma, type PrismaClient } from '../prisma/client';
import { temporalClient, workerConnection } from '../services/temporal';
import { temporalSignalSink } from '../telephony/temporal-sink';
import type { AsteriskTelephony } from '../telephony/asterisk';
import { telephonyFromConfig, type Telephony } from '../telephony/from-config';
import { pruneRecordings } from '../telephony/recordings';
import type { AsrEngineFactory } from '../media/asr';
import { MediaAdmission, admissionMetrics } from '../telephony/admission';
import { createWorkers, type WorkerSet } from './workers';
import { installRuntime } from './runtime';

export interface WorkerOptions {
  cfg: Config;
  /** Override the dial plan (tests); default ASTERISK_DIAL_TEMPLATE + ASTERISK_DIAL_MAP. */
  dial?: (phone: string) => string;
  /** Override the ASR (undefined = Vosk from VOSK_MODEL_PATH). */
  asr?: AsrEngineFactory | null;
  prisma?: PrismaClient;
  client?: Client;
  connection?: NativeConnection;
  /** false: only the telephony queues (the workflows run in other processes). Default true. */
  orchestration?: boolean;
}
export type MediaWorkerOptions = WorkerOptions;

export interface RunningWorker<T extends Telephony = Telephony> {
  backend: T;
  workers: WorkerSet;
  /** This instance's admission control (null: none, the simulated backend without MEDIA_MAX_CALLS). */
  admission: MediaAdmission | null;
  /** Resolves when the workers stop. */
  running: Promise<void>;
  stop(): Promise<void>;
}

export interface MediaWorker extends RunningWorker {
  telephony: AsteriskTelephony;
}

/** The worker with the Asterisk backend (TELEPHONY_BACKEND=asterisk), its adapter at hand (tests, bench). */
export async function startMediaWorker(o: MediaWorkerOptions): Promise<MediaWorker> {
  if (o.cfg.TELEPHONY_BACKEND !== 'asterisk') throw new Error(`TELEPHONY_BACKEND=${o.cfg.TELEPHONY_BACKEND}: the media worker needs TELEPHONY_BACKEND=asterisk`);
  const w = await startWorker(o);
  if (w.backend.backend !== 'asterisk') throw new Error('unreachable: asterisk backend expected');
  return { ...w, telephony: w.backend.port };
}

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const cfg = o.cfg;
  const log = logger('worker');
  if (!cfg.DATABASE_URL) throw new Error('DATABASE_URL is not set and no dev stack runs (npm run dev:up)');
  installRuntime();
  const prisma = o.prisma ?? createPrisma(cfg.DATABASE_URL);
  const client = o.client ?? (await temporalClient(cfg));
  const connection = o.connection ?? (await workerConnection(cfg));
  const recordingsDir = resolve(cfg.RECORDINGS_DIR);

  const backend = telephonyFromConfig(cfg, { sink: temporalSignalSink(client), prisma, dial: o.dial, asr: o.asr });
  const telephony = backend.port;
  await backend.start();

  // Recordings retention (only the Asterisk backend records).
  let pruneTimer: NodeJS.Timeout | null = null;
  if (backend.backend === 'asterisk') {
    const prune = () =>
      pruneRecordings(recordingsDir, cfg.RECORDINGS_RETENTION_DAYS)
        .then((r) => r.deleted && log.info({ ...r, days: cfg.RECORDINGS_RETENTION_DAYS }, 'old recordings deleted'))
        .catch((err) => log.warn({ err: (err as Error).message }, 'recordings retention failed'));
    void prune();
    pruneTimer = setInterval(prune, 6 * 3600_000);
    pruneTimer.unref();
  }

  // Admission control (telephony/admission.ts): always with Asterisk (the media and its recognisers live in
  // this process), on the simulated backend only when MEDIA_MAX_CALLS asks for a cap.
  const maxCalls = cfg.MEDIA_MAX_CALLS ?? (backend.backend === 'asterisk' ? 16 : null);
  const admission =
    maxCalls === null
      ? null
      : new MediaAdmission(
          {
            activeCalls: () => telephony.activeCalls(),
            ...(backend.backend === 'asterisk' ? { asrBacklogMs: () => backend.port.media.asrBacklogMs() } : {}),
          },
          { maxCalls, maxAsrBacklogMs: cfg.MEDIA_MAX_ASR_BACKLOG_MS, maxLagMs: cfg.MEDIA_MAX_LAG_MS },
        );

  let health: http.Server | null = null;
  if (cfg.MEDIA_HEALTH_PORT !== undefined) {
    health = http.createServer((req, res) => {
      if (req.url === '/metrics') {
        // This instance's figures (the API's /metrics serves the ones from Postgres).
        const text = admission ? admissionMetrics(admission.snapshot(), cfg.WORKER_INSTANCE_ID ?? 'default') : '';
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
        return;
      }
      const headroom = admission?.snapshot() ?? null;
      const body =
        backend.backend === 'asterisk'
          ? (() => {
              const h = backend.port.health();
              return { ok: h.ari === 'connected', backend: 'asterisk', ...h, media: backend.port.media.stats(), headroom };
            })()
          : { ok: true, backend: 'simulated', activeCalls: backend.port.activeCalls().length, headroom };
      res.writeHead(body.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => health!.listen(cfg.MEDIA_HEALTH_PORT, cfg.AUDIOFORK_HOST, r));
  }

  const workers = await createWorkers({
    connection, client, namespace: cfg.TEMPORAL_NAMESPACE, taskQueue: cfg.TEMPORAL_TASK_QUEUE, prisma, telephony,
    instanceId: cfg.WORKER_INSTANCE_ID, admission, orchestration: o.orchestration,
  });
  const running = workers.run();
  log.info(
    { taskQueue: cfg.TEMPORAL_TASK_QUEUE, instanceQueue: workers.instanceQueue, temporal: cfg.TEMPORAL_ADDRESS, telephony: backend.backend, ...(backend.backend === 'asterisk' ? { media: `${cfg.AUDIOFORK_HOST}:${cfg.AUDIOFORK_PORT}`, amd: cfg.AMD_MODE } : {}) },
    'worker started',
  );

  let stopping: Promise<void> | null = null;
  return {
    backend, workers, running, admission,
    stop: () =>
      (stopping ??= (async () => {
        if (pruneTimer) clearInterval(pruneTimer);
        await workers.shutdown();
        await running.catch(() => undefined);
        await backend.stop();
        health?.close();
        admission?.stop();
        if (!o.prisma) await prisma.$disconnect();
        if (!o.connection) await connection.close();
        if (!o.client) await client.connection.close();
      })()),
  };
}

/** Runs the worker as a process until SIGINT/SIGTERM (workers/main.ts and this file). */
export async function runWorkerProcess(): Promise<void> {
  const { applyDevEnv } = await import('../runtime/dev-env');
  const { config } = await import('../runtime/config');
  applyDevEnv();
  const cfg = config();
  const log = logger('worker');
  try {
    // Tracing first (runtime/tracing.ts): the clients, the bundle and the workers created next pick it up.
    const { startTracing } = await import('../runtime/tracing');
    const tracing = await startTracing(cfg, 'worker');
    const w = await startWorker({ cfg });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        log.info({ signal: sig }, 'shutting down');
        void w.stop();
      });
    }
    await w.running;
    await w.stop();
    await tracing?.shutdown();
    log.info('worker stopped');
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'worker failed');
    process.exit(1);
  }
}

// Run as a process (`npm run worker:media`: the same worker as `npm run worker`).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runWorkerProcess();
