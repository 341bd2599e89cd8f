// The CRM webhook's deliveries of a campaign, for its status (API GET /campaigns/:id, `minibot campaign status`):
// how many leads were delivered, are being retried, or failed for good, and the latest failures with their reason.
import type { PrismaClient } from '../prisma/client';

export interface LeadDeliveryFailure {
  callId: string;
  state: 'retrying' | 'failed';
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  updatedAt: Date;
}

export interface LeadDeliverySummary {
  pending: number;
  retrying: number;
  delivered: number;
  failed: number;
  /** The latest deliveries not delivered (retrying or failed), newest first, at most 10. */
  problems: LeadDeliveryFailure[];
}

export async function leadDeliverySummary(prisma: PrismaClient, campaignId: string): Promise<LeadDeliverySummary> {
  const [groups, problems] = await Promise.all([
    prisma.leadDelivery.groupBy({ by: ['state'], where: { campaignId }, _count: true }),
    prisma.leadDelivery.findMany({
      where: { campaignId, state: { in: ['retrying', 'failed'] } }, orderBy: [{ updatedAt: 'desc' }, { id: 'desc' }], take: 10,
      select: { callId: true, state: true, attempts: true, lastStatus: true, lastError: true, updatedAt: true },
    }),
  ]);
  const n = (s: string) => groups.find((g) => g.state === s)?._count ?? 0;
  return {
    pending: n('pending'), retrying: n('retrying'), delivered: n('delivered'), failed: n('failed'),
    problems: problems.map((p) => ({ ...p, state: p.state as 'retrying' | 'failed' })),
  };
}

/** The JSON form (snake_case, like the rest of the API). */
export function leadDeliverySummaryJson(s: LeadDeliverySummary) {
  return {
    pending: s.pending, retrying: s.retrying, delivered: s.delivered, failed: s.failed,
    problems: s.problems.map((p) => ({
      call_id: p.callId, state: p.state, attempts: p.attempts, last_status: p.lastStatus, last_error: p.lastError, updated_at: p.updatedAt.toISOString(),
    })),
  };
}
