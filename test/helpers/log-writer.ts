// A process that logs through runtime/logger.ts on request (test/unit/log-files.test.ts): each IPC message
// { write: tag } logs one line per component (worker, media and amd, the media and amd ones with a call id and
// a phone number the redaction must mask), then answers 'written'; { exit: true } ends it.
import { logger } from '../../runtime/logger';

const worker = logger('worker');
const media = logger('media').child({ callId: 'call-c1-k1-1' });
const amd = logger('amd');

process.on('message', (m: { write?: string; exit?: boolean }) => {
  if (m.exit) process.exit(0); // pino writes what it still holds on exit
  if (!m.write) return;
  worker.info({ phone: '+33612345678' }, `worker ${m.write}`);
  media.info(`media ${m.write}`);
  amd.info({ callId: 'call-c1-k1-1', verdict: 'human' }, `amd ${m.write}`);
  process.send!('written');
});
process.send!('ready');
