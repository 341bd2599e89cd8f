// Sample contacts for the demo and the benchmarks: fictional people on numbers from the ranges ARCEP reserves
// for fiction (06 39 98 xx xx, then 01 99 00 xx xx …), tagged with a source so a later run can replace them.
import type { PrismaClient } from '../prisma/client';

const FIRST = ['Jean', 'Marie', 'Pierre', 'Sophie', 'Luc', 'Camille', 'Nicolas', 'Julie', 'Thomas', 'Claire', 'Antoine', 'Léa', 'Hugo', 'Manon', 'Paul', 'Chloé'];
const LAST = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefebvre', 'Michel', 'Garcia', 'David'];
const DEPTS = ['75', '69', '13', '33', '59', '31', '44', '67', '06', '35', '2A', '974'];
const FICTION_BLOCKS = ['+3363998', '+3319900', '+3326191', '+3335301', '+3346571', '+3353649'];

export function fictionalPhone(i: number): string {
  const block = FICTION_BLOCKS[Math.floor(i / 10_000)];
  if (!block) throw new Error(`only ${FICTION_BLOCKS.length * 10_000} fictional numbers are available`);
  return block + String(i % 10_000).padStart(4, '0');
}

export interface SeedOptions {
  count: number;
  source: string;
  /** First fictional number to use (the demo and the benchmark use separate ranges). */
  offset?: number;
  /** Share of contacts with a recorded consent (the rest: existing customers, or no consent at all). */
  consentShare?: number;
  /** How many contacts to put on the DNC list and to mark opted out (they must never be dialed). */
  dnc?: number;
  optedOut?: number;
  noConsent?: number;
}

/** Deletes the contacts of `source` (and their calls, by cascade) and creates `count` new ones. */
export async function seedContacts(prisma: PrismaClient, o: SeedOptions): Promise<{ ids: string[] }> {
  await prisma.contact.deleteMany({ where: { source: o.source } });
  const phones = Array.from({ length: o.count }, (_, i) => fictionalPhone((o.offset ?? 0) + i));
  await prisma.dncEntry.deleteMany({ where: { phone: { in: phones } } });
  const dnc = o.dnc ?? 0;
  const optedOut = o.optedOut ?? 0;
  const noConsent = o.noConsent ?? 0;
  const now = Date.now();
  const rows = phones.map((phone, i) => {
    const special = i >= o.count - dnc - optedOut - noConsent; // the last ones are the special cases
    const kind = !special ? 'ok' : i >= o.count - dnc ? 'dnc' : i >= o.count - dnc - optedOut ? 'optout' : 'noconsent';
    const existingCustomer = kind === 'ok' && i % 5 === 4;
    return {
      phone,
      firstName: FIRST[i % FIRST.length]!,
      lastName: LAST[Math.floor(i / FIRST.length) % LAST.length]!,
      email: `contact${i}@example.fr`,
      departement: DEPTS[i % DEPTS.length]!,
      source: o.source,
      optOut: kind === 'optout',
      existingCustomer,
      consentGivenAt: kind === 'ok' && !existingCustomer ? new Date(now - 86_400_000 * (10 + (i % 200))) : null,
      consentSource: kind === 'ok' && !existingCustomer ? 'web_form' : null,
      consentProof: kind === 'ok' && !existingCustomer ? `form-${100000 + i}` : null,
      createdAt: new Date(now - (o.count - i)), // keeps the import order
    };
  });
  for (let i = 0; i < rows.length; i += 5000) {
    await prisma.contact.createMany({ data: rows.slice(i, i + 5000) });
  }
  const dncPhones = rows.slice(o.count - dnc).map((r) => r.phone);
  if (dncPhones.length) await prisma.dncEntry.createMany({ data: dncPhones.map((phone) => ({ phone, source: 'bloctel' as const, reason: 'demo: Bloctel list' })) });
  const ids = (await prisma.contact.findMany({ where: { source: o.source }, select: { id: true }, orderBy: { createdAt: 'asc' } })).map((c) => c.id);
  return { ids };
}
