// A campaign's leads as they leave MiniBot (`minibot leads export`, GET /campaigns/:id/leads): who, which call,
// what they answered at each step, and when they asked to be called back. Pure: the caller reads the records.
import { spreadsheetCsv } from './spreadsheet-csv';

export interface LeadAnswer {
  turn: number;
  step: string;
  transcript: string;
  intent: string | null;
  confidence: number | null;
}

export interface LeadRecord {
  callId: string;
  campaignId: string;
  contact: { id: string; phone: string; lastName: string | null; firstName: string | null; email: string | null; departement: string | null };
  attempt: number;
  dialedAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  talkDurationMs: number | null;
  callbackAt: Date | null;
  answers: LeadAnswer[];
  /** The answers the scenario kept as named fields (`capture:` in its file), by field. */
  captures: Record<string, LeadCapture>;
}

export interface LeadCapture {
  /** What was read from the answer: a number, an ISO date/time, a yes/no, or the text; null when unreadable. */
  value: string | number | boolean | null;
  transcript: string | null;
  intent: string | null;
  step: string;
  turn: number;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The JSON form (API and JSON Lines): snake_case like the rest of the API. */
export function leadJson(l: LeadRecord) {
  return {
    call_id: l.callId, campaign_id: l.campaignId,
    contact: {
      id: l.contact.id, phone: l.contact.phone, last_name: l.contact.lastName, first_name: l.contact.firstName,
      email: l.contact.email, departement: l.contact.departement,
    },
    attempt: l.attempt, dialed_at: iso(l.dialedAt), answered_at: iso(l.answeredAt), ended_at: iso(l.endedAt),
    talk_duration_ms: l.talkDurationMs, callback_at: iso(l.callbackAt),
    answers: [...l.answers].sort((a, b) => a.turn - b.turn).map((a) => ({ turn: a.turn, step: a.step, transcript: a.transcript, intent: a.intent, confidence: a.confidence })),
    captures: Object.fromEntries(Object.entries(l.captures ?? {}).map(([k, c]) => [k, { value: c.value, transcript: c.transcript, intent: c.intent, step: c.step, turn: c.turn }])),
  };
}

export const LEAD_COLUMNS = [
  'call_id', 'contact_id', 'phone', 'last_name', 'first_name', 'email', 'departement', 'attempt', 'dialed_at', 'answered_at',
  'ended_at', 'talk_seconds', 'callback_at', 'answers', 'captures',
] as const;

/**
 * One row per lead. The answers share one cell, turn by turn ("q1: oui, très intéressé [affirm] | q2: …"): the
 * steps differ between scenarios, and one column per step would make files of two scenarios incompatible.
 */
export function leadRow(l: LeadRecord): string[] {
  const answers = [...l.answers].sort((a, b) => a.turn - b.turn).map((a) => `${a.step}: ${a.transcript}${a.intent ? ` [${a.intent}]` : ''}`);
  return [
    l.callId, l.contact.id, l.contact.phone, l.contact.lastName ?? '', l.contact.firstName ?? '', l.contact.email ?? '',
    l.contact.departement ?? '', String(l.attempt), iso(l.dialedAt)!, iso(l.answeredAt) ?? '', iso(l.endedAt) ?? '',
    l.talkDurationMs === null ? '' : (l.talkDurationMs / 1000).toFixed(1), iso(l.callbackAt) ?? '', answers.join(' | '),
    // One cell too, for the same reason: "surface_m2=120 | proprietaire=oui".
    Object.entries(l.captures ?? {}).map(([k, c]) => `${k}=${c.value === true ? 'oui' : c.value === false ? 'non' : c.value ?? ''}`).join(' | '),
  ];
}

export function leadsCsv(leads: LeadRecord[], opts: { header: boolean }): string {
  return spreadsheetCsv(leads.map(leadRow), LEAD_COLUMNS, opts);
}

export function leadsJsonl(leads: LeadRecord[]): string {
  return leads.map((l) => JSON.stringify(leadJson(l)) + '\n').join('');
}
