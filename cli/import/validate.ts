// `minibot contacts validate`: checks the contacts already in the database, page by page (bounded memory).
//  --format-french  re-normalise every number to E.164 (fix the spelling when it is a valid number)
//  --dedupe         find contacts whose numbers are the same once normalised (reported, never merged blindly)
//  --clean-invalid  mark contacts whose number cannot be called as status "invalid" (kept for the record)
import type { PrismaClient } from '../../prisma/client';
import { normalizeFrenchPhone } from '../../lib/phone';

export interface ValidateSummary {
  checked: number;
  wellFormed: number;
  reformatted: number;
  invalid: number;
  markedInvalid: number;
  duplicateGroups: { phone: string; contactIds: string[] }[];
  invalidSamples: { id: string; reason: string }[];
}

export async function validateContacts(prisma: PrismaClient, o: { formatFrench: boolean; dedupe: boolean; cleanInvalid: boolean; dryRun: boolean; pageSize?: number }): Promise<ValidateSummary> {
  const s: ValidateSummary = { checked: 0, wellFormed: 0, reformatted: 0, invalid: 0, markedInvalid: 0, duplicateGroups: [], invalidSamples: [] };
  const byNumber = new Map<string, string[]>();
  let cursor: string | undefined;
  for (;;) {
    const page = await prisma.contact.findMany({
      select: { id: true, phone: true, status: true }, orderBy: { id: 'asc' }, take: o.pageSize ?? 2000,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    if (!page.length) break;
    cursor = page[page.length - 1]!.id;
    const invalidIds: string[] = [];
    for (const c of page) {
      s.checked += 1;
      const p = normalizeFrenchPhone(c.phone);
      if (!p.ok) {
        s.invalid += 1;
        if (s.invalidSamples.length < 50) s.invalidSamples.push({ id: c.id, reason: p.reason });
        if (c.status !== 'invalid') invalidIds.push(c.id);
        continue;
      }
      if (o.dedupe) {
        const l = byNumber.get(p.e164);
        if (l) {
          if (!l.includes(c.id)) l.push(c.id);
        }
        else if (p.e164 !== c.phone) byNumber.set(p.e164, [c.id]);
      }
      if (p.e164 === c.phone) s.wellFormed += 1;
      else if (o.formatFrench) {
        const taken = await prisma.contact.findUnique({ where: { phone: p.e164 }, select: { id: true } });
        if (taken) {
          const l = byNumber.get(p.e164) ?? [];
          if (!l.includes(taken.id)) l.unshift(taken.id);
          if (!l.includes(c.id)) l.push(c.id);
          byNumber.set(p.e164, l);
        } else {
          if (!o.dryRun) await prisma.contact.update({ where: { id: c.id }, data: { phone: p.e164 } });
          s.reformatted += 1;
        }
      }
    }
    if (o.cleanInvalid && invalidIds.length) {
      if (!o.dryRun) await prisma.contact.updateMany({ where: { id: { in: invalidIds } }, data: { status: 'invalid' } });
      s.markedInvalid += invalidIds.length;
    }
  }
  if (o.dedupe) {
    // Numbers stored in another spelling of an existing E.164 number.
    for (const [phone, ids] of byNumber) {
      if (ids.length > 1) s.duplicateGroups.push({ phone, contactIds: ids });
      else {
        const same = await prisma.contact.findUnique({ where: { phone }, select: { id: true } });
        if (same && same.id !== ids[0]) s.duplicateGroups.push({ phone, contactIds: [same.id, ...ids] });
      }
    }
  }
  return s;
}
