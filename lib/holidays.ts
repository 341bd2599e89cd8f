// French public holidays (jours fériés), computed.
// Hand-written on purpose: this runs inside Temporal's deterministic workflow sandbox on every scheduling
// decision, and the general-purpose library (date-holidays) pulls megabytes of rules for every country plus
// its own timezone machinery into the workflow bundle. The French rules are short and stable: eight fixed
// dates plus three that follow Easter, two more in Alsace-Moselle. A unit test cross-checks this against
// date-holidays for many years.

export type HolidayRegion = 'FR' | 'FR-ALSACE-MOSELLE';

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

/** The public holidays of a year: ISO date (YYYY-MM-DD) → name. */
export function frenchHolidays(year: number, region: HolidayRegion = 'FR'): Map<string, string> {
  const key = `${region}:${year}`;
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
  if (region === 'FR-ALSACE-MOSELLE') {
    days.set(plusDays(year, em, ed, -2), 'Vendredi saint');
    days.set(iso(year, 12, 26), 'Saint-Étienne');
  }
  cache.set(key, days);
  return days;
}

/** Is the local calendar date `isoDate` (YYYY-MM-DD) a public holiday? */
export function isFrenchHoliday(isoDate: string, region: HolidayRegion = 'FR'): boolean {
  return frenchHolidays(Number(isoDate.slice(0, 4)), region).has(isoDate);
}
