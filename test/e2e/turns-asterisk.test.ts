// Turn latency as the callee lives it, through the whole stack with one call: a campaign of one `human` test
// callee runs through Temporal, the call workflow, the intent activity, the media worker (ARI adapter,
// chan_websocket media server, stream AMD, real Vosk ASR with the Korean test model) and a real Asterisk 22.
// The callee's own recordings (test/helpers/callee-recordings.ts) give, for each of its answers, the end of
// its speech and the first audio of our next prompt reaching it; and the end of its "Allô, oui ?" and the
// first audio of the hello. The figures are printed (a `# turns:` JSON line read by `npm run bench:amd --
// --turns`); the assertions are what must happen, not how fast (timings live in bench/).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import { percentile } from '../../lib/metrics';
import { startMediaWorker, type MediaWorker } from '../../workers/media-worker';
import type { CampaignStatus } from '../../workflows/definitions';
import { campaignResult, makeContacts, type TestStack } from '../helpers/stack';
import { CALLEE_REC_DIR, REPO, skipReason } from '../helpers/asterisk';
import { ariGet, startAsteriskStack } from '../helpers/asterisk-stack';
import { ariCredentials } from '../../runtime/ari-credentials';
import { calleeRecordings, calleeTimeline } from '../helpers/callee-recordings';

const run = promisify(execFile);
const SKIP = skipReason('for the end-to-end tier');
const CALLS = 2; // one after the other (max_concurrent_calls 1): "one call" at a time

describe('end to end: turn latency heard by the callee (one call at a time)', { skip: SKIP }, () => {
  let env: NodeJS.ProcessEnv;
  let stack: TestStack;
  let mw: MediaWorker;
  let recordingsDir: string;

  before(async () => {
    ({ env, stack, recordingsDir } = await startAsteriskStack('minibot-turns-rec-'));
    mw = await startMediaWorker({
      cfg: stack.cfg, dial: () => 'Local/human@minibot-test-callees', prisma: stack.prisma, client: stack.client, connection: stack.connection,
    });
  }, { timeout: 1_000_000 });

  after(async () => {
    await mw?.stop();
    await stack?.close();
    if (env) await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
    if (recordingsDir) rmSync(recordingsDir, { recursive: true, force: true });
  }, { timeout: 60_000 });

  it('every answer of the callee is followed by our next prompt; the hello follows its "Allô"', { timeout: 600_000 }, async () => {
    const { phones } = await makeContacts(stack.prisma, CALLS);
    const source = (await stack.prisma.contact.findFirstOrThrow({ where: { phone: phones[0]! } })).source!;
    const c = await createCampaign(stack.prisma, {
      name: 'e2e turns', max_concurrent_calls: 1, contact_source: source, ignore_window: true, max_attempts: 1,
      // Recorded: the bridge then mixes (softmix), so the callee hears line silence between prompts, as on a real line;
      // a 2-channel simple bridge sends no frames then, and the callee's WaitForSilence would never end.
      record_calls: true, machine_policy: 'hangup', caller_id: '01 62 00 00 00',
    });
    const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
    const status = await campaignResult(stack.client, workflowId, 500_000);
    assert.equal(status.state, 'completed');
    const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id }, include: { interactions: { orderBy: { turn: 'asc' } } } } as never);
    assert.equal(calls.length, CALLS);
    const gaps: number[] = [];
    const hello: number[] = [];
    // Where the time goes, from the call's own records of each answered turn: the recogniser's final after our
    // end of speech (asr), the workflow task that took the utterance (its start, in workflow time: asr + the
    // signal; the intent runs within it), and from the history the utterance signal → the next prompt's activity
    // scheduled → started. The rest of the callee's gap is the media worker and Asterisk (the prompt's first
    // frames reaching the callee) and the callee's own end of speech before ours.
    const asr: number[] = [];
    const respond: number[] = [];
    const intentMs: number[] = [];
    const intentMethods = new Set<string | null>();
    const toScheduled: number[] = [];
    const toStarted: number[] = [];
    for (const call of calls) {
      assert.equal(call.amdResult, 'human', String(call.amdCause));
      const turns = (call as any).interactions as { prompt: string; transcript: string | null; asrLatencyMs: number | null; totalLatencyMs: number | null; intentLatencyMs: number | null; processingMethod: string | null }[];
      for (const t of turns) {
        if (t.asrLatencyMs !== null) asr.push(t.asrLatencyMs);
        if (t.transcript !== null && t.totalLatencyMs !== null) respond.push(t.totalLatencyMs);
        if (t.intentLatencyMs !== null) intentMs.push(t.intentLatencyMs);
        intentMethods.add(t.processingMethod);
      }
      const tl = calleeTimeline(await calleeRecordings(CALLEE_REC_DIR, `${call.workflowId}-c`));
      assert.ok(tl.greetingEndMs !== null && tl.firstHeardMs !== null && tl.firstHeardMs > tl.greetingEndMs, `hello after the "Allô": ${JSON.stringify(tl)}`);
      hello.push(tl.firstHeardMs! - tl.greetingEndMs!);
      // The callee answers every prompt it hears to the end; each answer but its last (goodbye) gets a prompt back.
      assert.ok(tl.replies.length >= 1, `no answer of the callee was followed by a prompt: ${JSON.stringify(tl)}, turns ${turns.map((t) => t.prompt).join(',')}`);
      for (const r of tl.replies) gaps.push(r.gapMs);
      // From the call's history (server clock): each utterance signal → the next prompt's activity scheduled
      // (the workflow task: intent, decision) → started by the media worker.
      const ms = (t?: { seconds?: unknown; nanos?: number | null } | null) => Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
      let lastUtterance: number | null = null;
      const scheduled = new Map<string, number>();
      for (const e of (await stack.client.workflow.getHandle(call.workflowId).fetchHistory()).events ?? []) {
        if (e.workflowExecutionSignaledEventAttributes?.signalName === 'utterance') lastUtterance = ms(e.eventTime);
        const sch = e.activityTaskScheduledEventAttributes;
        if (sch?.activityType?.name === 'playPrompt' && lastUtterance !== null) {
          scheduled.set(String(e.eventId), ms(e.eventTime));
          toScheduled.push(ms(e.eventTime) - lastUtterance);
          lastUtterance = null;
        }
        const st = e.activityTaskStartedEventAttributes;
        const at = st ? scheduled.get(String(st.scheduledEventId)) : undefined;
        if (at !== undefined) toStarted.push(ms(e.eventTime) - at);
      }
      console.log(`# ${call.workflowId}: outcome ${call.outcome}, prompts ${turns.map((t) => t.prompt).join(' → ')}; hello ${hello.at(-1)} ms after the "Allô"; answer end → next prompt heard: ${tl.replies.map((r) => r.gapMs).join(', ')} ms`);
    }
    const p = (xs: number[], q: number) => Math.round(percentile(xs, q) ?? NaN);
    const figures = {
      calls: CALLS, replies: gaps.length, endOfSpeechToPromptP50Ms: p(gaps, 50), endOfSpeechToPromptP95Ms: p(gaps, 95), endOfSpeechToPromptMaxMs: p(gaps, 100),
      helloAfterGreetingP95Ms: p(hello, 95),
      asrFinalP50Ms: p(asr, 50), asrFinalP95Ms: p(asr, 95), promptRequestedP50Ms: p(respond, 50), promptRequestedP95Ms: p(respond, 95),
      utteranceToPlayScheduledP50Ms: p(toScheduled, 50), playScheduledToStartedP50Ms: p(toStarted, 50),
      intentP50Ms: p(intentMs, 50), intentMaxMs: p(intentMs, 100), intentMethods: [...intentMethods],
      media: mw.telephony.media.stats(),
    };
    console.log(`# turns: ${JSON.stringify(figures)}`);
  });

  it('a call that reaches the worker\'s app but that the worker does not hold is hung up (nobody would, else)', { timeout: 60_000 }, async () => {
    // What a forgotten originate leaves: the request failed on our side (no answer in time, or a reconnect
    // judged the call gone), yet Asterisk made the call. The patient human callee would keep it up for minutes.
    const stray = `stray-${Date.now().toString(36)}`;
    const creds = ariCredentials(stack.cfg);
    const auth = { authorization: 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64') };
    const q = new URLSearchParams({ endpoint: 'Local/human@minibot-test-callees', app: creds.app, appArgs: 'dial', channelId: stray, otherChannelId: `${stray}-c`, timeout: '20' });
    const res = await fetch(`${creds.url}/ari/channels?${q}`, { method: 'POST', headers: auth });
    assert.equal(res.status, 200, await res.text());
    const t0 = Date.now();
    let ids: string[] = [stray];
    while (Date.now() - t0 < 15_000) {
      ids = ((await ariGet(stack.cfg, '/channels')) as { id: string }[]).map((ch) => ch.id).filter((id) => id.startsWith(stray));
      if (ids.length === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(ids, [], 'the stray call\'s channels are gone');
    console.log(`# stray call hung up ${Date.now() - t0} ms after its originate`);
  });
});
