// /calls: the live calls, one call with its transcript, intents and latencies, its recording, a manual retry.
import { createReadStream, existsSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { z } from 'zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { callStateQuery, campaignWorkflowId } from '../../workflows/definitions';
import { launchCampaign } from '../../services/campaigns';
import { createCallActivities } from '../../activities/call';
import { webUiLink } from '../../services/temporal';
import { route, type AnyRoute } from '../http/routes';
import { conflict, notFound } from '../http/errors';
import { campaignFilter, idParam, iso, limit, type Deps } from './common';
import { valueWithin } from '../../lib/timeout';

export function callRoutes(d: Deps): AnyRoute[] {
  const { prisma, client, cfg } = d;
  const ui = (wf: string) => webUiLink(cfg.TEMPORAL_UI_URL, cfg.TEMPORAL_NAMESPACE, wf) || null;
  return [
    route({
      method: 'get', path: '/calls/active', tag: 'calls', summary: 'Calls in progress',
      query: z.object({ campaign_id: campaignFilter, limit: limit(500, 100) }).strict(),
      handler: async ({ query }) => {
        const where = { endedAt: null, ...(query.campaign_id ? { campaignId: query.campaign_id } : {}) };
        const [rows, total] = await Promise.all([
          prisma.call.findMany({
            where, orderBy: { dialedAt: 'asc' }, take: query.limit,
            include: { contact: { select: { firstName: true, lastName: true } }, campaign: { select: { name: true } } },
          }),
          prisma.call.count({ where }),
        ]);
        const now = Date.now();
        return {
          total,
          items: rows.map((c) => ({
            id: c.id, campaign_id: c.campaignId, campaign_name: c.campaign.name, contact_id: c.contactId,
            contact_name: [c.contact.firstName, c.contact.lastName].filter(Boolean).join(' ') || null, phone: c.phone,
            attempt: c.attempt, status: c.status, dialed_at: iso(c.dialedAt), answered_at: iso(c.answeredAt),
            duration_ms: now - c.dialedAt.getTime(), workflow_id: c.workflowId, web_ui: ui(c.workflowId),
          })),
        };
      },
    }),
    route({
      method: 'get', path: '/calls/:id', tag: 'calls', summary: 'A call with its full transcript, intents, latencies and recording link',
      params: idParam, errors: [404],
      handler: async ({ params }) => {
        const c = await prisma.call.findUnique({ where: { id: params.id }, include: { interactions: { orderBy: { turn: 'asc' } } } });
        if (!c) throw notFound(`call ${params.id}`);
        const live = c.endedAt ? null : await valueWithin(client.withDeadline(Date.now() + 2000, () => client.workflow.getHandle(c.workflowId).query(callStateQuery)), 2500);
        return {
          id: c.id, campaign_id: c.campaignId, contact_id: c.contactId, attempt: c.attempt, phone: c.phone, status: c.status, outcome: c.outcome,
          amd: { result: c.amdResult, cause: c.amdCause }, hangup_cause: c.hangupCause, callback_at: iso(c.callbackAt),
          dialed_at: iso(c.dialedAt), ringing_at: iso(c.ringingAt), answered_at: iso(c.answeredAt), ended_at: iso(c.endedAt),
          durations_ms: { ring: c.ringDurationMs, talk: c.talkDurationMs, total: c.totalDurationMs },
          recording: c.recordingPath ? `/calls/${c.id}/recording` : null,
          workflow_id: c.workflowId, web_ui: ui(c.workflowId), live_state: live,
          transcript: c.interactions.map((i) => ({
            turn: i.turn, step: i.step, prompt: i.prompt, transcript: i.transcript, intent: i.intent, intent_confidence: i.intentConfidence,
            processing_method: i.processingMethod, barge_in: i.bargeInDetected,
            latency_ms: { asr: i.asrLatencyMs, intent: i.intentLatencyMs, barge_in: i.bargeInLatencyMs, turn: i.totalLatencyMs },
            started_at: iso(i.startedAt), ended_at: iso(i.endedAt), metadata: i.streamingMetadata,
          })),
        };
      },
    }),
    route({
      method: 'get', path: '/calls/:id/recording', tag: 'calls', summary: 'The call recording (audio file)',
      params: idParam, errors: [404], success: { contentType: 'audio/wav', description: 'The recording' },
      handler: async ({ params, res }) => {
        const c = await prisma.call.findUnique({ where: { id: params.id }, select: { recordingPath: true } });
        if (!c?.recordingPath) throw notFound(`recording of call ${params.id}`);
        const root = resolve(cfg.RECORDINGS_DIR);
        const file = resolve(root, c.recordingPath);
        if (!(file === root || file.startsWith(root + sep)) || !existsSync(file)) throw notFound(`recording of call ${params.id}`);
        res.type(file.endsWith('.wav') ? 'audio/wav' : 'application/octet-stream');
        await new Promise<void>((ok, ko) => createReadStream(file).on('error', ko).on('end', ok).pipe(res));
        return undefined;
      },
    }),
    route({
      method: 'post', path: '/calls/:id/retry', tag: 'calls', summary: 'Call this contact again (a new attempt, now)',
      description: 'The contact is put back in its campaign queue; the campaign workflow dials it at its next look. A completed campaign is restarted; a stopped one is not.',
      params: idParam, errors: [404, 409], needs: ['postgres', 'temporal'], success: { status: 202 },
      handler: async ({ params }) => {
        let call = await prisma.call.findUnique({ where: { id: params.id }, include: { contact: true, campaign: true } });
        if (!call) throw notFound(`call ${params.id}`);
        const stateOf = () => prisma.campaignContact.findUnique({ where: { campaignId_contactId: { campaignId: call!.campaignId, contactId: call!.contactId } } });
        const before = await stateOf();
        let repaired = false;
        if (!call.endedAt || (before && before.attempts === call.attempt && ['queued', 'in_call'].includes(before.state))) {
          // A call with no end, or a contact left in_call by it: in progress only if its workflow still runs.
          // Otherwise the workflow died without writing its outcome: repair that first (the call ends failed).
          const running = await client.withDeadline(Date.now() + 3000, () => client.workflow.getHandle(call!.workflowId).describe())
            .then((x) => x.status.name === 'RUNNING')
            .catch((e) => {
              if (e instanceof WorkflowNotFoundError) return false;
              throw e;
            });
          if (running) throw conflict('the call is still in progress');
          await createCallActivities({ prisma }).abandonCall({
            workflowId: call.workflowId, campaignId: call.campaignId, contactId: call.contactId, maxAttempts: call.campaign.maxAttempts,
            retryDelaySeconds: call.campaign.retryDelaySeconds, hangupCause: 'workflow_closed',
          });
          call = (await prisma.call.findUnique({ where: { id: params.id }, include: { contact: true, campaign: true } }))!;
          repaired = true;
        }
        if (call.contact.optOut) throw conflict('the contact opted out');
        if (await prisma.dncEntry.findUnique({ where: { phone: call.contact.phone }, select: { id: true } })) throw conflict('the number is on the do-not-call list');
        if (call.campaign.status === 'stopped') throw conflict('the campaign is stopped');
        if (call.campaign.status === 'draft') throw conflict('the campaign has not been launched');
        const cc = await stateOf();
        if (!cc) throw conflict('the contact is no longer enrolled in the campaign');
        // After a repair the contact may be waiting for its policy retry: this request brings it forward.
        const queued = repaired ? ['pending', 'queued', 'in_call'] : ['pending', 'queued', 'in_call', 'retry_wait'];
        if (queued.includes(cc.state)) throw conflict(`the contact is already queued (${cc.state})`);
        // Temporal first: when it is down the answer is 503 before anything is written (a contact put back in
        // the queue of a campaign whose workflow cannot be started would wait there for nobody).
        const running = await client.withDeadline(Date.now() + 3000, () => client.workflow.getHandle(campaignWorkflowId(call.campaignId)).describe())
          .then((x) => x.status.name === 'RUNNING')
          .catch((e) => {
            if (e instanceof WorkflowNotFoundError) return false;
            throw e;
          });
        await prisma.campaignContact.update({ where: { id: cc.id }, data: { state: 'retry_wait', nextAttemptAt: new Date(), skipReason: null, claimToken: null } });
        let relaunched = false;
        if (!running) relaunched = (await launchCampaign(client, prisma, cfg, call.campaignId, { relaunch: true })).started;
        return { call_id: call.id, campaign_id: call.campaignId, contact_id: call.contactId, next_attempt: cc.attempts + 1, campaign_relaunched: relaunched, repaired };
      },
    }),
  ];
}
