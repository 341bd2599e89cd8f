// French public holidays (jours fériés), computed, per territory.
// Hand-written on purpose: this runs inside Temporal's deterministic workflow sandbox on every scheduling
// decision, and the general-purpose library (date-holidays) pulls megabytes of rules for every country plus
// its own timezone machinery into the workflow bundle. The French rules are short and stable: eight fixed
// dates plus three that follow Easter, two more in Alsace-Moselle, one (or two) per overseas territory. A unit
// test cross-checks every territory against date-holidays over 2010-2045.
//
// Sources:
// - Metropolitan list: Code du travail, L.3133-1. Alsace-Moselle (57, 67, 68): L.3134-13 adds Good Friday and
//   26 December.
// - Day of the abolition of slavery: loi n° 83-550 du 30 juin 1983 and décret n° 83-1003 du 23 novembre 1983,
//   article 1, as amended by décret n° 2012-553 du 23 avril 2012 (which added Saint-Barthélemy and Saint-Martin):
//   Guadeloupe 27 May, Guyane 10 June, Martinique 22 May, Mayotte 27 April, La Réunion 20 December,
//   Saint-Barthélemy 9 October, Saint-Martin 27 May.
// - Saint-Martin: the territorial council's deliberation of 5 November 2015 moved the commemoration to 28 May
//   (the day the abolition was proclaimed on the island); since 2018 the interministerial circulars on slavery
//   commemorations (e.g. 3 May 2019) let it be held on 28 May, which the préfecture declares a public holiday
//   (Code du travail L.3422-2), while the décret's text still reads 27 May. A dialer must not call on either:
//   both days are holidays here.
// - Guadeloupe and Martinique also observe Good Friday (a local public holiday, listed by date-holidays too);
//   not dialing on it is the safe side.
// - Saint-Pierre-et-Miquelon is not in décret n° 83-1003: the metropolitan list only.

/** Where a callee lives, as far as holidays go (ISO country of the territory; FR split for Alsace-Moselle). */
export type Territory = 'FR' | 'FR-ALSACE-MOSELLE' | 'GP' | 'MQ' | 'GF' | 'RE' | 'YT' | 'PM' | 'BL' | 'MF';
/** Former name, kept for callers written before the overseas territories were added. */
export type HolidayRegion = Territory;

export const TERRITORY_NAMES: Record<Territory, string> = {
  FR: 'France métropolitaine', 'FR-ALSACE-MOSELLE': 'Alsace-Moselle', GP: 'Guadeloupe', MQ: 'Martinique', GF: 'Guyane',
  RE: 'La Réunion', YT: 'Mayotte', PM: 'Saint-Pierre-et-Miquelon', BL: 'Saint-Barthélemy', MF: 'Saint-Martin',
};

/** Abolition of slavery (décret n° 83-1003 art. 1 as amended): [month, day] per territory. */
const ABOLITION: Partial<Record<Territory, [number, number][]>> = {
  GP: [[5, 27]], MQ: [[5, 22]], GF: [[6, 10]], RE: [[12, 20]], YT: [[4, 27]], BL: [[10, 9]], MF: [[5, 27], [5, 28]],
};
const GOOD_FRIDAY: ReadonlySet<Territory> = new Set(['FR-ALSACE-MOSELLE', 'GP', 'MQ']);

/** Easter Sunday (Gregorian), as [month 1-12, day], by the anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
export function easterSunday(year: number): [number, number] {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

function iso(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function plusDays(year: number, month: number, day: number, n: number): string {
  const t = new Date(Date.UTC(year, month - 1, day + n));
  return iso(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

const cache = new Map<string, Map<string, string>>();

/** The public holidays of a year in a territory: ISO date (YYYY-MM-DD) → name. */
export function frenchHolidays(year: number, territory: Territory = 'FR'): Map<string, string> {
  const key = `${territory}:${year}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const [em, ed] = easterSunday(year);
  const days = new Map<string, string>([
    [iso(year, 1, 1), "Jour de l'an"],
    [plusDays(year, em, ed, 1), 'Lundi de Pâques'],
    [iso(year, 5, 1), 'Fête du Travail'],
    [iso(year, 5, 8), 'Victoire 1945'],
    [plusDays(year, em, ed, 39), 'Ascension'],
    [plusDays(year, em, ed, 50), 'Lundi de Pentecôte'],
    [iso(year, 7, 14), 'Fête nationale'],
    [iso(year, 8, 15), 'Assomption'],
    [iso(year, 11, 1), 'Toussaint'],
    [iso(year, 11, 11), 'Armistice 1918'],
    [iso(year, 12, 25), 'Noël'],
  ]);
  if (GOOD_FRIDAY.has(territory)) days.set(plusDays(year, em, ed, -2), 'Vendredi saint');
  if (territory === 'FR-ALSACE-MOSELLE') days.set(iso(year, 12, 26), 'Saint-Étienne');
  for (const [m, d] of ABOLITION[territory] ?? []) days.set(iso(year, m, d), "Abolition de l'esclavage");
  cache.set(key, days);
  return days;
}

/** The holiday's name when the local calendar date `isoDate` (YYYY-MM-DD) is a public holiday, else null. */
export function holidayName(isoDate: string, territory: Territory = 'FR'): string | null {
  return frenchHolidays(Number(isoDate.slice(0, 4)), territory).get(isoDate) ?? null;
}

/** Is the local calendar date `isoDate` (YYYY-MM-DD) a public holiday? */
export function isFrenchHoliday(isoDate: string, territory: Territory = 'FR'): boolean {
  return holidayName(isoDate, territory) !== null;
}
