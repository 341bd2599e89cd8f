// Reads a campaign's leads (calls whose outcome is `lead`, `transferred` or `transfer_failed`) with their contact and the answers heard, oldest first
// by the time the call ended (so `since` gives an incremental export), paged by keyset (endedAt, id).
import { LEAD_OUTCOMES } from '../lib/outcomes';
import type { PrismaClient } from '../prisma/client';
import type { LeadRecord } from '../lib/leads';

export interface LeadPage {
  since?: Date;
  /** Keyset: the last lead of the previous page. */
  after?: { endedAt: Date; id: string };
  take: number;
  skip?: number;
}

export async function readLeads(prisma: PrismaClient, campaignId: string, p: LeadPage): Promise<LeadRecord[]> {
  const keyset = p.after
    ? { OR: [{ endedAt: { gt: p.after.endedAt } }, { endedAt: p.after.endedAt, id: { gt: p.after.id } }] }
    : {};
  const calls = await prisma.call.findMany({
    where: { campaignId, outcome: { in: [...LEAD_OUTCOMES] }, endedAt: { not: null, ...(p.since ? { gte: p.since } : {}) }, ...keyset },
    orderBy: [{ endedAt: 'asc' }, { id: 'asc' }],
    take: p.take,
    skip: p.skip ?? 0,
    include: {
      contact: { select: { id: true, phone: true, lastName: true, firstName: true, email: true, departement: true } },
      interactions: { where: { transcript: { not: null } }, orderBy: { turn: 'asc' }, select: { turn: true, step: true, transcript: true, intent: true, intentConfidence: true } },
    },
  });
  return calls.map((c) => ({
    callId: c.id, campaignId: c.campaignId, contact: c.contact, attempt: c.attempt, dialedAt: c.dialedAt, answeredAt: c.answeredAt,
    endedAt: c.endedAt, talkDurationMs: c.talkDurationMs, callbackAt: c.callbackAt,
    answers: c.interactions.map((i) => ({ turn: i.turn, step: i.step, transcript: i.transcript!, intent: i.intent, confidence: i.intentConfidence })),
  }));
}

export async function countLeads(prisma: PrismaClient, campaignId: string, since?: Date): Promise<number> {
  return prisma.call.count({ where: { campaignId, outcome: { in: [...LEAD_OUTCOMES] }, endedAt: { not: null, ...(since ? { gte: since } : {}) } } });
}
