// A media worker process for the Asterisk tiers (tests that SIGKILL one): the telephony queues of one worker
// instance on the Asterisk backend (ARI adapter, chan_websocket media server, Vosk), without the workflows,
// which run in the test's own process. Every contact is dialed on MINIBOT_TEST_DIAL (a test callee).
//   tsx test/helpers/media-worker-process.ts
// Configuration from the environment, as for `npm run worker:media` (ARI_URL, ARI_APP, AUDIOFORK_PORT,
// ASTERISK_MEDIA_CONNECTION, WORKER_INSTANCE_ID, MEDIA_HEALTH_PORT, ...). Stops gracefully on SIGTERM.
import { config } from '../../runtime/config';
import { startMediaWorker } from '../../workers/media-worker';

const dial = process.env.MINIBOT_TEST_DIAL ?? 'Local/human@minibot-test-callees';
const w = await startMediaWorker({ cfg: config(), dial: () => dial, orchestration: false });
process.once('SIGTERM', () => void w.stop());
// The test waits for this line before it counts the worker as up.
console.log(`media-worker ready ${w.workers.instanceQueue} ${process.pid}`);
await w.running;
await w.stop();
process.exit(0);
