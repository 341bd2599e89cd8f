// Fault f (issue 10), Asterisk tier: Asterisk restarted while calls are up. The fault is the registry's entry
// (test/faults/asterisk-restart.ts, also run by `npm run bench:faults -- --only asterisk-restart`): a real
// campaign through Temporal, Postgres, a media worker process (ARI adapter through ari-client, chan_websocket
// media server, Vosk) and the chroot's Asterisk, restarted while calls are in conversation. Required, as for
// every fault: nothing lost, nobody dialed twice, no row stuck, no call wedged, the campaign completes; and its
// own checks: the ARI adapter reconnects, the cut calls end failed / media_lost and are called again, every
// call has an outcome and a cause, no channel or bridge is left in Asterisk.
// Skipped only when the chroot is not installed AND MINIBOT_SKIP_ASTERISK=1. Needs root (chroot, mounts).
import { before, describe, it } from 'node:test';
import { runFaults, type FaultReport } from '../faults/harness';
import { FAULTS } from '../faults/faults';
import { assertFault } from '../faults/assert-fault';
import { skipReason } from '../helpers/asterisk';

const SKIP = skipReason('for the end-to-end tier');
const spec = FAULTS.find((f) => f.name === 'asterisk-restart')!;

describe('fault f: Asterisk restarted while calls are up', { skip: SKIP }, () => {
  let report: FaultReport | undefined;

  before(async () => {
    [report] = await runFaults([spec]);
    const { checks, ...figures } = report!;
    console.log(`# ${JSON.stringify(figures)}`);
    for (const c of checks) console.log(`#   ${c.what}: ${JSON.stringify(c.actual)}`);
  }, { timeout: 1_000_000 });

  it('the adapter reconnects, every call ends with an outcome and a cause, nothing is left in Asterisk', () => assertFault(spec, report));
});
