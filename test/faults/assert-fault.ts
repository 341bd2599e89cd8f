// What every fault must show, whichever tier runs it (the fault tier, and e2e for the Asterisk restart).
import assert from 'node:assert/strict';
import type { FaultReport, FaultSpec } from './harness';

/** What every fault must show; a skipped fault fails here (its tier decides beforehand whether it may skip). */
export function assertFault(spec: FaultSpec, r: FaultReport | undefined): void {
  assert.ok(r, 'the fault ran');
  assert.equal(r.skipped, undefined, 'the fault was not skipped');
  assert.equal(r.error, undefined, 'the fault ran to its end');
  if (!spec.afterCampaign && !spec.beforeCampaign) assert.ok(r.callsInProgressAtFault >= 1, `the fault hit calls in progress (${r.callsInProgressAtFault})`);
  assert.equal(r.contactsLost, 0, 'contacts lost');
  assert.equal(r.doubleDials, 0, 'double dials');
  assert.equal(r.stuckRows, 0, 'rows left queued / in_call');
  assert.equal(r.wedgedCalls, 0, 'calls wedged (no end, or open past their maximum duration)');
  if (spec.name === 'campaign-deleted') assert.equal(r.completed, false, 'a deleted campaign cannot complete: its workflow fails (checked below)');
  else assert.equal(r.completed, true, `the campaign completed (ended: ${r.ended})`);
  for (const c of r.checks) assert.deepEqual(c.actual, c.expected, c.what);
}
