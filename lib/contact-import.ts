// Contact CSV import rules, pure: column resolution (French and English header names, operator mapping),
// delimiter sniffing, per-line text decoding, and the validation/normalisation of one row into a contact.
// The streaming, the batches and the database live in cli/import/.
import { z } from 'zod';
import { normalizeFrenchPhone, PERSONAL_TYPES, type PhoneType } from './phone';
import { departementOf } from './departement';
import { calleeTimeZone } from './territory';

export type Field =
  | 'phone' | 'lastName' | 'firstName' | 'email' | 'departement' | 'status'
  | 'consentDate' | 'consentSource' | 'consentWordingVersion' | 'consentProof' | 'existingCustomer' | 'optOut';

/** Header names recognised without mapping (compared after normalizeHeader). */
const ALIASES: Record<Field, string[]> = {
  phone: ['telephone', 'tel', 'phone', 'phone_number', 'numero', 'numero_telephone', 'mobile', 'portable', 'gsm'],
  lastName: ['nom', 'last_name', 'lastname', 'nom_de_famille', 'name', 'nom_complet', 'full_name'],
  firstName: ['prenom', 'first_name', 'firstname'],
  email: ['email', 'e_mail', 'mail', 'courriel', 'adresse_email'],
  departement: ['departement', 'dept', 'dep', 'code_departement', 'code_postal', 'cp', 'postal_code', 'zip'],
  status: ['statut', 'status'],
  consentDate: ['consent_date', 'date_consentement', 'consentement_date', 'consent_given_at', 'consentement'],
  consentSource: ['consent_source', 'source_consentement'],
  consentWordingVersion: ['consent_wording_version', 'consent_version', 'version_consentement', 'version_texte_consentement', 'version_mention'],
  consentProof: ['consent_proof', 'preuve_consentement', 'preuve'],
  existingCustomer: ['existing_customer', 'client', 'client_existant', 'deja_client'],
  optOut: ['opt_out', 'optout', 'opposition', 'stop'],
};

export const FIELD_COLUMN_OPTION: Partial<Record<Field, string>> = {
  phone: '--phone-col', lastName: '--name-col', firstName: '--first-name-col', email: '--email-col',
  departement: '--departement-col', consentDate: '--consent-col', consentSource: '--consent-source-col',
  consentWordingVersion: '--consent-version-col', consentProof: '--consent-proof-col', existingCustomer: '--customer-col',
};

export function normalizeHeader(h: string): string {
  return h
    .replace(/^\uFEFF/, '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s\-.'’]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export type ColumnMap = Partial<Record<Field, number>>;

export class ImportSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportSetupError';
  }
}

/**
 * Finds each field's column. `mapping` holds the operator's explicit header names (they must exist);
 * the phone column is required, and so is a département column when a region filter is asked for.
 */
export function resolveColumns(headers: string[], mapping: Partial<Record<Field, string>> = {}, opts: { needDepartement?: boolean } = {}): ColumnMap {
  const norm = headers.map(normalizeHeader);
  const map: ColumnMap = {};
  const taken = new Set<number>();
  for (const [field, name] of Object.entries(mapping) as [Field, string | undefined][]) {
    if (!name) continue;
    const idx = norm.indexOf(normalizeHeader(name));
    if (idx < 0) {
      throw new ImportSetupError(`column "${name}" (${FIELD_COLUMN_OPTION[field] ?? field}) is not in the header: ${headers.map((h) => JSON.stringify(h)).join(', ')}`);
    }
    map[field] = idx;
    taken.add(idx);
  }
  for (const field of Object.keys(ALIASES) as Field[]) {
    if (map[field] !== undefined) continue;
    const idx = norm.findIndex((h, i) => !taken.has(i) && ALIASES[field].includes(h));
    if (idx >= 0) {
      map[field] = idx;
      taken.add(idx);
    }
  }
  if (map.phone === undefined) {
    throw new ImportSetupError(`no phone column: expected one of ${ALIASES.phone.join(', ')} or --phone-col NAME (header: ${headers.map((h) => JSON.stringify(h)).join(', ')})`);
  }
  if (opts.needDepartement && map.departement === undefined) {
    throw new ImportSetupError('--region-filter needs a département or postal code column (departement, code_postal, cp …) or --departement-col NAME');
  }
  return map;
}

/** Picks the delimiter of a CSV header line: the most frequent of , ; tab | outside quotes. */
export function sniffDelimiter(headerLine: string): string {
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch in counts) counts[ch]! += 1;
  }
  let best = ',';
  for (const d of Object.keys(counts)) if (counts[d]! > counts[best]!) best = d;
  return best;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const cp1252 = new TextDecoder('windows-1252');

/**
 * Decodes one line of bytes: UTF-8 when it is valid UTF-8, else Windows-1252 (what Excel writes in France).
 * Line by line, so a file that mixes both (concatenated exports) still reads right.
 */
export function decodeLine(bytes: Uint8Array): { text: string; encoding: 'utf-8' | 'windows-1252' } {
  try {
    return { text: utf8.decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: cp1252.decode(bytes), encoding: 'windows-1252' };
  }
}

export interface ContactRow {
  phone: string;
  phoneType: PhoneType;
  lastName: string | null;
  firstName: string | null;
  email: string | null;
  departement: string | null;
  status: string | null;
  timezone: string;
  consentGivenAt: Date | null;
  consentSource: string | null;
  /** Version of the consent text the person agreed to (form wording, script version). */
  consentWordingVersion: string | null;
  consentProof: string | null;
  existingCustomer: boolean | null;
  optOut: boolean;
}

export interface RowIssue {
  column: string;
  reason: string;
  value: string;
}

/**
 * `warnings`: the row is kept, but a value was changed on the way in (a name cut to its column's limit); they go
 * to the per-row report like the issues, so the operator knows which contacts to check.
 */
export type RowResult = { ok: true; contact: ContactRow; notes: string[]; warnings: RowIssue[] } | { ok: false; issues: RowIssue[] };

export interface RowOptions {
  /** Advanced validation: e-mail syntax, personal line types only, no future consent dates. */
  validate: boolean;
  /** Accept only these départements (rows elsewhere are filtered, not errors). */
  regionFilter?: Set<string>;
}

const STATUSES = ['pending', 'in_progress', 'qualified', 'not_interested', 'callback', 'unreachable', 'opted_out', 'invalid'];
const TRUE = new Set(['1', 'true', 'yes', 'oui', 'o', 'y', 'x', 'vrai']);
const FALSE = new Set(['0', 'false', 'no', 'non', 'n', 'faux', '']);
/**
 * An e-mail address as the API and the import take it: zod's syntax, within SMTP's limits (RFC 5321 §4.5.3.1:
 * a local part of at most 64 octets, a path of at most 254), which the OpenAPI "email" format also implies.
 */
export const emailAddress = () => z.email().max(254)
  .refine((e) => new TextEncoder().encode(e.slice(0, e.lastIndexOf('@'))).length <= 64, 'the part before @ is longer than 64 characters');
const email = emailAddress();
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202e\u202d]/;
/** The limit of every free-text column of a contact (names, consent source, wording version, proof). */
export const MAX_TEXT = 200;
/**
 * Names longer than the limit are cut, not rejected: losing a valid phone number for an over-long name (a cell
 * pasted from a comment field) costs more than a shortened name. Consent evidence is never cut: a shortened
 * proof would no longer be the proof, so those rows are still rejected.
 */
const TRUNCATED_FIELDS: ReadonlySet<Field> = new Set(['lastName', 'firstName']);

/** The first `max` code points of `v` (a surrogate pair is never split). */
function truncate(v: string, max: number): string {
  return Array.from(v).slice(0, max).join('');
}

export function parseFrenchDate(raw: string): Date | null {
  const s = raw.trim();
  let m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
  if (m) {
    const [, d, mo, y, h, mi, se] = m;
    const date = new Date(Date.UTC(+y!, +mo! - 1, +d!, +(h ?? 12), +(mi ?? 0), +(se ?? 0)));
    return date.getUTCDate() === +d! && date.getUTCMonth() === +mo! - 1 ? date : null;
  }
  m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (m) {
    const date = new Date(s.length === 10 ? `${s}T12:00:00Z` : s.replace(' ', 'T'));
    return Number.isNaN(date.getTime()) || date.getUTCMonth() !== +m[2]! - 1 ? null : date;
  }
  return null;
}

/** Validates and normalises one CSV record. `headers` names the columns in issues. */
export function mapRow(record: string[], cols: ColumnMap, headers: string[], opts: RowOptions, now: Date): RowResult | { ok: 'filtered'; departement: string | null } {
  const issues: RowIssue[] = [];
  const notes: string[] = [];
  const warnings: RowIssue[] = [];
  const get = (f: Field): string | null => {
    const i = cols[f];
    if (i === undefined) return null;
    const v = (record[i] ?? '').trim();
    return v === '' ? null : v;
  };
  const col = (f: Field) => headers[cols[f]!] ?? f;
  const text = (f: Field): string | null => {
    const v = get(f);
    if (v === null) return null;
    if (CONTROL.test(v)) {
      issues.push({ column: col(f), reason: 'contains control characters', value: v });
      return null;
    }
    const length = Array.from(v).length;
    if (length > MAX_TEXT && TRUNCATED_FIELDS.has(f)) {
      warnings.push({ column: col(f), reason: `kept, truncated to ${MAX_TEXT} characters (was ${length})`, value: v });
      return truncate(v, MAX_TEXT).trimEnd();
    }
    if (length > MAX_TEXT) {
      issues.push({ column: col(f), reason: `longer than ${MAX_TEXT} characters`, value: v });
      return null;
    }
    return v;
  };
  const flag = (f: Field): boolean | null => {
    const v = get(f);
    if (v === null) return null;
    const l = v.toLowerCase();
    if (TRUE.has(l)) return true;
    if (FALSE.has(l)) return false;
    issues.push({ column: col(f), reason: 'expected oui/non, yes/no, true/false or 1/0', value: v });
    return null;
  };

  // Phone
  const rawPhone = get('phone');
  let phone: string | null = null;
  let phoneType: PhoneType = 'unknown';
  let country = 'FR';
  if (rawPhone === null) issues.push({ column: col('phone'), reason: 'missing phone number', value: '' });
  else {
    const p = normalizeFrenchPhone(rawPhone);
    if (!p.ok) issues.push({ column: col('phone'), reason: p.reason, value: rawPhone });
    else if (opts.validate && !PERSONAL_TYPES.has(p.type)) {
      issues.push({ column: col('phone'), reason: `not a personal line (${p.type.replace(/_/g, ' ')})`, value: rawPhone });
    } else {
      phone = p.e164;
      phoneType = p.type;
      country = p.country;
      if (p.restoredLeadingZero) notes.push('leading 0 restored');
    }
  }

  // Département (code or postal code) and the region filter.
  const rawDep = get('departement');
  let departement: string | null = null;
  if (rawDep !== null) {
    departement = departementOf(rawDep);
    if (!departement) issues.push({ column: col('departement'), reason: 'not a French département or postal code', value: rawDep });
  }
  if (opts.regionFilter && issues.length === 0 && (!departement || !opts.regionFilter.has(departement))) {
    return { ok: 'filtered', departement };
  }

  const lastName = text('lastName');
  const firstName = text('firstName');
  let mail = text('email');
  if (mail !== null) {
    mail = mail.toLowerCase();
    if (opts.validate && !email.safeParse(mail).success) {
      issues.push({ column: col('email'), reason: 'not a valid e-mail address', value: mail });
      mail = null;
    }
  }
  let status = get('status');
  if (status !== null) {
    status = status.toLowerCase();
    if (!STATUSES.includes(status)) {
      issues.push({ column: col('status'), reason: `unknown status (known: ${STATUSES.join(', ')})`, value: status });
      status = null;
    }
  }
  let consentGivenAt: Date | null = null;
  const rawConsent = get('consentDate');
  if (rawConsent !== null) {
    consentGivenAt = parseFrenchDate(rawConsent);
    if (!consentGivenAt) issues.push({ column: col('consentDate'), reason: 'expected a consent date (JJ/MM/AAAA or AAAA-MM-JJ)', value: rawConsent });
    else if (consentGivenAt.getTime() > now.getTime() + 86_400_000) {
      issues.push({ column: col('consentDate'), reason: 'consent date is in the future', value: rawConsent });
      consentGivenAt = null;
    }
  }
  const consentSource = text('consentSource');
  const consentWordingVersion = text('consentWordingVersion');
  const consentProof = text('consentProof');
  // Consent evidence (source, wording, proof) without its date proves nothing: the row is reported, not
  // half-imported (law of 30 June 2025: the caller must prove when and how consent was given).
  if (rawConsent === null) {
    for (const [f, v] of [['consentSource', consentSource], ['consentWordingVersion', consentWordingVersion]] as const) {
      if (v !== null) issues.push({ column: col(f), reason: 'consent evidence without a consent date', value: v });
    }
  }
  const existingCustomer = flag('existingCustomer');
  const optOut = flag('optOut') ?? false;

  if (issues.length) return { ok: false, issues };
  return {
    ok: true,
    notes,
    warnings,
    contact: {
      phone: phone!, phoneType, lastName, firstName, email: mail, departement, status,
      timezone: calleeTimeZone(departement, country),
      consentGivenAt, consentSource: consentSource ?? (consentGivenAt ? 'import' : null), consentWordingVersion, consentProof,
      existingCustomer, optOut,
    },
  };
}
