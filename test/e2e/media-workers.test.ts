// Several media workers on one Asterisk (issue 15, "several workers per role"). Two media worker processes
// (test/helpers/media-worker-process.ts: ARI adapter, chan_websocket media server, Vosk), each with its own
// Stasis app and media connection, serve one real campaign through Temporal and Postgres; the workflows run in
// this process. Required: the calls spread over both workers; each call's media (its prompts) on the worker
// that originated it; then one worker SIGKILLed mid-campaign: its calls end failed / media_lost and are retried
// on the other under the campaign's rules, no attempt dialed twice, and nothing left in Asterisk (asked to ARI):
// the survivor releases the dead worker's lines (releaseCall on the Asterisk's site queue).
// Skipped only when the chroot is not installed AND MINIBOT_SKIP_ASTERISK=1. Needs root (chroot, mounts).
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createCampaign, launchCampaign } from '../../services/campaigns';
import { campaignFigures } from '../../services/stats';
import { createWorkers, type WorkerSet } from '../../workers/workers';
import type { CampaignStatus } from '../../workflows/definitions';
import { freePort } from '../../scripts/services/process';
import { campaignResult, makeContacts, waitUntil, type TestStack } from '../helpers/stack';
import { REPO, skipReason } from '../helpers/asterisk';
import { assertAsteriskEmpty, startAsteriskStack } from '../helpers/asterisk-stack';

const run = promisify(execFile);
const SKIP = skipReason('for the end-to-end tier');
const CONTACTS = 8;

interface MediaProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  instanceQueue: string;
  healthPort: number;
  health(): Promise<{ ari: string; activeCalls: number; media: { activeCalls: number; callsServed: number; refusedConnections: number } }>;
}

async function mediaProcess(name: string, env: NodeJS.ProcessEnv): Promise<MediaProcess> {
  const healthPort = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/media-worker-process.ts'], {
    cwd: REPO, env: { ...env, WORKER_INSTANCE_ID: name, MEDIA_HEALTH_PORT: String(healthPort), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /media-worker ready .*\n/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.pipe(process.stderr); // its warnings and errors, in the test's output
        resolve(m[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`media worker ${name} exited (${code}) before it was ready`)));
  });
  const [, , instanceQueue, pid] = line.trim().split(' ');
  return {
    name, child, pid: Number(pid), instanceQueue: instanceQueue!, healthPort,
    health: async () => (await fetch(`http://127.0.0.1:${healthPort}/`)).json() as never,
  };
}

/** Who ran what for one call, from its workflow history: the worker identities (pid@host) and task queues. */
interface CallTrace {
  originates: { identity: string; attempt: number }[];
  prompts: { queue: string; identity: string | null }[];
  releases: { identity: string | null; completed: boolean }[];
}

async function traceCall(stack: TestStack, workflowId: string): Promise<CallTrace> {
  const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, { type: string; queue: string }>();
  const started = new Map<string, { identity: string; attempt: number }>();
  const completed = new Set<string>();
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), { type: s.activityType?.name ?? '', queue: s.taskQueue?.name ?? '' });
    const st = e.activityTaskStartedEventAttributes;
    if (st) started.set(String(st.scheduledEventId), { identity: st.identity ?? '', attempt: st.attempt ?? 0 });
    const c = e.activityTaskCompletedEventAttributes;
    if (c) completed.add(String(c.scheduledEventId));
  }
  const t: CallTrace = { originates: [], prompts: [], releases: [] };
  for (const [id, s] of scheduled) {
    const st = started.get(id);
    if (s.type === 'originate') t.originates.push({ identity: st?.identity ?? '', attempt: st?.attempt ?? 0 });
    if (s.type === 'playPrompt') t.prompts.push({ queue: s.queue, identity: st?.identity ?? null });
    if (s.type === 'releaseCall') t.releases.push({ identity: st?.identity ?? null, completed: completed.has(id) });
  }
  return t;
}

describe('two media workers on one Asterisk serve one campaign; one is SIGKILLed mid-campaign', { skip: SKIP }, () => {
  let env: NodeJS.ProcessEnv;
  let stack: TestStack;
  let orchestration: WorkerSet;
  let orchestrationRunning: Promise<void>;
  let recordingsDir: string;
  const media: MediaProcess[] = [];

  before(
    async () => {
      let stackEnv: NodeJS.ProcessEnv;
      let extraMedia: { connection: string; port: number }[];
      ({ env, stack, recordingsDir, stackEnv, extraMedia } = await startAsteriskStack('minibot-scale-rec-', { extraMediaWorkers: 1 }));
      // The workflows in this process; the calls' telephony in the two media worker processes only.
      orchestration = await createWorkers({
        connection: stack.connection, client: stack.client, namespace: stack.cfg.TEMPORAL_NAMESPACE, taskQueue: stack.cfg.TEMPORAL_TASK_QUEUE,
        prisma: stack.prisma, telephony: null,
      });
      orchestrationRunning = orchestration.run();
      // Worker a: the default app and media connection (a single-worker setup's); worker b: its own of both.
      // Each admits 2 calls at most (MEDIA_MAX_CALLS, the per-instance cap): the campaign's 4 lines need both,
      // whichever worker happens to poll the shared queue first.
      const capped = { ...stackEnv, MEDIA_MAX_CALLS: '2' };
      media.push(await mediaProcess('mw-a', capped));
      media.push(await mediaProcess('mw-b', {
        ...capped, ARI_APP: 'minibot-b', ASTERISK_MEDIA_CONNECTION: extraMedia[0]!.connection, AUDIOFORK_PORT: String(extraMedia[0]!.port),
      }));
    },
    { timeout: 1_000_000 },
  );

  after(
    async () => {
      for (const m of media) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill('SIGKILL');
      await orchestration?.shutdown();
      await orchestrationRunning?.catch(() => undefined);
      await stack?.close();
      if (env) await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
      if (recordingsDir) rmSync(recordingsDir, { recursive: true, force: true });
    },
    { timeout: 60_000 },
  );

  it('calls spread over both, media on the originator, the killed worker\'s calls failed/media_lost then retried on the other, nothing left', { timeout: 900_000 }, async () => {
    const [a, b] = media as [MediaProcess, MediaProcess];
    const { source, ids: contactIds } = await makeContacts(stack.prisma, CONTACTS);
    const c = await createCampaign(stack.prisma, {
      name: 'two media workers', max_concurrent_calls: 4, contact_source: source, ignore_window: true,
      max_attempts: 3, retry_delay_seconds: 1, record_calls: false, machine_policy: 'hangup',
      // A commercial campaign on real telephony presents a number in ARCEP's canvassing ranges.
      caller_id: '01 62 00 00 00',
    });
    const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);

    // Both workers in conversation (media connected) at once: then kill a.
    let beforeKill: Awaited<ReturnType<MediaProcess['health']>>[] = [];
    await waitUntil('a call in conversation on each worker', async () => {
      beforeKill = await Promise.all([a.health(), b.health()]);
      return beforeKill.every((h) => h.media.activeCalls >= 1);
    }, 240_000);
    await new Promise((r) => setTimeout(r, 2000)); // into the conversation
    const gone = new Promise<void>((r) => a.child.once('exit', () => r()));
    a.child.kill('SIGKILL');
    await gone;
    const killedAt = Date.now();
    console.log(`# killed ${a.name} holding ${beforeKill[0]!.activeCalls} calls; ${b.name} held ${beforeKill[1]!.activeCalls}`);

    const status = await campaignResult(stack.client, workflowId, 600_000);
    assert.equal(status.state, 'completed');

    const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id } });
    const traces = new Map(await Promise.all(calls.map(async (k) => [k.workflowId, await traceCall(stack, k.workflowId)] as const)));
    const identityOf = (pid: number) => (id: string) => id.startsWith(`${pid}@`);
    const byA = identityOf(a.pid);
    const byB = identityOf(b.pid);

    // Spread: both originated calls; each call dialed once (one originate, run once), on a or b.
    const originator = new Map<string, MediaProcess>();
    for (const k of calls) {
      const t = traces.get(k.workflowId)!;
      assert.equal(t.originates.length, 1, `${k.workflowId}: one originate`);
      const o = t.originates[0]!;
      assert.ok(byA(o.identity) || byB(o.identity), `${k.workflowId}: originated by a media worker (${o.identity})`);
      originator.set(k.workflowId, byA(o.identity) ? a : b);
    }
    const ofA = calls.filter((k) => originator.get(k.workflowId) === a);
    const ofB = calls.filter((k) => originator.get(k.workflowId) === b);
    console.log(`# calls: ${calls.length} (${ofA.length} on ${a.name}, ${ofB.length} on ${b.name}) for ${CONTACTS} contacts`);
    assert.ok(ofA.length >= 1 && ofB.length >= 1, `both workers served calls (a ${ofA.length}, b ${ofB.length})`);

    const cutBy = (k: (typeof calls)[number]) => originator.get(k.workflowId) === a && !!k.answeredAt && (!k.endedAt || k.endedAt.getTime() >= killedAt);
    for (const k of [...calls].sort((x, y) => x.contactId.localeCompare(y.contactId) || x.attempt - y.attempt)) {
      console.log(`#   contact ${k.contactId.slice(0, 8)} attempt ${k.attempt} on ${originator.get(k.workflowId)!.name}: ${k.outcome} / ${k.hangupCause}${cutBy(k) ? ' (cut by the kill)' : ''}`);
    }

    // Each call's media on the worker that originated it: every prompt sent to its instance queue, run there.
    for (const k of calls) {
      const o = originator.get(k.workflowId)!;
      const t = traces.get(k.workflowId)!;
      if (k.answeredAt) assert.ok(t.prompts.length >= 1, `${k.workflowId}: answered, so prompted`);
      assert.deepEqual(t.prompts.map((p) => p.queue), t.prompts.map(() => o.instanceQueue), `${k.workflowId}: prompts on ${o.name}'s queue`);
      for (const p of t.prompts) if (p.identity) assert.ok(identityOf(o.pid)(p.identity), `${k.workflowId}: prompt played by ${o.name}`);
    }
    // No media connection reached the wrong worker (it would be refused: the per-call token is the server's).
    assert.equal(beforeKill[0]!.media.refusedConnections, 0, 'a refused no media connection');
    const bAfter = await b.health();
    assert.equal(bAfter.media.refusedConnections, 0, 'b refused no media connection');
    assert.ok(bAfter.media.callsServed >= ofB.filter((k) => k.answeredAt).length, `b served its answered calls' media (${bAfter.media.callsServed})`);

    // a's calls still up at the kill: failed / media_lost, released by b on Asterisk, then retried on b.
    const cut = calls.filter(cutBy);
    assert.ok(cut.length >= 1, 'the kill cut at least one answered call');
    for (const k of cut) {
      assert.equal(k.outcome, 'failed', `${k.workflowId}: outcome`);
      assert.equal(k.hangupCause, 'media_lost', `${k.workflowId}: cause`);
      const rel = traces.get(k.workflowId)!.releases;
      assert.equal(rel.length, 1, `${k.workflowId}: released once`);
      assert.ok(rel[0]!.completed && rel[0]!.identity && byB(rel[0]!.identity), `${k.workflowId}: released by b (${rel[0]!.identity})`);
      if (k.attempt >= 3) continue; // its last attempt: the campaign's rules retry no further
      const next = calls.filter((x) => x.contactId === k.contactId && x.attempt === k.attempt + 1);
      assert.equal(next.length, 1, `${k.workflowId}: its contact called once more`);
      assert.equal(originator.get(next[0]!.workflowId), b, `${next[0]!.workflowId}: the retry on b`);
      assert.ok(next[0]!.answeredAt, `${next[0]!.workflowId}: the retry was answered`);
    }
    // Every call after the kill is b's.
    for (const k of calls.filter((x) => x.dialedAt.getTime() > killedAt)) assert.equal(originator.get(k.workflowId), b, `${k.workflowId}: dialed after the kill, on b`);
    for (const k of calls) assert.ok(k.outcome && k.hangupCause && k.endedAt, `${k.workflowId}: outcome ${k.outcome}, cause ${k.hangupCause}`);

    // Nobody dialed twice for one attempt; every contact done; nothing left in Asterisk.
    assert.equal((await campaignFigures(stack.prisma, c.id)).doubleDials, 0, 'double dials');
    const ccs = await stack.prisma.campaignContact.findMany({ where: { campaignId: c.id } });
    assert.deepEqual(ccs.map((x) => x.state).sort(), contactIds.map(() => 'done'), 'every contact done');
    await assertAsteriskEmpty(stack.cfg, 20_000);
  });
});
