// Recorded histories of finished campaign and call workflows replay without non-determinism errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { createCampaign, launchCampaign } from '../../services/campaigns';
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
  // Its pages read the scenario file where the workflow runs (local activities), not through the server.
  const campaignEvents = histories.filter((h) => h.workflowId === workflowId).flatMap((h) => h.history.events ?? []);
  assert.equal(campaignEvents.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'scenarioGraph').length, 0);
  assert.ok(campaignEvents.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity'), 'the scenario read as a local activity');
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter: stack.client.options.dataConverter }, histories)) {
    assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
    replayed++;
  }
  assert.equal(replayed, histories.length);
});

test('histories recorded by earlier code replay on the current code', async () => {
  // A windowed campaign (3 contacts, its window opening 5 s after launch, in the campaign's zone) and its calls,
  // recorded with commit c736d93, before the window was read in each callee's local time (patch
  // "callee-local-window"): fetchHistory() encoded as protobuf, base64. Fiction numbers (ARCEP 01 99 00).
  // Recorded before payload encryption: they replay through the same data converter (its codec passes them).
  const recorded = JSON.parse(readFileSync(new URL('../fixtures/histories-c736d93-windowed-campaign.json', import.meta.url), 'utf8')) as { workflowId: string; history: string }[];
  const histories = recorded.map((r) => ({ workflowId: r.workflowId, history: proto.temporal.api.history.v1.History.decode(Buffer.from(r.history, 'base64')) }));
  assert.equal(histories.filter((h) => h.workflowId.startsWith('campaign-')).length, 1);
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter: stack.client.options.dataConverter }, histories)) {
    assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
    replayed++;
  }
  assert.equal(replayed, 4);
});

test('a campaign recorded before the pipelined scheduler replays on the current code', async () => {
  // A campaign of 8 contacts, 3 lines, pages of 3 and a history bound of 60 events (so it continued as new
  // twice), and its calls, recorded with commit 4bf43cc: each batch of child starts awaited by the loop, and the
  // next page claimed only once the buffer was empty (patch "scheduler-pipelined"). Fiction numbers (01 99 00).
  const recorded = JSON.parse(readFileSync(new URL('../fixtures/histories-4bf43cc-campaign-continued.json', import.meta.url), 'utf8')) as { workflowId: string; history: string }[];
  const histories = recorded.map((r) => ({ workflowId: r.workflowId, history: proto.temporal.api.history.v1.History.decode(Buffer.from(r.history, 'base64')) }));
  assert.equal(histories.filter((h) => h.workflowId.startsWith('campaign-')).length, 3);
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter: stack.client.options.dataConverter }, histories)) {
    assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
    replayed++;
  }
  assert.equal(replayed, 14);
});

test('a campaign recorded when it read its scenario file through a remote activity replays on the current code', async () => {
  // 8 contacts, 3 lines, pages of 3, a history bound of 60 events (5 runs), and its calls, recorded with commit
  // 543df8f: each page's first dial waited for the scenarioGraph activity through the server (6 of them), before
  // it became a local activity (patch "scenario-graph-local"). Fiction numbers (01 99 00).
  const recorded = JSON.parse(readFileSync(new URL('../fixtures/histories-543df8f-campaign-graph-read.json', import.meta.url), 'utf8')) as { workflowId: string; history: string }[];
  const histories = recorded.map((r) => ({ workflowId: r.workflowId, history: proto.temporal.api.history.v1.History.decode(Buffer.from(r.history, 'base64')) }));
  assert.equal(histories.filter((h) => h.workflowId.startsWith('campaign-')).length, 5);
  const remoteReads = histories.flatMap((h) => h.history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'scenarioGraph');
  assert.equal(remoteReads.length, 6, 'the recorded runs read the scenario through the server');
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle(), dataConverter: stack.client.options.dataConverter }, histories)) {
    assert.equal(r.error, undefined, `${r.workflowId}: ${r.error?.message}`);
    replayed++;
  }
  assert.equal(replayed, histories.length);
});
