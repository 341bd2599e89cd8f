// The fault tier: every fault of ./faults.ts, injected into a real campaign (real Temporal dev server and
// Postgres that the harness starts itself, so that it can kill them; simulated telephony). The faults run
// concurrently (each has its own database, task queue and, when it kills one, service), then each is judged:
// nothing lost, nobody dialed twice, no row stuck, no call wedged, the campaign completes, plus its own checks.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runFaults, type FaultReport } from './harness';
import { FAULTS } from './faults';

const reports = new Map<string, FaultReport>();

before(async () => {
  for (const r of await runFaults(FAULTS)) reports.set(r.name, r);
}, { timeout: 20 * 60_000 });

describe('faults', () => {
  for (const spec of FAULTS) {
    test(`${spec.name}: ${spec.description}`, () => {
      const r = reports.get(spec.name);
      assert.ok(r, 'the fault ran');
      assert.equal(r.error, undefined, 'the fault ran to its end');
      if (!spec.afterCampaign && !spec.beforeCampaign) assert.ok(r.callsInProgressAtFault >= 1, `the fault hit calls in progress (${r.callsInProgressAtFault})`);
      assert.equal(r.contactsLost, 0, 'contacts lost');
      assert.equal(r.doubleDials, 0, 'double dials');
      assert.equal(r.stuckRows, 0, 'rows left queued / in_call');
      assert.equal(r.wedgedCalls, 0, 'calls wedged (no end, or open past their maximum duration)');
      if (spec.name === 'campaign-deleted') assert.equal(r.completed, false, 'a deleted campaign cannot complete: its workflow fails (checked below)');
      else assert.equal(r.completed, true, `the campaign completed (ended: ${r.ended})`);
      for (const c of r.checks) assert.deepEqual(c.actual, c.expected, c.what);
    });
  }
});
