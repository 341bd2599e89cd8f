// Reads a campaign's leads (calls whose outcome is `lead`, `transferred` or `transfer_failed`) with their contact and the answers heard, oldest first
// by the time the call ended (so `since` gives an incremental export), paged by keyset (endedAt, id).
import { LEAD_OUTCOMES } from '../lib/outcomes';
import type { PrismaClient } from '../prisma/client';
import { leadsCsv, leadsJsonl, type LeadRecord } from '../lib/leads';
import type { CapturedAnswer } from '../lib/capture';

export interface LeadPage {
  /** Only this call (the webhook delivers one lead at a time). */
  callId?: string;
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
    where: { campaignId, outcome: { in: [...LEAD_OUTCOMES] }, endedAt: { not: null, ...(p.since ? { gte: p.since } : {}) }, ...keyset, ...(p.callId ? { id: p.callId } : {}) },
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
  return prisma.call.count({ where: { campaignId, outcome: { in: [...LEAD_OUTCOMES] }, endedAt: { not: null, ...(since ? { gte: since } : {}) } } });
}

/** One lead (a call of outcome `lead` that has ended), or null. */
export async function readLead(prisma: PrismaClient, campaignId: string, callId: string): Promise<LeadRecord | null> {
  return (await readLeads(prisma, campaignId, { callId, take: 1 }))[0] ?? null;
}

const EXPORT_PAGE = 500;

/**
 * A campaign's leads as an export file, chunk by chunk (one page of leads each): the CSV header comes first even
 * when there are no leads (an empty sheet with its columns). Shared by `minibot leads export` and the API's
 * download, so both give the same bytes.
 */
export async function* leadExportChunks(prisma: PrismaClient, campaignId: string, o: { since?: Date; format: 'csv' | 'jsonl' }): AsyncGenerator<{ text: string; leads: number }> {
  let after: { endedAt: Date; id: string } | undefined;
  let leads = 0;
  for (;;) {
    const page = await readLeads(prisma, campaignId, { since: o.since, after, take: EXPORT_PAGE });
    if (o.format === 'jsonl') yield { text: leadsJsonl(page), leads: page.length };
    else if (page.length || leads === 0) yield { text: leadsCsv(page, { header: leads === 0 }), leads: page.length };
    leads += page.length;
    if (page.length < EXPORT_PAGE) return;
    const last = page[page.length - 1]!;
    after = { endedAt: last.endedAt!, id: last.callId };
  }
}
