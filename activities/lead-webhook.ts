// Lead delivery activities (orchestration worker): POST one lead to its campaign's CRM webhook, signed, and record
// every attempt in Postgres (lead_deliveries, lead_delivery_attempts). Temporal retries `deliverLead` with backoff
// (workflows/lead-delivery.ts); the delivery's idempotency key stays the same across retries and re-runs, so a
// receiver that saw a request whose answer was lost drops the repeat. The URL, secret and body never reach a log.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { PrismaClient } from '../prisma/client';
import { leadJson } from '../lib/leads';
import {
  IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, leadIdempotencyKey, leadWebhookBody, retryableStatus, signLeadWebhook,
} from '../lib/lead-webhook';
import { readLead } from '../services/leads';

export const LeadDeliveryError = {
  /** The receiver answered a 4xx that no retry can change (400, 401, 404…). */
  LeadRejected: 'LeadRejected',
  /** The call is gone, or is not a lead. */
  LeadNotFound: 'LeadNotFound',
} as const;

export interface DeliverLeadInput {
  campaignId: string;
  /** The call workflow id of the lead's call. */
  callWorkflowId: string;
  /** Bound of one HTTP request. */
  timeoutMs: number;
}

export type DeliverLeadResult = { state: 'delivered'; attempts: number; status: number } | { state: 'no_webhook' };

/** Why a request failed, for the campaign status: never the URL (it may hold a token) nor the body. */
function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  const code = e.cause?.code;
  return code ? `connection failed (${code})` : `request failed (${e.cause?.message ?? e.message})`.slice(0, 200);
}

export function createLeadWebhookActivities(d: { prisma: PrismaClient }) {
  const { prisma } = d;
  return {
    async deliverLead(input: DeliverLeadInput): Promise<DeliverLeadResult> {
      const campaign = await prisma.campaign.findUnique({ where: { id: input.campaignId }, select: { leadWebhookUrl: true, leadWebhookSecret: true } });
      // Removed with its campaign, or no webhook: nothing to deliver.
      if (!campaign?.leadWebhookUrl || !campaign.leadWebhookSecret) return { state: 'no_webhook' };
      const call = await prisma.call.findUnique({ where: { workflowId: input.callWorkflowId }, select: { id: true } });
      if (!call) throw ApplicationFailure.create({ type: LeadDeliveryError.LeadNotFound, nonRetryable: true, message: `no call record for ${input.callWorkflowId}` });
      const key = leadIdempotencyKey(call.id);
      const delivery = await prisma.leadDelivery.upsert({
        where: { callId: call.id }, update: {}, create: { campaignId: input.campaignId, callId: call.id, idempotencyKey: key },
      });
      // A re-run after success (worker crash after the answer was recorded) sends nothing again.
      if (delivery.state === 'delivered') return { state: 'delivered', attempts: delivery.attempts, status: delivery.lastStatus ?? 200 };
      const lead = await readLead(prisma, input.campaignId, call.id);
      if (!lead) throw ApplicationFailure.create({ type: LeadDeliveryError.LeadNotFound, nonRetryable: true, message: `call ${call.id} is not a lead` });

      const body = leadWebhookBody({ idempotencyKey: key, campaignId: input.campaignId, lead: leadJson(lead) });
      const attempt = Context.current().info.attempt;
      const at = new Date();
      const ts = Math.floor(at.getTime() / 1000);
      let status: number | null = null;
      let error: string | null = null;
      try {
        const r = await fetch(campaign.leadWebhookUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8', 'user-agent': 'MiniBot-Webhook/1',
            [IDEMPOTENCY_HEADER]: key, [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signLeadWebhook(campaign.leadWebhookSecret, ts, body),
          },
          body,
          // A redirect would re-send the lead somewhere the operator did not configure: it counts as a failure.
          redirect: 'manual',
          signal: AbortSignal.timeout(input.timeoutMs),
        });
        status = r.status;
        await r.body?.cancel().catch(() => undefined);
        if (r.status < 200 || r.status > 299) error = `HTTP ${r.status}`;
      } catch (err) {
        error = describe(err);
      }
      const durationMs = Date.now() - at.getTime();
      const delivered = error === null;
      const refused = status !== null && !delivered && !retryableStatus(status) && !(status >= 300 && status < 400);
      await prisma.$transaction([
        prisma.leadDeliveryAttempt.upsert({
          where: { deliveryId_attempt: { deliveryId: delivery.id, attempt } },
          update: { httpStatus: status, error, durationMs, attemptedAt: at },
          create: { deliveryId: delivery.id, attempt, httpStatus: status, error, durationMs, attemptedAt: at },
        }),
        prisma.leadDelivery.update({
          where: { id: delivery.id },
          data: {
            attempts: attempt, lastStatus: status, lastError: error,
            state: delivered ? 'delivered' : refused ? 'failed' : 'retrying', ...(delivered ? { deliveredAt: new Date() } : {}),
          },
        }),
      ]);
      if (delivered) return { state: 'delivered', attempts: attempt, status: status! };
      if (refused) throw ApplicationFailure.create({ type: LeadDeliveryError.LeadRejected, nonRetryable: true, message: `the receiver refused the lead: ${error}` });
      throw ApplicationFailure.create({ type: 'LeadDeliveryFailed', message: `lead delivery attempt ${attempt} failed: ${error}` });
    },

    /** Retries exhausted: the delivery is marked failed (shown in the campaign status; the lead stays exportable). */
    async markLeadDeliveryFailed(input: { callWorkflowId: string }): Promise<void> {
      const call = await prisma.call.findUnique({ where: { workflowId: input.callWorkflowId }, select: { id: true } });
      if (!call) return;
      // The last attempt's error stays as it was recorded: it says why.
      await prisma.leadDelivery.updateMany({ where: { callId: call.id, state: { not: 'delivered' } }, data: { state: 'failed' } });
    },
  };
}

export type LeadWebhookActivities = ReturnType<typeof createLeadWebhookActivities>;
