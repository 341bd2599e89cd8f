// The fault tier: every fault of ./faults.ts, injected into a real campaign (real Temporal dev server and
// Postgres that the harness starts itself, so that it can kill them; simulated telephony). The faults run
// concurrently (each has its own database, task queue and, when it kills one, service), then each is judged:
// nothing lost, nobody dialed twice, no row stuck, no call wedged, the campaign completes, plus its own checks.
// Faults of another tier (spec.tier: the Asterisk restart, in e2e) are asserted there, with assertFault.
import { before, describe, test } from 'node:test';
import { runFaults, type FaultReport } from './harness';
import { assertFault } from './assert-fault';
import { FAULTS } from './faults';

const OURS = FAULTS.filter((f) => !f.tier);
const reports = new Map<string, FaultReport>();

before(async () => {
  for (const r of await runFaults(OURS)) reports.set(r.name, r);
}, { timeout: 20 * 60_000 });

describe('faults', () => {
  for (const spec of OURS) test(`${spec.name}: ${spec.description}`, () => assertFault(spec, reports.get(spec.name)));
});
