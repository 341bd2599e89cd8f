// Campaign orchestration against the real Temporal dev server and Postgres (started by scripts/test.ts).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { createApp } from '../../api/app';
import { createCampaign, launchCampaign, signalCampaign, campaignStatus, setCampaignConcurrency } from '../../services/campaigns';
import { campaignFigures } from '../../services/stats';
import { campaignResult, makeContacts, startWorkers, testStack, waitUntil, type RunningWorkers, type TestStack } from '../helpers/stack';
import type { CampaignStatus } from '../../workflows/definitions';

const execFileAsync = promisify(execFile);
let stack: TestStack;
let workers: RunningWorkers;

before(async () => {
  stack = await testStack();
  workers = await startWorkers(stack, { speed: 60, seed: 'campaign-test' });
});
after(async () => {
  await workers?.stop();
  await stack?.close();
});

async function runToEnd(campaignId: string, timeoutMs = 120_000): Promise<CampaignStatus> {
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, campaignId);
  return campaignResult(stack.client, workflowId, timeoutMs);
}

/** Every invariant that must hold for any finished campaign. */
async function assertSound(campaignId: string, cap: number, maxAttempts: number) {
  const f = await campaignFigures(stack.prisma, campaignId);
  assert.equal(f.doubleDials, 0, 'no contact attempt dialed twice, no contact in two calls at once');
  assert.ok(f.maxConcurrent <= cap, `measured ${f.maxConcurrent} concurrent calls > cap ${cap}`);
  assert.equal(f.open, 0, 'no contact left pending/queued/in call');
  const calls = await stack.prisma.call.findMany({ where: { campaignId }, orderBy: [{ contactId: 'asc' }, { attempt: 'asc' }] });
  for (const c of calls) assert.ok(c.endedAt && c.outcome, `call ${c.workflowId} finalised`);
  const byContact = new Map<string, number[]>();
  for (const c of calls) byContact.set(c.contactId, [...(byContact.get(c.contactId) ?? []), c.attempt]);
  for (const [contact, attempts] of byContact) {
    assert.deepEqual(attempts, attempts.map((_, i) => i + 1), `attempts of ${contact} are 1..n`);
    assert.ok(attempts.length <= maxAttempts);
  }
  return { f, calls };
}

describe('campaign workflow', () => {
  test('runs to the end under the cap; DNC, opted-out and no-consent contacts are never dialed', async () => {
    const { ids, phones, source } = await makeContacts(stack.prisma, 30, (i) =>
      i === 27 ? { optOut: true } : i === 28 ? { consentGivenAt: null } : i === 29 ? { consentGivenAt: null, existingCustomer: true } : {},
    );
    await stack.prisma.dncEntry.create({ data: { phone: phones[26]!, source: 'bloctel' } });
    const c = await createCampaign(stack.prisma, { name: 'cap', max_concurrent_calls: 4, contact_source: source, retry_delay_seconds: 60, time_scale: 1 / 60, ignore_window: true });
    const status = await runToEnd(c.id);
    assert.equal(status.state, 'completed');
    const { f, calls } = await assertSound(c.id, 4, 3);
    const dialed = new Set(calls.map((x) => x.contactId));
    for (const i of [26, 27, 28]) assert.ok(!dialed.has(ids[i]!), `contact ${i} must never be dialed`);
    assert.ok(dialed.has(ids[29]!), 'an existing customer needs no separate consent');
    assert.deepEqual(f.skipped, { dnc: 1, opted_out: 1, no_consent: 1 });
    assert.equal(status.counts.skipped, 3);
    assert.equal(status.counts.dialed, calls.length);
    const campaign = await stack.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } });
    assert.equal(campaign.status, 'completed');
    // Opt-outs during calls went to the DNC list.
    const optedOut = calls.filter((x) => x.outcome === 'opted_out');
    for (const o of optedOut) assert.ok(await stack.prisma.dncEntry.findUnique({ where: { phone: o.phone } }), 'opt-out → DNC');
    // Interactions were recorded with intents.
    const turns = await stack.prisma.callInteraction.count({ where: { call: { campaignId: c.id }, intent: { not: null } } });
    assert.ok(turns > 0);
  });

  test('a campaign created before its window opens dials nobody until it opens', async () => {
    const { source } = await makeContacts(stack.prisma, 4);
    // The window is read in the callees' local time (these contacts are in Paris). A window opening at any hour
    // is not a legal canvassing schedule: this is a non-commercial campaign.
    let open = DateTime.now().setZone('Europe/Paris').plus({ seconds: 6 });
    if (open.hour === 23 && open.minute >= 58) open = open.plus({ minutes: 3 }); // keep start < end within the day
    const c = await createCampaign(stack.prisma, {
      name: 'window', max_concurrent_calls: 2, contact_source: source, time_scale: 1 / 60, retry_delay_seconds: 30, non_commercial: true,
      schedule: { start_time: open.toFormat('HH:mm:ss'), end_time: '23:59', break_start: null, break_end: null, days: [1, 2, 3, 4, 5, 6, 7], timezone: 'Europe/Paris', exclude_holidays: false },
    });
    const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
    await waitUntil('window wait', async () => (await campaignStatus(stack.client, c.id)).state === 'waiting_window', 10_000);
    const st = await campaignStatus(stack.client, c.id);
    assert.equal(st.nextWindowOpening, open.set({ millisecond: 0 }).toJSDate().toISOString());
    assert.equal(await stack.prisma.call.count({ where: { campaignId: c.id } }), 0);
    await stack.client.workflow.getHandle(workflowId).result();
    const first = await stack.prisma.call.findFirstOrThrow({ where: { campaignId: c.id }, orderBy: { dialedAt: 'asc' } });
    assert.ok(first.dialedAt.getTime() >= open.set({ millisecond: 0 }).toMillis(), `first dial ${first.dialedAt.toISOString()} before opening ${open.toISO()}`);
    await assertSound(c.id, 2, 3);
  });

  test('pause stops new dials, resume continues; setConcurrency changes the cap', async () => {
    const { source } = await makeContacts(stack.prisma, 16);
    const c = await createCampaign(stack.prisma, { name: 'pause', max_concurrent_calls: 2, contact_source: source, time_scale: 1 / 20, ignore_window: true, max_attempts: 1 });
    const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
    await waitUntil('first calls', async () => (await stack.prisma.call.count({ where: { campaignId: c.id } })) >= 2);
    // Plain Temporal CLI, as an operator would (asynchronously: the worker answering queries runs in this process),
    // reading and writing payloads through MiniBot's codec server (payloads are encrypted).
    const key = 'campaign-test-codec-key-0123456789';
    const codec = createApp({ cfg: stack.cfg, prisma: stack.prisma, client: stack.client }, { apiKey: key }).listen(0, '127.0.0.1');
    await new Promise((r) => codec.once('listening', r));
    after(() => {
      codec.closeAllConnections();
      codec.close();
    });
    const endpoint = `http://127.0.0.1:${(codec.address() as AddressInfo).port}/codec`;
    const cli = async (...args: string[]) =>
      (await execFileAsync(process.env.TEMPORAL_CLI!, [...args, '--address', stack.cfg.TEMPORAL_ADDRESS, '--workflow-id', workflowId, '--codec-endpoint', endpoint, '--codec-auth', `Bearer ${key}`])).stdout;
    await cli('workflow', 'signal', '--name', 'pause');
    await waitUntil('paused in Postgres', async () => (await stack.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } })).status === 'paused');
    // Calls in progress finish; after that nothing new starts while paused.
    await waitUntil('in-flight calls to end', async () => (await stack.prisma.call.count({ where: { campaignId: c.id, endedAt: null } })) === 0, 60_000);
    const pausedCount = await stack.prisma.call.count({ where: { campaignId: c.id } });
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(await stack.prisma.call.count({ where: { campaignId: c.id } }), pausedCount, 'no dial while paused');
    assert.equal((await campaignStatus(stack.client, c.id)).state, 'paused');
    assert.match(await cli('workflow', 'query', '--type', 'status', '--output', 'json'), /"state":\s*"paused"/);
    await cli('workflow', 'signal', '--name', 'setConcurrency', '--input', '3');
    await waitUntil('cap changed', async () => (await campaignStatus(stack.client, c.id)).maxConcurrent === 3, 10_000);
    await setCampaignConcurrency(stack.client, c.id, 3);
    await signalCampaign(stack.client, c.id, 'resume');
    const status = (await stack.client.workflow.getHandle(workflowId).result()) as CampaignStatus;
    assert.equal(status.state, 'completed');
    assert.equal(status.maxConcurrent, 3);
    const { f } = await assertSound(c.id, 3, 1);
    assert.ok(f.dialed > pausedCount);
  });

  test('stop lets calls in progress finish and starts none', async () => {
    const { source } = await makeContacts(stack.prisma, 20);
    const c = await createCampaign(stack.prisma, { name: 'stop', max_concurrent_calls: 3, contact_source: source, time_scale: 1 / 15, ignore_window: true, max_attempts: 1 });
    const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
    await waitUntil('calls in progress', async () => (await stack.prisma.call.count({ where: { campaignId: c.id, endedAt: null } })) >= 2);
    await signalCampaign(stack.client, c.id, 'stop');
    const status = (await stack.client.workflow.getHandle(workflowId).result()) as CampaignStatus;
    assert.equal(status.state, 'stopped');
    const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id } });
    assert.ok(calls.length < 20, 'not every contact was dialed');
    for (const k of calls) assert.ok(k.endedAt && k.outcome, 'calls in progress finished normally');
    const states = await stack.prisma.campaignContact.groupBy({ by: ['state'], where: { campaignId: c.id }, _count: true });
    const byState = Object.fromEntries(states.map((s) => [s.state, s._count]));
    assert.equal(byState.queued ?? 0, 0, 'claimed contacts were released');
    assert.equal(byState.in_call ?? 0, 0);
    assert.ok((byState.pending ?? 0) > 0, 'the rest stays pending');
    assert.equal((await stack.prisma.campaign.findUniqueOrThrow({ where: { id: c.id } })).status, 'stopped');
  });

  test('retries: unreachable contacts get exactly max_attempts calls; the 4-in-30-days and 60-day rules hold', async () => {
    const slow = await startWorkersWith({ lineMix: { no_answer: 1 } });
    try {
      const { ids, source } = await makeContacts(stack.prisma, 6, (i) => (i === 5 ? { lastRefusalAt: new Date(Date.now() - 10 * 86_400_000) } : {}));
      // Contact 4 already had 3 calls this month in another campaign: one more is allowed, not two.
      const other = await createCampaign(stack.prisma, { name: 'history', ignore_window: true });
      for (let a = 1; a <= 3; a++) {
        await stack.prisma.call.create({ data: { campaignId: other.id, contactId: ids[4]!, attempt: a, workflowId: `hist-${ids[4]}-${a}`, phone: 'x', status: 'completed', outcome: 'no_answer', dialedAt: new Date(Date.now() - a * 86_400_000), endedAt: new Date() } });
      }
      const c = await createCampaign(stack.prisma, { name: 'retry', max_concurrent_calls: 3, contact_source: source, max_attempts: 3, retry_delay_seconds: 30, time_scale: 1 / 60, ignore_window: true });
      const { workflowId } = await launchCampaign(slow.stack.client, slow.stack.prisma, slow.stack.cfg, c.id);
      const status = (await slow.stack.client.workflow.getHandle(workflowId).result()) as CampaignStatus;
      assert.equal(status.state, 'completed');
      const { calls } = await assertSound(c.id, 3, 3);
      const count = (i: number) => calls.filter((k) => k.contactId === ids[i]).length;
      for (let i = 0; i < 4; i++) assert.equal(count(i), 3, `contact ${i}: 3 attempts`);
      assert.equal(count(4), 1, 'only one more call within 30 days');
      assert.equal(count(5), 0, 'refused 10 days ago: not called');
      const cc = await stack.prisma.campaignContact.findMany({ where: { campaignId: c.id } });
      assert.equal(cc.find((x) => x.contactId === ids[4])?.skipReason, 'max_attempts_30d');
      assert.equal(cc.find((x) => x.contactId === ids[5])?.skipReason, 'refused_recently');
      for (const k of calls) assert.equal(k.outcome, 'no_answer');
      // Attempts are spaced by the retry delay (30 s × 1/60 = 0.5 s).
      for (let i = 0; i < 4; i++) {
        const mine = calls.filter((k) => k.contactId === ids[i]).sort((a, b) => a.attempt - b.attempt);
        for (let a = 1; a < mine.length; a++) assert.ok(mine[a]!.dialedAt.getTime() - mine[a - 1]!.endedAt!.getTime() >= 450);
      }
      const contact = await stack.prisma.contact.findUniqueOrThrow({ where: { id: ids[0]! } });
      assert.equal(contact.status, 'unreachable');
    } finally {
      await slow.close();
    }
  });

  test('continues as new to keep history bounded, and still settles every contact', async () => {
    const { source } = await makeContacts(stack.prisma, 40);
    const c = await createCampaign(stack.prisma, { name: 'can', max_concurrent_calls: 8, contact_source: source, time_scale: 1 / 60, ignore_window: true, retry_delay_seconds: 30 });
    await stack.prisma.campaign.update({ where: { id: c.id }, data: { settings: { source, timeScale: 1 / 60, ignoreWindow: true, historyLimit: 150, batchSize: 10 } } });
    const status = await runToEnd(c.id);
    assert.equal(status.state, 'completed');
    assert.ok(status.runs >= 3, `expected several runs, got ${status.runs}`);
    const { f } = await assertSound(c.id, 8, 3);
    assert.equal(f.uniqueContactsDialed, 40);
    assert.equal(status.counts.finished, f.dialed);
  });
});

/** A second worker set on its own task queue with other simulation settings. */
async function startWorkersWith(sim: Parameters<typeof startWorkers>[1]) {
  const s = await testStack();
  const w = await startWorkers(s, { speed: 60, ...sim });
  return { stack: s, close: async () => { await w.stop(); await s.close(); } };
}

