// A MiniBot worker process for the fault tier, in one of three roles, so that a fault can kill exactly the part
// it is about:  tsx test/faults/worker.ts all|orchestration|telephony
//   all            orchestration (workflows, database and intent activities) + simulated telephony (like `npm run worker`)
//   orchestration  workflows and their activities only
//   telephony      only the telephony queues: the shared one (originate) and this instance's own (its calls' media)
// Configuration from the environment (DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE, SIM_SPEED, SIM_SEED,
// WORKER_INSTANCE_ID), as for `npm run worker`. Stops gracefully on SIGTERM; the tier kills it with SIGKILL.
import { config } from '../../runtime/config';
import { logger } from '../../runtime/logger';
import { createPrisma } from '../../prisma/client';
import { temporalClient, workerConnection } from '../../services/temporal';
import { temporalSignalSink } from '../../telephony/temporal-sink';
import { SimulatedTelephony, promptDurationsFrom } from '../../telephony/simulated';
import { createWorkers } from '../../workers/workers';

const role = process.argv[2];
if (role !== 'all' && role !== 'orchestration' && role !== 'telephony') {
  console.error('usage: tsx test/faults/worker.ts all|orchestration|telephony');
  process.exit(2);
}
const cfg = config();
const log = logger(`fault-worker-${role}`);
if (!cfg.DATABASE_URL) throw new Error('DATABASE_URL is not set');
const prisma = createPrisma(cfg.DATABASE_URL);
const client = await temporalClient(cfg);
const connection = await workerConnection(cfg);
const telephony = role === 'orchestration'
  ? null
  : new SimulatedTelephony(temporalSignalSink(client), { speed: cfg.SIM_SPEED, seed: cfg.SIM_SEED, promptMs: promptDurationsFrom(cfg.AUDIO_DIR) });
const set = await createWorkers({
  connection, client, namespace: cfg.TEMPORAL_NAMESPACE, taskQueue: cfg.TEMPORAL_TASK_QUEUE, prisma, telephony,
  instanceId: cfg.WORKER_INSTANCE_ID, orchestration: role !== 'telephony',
});
process.once('SIGTERM', () => void set.shutdown());
// The harness waits for this line before it counts the worker as up.
console.log(`fault-worker ready ${role} ${set.instanceQueue ?? ''}`);
log.info({ role, taskQueue: cfg.TEMPORAL_TASK_QUEUE, instanceQueue: set.instanceQueue }, 'fault worker started');
await set.run();
await prisma.$disconnect();
await connection.close();
process.exit(0);
