// Reads a campaign's leads (calls whose outcome is `lead`) with their contact and the answers heard, oldest first
// by the time the call ended (so `since` gives an incremental export), paged by keyset (endedAt, id).
import type { PrismaClient } from '../prisma/client';
import type { LeadRecord } from '../lib/leads';
import type { CapturedAnswer } from '../lib/capture';

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
    where: { campaignId, outcome: 'lead', endedAt: { not: null, ...(p.since ? { gte: p.since } : {}) }, ...keyset },
    orderBy: [{ endedAt: 'asc' }, { id: 'asc' }],
    take: p.take,
    skip: p.skip ?? 0,
    include: {
      contact: { select: { id: true, phone: true, lastName: true, firstName: true, email: true, departement: true } },
      // Every turn: the answers heard (with a transcript), and the captured fields (a key press has none).
      interactions: { orderBy: { turn: 'asc' }, select: { turn: true, step: true, transcript: true, intent: true, intentConfidence: true, streamingMetadata: true } },
    },
  });
  return calls.map((c) => ({
    callId: c.id, campaignId: c.campaignId, contact: c.contact, attempt: c.attempt, dialedAt: c.dialedAt, answeredAt: c.answeredAt,
    endedAt: c.endedAt, talkDurationMs: c.talkDurationMs, callbackAt: c.callbackAt,
    answers: c.interactions.filter((i) => i.transcript !== null).map((i) => ({ turn: i.turn, step: i.step, transcript: i.transcript!, intent: i.intent, confidence: i.intentConfidence })),
    captures: capturesOf(c.interactions),
  }));
}

/** The fields the scenario's steps kept (workflows/call.ts stores each in its turn's metadata); a later turn wins. */
function capturesOf(turns: { turn: number; step: string; streamingMetadata: unknown }[]): LeadRecord['captures'] {
  const out: LeadRecord['captures'] = {};
  for (const t of turns) {
    const c = (t.streamingMetadata as { capture?: CapturedAnswer } | null)?.capture;
    if (c && typeof c.field === 'string') out[c.field] = { value: c.value, transcript: c.transcript, intent: c.intent, step: t.step, turn: t.turn };
  }
  return out;
}

export async function countLeads(prisma: PrismaClient, campaignId: string, since?: Date): Promise<number> {
  return prisma.call.count({ where: { campaignId, outcome: 'lead', endedAt: { not: null, ...(since ? { gte: since } : {}) } } });
}
