// The MiniBot worker process (`npm run worker`): orchestration workflows + activities and the telephony of the
// calls it holds, with the telephony backend chosen by TELEPHONY_BACKEND (simulated or asterisk; see
// workers/media-worker.ts and telephony/from-config.ts). Stops gracefully on SIGINT/SIGTERM.
import { runWorkerProcess } from './media-worker';

await runWorkerProcess();
