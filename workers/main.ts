// The MiniBot worker process: orchestration workflows + activities, and (with the simulated backend) the
// telephony of the calls it holds. `npm run worker`. Stops gracefully on SIGINT/SIGTERM.
import { applyDevEnv } from '../scripts/services/dev-stack';
import { config } from '../lib/config';
import { logger } from '../lib/logger';
import { createPrisma } from '../prisma/client';
import { temporalClient, workerConnection } from '../api/services/temporal';
import { temporalSignalSink } from '../telephony/temporal-sink';
import { SimulatedTelephony, promptDurationsFrom } from '../telephony/simulated';
import { createWorkers } from './workers';

applyDevEnv();
const cfg = config();
const log = logger('worker');
if (!cfg.DATABASE_URL) {
  log.fatal('DATABASE_URL is not set and no dev stack runs (npm run dev:up)');
  process.exit(1);
}
if (cfg.TELEPHONY_BACKEND !== 'simulated') {
  log.fatal('TELEPHONY_BACKEND=asterisk: the Asterisk adapter runs in the media worker, not here');
  process.exit(1);
}

const prisma = createPrisma(cfg.DATABASE_URL);
const client = await temporalClient(cfg);
const connection = await workerConnection(cfg);
const telephony = new SimulatedTelephony(temporalSignalSink(client), { speed: cfg.SIM_SPEED, seed: cfg.SIM_SEED, promptMs: promptDurationsFrom(cfg.AUDIO_DIR) });
const set = await createWorkers({
  connection, client, namespace: cfg.TEMPORAL_NAMESPACE, taskQueue: cfg.TEMPORAL_TASK_QUEUE, prisma, telephony,
  instanceId: cfg.WORKER_INSTANCE_ID,
});
log.info({ taskQueue: cfg.TEMPORAL_TASK_QUEUE, instanceQueue: set.instanceQueue, temporal: cfg.TEMPORAL_ADDRESS }, 'worker started');

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log.info({ signal: sig }, 'shutting down');
    void set.shutdown();
  });
}
await set.run();
await prisma.$disconnect();
await connection.close();
log.info('worker stopped');
