// Recorded histories of finished campaign and call workflows replay without non-determinism errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from '@temporalio/worker';
import { createCampaign, launchCampaign } from '../../api/services/campaigns';
import { workflowBundle } from '../../workers/workers';
import { makeContacts, startWorkers, testStack, type RunningWorkers, type TestStack } from '../helpers/stack';

let stack: TestStack;
let workers: RunningWorkers;
before(async () => {
  stack = await testStack();
  workers = await startWorkers(stack, { speed: 60, seed: 'replay' });
});
after(async () => {
  await workers?.stop();
  await stack?.close();
});

test('campaign and call histories replay deterministically', async () => {
  const { source } = await makeContacts(stack.prisma, 8);
  const c = await createCampaign(stack.prisma, { name: 'replay', max_concurrent_calls: 3, contact_source: source, time_scale: 1 / 60, retry_delay_seconds: 30, ignore_window: true });
  await stack.prisma.campaign.update({ where: { id: c.id }, data: { settings: { source, timeScale: 1 / 60, ignoreWindow: true, historyLimit: 60, batchSize: 3 } } });
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
  await stack.client.workflow.getHandle(workflowId).result();

  const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id }, select: { workflowId: true } });
  const ids = [workflowId, ...calls.map((k) => k.workflowId)];
  const histories = [];
  // Every run of the campaign (it continued as new) and every call.
  for await (const wf of stack.client.workflow.list({ query: `CampaignId = "${c.id}"` })) {
    histories.push({ workflowId: wf.workflowId, history: await stack.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory() });
  }
  assert.ok(histories.length >= ids.length, `found ${histories.length} histories for ${ids.length} workflows`);
  const runsOfCampaign = histories.filter((h) => h.workflowId === workflowId).length;
  assert.ok(runsOfCampaign >= 2, 'the campaign continued as new at least once');
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
    replayed++;
  }
  assert.equal(replayed, histories.length);
});
