// Do-not-call list import (Bloctel-style: one number per line, optional header, optional extra columns
// separated by ; or ,) and lookup. Streaming; each batch in one statement; re-importing changes nothing.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { PrismaClient } from '../../prisma/client';
import { normalizeFrenchPhone } from '../../lib/phone';

export interface DncImportSummary {
  lines: number;
  added: number;
  alreadyListed: number;
  invalid: number;
  invalidLines: { line: number; value: string; reason: string }[];
}

export async function importDnc(prisma: PrismaClient, file: string, o: { source: 'bloctel' | 'manual' | 'opt_out'; reason?: string; batchSize?: number }): Promise<DncImportSummary> {
  const s: DncImportSummary = { lines: 0, added: 0, alreadyListed: 0, invalid: 0, invalidLines: [] };
  const rl = createInterface({ input: createReadStream(file, { encoding: 'latin1' }), crlfDelay: Infinity });
  let batch: string[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const unique = [...new Set(batch)];
    const added = await prisma.$executeRawUnsafe(
      `INSERT INTO dnc_entries (id, phone, source, reason) SELECT gen_random_uuid(), p, $2::dnc_source, $3 FROM unnest($1::text[]) AS p
       ON CONFLICT (phone) DO NOTHING`, unique, o.source, o.reason ?? null);
    s.added += added;
    s.alreadyListed += batch.length - added;
    batch = [];
  };
  let n = 0;
  for await (const raw of rl) {
    n += 1;
    const first = raw.replace(/^\uFEFF|^ï»¿/, '').split(/[;,\t]/)[0]!.trim().replace(/^"|"$/g, '');
    if (first === '' ) continue;
    if (n === 1 && /[a-z]/i.test(first)) continue; // header
    s.lines += 1;
    const p = normalizeFrenchPhone(first);
    if (!p.ok) {
      s.invalid += 1;
      if (s.invalidLines.length < 100) s.invalidLines.push({ line: n, value: first.slice(0, 40), reason: p.reason });
      continue;
    }
    batch.push(p.e164);
    if (batch.length >= (o.batchSize ?? 5000)) await flush();
  }
  await flush();
  return s;
}

export async function checkDnc(prisma: PrismaClient, raw: string): Promise<{ phone: string; listed: boolean; source?: string; reason?: string | null; addedAt?: Date; contactOptedOut: boolean }> {
  const p = normalizeFrenchPhone(raw);
  if (!p.ok) throw new Error(`"${raw}": ${p.reason}`);
  const [entry, contact] = await Promise.all([
    prisma.dncEntry.findUnique({ where: { phone: p.e164 } }),
    prisma.contact.findUnique({ where: { phone: p.e164 }, select: { optOut: true } }),
  ]);
  return {
    phone: p.e164, listed: !!entry, source: entry?.source, reason: entry?.reason, addedAt: entry?.addedAt,
    contactOptedOut: contact?.optOut ?? false,
  };
}
