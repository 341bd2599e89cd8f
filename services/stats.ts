// Campaign figures computed from the call records (never from configuration).
import type { PrismaClient } from '../prisma/client';
import { maxOverlap, percentile, round } from '../lib/metrics';

export interface CampaignFigures {
  contacts: number;
  dialed: number;
  uniqueContactsDialed: number;
  doubleDials: number;
  maxConcurrent: number;
  outcomes: Record<string, number>;
  skipped: Record<string, number>;
  open: number;
}

export async function campaignFigures(prisma: PrismaClient, campaignId: string): Promise<CampaignFigures> {
  const [contacts, calls, skipped, open] = await Promise.all([
    prisma.campaignContact.count({ where: { campaignId } }),
    prisma.call.findMany({ where: { campaignId }, select: { contactId: true, attempt: true, dialedAt: true, endedAt: true, outcome: true } }),
    prisma.campaignContact.groupBy({ by: ['skipReason'], where: { campaignId, state: 'skipped' }, _count: true }),
    prisma.campaignContact.count({ where: { campaignId, state: { in: ['pending', 'queued', 'in_call', 'retry_wait'] } } }),
  ]);
  const outcomes: Record<string, number> = {};
  for (const c of calls) if (c.outcome) outcomes[c.outcome] = (outcomes[c.outcome] ?? 0) + 1;
  // A double dial: a second call for the same contact attempt, or two calls to one contact at the same time.
  const byContact = new Map<string, { attempt: number; start: number; end: number }[]>();
  for (const c of calls) {
    const list = byContact.get(c.contactId) ?? [];
    list.push({ attempt: c.attempt, start: c.dialedAt.getTime(), end: (c.endedAt ?? new Date()).getTime() });
    byContact.set(c.contactId, list);
  }
  let doubleDials = 0;
  for (const list of byContact.values()) {
    doubleDials += list.length - new Set(list.map((x) => x.attempt)).size;
    const overlap = maxOverlap(list);
    if (overlap > 1) doubleDials += overlap - 1;
  }
  return {
    contacts,
    dialed: calls.length,
    uniqueContactsDialed: byContact.size,
    doubleDials,
    maxConcurrent: maxOverlap(calls.map((c) => ({ start: c.dialedAt.getTime(), end: (c.endedAt ?? new Date()).getTime() }))),
    outcomes,
    skipped: Object.fromEntries(skipped.map((s) => [s.skipReason ?? 'unknown', s._count])),
    open,
  };
}

export interface LatencyFigures {
  turns: number;
  asrP50Ms: number | null;
  asrP95Ms: number | null;
  intentP50Ms: number | null;
  intentP95Ms: number | null;
  bargeIns: number;
  bargeInP50Ms: number | null;
  bargeInP95Ms: number | null;
  turnP50Ms: number | null;
  turnP95Ms: number | null;
}

export async function latencyFigures(prisma: PrismaClient, where: { campaignId?: string } = {}): Promise<LatencyFigures> {
  const rows = await prisma.callInteraction.findMany({
    where: where.campaignId ? { call: { campaignId: where.campaignId } } : {},
    select: { asrLatencyMs: true, intentLatencyMs: true, bargeInDetected: true, bargeInLatencyMs: true, totalLatencyMs: true },
  });
  const pick = (f: (r: (typeof rows)[number]) => number | null) => rows.map(f).filter((x): x is number => x !== null);
  const asr = pick((r) => r.asrLatencyMs);
  const intent = pick((r) => r.intentLatencyMs);
  const barge = pick((r) => (r.bargeInDetected ? r.bargeInLatencyMs : null));
  const turn = pick((r) => r.totalLatencyMs);
  return {
    turns: rows.length,
    asrP50Ms: round(percentile(asr, 50)),
    asrP95Ms: round(percentile(asr, 95)),
    intentP50Ms: round(percentile(intent, 50), 3),
    intentP95Ms: round(percentile(intent, 95), 3),
    bargeIns: rows.filter((r) => r.bargeInDetected).length,
    bargeInP50Ms: round(percentile(barge, 50)),
    bargeInP95Ms: round(percentile(barge, 95)),
    turnP50Ms: round(percentile(turn, 50)),
    turnP95Ms: round(percentile(turn, 95)),
  };
}
