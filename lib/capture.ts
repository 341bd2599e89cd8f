// Captured answers: a scenario step may keep the callee's answer as a named field (`capture: { field: surface,
// value: number }`). The value is read from the transcript (and the intent) by the pure extractors below; the
// call workflow stores it with the turn, and the leads export shows it. Hand-written: no maintained library
// reads spoken French numbers from ASR output (Vosk writes "cent vingt" as words); dates reuse the callback
// time reader (lib/intent/callback-time.ts).
import type { Intent } from './intent/types';
import { extractCallbackTime } from './intent/callback-time';
import { normalize } from './intent/normalize';

export const CAPTURE_KINDS = ['text', 'number', 'datetime', 'yes_no'] as const;
export type CaptureKind = (typeof CAPTURE_KINDS)[number];

export interface CapturedAnswer {
  field: string;
  kind: CaptureKind;
  transcript: string | null;
  intent: string | null;
  /** text: the transcript; number: a number; datetime: ISO 8601 with offset; yes_no: a boolean; null when unread. */
  value: string | number | boolean | null;
}

const UNITS: Record<string, number> = {
  zero: 0, un: 1, une: 1, deux: 2, trois: 3, quatre: 4, cinq: 5, six: 6, sept: 7, huit: 8, neuf: 9, dix: 10,
  onze: 11, douze: 12, treize: 13, quatorze: 14, quinze: 15, seize: 16, vingt: 20, trente: 30, quarante: 40,
  cinquante: 50, soixante: 60, septante: 70, huitante: 80, octante: 80, nonante: 90,
};
const SCALES: Record<string, number> = { mille: 1000, million: 1e6, millions: 1e6, milliard: 1e9, milliards: 1e9 };

/**
 * The first number said in `text`: digits ("120", "1 500", "2,5") or French words ("cent vingt", "quatre-vingt-dix",
 * "deux mille cinq cents", "soixante et onze"). Null when there is none.
 */
export function extractNumber(text: string): number | null {
  const digits = /(\d{1,3}(?:[  ]\d{3})+|\d+)(?:[,.](\d+))?/.exec(text);
  const tokens = normalize(text).split(' ').filter(Boolean);
  const wordsAt = tokens.findIndex((t) => t in UNITS || t === 'vingts' || t === 'cent' || t === 'cents' || t in SCALES);
  const digitsFirst = digits && (wordsAt < 0 || normalize(text.slice(0, digits.index)).split(' ').filter(Boolean).length <= wordsAt);
  if (digitsFirst) return Number(digits[1]!.replace(/[  ]/g, '') + (digits[2] ? `.${digits[2]}` : ''));
  if (wordsAt < 0) return null;
  let total = 0;
  let group = 0;
  let seen = false;
  for (let i = wordsAt; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === 'et' && seen && tokens[i + 1] && tokens[i + 1]! in UNITS) continue;
    if (t === 'vingt' || t === 'vingts') {
      group += group % 100 === 4 ? 76 : 20; // "quatre vingt(s)" is 4 × 20
      seen = true;
    } else if (t in UNITS) {
      group += UNITS[t]!; // "soixante dix" is 60 + 10
      seen = true;
    } else if (t === 'cent' || t === 'cents') {
      group = (group || 1) * 100;
      seen = true;
    } else if (t in SCALES) {
      total += (group || 1) * SCALES[t]!;
      group = 0;
      seen = true;
    } else break;
  }
  return seen ? total + group : null;
}

const YES = new Set(['oui', 'ok', 'daccord', 'absolument', 'exactement', 'tout a fait', 'bien sur', 'affirmatif', 'volontiers', 'certainement']);
const NO = new Set(['non', 'pas du tout', 'jamais', 'aucunement', 'negatif']);

/** Yes or no: the intent when it says so (affirm / deny), else the first plain yes or no word. Null otherwise. */
export function extractYesNo(text: string, intent: Intent | string | null): boolean | null {
  if (intent === 'affirm') return true;
  if (intent === 'deny') return false;
  const t = ` ${normalize(text)} `;
  let best: { at: number; v: boolean } | null = null;
  for (const [set, v] of [[YES, true], [NO, false]] as const) {
    for (const w of set) {
      const at = t.indexOf(` ${w} `);
      if (at >= 0 && (!best || at < best.at)) best = { at, v };
    }
  }
  return best?.v ?? null;
}

/** A date/time said in `text` ("demain à 18 heures", "lundi matin", "dans deux jours"), ISO 8601 in `timeZone`. */
export function extractDateTime(text: string, now: Date, timeZone: string): string | null {
  return extractCallbackTime(text, now, timeZone)?.at ?? null;
}

/** The answer to keep for a step's capture. `now` is the call's time (workflow time), `timeZone` the callee's. */
export function captureAnswer(
  c: { field: string; kind: CaptureKind },
  answer: { transcript: string | null; intent: string | null; dtmf?: string },
  now: Date,
  timeZone: string,
): CapturedAnswer {
  const text = answer.transcript ?? (answer.dtmf ?? '');
  let value: CapturedAnswer['value'] = null;
  if (c.kind === 'yes_no') value = extractYesNo(text, answer.intent);
  else if (text.trim() === '') value = null;
  else if (c.kind === 'number') value = extractNumber(text);
  else if (c.kind === 'datetime') value = extractDateTime(text, now, timeZone);
  else value = text.trim();
  return { field: c.field, kind: c.kind, transcript: answer.transcript, intent: answer.intent, value };
}
