// A campaign deleted while one of its calls goes on (its call records go with it): the callee who says stop
// still ends up on the DNC list and opted out, and a callee who did not is released, never left in_progress.
// The call activities against the real Postgres, as the call workflow calls them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createCampaign } from '../../services/campaigns';
import { createCallActivities } from '../../activities/call';
import { makeContacts, testStack, type TestStack } from '../helpers/stack';

let stack: TestStack;
before(async () => {
  stack = await testStack();
});
after(async () => {
  await stack?.close();
});

/** A call begun (its record written, the contact in_progress), then its campaign deleted under it. */
async function callOfDeletedCampaign() {
  const { source, ids, phones } = await makeContacts(stack.prisma, 1);
  const c = await createCampaign(stack.prisma, { name: 'deleted under a call', non_commercial: true, contact_source: source });
  const cc = await stack.prisma.campaignContact.create({ data: { campaignId: c.id, contactId: ids[0]!, state: 'queued', claimToken: 'x:1' } });
  const acts = createCallActivities({ prisma: stack.prisma });
  const workflowId = `call-${c.id}-${ids[0]}-1`;
  const begun = await acts.beginCall({ workflowId, campaignId: c.id, campaignContactId: String(cc.id), contactId: ids[0]!, phone: phones[0]!, attempt: 1, nonCommercial: true });
  assert.equal(begun.allowed, true);
  assert.equal((await stack.prisma.contact.findUniqueOrThrow({ where: { id: ids[0]! } })).status, 'in_progress');
  await stack.prisma.campaign.delete({ where: { id: c.id } });
  assert.equal(await stack.prisma.call.count({ where: { workflowId } }), 0, 'the call record went with its campaign');
  return { acts, workflowId, contactId: ids[0]!, phone: phones[0]! };
}

const finalInput = (k: { workflowId: string; contactId: string; phone: string }, outcome: 'opted_out' | 'not_interested') => ({
  workflowId: k.workflowId, contactId: k.contactId, phone: k.phone, outcome, maxAttempts: 2, retryDelaySeconds: 60,
  hangupCause: 'normal', answeredAt: Date.now() - 5000, endedAt: Date.now(), optOut: outcome === 'opted_out',
});

test('a callee who says stop during a call whose campaign was deleted is on the DNC list and opted out', async () => {
  const k = await callOfDeletedCampaign();
  await k.acts.recordOptOut({ workflowId: k.workflowId, phone: k.phone, contactId: k.contactId });
  const dnc = await stack.prisma.dncEntry.findUnique({ where: { phone: k.phone } });
  assert.equal(dnc?.source, 'opt_out');
  assert.equal((await stack.prisma.contact.findUniqueOrThrow({ where: { id: k.contactId } })).optOut, true);
  // The end of the call: its record cannot be written (typed, permanent), the contact is opted out, not released.
  await assert.rejects(k.acts.finalizeCall(finalInput(k, 'opted_out')), (e: Error & { type?: string }) => e.type === 'CallRecordNotFound');
  const contact = await stack.prisma.contact.findUniqueOrThrow({ where: { id: k.contactId } });
  assert.deepEqual([contact.status, contact.optOut], ['opted_out', true]);
});

test('an opt-out known only at the end of such a call (finalize) still reaches the DNC list', async () => {
  const k = await callOfDeletedCampaign();
  await assert.rejects(k.acts.finalizeCall(finalInput(k, 'opted_out')), (e: Error & { type?: string }) => e.type === 'CallRecordNotFound');
  assert.equal((await stack.prisma.dncEntry.findUnique({ where: { phone: k.phone } }))?.source, 'opt_out');
  const contact = await stack.prisma.contact.findUniqueOrThrow({ where: { id: k.contactId } });
  assert.deepEqual([contact.status, contact.optOut], ['opted_out', true]);
});

test('a callee who did not opt out is released by the end of such a call (pending, callable by another campaign)', async () => {
  const k = await callOfDeletedCampaign();
  await assert.rejects(k.acts.finalizeCall(finalInput(k, 'not_interested')), (e: Error & { type?: string }) => e.type === 'CallRecordNotFound');
  const contact = await stack.prisma.contact.findUniqueOrThrow({ where: { id: k.contactId } });
  assert.deepEqual([contact.status, contact.optOut], ['pending', false]);
  assert.equal(await stack.prisma.dncEntry.count({ where: { phone: k.phone } }), 0);
});
