// The caller ID a canvassing call may present (France). Pure: the number to check is a parameter.
//
// ARCEP decision n° 2022-1583 of 1 September 2022 (amending the national numbering plan, decision 2018-0881),
// in force since 1 January 2023: calls and messages from automated systems, and canvassing calls, may no longer
// present a geographic (01-05), mobile (06/07) or ordinary 09 number; they must present a number from the
// ranges ARCEP dedicates to them ("numéros polyvalents vérifiés"), so that a callee knows before answering:
//   metropolitan France: 01 62, 01 63, 02 70, 02 71, 03 77, 03 78, 04 24, 04 25, 05 68, 05 69, 09 48, 09 49;
//   overseas: 09 475 (Guadeloupe, Saint-Martin, Saint-Barthélemy), 09 476 (Guyane), 09 477 (Martinique),
//   09 478 and 09 479 (La Réunion, Mayotte).
// Sources: JORF text of decision 2022-1583 (legifrance, JORFARTI000046830295); ARCEP / DILA notices of
// January 2023 listing the same prefixes.
import { normalizeFrenchPhone } from './phone';

export interface CanvassingRange {
  /** National prefix as people read it ("0162"). */
  prefix: string;
  territory: string;
}

export const CANVASSING_RANGES: readonly CanvassingRange[] = [
  ...['0162', '0163', '0270', '0271', '0377', '0378', '0424', '0425', '0568', '0569', '0948', '0949'].map((prefix) => ({ prefix, territory: 'France métropolitaine' })),
  { prefix: '09475', territory: 'Guadeloupe, Saint-Martin, Saint-Barthélemy' },
  { prefix: '09476', territory: 'Guyane' },
  { prefix: '09477', territory: 'Martinique' },
  { prefix: '09478', territory: 'La Réunion, Mayotte' },
  { prefix: '09479', territory: 'La Réunion, Mayotte' },
];

/** The allowed prefixes, for error messages: "0162, 0163, …, 09479". */
export const CANVASSING_RANGES_TEXT = CANVASSING_RANGES.map((r) => r.prefix).join(', ');

export type CallerIdCheck =
  | { ok: true; e164: string; range: CanvassingRange }
  | { ok: false; reason: string };

/**
 * May a canvassing call present `callerId`? Any French spelling is accepted (0162…, +33 1 62…, 0033…);
 * the number must be a valid French number in one of ARCEP's canvassing ranges.
 */
export function checkCanvassingCallerId(callerId: string | null | undefined): CallerIdCheck {
  const allowed = `canvassing calls must present a number in ARCEP's dedicated ranges (decision n° 2022-1583): ${CANVASSING_RANGES_TEXT}`;
  if (!callerId || callerId.trim() === '') return { ok: false, reason: `no caller ID set; ${allowed}` };
  const p = normalizeFrenchPhone(callerId);
  if (!p.ok || !p.e164.startsWith('+33')) return { ok: false, reason: `"${callerId}" is not a number of the French national plan (+33)${p.ok ? '' : ` (${p.reason})`}; ${allowed}` };
  const national = '0' + p.e164.slice(3);
  const range = CANVASSING_RANGES.find((r) => national.startsWith(r.prefix));
  if (!range) return { ok: false, reason: `${national} is outside the canvassing ranges; ${allowed}` };
  return { ok: true, e164: p.e164, range };
}
