// French départements: codes, postal codes, overseas time zones. Pure.
// Hand-written (no maintained npm library covers just this): the rules are short and stable — 01-95 without
// 20, Corsica 2A/2B, overseas 971-976.

const TZ: Record<string, string> = {
  '971': 'America/Guadeloupe', '972': 'America/Martinique', '973': 'America/Cayenne', '974': 'Indian/Reunion',
  '975': 'America/Miquelon', '976': 'Indian/Mayotte',
};

/** Normalises a département code ("1" → "01", "2a" → "2A"); null when it is not one. */
export function normalizeDepartement(raw: string): string | null {
  const s = raw.trim().toUpperCase();
  if (/^2[AB]$/.test(s)) return s;
  if (/^97[1-6]$/.test(s)) return s;
  if (/^\d{1,2}$/.test(s)) {
    const n = Number(s);
    if (n >= 1 && n <= 95 && n !== 20) return String(n).padStart(2, '0');
  }
  return null;
}

/** The département of a French postal code ("75011" → "75", "20090" → "2A", "97400" → "974"); null if none. */
export function departementFromPostalCode(raw: string): string | null {
  const s = raw.trim().replace(/\s/g, '');
  if (!/^\d{5}$/.test(s)) return null;
  const n = Number(s);
  if (s.startsWith('97')) return /^97[1-6]$/.test(s.slice(0, 3)) ? s.slice(0, 3) : null;
  if (s.startsWith('98')) return null; // Monaco, Pacific territories: not départements
  if (s.startsWith('20')) return n < 20200 ? '2A' : '2B';
  if (s.startsWith('00')) return null;
  return normalizeDepartement(s.slice(0, 2));
}

/**
 * Exactly the spellings the API accepts for a département (the OpenAPI document's pattern, so it says what the
 * server takes): a code (1 or 01 to 95 but 20, 2A/2B in either case, 971-976) or a five-digit postal code of a
 * département (not 00xxx, 96xxx, 98xxx: Monaco and the Pacific). Unpadded and case-free, nothing around it.
 * A unit test checks it equals departementOf on every such string.
 */
export const DEPARTEMENT_INPUT = '^(?:0?[1-9]|1[0-9]|2[1-9]|[3-8][0-9]|9[0-5]|2[AaBb]|97[1-6]|(?:0[1-9]|[1-8][0-9]|9[0-5])[0-9]{3}|97[1-6][0-9]{2})$';

/** Accepts a département code or a postal code. */
export function departementOf(raw: string): string | null {
  const s = raw.trim();
  if (/^\d{5}$/.test(s.replace(/\s/g, ''))) return departementFromPostalCode(s);
  return normalizeDepartement(s);
}

/** Parses "01,02,2A" into normalised codes; throws naming the bad entry. */
export function parseDepartementList(list: string): string[] {
  const out: string[] = [];
  for (const part of list.split(/[,;\s]+/).filter(Boolean)) {
    const d = normalizeDepartement(part);
    if (!d) throw new Error(`"${part}" is not a French département code (01-95, 2A, 2B, 971-976)`);
    if (!out.includes(d)) out.push(d);
  }
  if (!out.length) throw new Error('empty département list');
  return out;
}

export function timeZoneOfDepartement(d: string | null): string | null {
  return d ? (TZ[d] ?? 'Europe/Paris') : null;
}
