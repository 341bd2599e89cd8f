// Admission control (issue #14) against the real Temporal dev server and Postgres: a telephony instance
// capped at one call while the campaign asks for three at once. The originates beyond the cap are deferred
// (MediaAtCapacity, retried by Temporal), never dialed, never counted as attempts, and every contact is
// called once the instance has room again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import { campaignFigures } from '../../services/stats';
import { SimulatedTelephony } from '../../telephony/simulated';
import { temporalSignalSink } from '../../telephony/temporal-sink';
import { MediaAdmission } from '../../telephony/admission';
import { createWorkers } from '../../workers/workers';
import { promptDurationsFrom } from '../../telephony/simulated';
import { campaignResult, makeContacts, testStack, type TestStack } from '../helpers/stack';
import type { CampaignStatus } from '../../workflows/definitions';

let stack: TestStack;
let telephony: SimulatedTelephony;
let admission: MediaAdmission;
let stop: () => Promise<void>;

before(async () => {
  stack = await testStack();
  telephony = new SimulatedTelephony(temporalSignalSink(stack.client), { speed: 60, seed: 'admission-test', promptMs: promptDurationsFrom(stack.cfg.AUDIO_DIR) });
  admission = new MediaAdmission(telephony, { maxCalls: 1 });
  const set = await createWorkers({
    connection: stack.connection, client: stack.client, namespace: stack.cfg.TEMPORAL_NAMESPACE, taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
    prisma: stack.prisma, telephony, admission,
  });
  const running = set.run();
  stop = async () => {
    await set.shutdown();
    await running;
    admission.stop();
  };
});
after(async () => {
  await stop?.();
  await stack?.close();
});

test('originates beyond the instance cap wait (deferred, not dialed, not counted) and every contact is called', async () => {
  const { ids, source } = await makeContacts(stack.prisma, 4);
  const c = await createCampaign(stack.prisma, { name: 'admission', max_concurrent_calls: 3, contact_source: source, retry_delay_seconds: 60, time_scale: 1 / 60, ignore_window: true });
  // What the instance holds, sampled while the campaign runs: never more than its cap.
  let maxHeld = 0;
  const sampler = setInterval(() => (maxHeld = Math.max(maxHeld, telephony.activeCalls().length)), 10);
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
  const status = await campaignResult(stack.client, workflowId, 180_000);
  clearInterval(sampler);

  assert.equal(status.state, 'completed');
  assert.ok(admission.counts.deferred > 0, `some originates were deferred at capacity (got ${admission.counts.deferred})`);
  assert.equal(maxHeld, 1, 'the instance held at most its cap of 1 call, and did hold one');
  const f = await campaignFigures(stack.prisma, c.id);
  assert.equal(f.doubleDials, 0);
  assert.equal(f.open, 0, 'no contact left pending, queued or in call');
  const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id }, orderBy: [{ contactId: 'asc' }, { attempt: 'asc' }] });
  // Every contact was called (none lost while waiting), and its attempts are exactly its calls: 1..n.
  assert.deepEqual([...new Set(calls.map((x) => x.contactId))].sort(), [...ids].sort());
  for (const id of ids) {
    const mine = calls.filter((x) => x.contactId === id);
    assert.deepEqual(mine.map((x) => x.attempt), mine.map((_, i) => i + 1), `attempts of ${id} are 1..n`);
    const contact = await stack.prisma.contact.findUniqueOrThrow({ where: { id } });
    assert.equal(contact.attempts, mine.length, `contact ${id}: a deferral is not an attempt`);
    for (const x of mine) assert.ok(x.endedAt && x.outcome, `call ${x.workflowId} finalised`);
  }
  assert.equal(status.counts.dialed, calls.length);
  // Each admission was granted once per call (a retried admission of the same call passes without a second).
  assert.equal(admission.counts.admitted, calls.length);
});
