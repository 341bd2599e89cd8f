// Live transfer of leads on the simulated telephony, against the real stack (Temporal dev server + Postgres from
// scripts/test.ts, workers in this process): keypad callees qualify themselves with "1", reach the `transfer`
// scenario's transfer step, and are put through to the campaign's agent, up to max_transfers at once; the
// others, and every lead of a campaign whose agent never answers or that has no agent, go on to the callback
// confirmation with `transfer_failed`. The simulated agents: `noanswer` never answers, any other answers after
// the ring time; a transferred callee talks with the agent for agentTalkMs, then hangs up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import type { SimulationOptions } from '../../telephony/simulated';
import { campaignResult, makeContacts, startWorkers, testStack, type RunningWorkers, type TestStack } from '../helpers/stack';

// Speed 60: a 600 s conversation lasts 10 s, long enough that every lead of a campaign reaches its transfer
// step while the first transfers are still in progress (the scenario takes ~0.5 s at this speed).
const SIM: Partial<SimulationOptions> = {
  speed: 60, seed: 'transfer', lineMix: { answer: 1 }, personaMix: { keypad_lead: 1 }, ringMs: [2000, 2000], agentTalkMs: 600_000,
};
let stack: TestStack;
let workers: RunningWorkers;

before(async () => {
  stack = await testStack();
  workers = await startWorkers(stack, SIM);
});
after(async () => {
  await workers?.stop();
  await stack?.close();
});

async function runCampaign(n: number, opts: Record<string, unknown>) {
  const { source } = await makeContacts(stack.prisma, n);
  const c = await createCampaign(stack.prisma, {
    name: `transfer ${source}`, scenario: 'transfer', contact_source: source, time_scale: 1 / 60, ignore_window: true,
    max_concurrent_calls: n, max_attempts: 1, ...opts,
  });
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
  await campaignResult(stack.client, workflowId, 180_000);
  const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id }, include: { interactions: { orderBy: { turn: 'asc' } } } });
  assert.equal(calls.length, n, 'one call per contact');
  return calls;
}

type Meta = { transfer?: { agentLeg: string | null; answered: boolean; cause: string | null; waitMs: number; inProgress?: number; max?: number }; decision?: { next: string | null } };
const steps = (call: { interactions: { step: string; intent: string | null }[] }) => call.interactions.map((i) => i.step);
const transferTurn = (call: { interactions: { step: string; streamingMetadata: unknown }[] }) =>
  call.interactions.find((i) => i.step === 'transfer_lead')!.streamingMetadata as Meta;

test('leads are put through to the agent, no more at once than max_transfers; the others get the callback confirmation', async () => {
  const calls = await runCampaign(5, { agent: 'desk', max_transfers: 2 });
  const transferred = calls.filter((c) => c.outcome === 'transferred');
  const failed = calls.filter((c) => c.outcome === 'transfer_failed');
  assert.equal(transferred.length, 2, `two agents, two transfers: ${calls.map((c) => c.outcome).join(', ')}`);
  assert.equal(failed.length, 3);
  for (const call of transferred) {
    assert.deepEqual(steps(call), ['hello', 'q1', 'q2', 'q3', 'is_leads', 'transfer_lead'], call.workflowId);
    assert.equal(call.transferAgentLeg, 'sim/desk');
    assert.ok(call.transferStartedAt && call.transferAnsweredAt && call.transferEndedAt, 'transfer times written');
    assert.ok(call.transferWaitMs !== null && call.transferWaitMs >= 0 && call.transferWaitMs < 1000, `wait ${call.transferWaitMs} ms, within the 1 s timeout`);
    // The callee hung up after talking with the agent for 600 s / 60.
    assert.ok(call.transferTalkMs !== null && call.transferTalkMs > 0, `talk ${call.transferTalkMs} ms`);
    assert.equal(call.hangupCause, 'normal');
    assert.deepEqual(transferTurn(call).transfer, { agentLeg: 'sim/desk', answered: true, cause: null, waitMs: transferTurn(call).transfer!.waitMs });
    const cc = await stack.prisma.campaignContact.findFirstOrThrow({ where: { campaignId: call.campaignId, contactId: call.contactId } });
    assert.equal(cc.lastOutcome, 'transferred');
  }
  // The two transfers were in progress at the same time (both agents busy), which is what refused the others.
  const [a, b] = transferred;
  assert.ok(a!.transferStartedAt! < b!.transferEndedAt! && b!.transferStartedAt! < a!.transferEndedAt!, 'the two transfers overlapped');
  for (const call of failed) {
    assert.deepEqual(steps(call), ['hello', 'q1', 'q2', 'q3', 'is_leads', 'transfer_lead'], call.workflowId);
    const t = transferTurn(call);
    assert.deepEqual(t.transfer, { agentLeg: null, answered: false, cause: 'agents_busy', waitMs: t.transfer!.waitMs, inProgress: 2, max: 2 }, call.workflowId);
    assert.equal(t.decision?.next, 'confirm_lead', 'on to onNoAgent');
    // Refused at once: never took a slot, never rang an agent.
    assert.equal(call.transferStartedAt, null);
    assert.equal(call.transferAgentLeg, null);
    assert.equal(call.hangupCause, 'normal');
    const cc = await stack.prisma.contact.findUniqueOrThrow({ where: { id: call.contactId } });
    assert.equal(cc.status, 'qualified');
  }
});

test('an agent who does not answer within the timeout: transfer_failed, the callee hears the callback confirmation', async () => {
  const calls = await runCampaign(2, { agent: 'noanswer', max_transfers: 5 });
  for (const call of calls) {
    assert.equal(call.outcome, 'transfer_failed', call.workflowId);
    const t = transferTurn(call);
    assert.equal(t.transfer?.cause, 'no_answer');
    assert.equal(t.transfer?.answered, false);
    assert.equal(t.decision?.next, 'confirm_lead');
    assert.equal(call.transferAgentLeg, 'sim/noanswer');
    assert.ok(call.transferStartedAt && call.transferEndedAt, 'the slot was taken, then freed');
    assert.equal(call.transferAnsweredAt, null);
    assert.equal(call.transferTalkMs, null);
    // The step's 25 s timeout × 1/60 is below the 1 s floor: the callee waited at least that second.
    assert.ok(call.transferWaitMs! >= 1000, `waited ${call.transferWaitMs} ms`);
  }
});

test('a campaign without an agent: transfer_failed at once (no_agent)', async () => {
  const calls = await runCampaign(1, {});
  const [call] = calls;
  assert.equal(call!.outcome, 'transfer_failed');
  assert.equal(transferTurn(call!).transfer?.cause, 'no_agent');
  assert.equal(call!.transferStartedAt, null);
});
