// The compliance report of a campaign (`minibot compliance report`): one CSV row per enrolled contact saying
// whether it was dialed or skipped, under which rule, on which legal basis with its evidence, and the local
// time (the contact's own zone) of every attempt. Pure: the caller reads the rows from the database.
// CSV for French spreadsheets (`;`, BOM, formula injection neutralised): lib/spreadsheet-csv.ts.
import { spreadsheetCsv } from './spreadsheet-csv';
import { DateTime } from 'luxon';
import type { LegalBasis } from './compliance';

export interface ReportAttempt {
  attempt: number;
  dialedAt: Date;
  outcome: string | null;
  legalBasis: LegalBasis | null;
  basisEvidence: unknown;
}

export interface ReportContact {
  contactId: string;
  phone: string;
  timeZone: string;
  /** campaign_contacts.state */
  state: string;
  skipReason: string | null;
  lastOutcome: string | null;
  attempts: ReportAttempt[];
}

export const REPORT_COLUMNS = [
  'contact_id', 'phone', 'time_zone', 'decision', 'rule', 'basis', 'consent_given_at', 'consent_source',
  'consent_wording_version', 'consent_proof', 'existing_customer', 'attempts', 'attempts_local_time', 'last_outcome',
] as const;

/** The rule that allowed a call, by basis (Code des postes L.34-5; law n° 2025-594 of 30 June 2025). */
const BASIS_RULE: Record<LegalBasis, string> = {
  consent: 'prior consent (L.34-5 CPCE, law of 30 June 2025)',
  existing_customer: 'existing customer (law of 30 June 2025 exemption)',
  non_commercial: 'non-commercial call (no canvassing consent needed)',
};

interface Evidence {
  consentGivenAt?: string | null;
  consentSource?: string | null;
  consentWordingVersion?: string | null;
  consentProof?: string | null;
  existingCustomer?: boolean;
}

/** "2026-03-02 10:00:00 +01:00": the instant as the callee's clock showed it. */
export function localTime(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone }).toFormat('yyyy-MM-dd HH:mm:ss ZZ');
}

export function reportRow(c: ReportContact): string[] {
  const attempts = [...c.attempts].sort((a, b) => a.attempt - b.attempt);
  const last = attempts[attempts.length - 1];
  const ev = (last?.basisEvidence ?? {}) as Evidence;
  const skipped = c.state === 'skipped';
  // A contact dialed once may be skipped at a later attempt (opted out, cap reached): both are said.
  const decision = attempts.length ? (skipped ? 'dialed_then_skipped' : 'dialed') : skipped ? 'skipped' : 'not_dialed';
  const basisRule = last?.legalBasis ? BASIS_RULE[last.legalBasis] : '';
  const rule = attempts.length
    ? (skipped ? `${basisRule}, then skipped: ${c.skipReason ?? ''}` : basisRule)
    : skipped ? (c.skipReason ?? '') : `not dialed yet (${c.state})`;
  return [
    c.contactId, c.phone, c.timeZone, decision, rule, last?.legalBasis ?? '',
    ev.consentGivenAt ?? '', ev.consentSource ?? '', ev.consentWordingVersion ?? '', ev.consentProof ?? '',
    last ? (ev.existingCustomer ? 'oui' : 'non') : '',
    String(attempts.length),
    attempts.map((a) => localTime(a.dialedAt, c.timeZone)).join(' | '),
    c.lastOutcome ?? '',
  ];
}

/** CSV text of some rows; `header` (and the BOM) only for the first chunk of a file. */
export function reportCsv(rows: ReportContact[], opts: { header: boolean }): string {
  return spreadsheetCsv(rows.map(reportRow), REPORT_COLUMNS, opts);
}
