// Who calls and on what basis, against the real stack (Temporal dev server + Postgres from scripts/test.ts,
// workers in this process with the simulated telephony): an opt-out during a call is on the DNC list before the
// hang-up and no campaign ever dials that contact again; every call records its legal basis with the consent
// evidence of that moment; the compliance report says so per contact; the launch refuses a caller ID outside
// ARCEP's canvassing ranges and a first prompt that does not disclose who calls, why, and that it is automated.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { WorkflowNotFoundError } from '@temporalio/client';
import { parseConfig } from '../../runtime/config';
import { createCampaign, launchCampaign, launchRefusals, ValidationError } from '../../services/campaigns';
import { campaignFigures } from '../../services/stats';
import { writeComplianceReport } from '../../cli/compliance';
import { campaignResult, startWorkers, testStack, type RunningWorkers, type TestStack } from '../helpers/stack';

let stack: TestStack;
let workers: RunningWorkers;
let dir: string;
/** For each call hung up by the bot: was its number already on the DNC list at that moment? */
const dncAtHangup = new Map<string, boolean>();

before(async () => {
  stack = await testStack();
  // Every callee answers and says "ne m'appelez plus retirez mon numéro".
  workers = await startWorkers(stack, { speed: 60, seed: 'law-who', lineMix: { answer: 1 }, personaMix: { optout: 1 } });
  // Watch the real simulated telephony's hang-up (it still runs): look at the DNC list when the bot hangs up.
  const tel = workers.telephony;
  const hangup = tel.hangup.bind(tel);
  tel.hangup = async (callId: string) => {
    const call = await stack.prisma.call.findUnique({ where: { workflowId: callId }, select: { phone: true } });
    if (call) dncAtHangup.set(callId, (await stack.prisma.dncEntry.count({ where: { phone: call.phone } })) === 1);
    return hangup(callId);
  };
  dir = mkdtempSync(join(tmpdir(), 'minibot-law-who-'));
});
after(async () => {
  await workers?.stop();
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function runToEnd(campaignId: string) {
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, campaignId);
  return campaignResult(stack.client, workflowId, 180_000);
}

const local = (d: Date, zone: string) => DateTime.fromJSDate(d).setZone(zone).toFormat('yyyy-MM-dd HH:mm:ss ZZ');

describe('opt-out, legal basis and the compliance report', () => {
  test('an opt-out in campaign A is on the DNC list before the hang-up and campaign B never dials that contact', async () => {
    const tag = randomUUID().slice(0, 8);
    const n = Math.floor(Math.random() * 1e6);
    const paris = `+3375${String(n).padStart(7, '0')}`;
    const reunion = `+262692${String(n).padStart(6, '0')}`;
    const consentAt = new Date('2025-06-15T08:30:00.000Z');
    const a1 = await stack.prisma.contact.create({ data: {
      phone: paris, source: `law-${tag}`, timezone: 'Europe/Paris', consentGivenAt: consentAt, consentSource: 'https://eco.example/form',
      consentWordingVersion: 'CGU-2025-03', consentProof: 'form-42',
    } });
    const a2 = await stack.prisma.contact.create({ data: { phone: reunion, source: `law-${tag}`, timezone: 'Indian/Reunion', existingCustomer: true } });

    const A = await createCampaign(stack.prisma, { name: `A ${tag}`, contact_source: `law-${tag}`, time_scale: 1 / 60, retry_delay_seconds: 30, ignore_window: true });
    // Campaigns B and C enrolled both contacts too, before A called them (a campaign launched later would not
    // even enrol an opted-out contact).
    const B = await createCampaign(stack.prisma, { name: `B ${tag}`, contact_ids: [a1.id, a2.id], time_scale: 1 / 60, ignore_window: true });
    const C = await createCampaign(stack.prisma, { name: `C ${tag}`, contact_ids: [a1.id, a2.id], time_scale: 1 / 60, ignore_window: true, non_commercial: true });
    for (const k of [B, C]) await stack.prisma.campaignContact.createMany({ data: [a1, a2].map((x) => ({ campaignId: k.id, contactId: x.id })) });
    await runToEnd(A.id);
    const calls = await stack.prisma.call.findMany({ where: { campaignId: A.id }, orderBy: { phone: 'desc' } }); // +337… then +262…
    assert.deepEqual(calls.map((c) => [c.phone, c.outcome, c.legalBasis]), [[paris, 'opted_out', 'consent'], [reunion, 'opted_out', 'existing_customer']]);
    // The evidence as it stood at dial time, stored with the call.
    assert.deepEqual(calls[0]!.basisEvidence, {
      consentGivenAt: '2025-06-15T08:30:00.000Z', consentSource: 'https://eco.example/form', consentWordingVersion: 'CGU-2025-03', consentProof: 'form-42', existingCustomer: false,
    });
    assert.deepEqual(calls[1]!.basisEvidence, { consentGivenAt: null, consentSource: null, consentWordingVersion: null, consentProof: null, existingCustomer: true });
    for (const c of calls) {
      assert.equal(dncAtHangup.get(c.workflowId), true, `${c.workflowId}: on the DNC list when the bot hung up`);
      const dnc = await stack.prisma.dncEntry.findUniqueOrThrow({ where: { phone: c.phone } });
      assert.equal(dnc.source, 'opt_out');
      assert.ok(dnc.addedAt.getTime() < c.endedAt!.getTime(), 'listed before the call ended');
    }
    for (const id of [a1.id, a2.id]) assert.equal((await stack.prisma.contact.findUniqueOrThrow({ where: { id } })).optOut, true);

    // Campaign B: the same contacts, enrolled, never dialed.
    await runToEnd(B.id);
    assert.equal(await stack.prisma.call.count({ where: { campaignId: B.id } }), 0, 'nobody dialed in B');
    assert.deepEqual((await campaignFigures(stack.prisma, B.id)).skipped, { dnc: 2 });
    // Even with the DNC rows gone (a wrong Bloctel re-import), the contact's opt-out flag still blocks.
    await stack.prisma.dncEntry.deleteMany({ where: { phone: { in: [paris, reunion] } } });
    await runToEnd(C.id);
    assert.equal(await stack.prisma.call.count({ where: { campaignId: C.id } }), 0, 'nobody dialed in C');
    assert.deepEqual((await campaignFigures(stack.prisma, C.id)).skipped, { opted_out: 2 });

    // The compliance reports of A and B, exactly.
    const fileA = join(dir, 'a.csv');
    assert.deepEqual(await writeComplianceReport(stack.prisma, A.id, fileA), { rows: 2, path: fileA });
    const header = 'contact_id;phone;time_zone;decision;rule;basis;consent_given_at;consent_source;consent_wording_version;consent_proof;existing_customer;attempts;attempts_local_time;last_outcome';
    const byId = new Map(calls.map((c) => [c.contactId, c]));
    assert.equal(readFileSync(fileA, 'utf8'), '\uFEFF' + [
      header,
      `${a1.id};'${paris};Europe/Paris;dialed;prior consent (L.34-5 CPCE, law of 30 June 2025);consent;2025-06-15T08:30:00.000Z;https://eco.example/form;CGU-2025-03;form-42;non;1;${local(byId.get(a1.id)!.dialedAt, 'Europe/Paris')};opted_out`,
      `${a2.id};'${reunion};Indian/Reunion;dialed;existing customer (law of 30 June 2025 exemption);existing_customer;;;;;oui;1;${local(byId.get(a2.id)!.dialedAt, 'Indian/Reunion')};opted_out`,
    ].join('\r\n') + '\r\n');
    assert.match(local(byId.get(a2.id)!.dialedAt, 'Indian/Reunion'), / \+04:00$/);
    const fileB = join(dir, 'b.csv');
    await writeComplianceReport(stack.prisma, B.id, fileB);
    assert.equal(readFileSync(fileB, 'utf8'), '\uFEFF' + [
      header, `${a1.id};'${paris};Europe/Paris;skipped;dnc;;;;;;;0;;`, `${a2.id};'${reunion};Indian/Reunion;skipped;dnc;;;;;;;0;;`,
    ].join('\r\n') + '\r\n');
    await assert.rejects(writeComplianceReport(stack.prisma, randomUUID(), join(dir, 'none.csv')), /campaign .* not found/);
    assert.throws(() => readFileSync(join(dir, 'none.csv.tmp')), /ENOENT/, 'no half-written report');
  });
});

describe('launch refusals', () => {
  const real = (env: Record<string, string>) => parseConfig({ ...process.env, TELEPHONY_BACKEND: 'asterisk', ARI_PASSWORD: 'test-ari-password', ...env });
  const ranges = '0162, 0163, 0270, 0271, 0377, 0378, 0424, 0425, 0568, 0569, 0948, 0949, 09475, 09476, 09477, 09478, 09479';

  test('a commercial campaign on real telephony needs a caller ID in the canvassing ranges: its own, else SIP_TRUNK_CALLER_ID', async () => {
    const cfg = real({ SIP_TRUNK_CALLER_ID: '0612345678' });
    const own = await createCampaign(stack.prisma, { name: 'mobile caller id', caller_id: '06 12 34 56 78' });
    assert.equal(own.callerId, '+33612345678');
    await assert.rejects(launchCampaign(stack.client, stack.prisma, cfg, own.id), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.deepEqual(e.issues, [{ field: 'caller_id', reason: `0612345678 is outside the canvassing ranges; canvassing calls must present a number in ARCEP's dedicated ranges (decision n° 2022-1583): ${ranges}` }]);
      return true;
    });
    await assert.rejects(stack.client.workflow.getHandle(`campaign-${own.id}`).describe(), WorkflowNotFoundError, 'no workflow started');
    assert.equal((await stack.prisma.campaign.findUniqueOrThrow({ where: { id: own.id } })).status, 'draft');

    const trunk = { scenario: 'production', nonCommercial: false, callerId: null };
    assert.deepEqual(launchRefusals(trunk, cfg).map((i) => i.field), ['env.SIP_TRUNK_CALLER_ID']);
    assert.deepEqual(launchRefusals(trunk, real({ SIP_TRUNK_CALLER_ID: '' })).map((i) => i.reason.split(';')[0]), ['no caller ID set']);
    assert.deepEqual(launchRefusals(trunk, real({ SIP_TRUNK_CALLER_ID: '+33948000000' })), []);
    assert.deepEqual(launchRefusals({ ...trunk, callerId: '+33162000000' }, cfg), [], "the campaign's own number wins over the trunk's");
    assert.deepEqual(launchRefusals({ ...trunk, callerId: '+33947712345' }, cfg), [], 'Martinique range');
    assert.deepEqual(launchRefusals({ ...trunk, nonCommercial: true }, cfg), [], 'not a canvassing call');
    assert.deepEqual(launchRefusals(trunk, { ...cfg, TELEPHONY_BACKEND: 'simulated' }), [], 'simulated telephony presents nothing');
    // Letters fail the field's pattern (the OpenAPI contract); digits in no numbering plan fail the parse.
    await assert.rejects(createCampaign(stack.prisma, { name: 'x', caller_id: 'pas un numéro' }), (e: unknown) =>
      e instanceof ValidationError && e.issues[0]!.field === 'caller_id' && e.issues[0]!.reason === 'expected a phone number: digits, +, spaces, . - / ( )');
    await assert.rejects(createCampaign(stack.prisma, { name: 'x', caller_id: '12 34' }), (e: unknown) =>
      e instanceof ValidationError && e.issues[0]!.field === 'caller_id' && /^not a valid French phone number \(/.test(e.issues[0]!.reason));
  });

  test('a first prompt that does not say who calls, why, and that it is automated refuses the launch', async () => {
    const audio = join(dir, 'audio');
    const prompts = JSON.parse(readFileSync('audio/prompts.json', 'utf8'));
    prompts.prompts.find((p: { name: string }) => p.name === 'hello').text = "Bonjour, ici Camille, d'Éco Habitat Conseil. Auriez-vous une minute ?";
    rmSync(audio, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(audio);
    writeFileSync(join(audio, 'prompts.json'), JSON.stringify(prompts));
    const cfg = { ...stack.cfg, AUDIO_DIR: audio };
    const c = await createCampaign(stack.prisma, { name: 'no disclosure', ignore_window: true });
    await assert.rejects(launchCampaign(stack.client, stack.prisma, cfg, c.id), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.deepEqual(e.issues, [
        { field: 'scenario', reason: 'steps.hello.prompt: prompt "hello" does not say why: the commercial purpose of the call (Code de la consommation L.221-16)' },
        { field: 'scenario', reason: 'steps.hello.prompt: prompt "hello" does not say that the call is automated, an AI system speaking (EU AI Act art. 50, from 2 August 2026)' },
      ]);
      return true;
    });
    assert.deepEqual(launchRefusals({ scenario: 'test', nonCommercial: false, callerId: null }, cfg), [], 'the technical scenario plays no prospect');
    delete prompts.disclosure;
    writeFileSync(join(audio, 'prompts.json'), JSON.stringify(prompts));
    assert.match(launchRefusals({ scenario: 'production', nonCommercial: false, callerId: null }, cfg)[0]!.reason, /prompts\.json: disclosure: .*"disclosure": \{ "company", "purpose" \}/);
  });
});
