// French phone numbers: parsing and E.164 normalisation with libphonenumber-js (full metadata, so the line
// type — mobile, landline, VoIP, premium… — is known). Pure: no I/O.
//
// Accepted spellings: national (06 12 34 56 78, 06.12.34.56.78, 06-12…), international (+33 6 12…,
// +33 (0)6 12…, 0033 6 12…, 33612345678), the overseas départements' national numbers (0262…, 0692… are
// tried against RE, GP, MQ, GF, YT, PM), and a 9-digit number whose leading 0 a spreadsheet dropped
// (612345678). ARCEP's ranges reserved for fiction (06 39 98, 01 99 00 …) are valid numbers that
// libphonenumber does not know: they are accepted and flagged, so demos and tests never dial a real person.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type PhoneType =
  | 'mobile' | 'fixed_line' | 'fixed_line_or_mobile' | 'voip' | 'toll_free' | 'premium_rate' | 'shared_cost'
  | 'personal_number' | 'pager' | 'uan' | 'voicemail' | 'unknown';

export interface PhoneOk {
  ok: true;
  e164: string;
  type: PhoneType;
  /** ISO country of the number (FR, RE, GP…). */
  country: string;
  /** The number is in an ARCEP fiction range. */
  fiction: boolean;
  /** A leading 0 was restored (spreadsheet damage). */
  restoredLeadingZero: boolean;
}
export interface PhoneError {
  ok: false;
  reason: string;
}
export type PhoneResult = PhoneOk | PhoneError;

/** Countries sharing the French national format 0XXXXXXXXX (metropolitan France and overseas). */
const FRENCH_COUNTRIES: CountryCode[] = ['FR', 'RE', 'GP', 'MQ', 'GF', 'YT', 'PM', 'BL', 'MF'];

/** ARCEP decision 2018-0881: numbers reserved for fiction (audiovisual works, demos). */
const FICTION_PREFIXES: [string, PhoneType][] = [
  ['+3319900', 'fixed_line'], ['+3326191', 'fixed_line'], ['+3335301', 'fixed_line'], ['+3346571', 'fixed_line'],
  ['+3353649', 'fixed_line'], ['+3363998', 'mobile'],
];

/** Line types a call robot may call as a person's number. */
export const PERSONAL_TYPES: ReadonlySet<PhoneType> = new Set(['mobile', 'fixed_line', 'fixed_line_or_mobile', 'voip']);

/**
 * Characters that render as nothing, carried in by copy-paste from a web page or a spreadsheet: zero-width
 * space and joiners, word joiner, soft hyphen, bidi marks and isolates (U+200E/F, U+202A–E, U+2066–9), BOM…
 * Unicode's Default_Ignorable_Code_Point is exactly "invisible unless supported", so they are stripped like the
 * spaces are. (NBSP and narrow NBSP are spaces: NFKC and \s take care of them.)
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\uFEFF]/gu;

function cleanup(raw: string): string | PhoneError {
  let s = raw.replace(INVISIBLE, '').normalize('NFKC').trim();
  if (s === '') return { ok: false, reason: 'empty' };
  if (s.length > 40) return { ok: false, reason: 'too long to be a phone number' };
  if (/[A-Za-z]/.test(s)) return { ok: false, reason: 'contains letters' };
  s = s.replace(/\(0\)/g, ''); // +33 (0)6 …
  if (!/^[+\d\s.\-/()\u00a0\u202f]+$/.test(s)) return { ok: false, reason: 'contains characters other than digits, spaces, + . - / ( )' };
  s = s.replace(/[\s.\-/()\u00a0\u202f]/g, '');
  if (s.indexOf('+') > 0 || (s.match(/\+/g)?.length ?? 0) > 1) return { ok: false, reason: 'misplaced +' };
  if (s.startsWith('00')) s = '+' + s.slice(2);
  else if (/^33\d{9}$/.test(s)) s = '+' + s;
  return s;
}

function typeOf(t: string | undefined): PhoneType {
  return t ? (t.toLowerCase() as PhoneType) : 'unknown';
}

/**
 * The characters a phone number may be spelled with (the OpenAPI document's pattern): digits, +, the usual
 * separators, and the invisible characters pasted from web pages that normalizeFrenchPhone strips (soft hyphen,
 * zero-width and bidi marks, word joiner, BOM). Whether the digits make a number in an assigned range is a rule
 * of the numbering plan no pattern can say: the API answers 422 for that.
 */
export const PHONE_INPUT = '^[0-9+ .\\-/()\u00a0\u202f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]{1,40}$';

/** Parses a French (or international) phone number to E.164. */
export function normalizeFrenchPhone(raw: string): PhoneResult {
  const cleaned = cleanup(raw);
  if (typeof cleaned !== 'string') return cleaned;
  let s = cleaned;
  let restoredLeadingZero = false;
  if (/^[1-9]\d{8}$/.test(s)) {
    s = '0' + s;
    restoredLeadingZero = true;
  }
  if (!s.startsWith('+') && !/^0\d{9}$/.test(s)) {
    const digits = s.replace(/\D/g, '').length;
    return { ok: false, reason: digits < 10 ? `too short (${digits} digits, a French number has 10)` : `too long (${digits} digits, a French number has 10)` };
  }
  // Fiction ranges first (libphonenumber calls them invalid).
  const asIntl = s.startsWith('+') ? s : '+33' + s.slice(1);
  for (const [prefix, type] of FICTION_PREFIXES) {
    if (asIntl.startsWith(prefix) && asIntl.length === 12) {
      return { ok: true, e164: asIntl, type, country: 'FR', fiction: true, restoredLeadingZero };
    }
  }
  const candidates: (CountryCode | undefined)[] = s.startsWith('+') ? [undefined] : FRENCH_COUNTRIES;
  for (const country of candidates) {
    const p = country ? parsePhoneNumberFromString(s, country) : parsePhoneNumberFromString(s);
    if (p && p.isValid()) {
      return { ok: true, e164: p.number, type: typeOf(p.getType()), country: p.country ?? country ?? 'unknown', fiction: false, restoredLeadingZero };
    }
  }
  return { ok: false, reason: 'not a valid phone number (unknown number range)' };
}

export { maskNumber } from './mask';

/** The IANA time zone of a number's country (overseas numbers are called on their local time). */
export function timeZoneOfCountry(country: string): string {
  return COUNTRY_TZ[country] ?? 'Europe/Paris';
}

const COUNTRY_TZ: Record<string, string> = {
  FR: 'Europe/Paris', RE: 'Indian/Reunion', GP: 'America/Guadeloupe', MQ: 'America/Martinique', GF: 'America/Cayenne',
  YT: 'Indian/Mayotte', PM: 'America/Miquelon', BL: 'America/St_Barthelemy', MF: 'America/Marigot',
};
