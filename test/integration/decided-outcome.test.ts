// A call whose conversation had decided its outcome keeps it when the telephony fails afterwards: a callee who
// said "ne m'appelez plus" and whose goodbye could not be played (its media worker gone: every attempt of the
// play activity refused, as after a crash) ends opted_out / media_lost, is on the DNC list, and is not dialed
// again. It used to end failed / media_lost, counted as a failed attempt of someone who had opted out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import { createWorkers, type WorkerSet } from '../../workers/workers';
import { SimulatedTelephony, promptDurationsFrom } from '../../telephony/simulated';
import { temporalSignalSink } from '../../telephony/temporal-sink';
import type { PlayRequest } from '../../telephony/port';
import { makeContacts, testStack, type TestStack } from '../helpers/stack';

/** The simulated line, whose media worker is gone by the time the goodbye is played. */
class GoodbyeLost extends SimulatedTelephony {
  goodbyesRefused = 0;
  override async play(req: PlayRequest): Promise<void> {
    if (req.prompt === 'bye_failed') {
      this.goodbyesRefused++;
      throw new Error(`call ${req.callId} is not held by this worker`);
    }
    return super.play(req);
  }
}

let stack: TestStack;
let set: WorkerSet;
let running: Promise<void>;
let telephony: GoodbyeLost;

before(async () => {
  stack = await testStack();
  telephony = new GoodbyeLost(temporalSignalSink(stack.client), {
    speed: 60, lineMix: { answer: 1 }, personaMix: { optout: 1 }, promptMs: promptDurationsFrom(stack.cfg.AUDIO_DIR),
  });
  set = await createWorkers({
    connection: stack.connection, client: stack.client, namespace: stack.cfg.TEMPORAL_NAMESPACE, taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
    prisma: stack.prisma, telephony,
  });
  running = set.run();
});
after(async () => {
  await set?.shutdown();
  await running;
  await stack?.close();
});

test('an opt-out whose goodbye the telephony could not play stays opted_out (media_lost), on the DNC list, not dialed again', async () => {
  const { source, ids, phones } = await makeContacts(stack.prisma, 1);
  const c = await createCampaign(stack.prisma, { name: 'decided outcome', max_concurrent_calls: 1, contact_source: source, max_attempts: 3, retry_delay_seconds: 1, time_scale: 1 / 60, ignore_window: true });
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
  await stack.client.workflow.getHandle(workflowId).result();
  assert.ok(telephony.goodbyesRefused >= 1, 'the goodbye was asked for, and refused');
  const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id } });
  assert.deepEqual(calls.map((k) => [k.contactId, k.attempt, k.outcome, k.hangupCause]), [[ids[0], 1, 'opted_out', 'media_lost']]);
  const dnc = await stack.prisma.dncEntry.findUnique({ where: { phone: phones[0]! } });
  assert.equal(dnc?.source, 'opt_out');
  assert.equal(dnc?.reason, `opt-out during call ${calls[0]!.workflowId}`);
  const cc = await stack.prisma.campaignContact.findFirstOrThrow({ where: { campaignId: c.id } });
  assert.equal(cc.state, 'done', 'settled: an opt-out is final');
});
