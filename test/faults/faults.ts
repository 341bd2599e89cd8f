// The faults, one entry each: a real campaign, one fault injected while calls are in progress, then the figures
// (harness.ts) and the fault's own checks. Add a fault by adding an entry to FAULTS.
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { sleep } from '../../scripts/services/process';
import { holdCampaignRow, launchRequest, workflowExecutions } from '../helpers/launch-interrupt';
import { liveCampaign } from '../../api/routes/campaigns';
import type { CampaignStatus } from '../../workflows/definitions';
import { finish, type FaultSpec, type Lab, type CampaignRun } from './harness';
import { asteriskRestart } from './asterisk-restart';

/** The Postgres outage of fault a and the Temporal outage of fault b (the figures). */
export const OUTAGES = { postgresSeconds: 180, temporalSeconds: 60 };

const CONTACTS = 30;

const postgresStop: FaultSpec = {
  name: 'postgres-stop',
  description: `Postgres stopped (pg_ctl stop -m immediate) mid-campaign for ${OUTAGES.postgresSeconds} s, then started again`,
  own: { postgres: true },
  async run(lab) {
    await lab.worker('all', 'w1');
    const c = await lab.campaign(CONTACTS);
    const inProgress = await lab.midCampaign(c);
    lab.postgres!.crash();
    lab.log(`postgres down with ${inProgress} calls in progress`);
    await sleep(OUTAGES.postgresSeconds * 1000);
    await lab.postgres!.start();
    const recoveredAt = Date.now();
    lab.log('postgres back');
    return finish(lab, c, { inProgress, recoveredAt });
  },
};

const temporalKill: FaultSpec = {
  name: 'temporal-kill',
  description: `Temporal server SIGKILLed mid-campaign, restarted on the same SQLite file ${OUTAGES.temporalSeconds} s later`,
  own: { temporal: true },
  async run(lab) {
    await lab.worker('all', 'w1');
    const c = await lab.campaign(CONTACTS);
    const inProgress = await lab.midCampaign(c);
    await lab.temporal!.kill();
    lab.log(`temporal killed with ${inProgress} calls in progress`);
    await sleep(OUTAGES.temporalSeconds * 1000);
    await lab.temporal!.start();
    const recoveredAt = Date.now();
    lab.log('temporal back');
    return finish(lab, c, { inProgress, recoveredAt });
  },
};

const orchestrationKill: FaultSpec = {
  name: 'orchestration-kill',
  description: 'the worker process (orchestration + telephony) SIGKILLed mid-campaign; a new one started 5 s later',
  async run(lab) {
    const first = await lab.worker('all', 'w1');
    const c = await lab.campaign(CONTACTS);
    const inProgress = await lab.midCampaign(c);
    await first.kill();
    lab.log(`worker killed with ${inProgress} calls in progress`);
    await sleep(5000);
    await lab.worker('all', 'w2');
    const recoveredAt = Date.now();
    return finish(lab, c, { inProgress, recoveredAt });
  },
};

/** Which worker processes (by pid) ran a campaign's workflow tasks, from the histories (identity pid@host). */
async function workflowTaskPids(lab: Lab, c: CampaignRun, o: { campaignOnly?: boolean } = {}): Promise<{ pid: number; at: number; workflowId: string }[]> {
  const calls = o.campaignOnly ? [] : await lab.prisma.call.findMany({ where: { campaignId: c.id }, select: { workflowId: true } });
  const ids = [c.workflowId, ...calls.map((k) => k.workflowId)];
  const out: { pid: number; at: number; workflowId: string }[] = [];
  for (const workflowId of ids) {
    const history = await lab.client.workflow.getHandle(workflowId).fetchHistory();
    for (const e of history.events ?? []) {
      const identity = e.workflowTaskStartedEventAttributes?.identity;
      const pid = identity ? Number(/^(\d+)@/.exec(identity)?.[1]) : NaN;
      if (Number.isFinite(pid)) out.push({ pid, at: Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6), workflowId });
    }
  }
  return out;
}

const orchestrationScale: FaultSpec = {
  name: 'orchestration-scale',
  description: 'two orchestration worker processes on the shared queue serve one campaign; the one running the campaign workflow SIGKILLed mid-campaign, none restarted',
  async run(lab) {
    const workers = [await lab.worker('orchestration', 'orch1'), await lab.worker('orchestration', 'orch2')];
    await lab.worker('telephony', 'tel');
    const c = await lab.campaign(CONTACTS);
    const inProgress = await lab.midCampaign(c, { ended: 6 });
    // The harder case: the process the campaign workflow is cached on (its last workflow task) dies with it.
    const campaignOn = (await workflowTaskPids(lab, c, { campaignOnly: true })).at(-1)?.pid;
    const first = workers.find((w) => w.child.pid === campaignOn) ?? workers[0]!;
    const second = workers.find((w) => w !== first)!;
    await first.kill();
    const killedAt = Date.now();
    lab.log(`the orchestration worker running the campaign workflow killed with ${inProgress} calls in progress; the other goes on alone`);
    const r = await finish(lab, c, { inProgress, recoveredAt: killedAt });
    const tasks = await workflowTaskPids(lab, c);
    const [p1, p2] = [first.child.pid!, second.child.pid!];
    const before = tasks.filter((t) => t.at < killedAt);
    const after = tasks.filter((t) => t.at >= killedAt + 1000); // past the kill (clock rounding)
    const campaignTasks = tasks.filter((t) => t.workflowId === c.workflowId);
    r.checks = [
      { what: 'the killed process was running the campaign workflow', expected: true, actual: campaignOn === p1 },
      { what: 'the campaign workflow went on on the survivor', expected: true, actual: campaignTasks.some((t) => t.pid === p2 && t.at >= killedAt) },
      { what: 'both processes ran workflow tasks before the kill', expected: [true, true], actual: [before.some((t) => t.pid === p1), before.some((t) => t.pid === p2)] },
      { what: 'only the survivor ran workflow tasks after the kill', expected: [], actual: [...new Set(after.filter((t) => t.pid !== p2).map((t) => t.pid))] },
      { what: 'every workflow task ran on one of the two', expected: [], actual: [...new Set(tasks.filter((t) => t.pid !== p1 && t.pid !== p2).map((t) => t.pid))] },
    ];
    r.detail = {
      workflowTasks: { killedBefore: before.filter((t) => t.pid === p1).length, survivorBefore: before.filter((t) => t.pid === p2).length, survivorAfter: after.filter((t) => t.pid === p2).length },
      campaignWorkflowOn: [...new Set(campaignTasks.map((t) => (t.pid === p1 ? 'killed' : 'survivor')))],
      campaignTasksAfterKill: campaignTasks.filter((t) => t.at >= killedAt).length,
    };
    return r;
  },
};

const telephonyKill: FaultSpec = {
  name: 'telephony-kill',
  description: 'the telephony worker SIGKILLed with calls up (orchestration in another process); a new one started 5 s later',
  // The dead process is noticed within ~10 s (watch heartbeat 5 s, then its retry not picked up within 5 s): at
  // ×25 a call's maximum duration is 12 s and would often end it first (max_duration); ×10 gives it 30 s.
  speed: 10,
  async run(lab) {
    await lab.worker('orchestration', 'orch');
    const tel = await lab.worker('telephony', 't1');
    const c = await lab.campaign(CONTACTS);
    await lab.midCampaign(c, { answered: 1 });
    // The calls the process holds, read right before the kill: at this speed a call lasts seconds, so the
    // answered one seen by midCampaign may have ended since; look again until one is up.
    const up = () => lab.prisma.call.findMany({ where: { campaignId: c.id, endedAt: null }, select: { workflowId: true, contactId: true, attempt: true, status: true } });
    let cut = await up();
    for (const t0 = Date.now(); !cut.some((x) => x.status === 'answered') && Date.now() - t0 < 60_000; cut = await up()) await sleep(25);
    await tel.kill();
    lab.log(`telephony killed with ${cut.length} calls in progress (${cut.filter((x) => x.status === 'answered').length} answered)`);
    await sleep(5000);
    await lab.worker('telephony', 't2');
    const recoveredAt = Date.now();
    const r = await finish(lab, c, { inProgress: cut.length, recoveredAt });
    const after = await lab.prisma.call.findMany({ where: { workflowId: { in: cut.filter((x) => x.status === 'answered').map((x) => x.workflowId) } } });
    // An answered call whose conversation had already decided its outcome (an opt-out, a callback asked for, a
    // refusal) keeps it, cause media_lost when its goodbye was cut (test/integration/decided-outcome.test.ts);
    // one cut mid-conversation needed the dead process and must end failed / media_lost, then get its next
    // attempt under the campaign's rules.
    const mediaLost = after.filter((k) => k.hangupCause === 'media_lost');
    const lost = mediaLost.filter((k) => k.outcome === 'failed');
    const retried = await Promise.all(lost.map(async (k) => {
      if (k.attempt >= c.maxAttempts) return 'attempts used up';
      const next = await lab.prisma.call.count({ where: { campaignId: c.id, contactId: k.contactId, attempt: k.attempt + 1 } });
      if (next === 1) return 'next attempt dialed once';
      const row = await lab.prisma.campaignContact.findFirst({ where: { campaignId: c.id, contactId: k.contactId }, select: { state: true, skipReason: true } });
      return `next attempt dialed ${next} times (contact ${row?.state}/${row?.skipReason})`;
    }));
    // One that kept an outcome had decided it: its last turn's decision names that outcome.
    const kept = await Promise.all(mediaLost.filter((k) => k.outcome !== 'failed').map(async (k) => {
      const last = await lab.prisma.callInteraction.findFirst({ where: { callId: k.id }, orderBy: { turn: 'desc' } });
      const decided = (last?.streamingMetadata as { decision?: { outcome?: string | null } } | null)?.decision?.outcome ?? null;
      return decided === k.outcome ? 'decided before the cut' : `kept ${k.outcome}, last decision ${decided}`;
    }));
    r.checks = [
      { what: 'answered calls lost their media with the kill (at least one)', expected: true, actual: mediaLost.length >= 1 },
      { what: 'a cut call that did not end failed had decided its outcome before the cut', expected: kept.map(() => 'decided before the cut'), actual: kept },
      { what: 'each answered call ended, with an outcome', expected: after.map(() => true), actual: after.map((k) => k.endedAt !== null && k.outcome !== null) },
      { what: 'a failed one failed for media_lost (its real cause)', expected: after.filter((k) => k.outcome === 'failed').map(() => 'media_lost'), actual: after.filter((k) => k.outcome === 'failed').map((k) => k.hangupCause) },
      {
        what: 'those lost were retried under the campaign rules (next attempt dialed once, unless attempts are used up)',
        expected: retried.map((r) => (r === 'attempts used up' ? r : 'next attempt dialed once')),
        actual: retried,
      },
    ];
    r.detail = { answeredAtKill: after.length, lostMedia: mediaLost.length, failedMidConversation: lost.length, outcomes: after.map((k) => `${k.outcome}/${k.hangupCause}`), retried };
    return r;
  },
};

const campaignDeleted: FaultSpec = {
  name: 'campaign-deleted',
  description: 'a permanent error: the campaign row deleted under its running workflow',
  async run(lab) {
    await lab.worker('all', 'w1');
    const c = await lab.campaign(CONTACTS);
    const inProgress = await lab.midCampaign(c);
    // The cascade may deadlock with the calls' own transactions: retried, as an operator would.
    for (let attempt = 1; ; attempt++) {
      try {
        await lab.prisma.campaign.delete({ where: { id: c.id } });
        break;
      } catch (err) {
        if (attempt >= 10 || !/deadlock|write conflict/i.test((err as Error).message)) throw err;
        await sleep(200);
      }
    }
    const deletedAt = Date.now();
    const end = await lab.closed(c.workflowId, 180_000);
    const live = await liveCampaign(lab.client, c.id);
    // The calls in progress at the deletion finish on their own (their call workflows outlive the campaign's):
    // let them, within their maximum duration, before counting what was left without an end.
    const maxMs = lab.cfg.CALL_MAX_DURATION_MS / lab.speed + lab.cfg.CALL_NO_ANSWER_TIMEOUT_MS / lab.speed + 10_000;
    for (const until = Date.now() + maxMs; Date.now() < until; await sleep(500)) {
      let running = 0;
      for await (const _ of lab.client.workflow.list({ query: `CampaignId = "${c.id}" AND WorkflowType = "callWorkflow" AND ExecutionStatus = "Running"` })) running++;
      if (running === 0) break;
    }
    // Everything the campaign had is gone with it; what must hold: no call left running, no contact left in_progress.
    const figures = await lab.figures(c, { deleted: true });
    return {
      ...figures,
      completed: false,
      recoverySeconds: null,
      callsInProgressAtFault: inProgress,
      ended: `${end.status.toLowerCase()} ${end.failureType ?? ''}`.trim(),
      checks: [
        { what: 'the campaign workflow failed with a typed error', expected: 'FAILED CampaignNotFound', actual: `${end.status} ${end.failureType}` },
        { what: 'it failed within a minute of the deletion', expected: true, actual: end.closedAt - deletedAt <= 60_000 },
        { what: 'the API shows the failed workflow and its type', expected: 'FAILED CampaignNotFound', actual: `${live?.execution} ${live?.failure?.type}` },
      ],
      detail: { failedAfterSeconds: Math.round((end.closedAt - deletedAt) / 100) / 10, failure: live?.failure?.message },
    };
  },
};

const apiLaunchKill: FaultSpec = {
  name: 'api-launch-kill',
  description: 'the API process SIGKILLed in the middle of POST /campaigns/:id/launch, then the same request repeated: one campaign, one workflow',
  beforeCampaign: true,
  async run(lab) {
    const key = `fault-launch-${randomUUID()}`;
    await lab.worker('all', 'w1');
    const c = await lab.draft(12);
    const first = await lab.api(key);
    // The launch blocks inside its transaction on the row lock we hold (see launch-interrupt.ts): killed there.
    const lock = await holdCampaignRow(lab.env.DATABASE_URL!, c.id);
    let killed: unknown;
    try {
      const pending = launchRequest(first, key, c.id).then((r) => r.status, (e: Error) => e);
      await lock.launchBlocked();
      await first.kill('SIGKILL');
      killed = await pending;
    } finally {
      await lock.close();
    }
    lab.log('API killed inside its launch');
    const workflowAfterKill = await lab.client.workflow.getHandle(c.workflowId).describe()
      .then((d) => d.status.name, (e: Error) => (e instanceof WorkflowNotFoundError ? 'not found' : e.message));
    const rowAfterKill = await lab.prisma.campaign.findUniqueOrThrow({ where: { id: c.id }, select: { status: true, workflowId: true } });

    const second = await lab.api(key);
    const repeatedAt = Date.now();
    const r1 = await launchRequest(second, key, c.id);
    const repeated = { status: r1.status, body: await r1.json() };
    const r2 = await launchRequest(second, key, c.id);
    const again = { status: r2.status, body: await r2.json() };
    const r = await finish(lab, c, { inProgress: 0, recoveredAt: repeatedAt });
    const afterCompletion = (await launchRequest(second, key, c.id)).status;
    const row = await lab.prisma.campaign.findUniqueOrThrow({ where: { id: c.id }, select: { status: true, workflowId: true } });
    r.checks = [
      { what: 'the killed request got no answer', expected: true, actual: killed instanceof Error },
      { what: 'killed before the workflow was started', expected: 'not found', actual: workflowAfterKill },
      { what: 'nothing half-written: the campaign is still a draft, no launch recorded', expected: { status: 'draft', workflowId: null }, actual: rowAfterKill },
      { what: 'the repeated request starts the workflow', expected: { status: 202, body: { campaign_id: c.id, workflow_id: c.workflowId, started: true } }, actual: repeated },
      { what: 'a further repeat starts nothing', expected: { status: 202, body: { campaign_id: c.id, workflow_id: c.workflowId, started: false } }, actual: again },
      { what: 'a repeat after completion is refused', expected: 409, actual: afterCompletion },
      { what: 'exactly one workflow execution of the campaign', expected: 1, actual: workflowExecutions(lab.temporalBin, lab.cfg.TEMPORAL_ADDRESS, lab.cfg.TEMPORAL_NAMESPACE, c.workflowId).length },
      { what: 'exactly one campaign', expected: 1, actual: await lab.prisma.campaign.count({ where: { name: `fault ${lab.name}` } }) },
      { what: 'the campaign row completed, with its workflow', expected: { status: 'completed', workflowId: c.workflowId }, actual: row },
    ];
    return r;
  },
};

/** Originate activities a run scheduled after its reset point (the events it did not inherit). */
async function dialsAfterReset(lab: Lab, workflowId: string, runId: string): Promise<number> {
  const history = await lab.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const reset = events.findIndex((e) => e.workflowTaskFailedEventAttributes?.cause === 20 /* WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW */);
  return events.slice(reset + 1).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'originate').length;
}

const operatorReset: FaultSpec = {
  name: 'operator-reset',
  description: 'an operator resets a finished call workflow (temporal workflow reset), to its first workflow task and to a later point',
  afterCampaign: true,
  async run(lab) {
    await lab.worker('all', 'w1');
    const c = await lab.campaign(12);
    const end = await lab.closed(c.workflowId, 240_000);
    // A finished call that was answered and had a conversation.
    const target = await lab.prisma.call.findFirstOrThrow({
      where: { campaignId: c.id, answeredAt: { not: null }, interactions: { some: {} } }, orderBy: { dialedAt: 'asc' },
    });
    const snapshot = async () => JSON.stringify({
      calls: await lab.prisma.call.findMany({ where: { campaignId: c.id }, orderBy: { workflowId: 'asc' }, select: { workflowId: true, outcome: true, endedAt: true, hangupCause: true, attempt: true } }),
      turns: await lab.prisma.callInteraction.findMany({ where: { callId: target.id }, orderBy: { turn: 'asc' }, select: { turn: true, transcript: true, endedAt: true } }),
      rows: await lab.prisma.campaignContact.findMany({ where: { campaignId: c.id }, orderBy: { id: 'asc' }, select: { state: true, attempts: true } }),
    });
    const before = await snapshot();
    const original = await lab.client.workflow.getHandle(target.workflowId).describe();
    const history = await lab.client.workflow.getHandle(target.workflowId, original.runId).fetchHistory();
    const completedTasks = (history.events ?? []).filter((e) => e.workflowTaskCompletedEventAttributes).map((e) => String(e.eventId));
    const later = completedTasks[Math.floor(completedTasks.length / 2)]!;
    const runs: { point: string; status: string; failureType: string | null; dials: number }[] = [];
    for (const point of [['--type', 'FirstWorkflowTask'], ['--event-id', later]]) {
      await lab.operatorCli('workflow', 'reset', '--workflow-id', target.workflowId, '--run-id', original.runId, ...point, '--reason', 'fault tier: operator reset');
      const latest = await lab.client.workflow.getHandle(target.workflowId).describe();
      const closed = await lab.closed(target.workflowId, 120_000);
      runs.push({ point: point.join(' '), status: closed.status, failureType: closed.failureType, dials: await dialsAfterReset(lab, target.workflowId, latest.runId) });
      lab.log(`reset ${point.join(' ')}: run ${latest.runId} ${closed.status} ${closed.failureType ?? ''}`);
    }
    const after = await snapshot();
    const f = await lab.figures(c);
    const extraDials = runs.reduce((n, r) => n + r.dials, 0);
    return {
      ...f,
      doubleDials: f.doubleDials + extraDials,
      completed: end.status === 'COMPLETED' && (end.result as CampaignStatus).state === 'completed',
      recoverySeconds: null,
      callsInProgressAtFault: 0,
      ended: end.status.toLowerCase(),
      detail: { resets: runs },
      checks: [
        { what: 'reset to the first workflow task refuses with a typed reason', expected: 'FAILED AttemptAlreadyDialed', actual: `${runs[0]!.status} ${runs[0]!.failureType}` },
        { what: 'no reset run dials again', expected: [0, 0], actual: runs.map((r) => r.dials) },
        { what: 'the later-point reset run closes', expected: true, actual: runs[1]!.status !== 'RUNNING' },
        { what: 'the records are unchanged by the resets', expected: before, actual: after },
      ],
    };
  },
};

export const FAULTS: FaultSpec[] = [postgresStop, temporalKill, orchestrationKill, orchestrationScale, telephonyKill, apiLaunchKill, campaignDeleted, operatorReset, asteriskRestart];
