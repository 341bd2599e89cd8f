// Crash test: kill -9 the worker process in the middle of a campaign, start a new one; the campaign completes,
// every contact is dialed exactly once per allowed attempt, none is lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import { campaignFigures } from '../../services/stats';
import { makeContacts, testStack, waitUntil, type TestStack } from '../helpers/stack';
import type { CampaignStatus } from '../../workflows/definitions';
import { workerLaunch } from '../../workers/launch';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let stack: TestStack;
const children: ChildProcess[] = [];

function startWorkerProcess(instance: string): ChildProcess {
  // Started as `npm run worker` starts it (its node flags and environment: workers/launch.ts).
  const launch = workerLaunch();
  const child = spawn(process.execPath, launch.args, {
    cwd: ROOT,
    env: { ...process.env, ...launch.env, TEMPORAL_TASK_QUEUE: stack.cfg.TEMPORAL_TASK_QUEUE, SIM_SPEED: '30', SIM_SEED: 'crash', WORKER_INSTANCE_ID: instance, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  return child;
}

before(async () => {
  stack = await testStack();
});
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await stack?.close();
});

test('kill -9 of the worker mid-campaign: a new worker finishes it, nobody dialed twice, nobody lost', async () => {
  const { ids, source } = await makeContacts(stack.prisma, 30);
  const c = await createCampaign(stack.prisma, { name: 'crash', max_concurrent_calls: 5, contact_source: source, time_scale: 1 / 30, retry_delay_seconds: 30, ignore_window: true });
  const first = startWorkerProcess('first');
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
  await waitUntil('some calls done and some in progress', async () => {
    const [ended, live] = await Promise.all([
      stack.prisma.call.count({ where: { campaignId: c.id, endedAt: { not: null } } }),
      stack.prisma.call.count({ where: { campaignId: c.id, endedAt: null } }),
    ]);
    return ended >= 6 && live >= 2;
  }, 90_000);
  const liveAtCrash = await stack.prisma.call.count({ where: { campaignId: c.id, endedAt: null } });
  first.kill('SIGKILL');
  await new Promise<void>((r) => first.once('exit', () => r()));
  const dialedAtCrash = await stack.prisma.call.count({ where: { campaignId: c.id } });
  assert.ok(dialedAtCrash < 40, 'the crash happened mid-campaign');

  startWorkerProcess('second');
  const status = (await stack.client.workflow.getHandle(workflowId).result()) as CampaignStatus;
  assert.equal(status.state, 'completed');

  const f = await campaignFigures(stack.prisma, c.id);
  assert.equal(f.doubleDials, 0);
  assert.ok(f.maxConcurrent <= 5);
  assert.equal(f.open, 0, 'every contact reached a final state');
  assert.equal(f.uniqueContactsDialed, ids.length, 'every contact was dialed');
  const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id } });
  const byContact = new Map<string, number[]>();
  for (const k of calls) {
    assert.ok(k.endedAt && k.outcome, `call ${k.workflowId} finalised`);
    byContact.set(k.contactId, [...(byContact.get(k.contactId) ?? []), k.attempt].sort((a, b) => a - b));
  }
  for (const [contact, attempts] of byContact) {
    assert.deepEqual(attempts, attempts.map((_, i) => i + 1), `attempts of ${contact}`);
    assert.ok(attempts.length <= 3);
  }
  // Calls cut by the crash ended as failed (media lost) and were retried within the policy.
  const lost = calls.filter((k) => k.hangupCause === 'media_lost' || k.hangupCause === 'originate_failed').length;
  assert.ok(lost <= liveAtCrash + 5, `${lost} calls lost media, ${liveAtCrash} were live at the crash`);
  assert.equal(status.counts.finished, calls.length);
});
