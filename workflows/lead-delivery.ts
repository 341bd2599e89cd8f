// The delivery of one lead to its campaign's CRM webhook (id lead-delivery-<call workflow id>), started by the
// call workflow when a call ends as a lead. A workflow of its own, so that a slow or down CRM never holds the call
// (nor the campaign, which does not wait for it) and a delivery survives worker crashes and restarts: Temporal
// retries the POST with exponential backoff; when the attempts are exhausted the delivery is marked failed in
// Postgres, where the campaign status shows it (the lead itself stays in the database and the export).
import {
  ActivityFailure, ParentClosePolicy, WorkflowIdReusePolicy, log, proxyActivities, proxyLocalActivities, startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { LeadWebhookActivities } from '../activities/lead-webhook';
import { leadDeliveryWorkflowId, type LeadDeliveryInput, type LeadDeliveryResult } from './definitions';

const marks = proxyLocalActivities<LeadWebhookActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', backoffCoefficient: 2 },
});

export async function leadDeliveryWorkflow(input: LeadDeliveryInput): Promise<LeadDeliveryResult> {
  const { policy } = input;
  const http = proxyActivities<LeadWebhookActivities>({
    startToCloseTimeout: policy.requestTimeoutMs + 10_000,
    retry: {
      initialInterval: policy.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: policy.maximumIntervalMs,
      maximumAttempts: policy.maximumAttempts,
      nonRetryableErrorTypes: ['LeadRejected', 'LeadNotFound'],
    },
  });
  try {
    const r = await http.deliverLead({ campaignId: input.campaignId, callWorkflowId: input.callWorkflowId, timeoutMs: policy.requestTimeoutMs });
    return r.state === 'delivered' ? { state: 'delivered', attempts: r.attempts } : { state: 'no_webhook', attempts: 0 };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    await marks.markLeadDeliveryFailed({ callWorkflowId: input.callWorkflowId });
    return { state: 'failed', attempts: policy.maximumAttempts, reason: err.cause?.message ?? err.message };
  }
}

/**
 * Starts the delivery of a lead as a child workflow that outlives its parent call (ABANDON): the call returns
 * as soon as the delivery is started. Its id derives from the call's, so a re-run of the call starts none twice.
 */
export async function startLeadDelivery(input: LeadDeliveryInput): Promise<void> {
  try {
    await startChild(leadDeliveryWorkflow, {
      workflowId: leadDeliveryWorkflowId(input.callWorkflowId),
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    log.info('lead delivery already started', { workflowId: input.callWorkflowId });
  }
}
