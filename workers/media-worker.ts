// The media worker process (`npm run worker:media`, TELEPHONY_BACKEND=asterisk): the chan_websocket media
// server, the ARI adapter (telephony/asterisk.ts) and the Temporal workers — orchestration (campaign and call
// workflows) plus the telephony queues: the shared `<queue>-telephony` (originate) and this instance's own
// `<queue>-telephony-<instance>` (play / stop / hang up the calls whose media live here).
// Also: per-campaign recording decision and storage of the recording path on the call's record, recordings
// retention, an optional health endpoint (MEDIA_HEALTH_PORT). Stops gracefully on SIGINT/SIGTERM.
import http from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { Config } from '../lib/config';
import { logger } from '../lib/logger';
import { createPrisma, type PrismaClient } from '../prisma/client';
import { temporalClient, workerConnection } from '../api/services/temporal';
import { temporalSignalSink } from '../telephony/temporal-sink';
import { AsteriskTelephony, dialPlan } from '../telephony/asterisk';
import { pruneRecordings } from '../telephony/recordings';
import { ariCredentials } from '../scripts/asterisk-render';
import * as asr from '../media/asr';
import { createWorkers, type WorkerSet } from './workers';
import { installRuntime } from './runtime';

export interface MediaWorkerOptions {
  cfg: Config;
  /** Override the dial plan (tests); default ASTERISK_DIAL_TEMPLATE + ASTERISK_DIAL_MAP. */
  dial?: (phone: string) => string;
  /** Override the ASR (undefined = the configured engine, media/asr.ts fromConfig). */
  asr?: asr.AsrEngineFactory | null;
  prisma?: PrismaClient;
  client?: Client;
  connection?: NativeConnection;
}

export interface MediaWorker {
  telephony: AsteriskTelephony;
  workers: WorkerSet;
  /** Resolves when the workers stop. */
  running: Promise<void>;
  stop(): Promise<void>;
}

export async function startMediaWorker(o: MediaWorkerOptions): Promise<MediaWorker> {
  const cfg = o.cfg;
  const log = logger('media-worker');
  if (!cfg.DATABASE_URL) throw new Error('DATABASE_URL is not set');
  installRuntime();
  const prisma = o.prisma ?? createPrisma(cfg.DATABASE_URL);
  const client = o.client ?? (await temporalClient(cfg));
  const connection = o.connection ?? (await workerConnection(cfg));
  const recordingsDir = resolve(cfg.RECORDINGS_DIR);

  const telephony = new AsteriskTelephony({
    sink: temporalSignalSink(client),
    ari: ariCredentials(cfg),
    media: { host: cfg.AUDIOFORK_HOST, port: cfg.AUDIOFORK_PORT, asr: o.asr !== undefined ? o.asr : asr.fromConfig(cfg) },
    dial: o.dial ?? dialPlan(cfg.ASTERISK_DIAL_TEMPLATE, cfg.ASTERISK_DIAL_MAP ?? {}),
    audioDir: resolve(cfg.AUDIO_DIR),
    amdMode: cfg.AMD_ENABLED ? cfg.AMD_MODE : 'off',
    amd: {
      humanSpeechMs: cfg.AMD_HUMAN_SPEECH_THRESHOLD * 1000,
      machineSpeechMs: cfg.AMD_MACHINE_SPEECH_THRESHOLD * 1000,
      afterGreetingSilenceMs: cfg.AMD_SILENCE_THRESHOLD * 1000,
      beep: cfg.AMD_BEEP_DETECTION_ENABLED,
      gateSilenceMs: cfg.AMD_FIRST_PROMPT_SILENCE_MS,
    },
    callerId: cfg.SIP_TRUNK_CALLER_ID,
    recording: {
      dir: recordingsDir,
      // The campaign decides (campaigns.record_calls); the call row exists before originate (beginCall).
      shouldRecord: async (callId) =>
        (await prisma.call.findUnique({ where: { workflowId: callId }, select: { campaign: { select: { recordCalls: true } } } }))?.campaign
          .recordCalls ?? false,
      onSaved: async (callId, path) => {
        await prisma.call.updateMany({ where: { workflowId: callId }, data: { recordingPath: path } });
      },
    },
  });
  await telephony.start();

  const prune = () =>
    pruneRecordings(recordingsDir, cfg.RECORDINGS_RETENTION_DAYS)
      .then((r) => r.deleted && log.info({ ...r, days: cfg.RECORDINGS_RETENTION_DAYS }, 'old recordings deleted'))
      .catch((err) => log.warn({ err: (err as Error).message }, 'recordings retention failed'));
  void prune();
  const pruneTimer = setInterval(prune, 6 * 3600_000);
  pruneTimer.unref();

  let health: http.Server | null = null;
  if (cfg.MEDIA_HEALTH_PORT !== undefined) {
    health = http.createServer((_req, res) => {
      const h = telephony.health();
      const ok = h.ari === 'connected';
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok, ...h, media: telephony.media.stats() }));
    });
    await new Promise<void>((r) => health!.listen(cfg.MEDIA_HEALTH_PORT, cfg.AUDIOFORK_HOST, r));
  }

  const workers = await createWorkers({
    connection, client, namespace: cfg.TEMPORAL_NAMESPACE, taskQueue: cfg.TEMPORAL_TASK_QUEUE, prisma, telephony,
    instanceId: cfg.WORKER_INSTANCE_ID,
  });
  const running = workers.run();
  log.info({ taskQueue: cfg.TEMPORAL_TASK_QUEUE, instanceQueue: workers.instanceQueue, media: `${cfg.AUDIOFORK_HOST}:${cfg.AUDIOFORK_PORT}`, amd: cfg.AMD_MODE }, 'media worker started');

  let stopping: Promise<void> | null = null;
  return {
    telephony, workers, running,
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(pruneTimer);
        await workers.shutdown();
        await running.catch(() => undefined);
        await telephony.stop();
        health?.close();
        if (!o.prisma) await prisma.$disconnect();
        if (!o.connection) await connection.close();
        if (!o.client) await client.connection.close();
      })()),
  };
}

// Run as a process.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { applyDevEnv } = await import('../scripts/services/dev-stack');
  const { config } = await import('../lib/config');
  applyDevEnv();
  const cfg = config();
  const log = logger('media-worker');
  try {
    const w = await startMediaWorker({ cfg });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        log.info({ signal: sig }, 'shutting down');
        void w.stop();
      });
    }
    await w.running;
    await w.stop();
    log.info('media worker stopped');
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'media worker failed');
    process.exit(1);
  }
}
