// Where a callee is: the territory (for its public holidays) and the IANA time zone (for its local hours).
// Pure. The zone comes from the number's territory (lib/phone.ts) unless the contact has an address
// département, which wins (a mobile number keeps its prefix when its owner moves). Saint-Barthélemy and
// Saint-Martin use 971xx postal codes like Guadeloupe, so a 971 address does not override their own numbers.
import { timeZoneOfCountry } from './phone';
import { timeZoneOfDepartement } from './departement';
import type { Territory } from './holidays';

export interface Callee {
  territory: Territory;
  timeZone: string;
}

const ZONE_TERRITORY: Record<string, Territory> = {
  'Europe/Paris': 'FR', 'Indian/Reunion': 'RE', 'America/Guadeloupe': 'GP', 'America/Martinique': 'MQ',
  'America/Cayenne': 'GF', 'Indian/Mayotte': 'YT', 'America/Miquelon': 'PM', 'America/St_Barthelemy': 'BL',
  'America/Marigot': 'MF',
};
const ALSACE_MOSELLE = new Set(['57', '67', '68']);

/** The callee's time zone from the number's country and the address département (null when unknown). */
export function calleeTimeZone(departement: string | null, phoneCountry: string | null): string {
  if (departement === '971' && (phoneCountry === 'BL' || phoneCountry === 'MF')) return timeZoneOfCountry(phoneCountry);
  return timeZoneOfDepartement(departement) ?? timeZoneOfCountry(phoneCountry ?? 'FR');
}

/** The callee's territory from its (stored) time zone and département. Unknown zones count as metropolitan. */
export function calleeOf(c: { timeZone: string; departement: string | null }): Callee {
  const base = ZONE_TERRITORY[c.timeZone] ?? 'FR';
  const territory: Territory = base === 'FR' && c.departement && ALSACE_MOSELLE.has(c.departement) ? 'FR-ALSACE-MOSELLE' : base;
  return { territory, timeZone: c.timeZone };
}

/** SQL-side grouping key of a callee (zone + Alsace-Moselle flag), so that activities can group contacts. */
export function isAlsaceMoselle(departement: string | null): boolean {
  return departement !== null && ALSACE_MOSELLE.has(departement);
}

/** The callee of a group of contacts sharing a zone and the Alsace-Moselle flag (how activities group them). */
export function calleeOfGroup(timeZone: string, alsaceMoselle: boolean): Callee {
  return calleeOf({ timeZone, departement: alsaceMoselle ? '67' : null });
}
