// `minibot compliance report`: reads a campaign's contacts and calls page by page and writes the CSV of
// lib/compliance-report.ts to a file (or stdout). A file is written to FILE.tmp and renamed at the end, so a
// failed run leaves no half report.
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import type { PrismaClient } from '../prisma/client';
import { reportCsv, type ReportContact } from '../lib/compliance-report';
import type { LegalBasis } from '../lib/compliance';

const PAGE = 1000;

export async function writeComplianceReport(prisma: PrismaClient, campaignId: string, out: string | null): Promise<{ rows: number; path: string | null }> {
  const campaign = await prisma.campaign.findUnique({ where: { id: campaignId }, select: { id: true } });
  if (!campaign) throw new Error(`campaign ${campaignId} not found`);
  const tmp = out ? `${out}.tmp` : null;
  const sink = tmp ? createWriteStream(tmp) : process.stdout;
  const write = async (s: string) => {
    if (!sink.write(s)) await once(sink, 'drain');
  };
  let rows = 0;
  try {
    let cursor: bigint | undefined;
    for (;;) {
      const page = await prisma.campaignContact.findMany({
        where: { campaignId }, orderBy: { id: 'asc' }, take: PAGE, ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
        include: { contact: { select: { id: true, phone: true, timezone: true } } },
      });
      if (!page.length && rows > 0) break;
      const calls = await prisma.call.findMany({
        where: { campaignId, contactId: { in: page.map((p) => p.contactId) } },
        select: { contactId: true, attempt: true, dialedAt: true, outcome: true, legalBasis: true, basisEvidence: true },
      });
      const byContact = new Map<string, typeof calls>();
      for (const k of calls) byContact.set(k.contactId, [...(byContact.get(k.contactId) ?? []), k]);
      const contacts: ReportContact[] = page.map((p) => ({
        contactId: p.contactId, phone: p.contact.phone, timeZone: p.contact.timezone, state: p.state, skipReason: p.skipReason,
        lastOutcome: p.lastOutcome,
        attempts: (byContact.get(p.contactId) ?? []).map((k) => ({
          attempt: k.attempt, dialedAt: k.dialedAt, outcome: k.outcome, legalBasis: k.legalBasis as LegalBasis | null, basisEvidence: k.basisEvidence,
        })),
      }));
      await write(reportCsv(contacts, { header: rows === 0 }));
      rows += contacts.length;
      if (page.length < PAGE) break;
      cursor = page[page.length - 1]!.id;
    }
    if (tmp) {
      (sink as ReturnType<typeof createWriteStream>).end();
      await once(sink, 'finish');
      renameSync(tmp, out!);
    }
  } catch (e) {
    if (tmp) {
      (sink as ReturnType<typeof createWriteStream>).destroy();
      rmSync(tmp, { force: true });
    }
    throw e;
  }
  return { rows, path: out };
}
