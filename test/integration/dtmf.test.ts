// Keys as answers, against the real stack (Temporal dev server + Postgres from scripts/test.ts, workers in this
// process with the simulated telephony): callees who answer every question with "1" become leads, callees who
// press "9" over the hello interrupt it, opt out, and are on the DNC list; each turn records the key it read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import { SimulatedTelephony, type SimulationOptions } from '../../telephony/simulated';
import { campaignResult, startWorkers, testStack, type RunningWorkers, type TestStack } from '../helpers/stack';

// Speed 20, not 60: the opt-out callee presses 9 at 40 % of the 11.4 s hello, leaving the bot 6.8 s of simulated
// time to stop it; at 60x that is 114 ms real for signal + workflow task + stopPlayback, which a loaded machine
// misses (the hello then ends on its own and is not interrupted), at 20x it is 340 ms.
const SIM: Partial<SimulationOptions> = { speed: 20, seed: 'dtmf', lineMix: { answer: 1 }, personaMix: { keypad_lead: 1, keypad_optout: 1 } };
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

test('keys answer the scenario: 1 qualifies a lead, 9 over the hello interrupts it and opts out', async () => {
  const tag = randomUUID().slice(0, 8);
  const n = Math.floor(Math.random() * 1e5);
  const contacts = await Promise.all(Array.from({ length: 8 }, (_, i) => stack.prisma.contact.create({
    data: { phone: `+3376${String(n).padStart(5, '0')}${String(i).padStart(2, '0')}`, source: `dtmf-${tag}`, timezone: 'Europe/Paris', existingCustomer: true },
  })));
  const c = await createCampaign(stack.prisma, { name: `dtmf ${tag}`, contact_source: `dtmf-${tag}`, time_scale: 1 / 20, ignore_window: true, max_concurrent_calls: 4 });
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
  await campaignResult(stack.client, workflowId, 180_000);

  const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id }, include: { interactions: { orderBy: { turn: 'asc' } } } });
  assert.equal(calls.length, contacts.length, 'one call per contact');
  const byPersona = { keypad_lead: 0, keypad_optout: 0 } as Record<string, number>;
  for (const call of calls) {
    const persona = SimulatedTelephony.draw(call.workflowId, SIM).persona;
    byPersona[persona]! += 1;
    const turns = call.interactions.map((i) => [i.step, i.intent, i.processingMethod, (i.streamingMetadata as { dtmf?: string }).dtmf]);
    if (persona === 'keypad_lead') {
      assert.equal(call.outcome, 'lead', `${call.workflowId}: keypad lead`);
      assert.deepEqual(turns, ['hello', 'q1', 'q2', 'q3', 'is_leads'].map((s) => [s, 'affirm', 'dtmf', '1']), call.workflowId);
      assert.equal(await stack.prisma.dncEntry.count({ where: { phone: call.phone } }), 0);
    } else {
      assert.equal(persona, 'keypad_optout');
      assert.equal(call.outcome, 'opted_out', `${call.workflowId}: pressed 9`);
      assert.deepEqual(turns, [['hello', 'stop', 'dtmf', '9']], call.workflowId);
      const meta = call.interactions[0]!.streamingMetadata as { promptInterrupted: boolean; promptPlayedMs: number };
      assert.equal(meta.promptInterrupted, true, 'the key interrupted the hello');
      const dnc = await stack.prisma.dncEntry.findUniqueOrThrow({ where: { phone: call.phone } });
      assert.equal(dnc.source, 'opt_out');
      assert.ok(dnc.addedAt.getTime() < call.endedAt!.getTime(), 'on the DNC list before the call ended');
    }
  }
  // Both kinds of callee were drawn: the assertions above covered each path.
  assert.ok(byPersona.keypad_lead! > 0 && byPersona.keypad_optout! > 0, `both personas drawn: ${JSON.stringify(byPersona)}`);
});
