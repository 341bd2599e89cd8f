// Calling-window rules: when a campaign may dial. Pure and deterministic (used inside workflows).
// The default is the French legal window for canvassing calls (Code de la consommation, D.223-9 as amended):
// Monday to Friday, 10:00-13:00 and 14:00-20:00, never on a public holiday. A campaign's window is read in
// each callee's local time and with its territory's holidays (`forCallee`).
import { DateTime } from 'luxon';
import { holidayName, isFrenchHoliday, TERRITORY_NAMES, type HolidayRegion, type Territory } from './holidays';

export interface TimeRange {
  start: string; // "HH:MM", local time
  end: string; // "HH:MM", exclusive
}

export interface CallingWindow {
  ranges: TimeRange[];
  days: number[]; // ISO weekdays, 1 = Monday … 7 = Sunday
  timeZone: string;
  excludeHolidays: boolean;
  holidayRegion?: HolidayRegion;
}

export const FRENCH_LEGAL_WINDOW: CallingWindow = {
  ranges: [
    { start: '10:00', end: '13:00' },
    { start: '14:00', end: '20:00' },
  ],
  days: [1, 2, 3, 4, 5],
  timeZone: 'Europe/Paris',
  excludeHolidays: true,
};

// "HH:MM", or "HH:MM:SS" for windows that must open at a precise second (tests, demos).
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

/** Seconds since local midnight. */
function secs(hhmm: string): number {
  const m = HHMM.exec(hhmm);
  if (!m) throw new Error(`invalid time "${hhmm}" (expected HH:MM)`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
}

function localSecs(local: DateTime): number {
  return local.hour * 3600 + local.minute * 60 + local.second;
}

function atLocal(local: DateTime, s: number): DateTime {
  return local.startOf('day').set({ hour: Math.floor(s / 3600), minute: Math.floor(s / 60) % 60, second: s % 60 });
}

/** Checks a window and returns the list of problems, each naming its field. */
export function validateWindow(w: CallingWindow): string[] {
  const errors: string[] = [];
  if (!DateTime.now().setZone(w.timeZone).isValid) errors.push(`timezone: unknown time zone "${w.timeZone}"`);
  if (w.days.length === 0) errors.push('days: at least one weekday is required');
  for (const d of w.days) if (!Number.isInteger(d) || d < 1 || d > 7) errors.push(`days: ${d} is not an ISO weekday (1-7)`);
  if (w.ranges.length === 0) errors.push('ranges: at least one time range is required');
  w.ranges.forEach((r, i) => {
    for (const k of ['start', 'end'] as const) {
      if (!HHMM.test(r[k])) errors.push(`ranges[${i}].${k}: "${r[k]}" is not HH:MM or HH:MM:SS`);
    }
    if (HHMM.test(r.start) && HHMM.test(r.end) && secs(r.start) >= secs(r.end)) {
      errors.push(`ranges[${i}]: start ${r.start} must be before end ${r.end}`);
    }
  });
  return errors;
}

/**
 * Builds a window from a campaign's settings: a start/end with an optional break inside it
 * (e.g. 10:00-20:00 with a 13:00-14:00 break → two ranges).
 */
export function windowFromSchedule(s: {
  start: string;
  end: string;
  breakStart?: string | null;
  breakEnd?: string | null;
  days?: number[];
  timeZone?: string;
  excludeHolidays?: boolean;
}): CallingWindow {
  let ranges: TimeRange[] = [{ start: s.start, end: s.end }];
  if (s.breakStart && s.breakEnd && HHMM.test(s.breakStart) && HHMM.test(s.breakEnd) && HHMM.test(s.start) && HHMM.test(s.end)) {
    const [a, b, bs, be] = [secs(s.start), secs(s.end), secs(s.breakStart), secs(s.breakEnd)];
    if (bs > a && be < b && bs < be) ranges = [{ start: s.start, end: s.breakStart }, { start: s.breakEnd, end: s.end }];
  }
  return {
    ranges,
    days: s.days ?? FRENCH_LEGAL_WINDOW.days,
    timeZone: s.timeZone ?? 'Europe/Paris',
    excludeHolidays: s.excludeHolidays ?? true,
  };
}

/** The campaign's window as it applies to one callee: its hours in the callee's zone, its territory's holidays. */
export function forCallee(w: CallingWindow, callee: { timeZone: string; territory: Territory }): CallingWindow {
  return { ...w, timeZone: callee.timeZone, holidayRegion: callee.territory };
}

export interface WindowState {
  open: boolean;
  /** Why it is closed: a public holiday of the callee's territory, or the hours/weekday. */
  closedBy: 'public_holiday' | 'outside_local_hours' | null;
  holiday: string | null;
  /** Local wall time at that instant, ISO 8601 with offset (e.g. 2026-11-24T10:30:00.000+04:00). */
  localTime: string;
  nextOpening: Date | null;
}

/** Local wall time of `at` in `zone`, ISO 8601 with its offset. */
export function localTimeIn(zone: string, at: Date): string {
  return DateTime.fromJSDate(at, { zone }).toISO() ?? at.toISOString();
}

/** Everything about the window at `at`: open or not, why not, the local time, the next opening. */
export function windowState(w: CallingWindow, at: Date): WindowState {
  const local = DateTime.fromJSDate(at, { zone: w.timeZone });
  const open = isOpen(w, at);
  const h = w.excludeHolidays ? holidayName(local.toISODate() ?? '', w.holidayRegion) : null;
  const place = TERRITORY_NAMES[w.holidayRegion ?? 'FR'];
  return {
    open,
    closedBy: open ? null : h && w.days.includes(local.weekday) ? 'public_holiday' : 'outside_local_hours',
    holiday: h ? `${h} (${place})` : null,
    localTime: localTimeIn(w.timeZone, at),
    nextOpening: open ? at : nextOpening(w, at),
  };
}

/** D.223-9 Code de la consommation, as amended by décret n° 2022-1313 (canvassing calls). */
export const LEGAL_RULE = 'D.223-9 Code de la consommation: commercial calls only Monday-Friday 10:00-13:00 and 14:00-20:00 (callee\'s local time), public holidays excluded';

/**
 * A commercial campaign's schedule must lie inside the legal window. Returns the problems, each naming the
 * schedule field at fault (start_time, end_time, break_start, break_end, days, exclude_holidays).
 */
export function commercialScheduleErrors(s: {
  start: string; end: string; breakStart?: string | null; breakEnd?: string | null; days: number[]; excludeHolidays: boolean;
}): { field: string; reason: string }[] {
  const out: { field: string; reason: string }[] = [];
  const add = (field: string, why: string) => {
    if (!out.some((e) => e.field === field)) out.push({ field, reason: `${why}; ${LEGAL_RULE}` });
  };
  if (!HHMM.test(s.start) || !HHMM.test(s.end)) return out; // format errors are reported by validateWindow
  const w = windowFromSchedule({ start: s.start, end: s.end, breakStart: s.breakStart, breakEnd: s.breakEnd, days: s.days });
  const split = w.ranges.length === 2;
  const [am, pmStart, pmEnd, lunch] = [secs('10:00'), secs('14:00'), secs('20:00'), secs('13:00')];
  w.ranges.forEach((r, i) => {
    const [a, b] = [secs(r.start), secs(r.end)];
    if (a < am) add(i === 0 ? 'schedule.start_time' : 'schedule.break_end', `${r.start} is before 10:00`);
    if (b > pmEnd) add(i === w.ranges.length - 1 ? 'schedule.end_time' : 'schedule.break_start', `${r.end} is after 20:00`);
    if (a < pmStart && b > lunch) {
      if (!split) add('schedule.break_start', `calls between 13:00 and 14:00 (${r.start}-${r.end} has no lunch break)`);
      else if (i === 0) add('schedule.break_start', `calls until ${r.end}, after 13:00`);
      else add('schedule.break_end', `calls from ${r.start}, before 14:00`);
    }
  });
  const weekend = s.days.filter((d) => d === 6 || d === 7);
  if (weekend.length) add('schedule.days', `${weekend.map((d) => (d === 6 ? 'Saturday (6)' : 'Sunday (7)')).join(' and ')} not allowed`);
  if (!s.excludeHolidays) add('schedule.exclude_holidays', 'public holidays must be excluded');
  return out;
}

function dayAllowed(w: CallingWindow, local: DateTime): boolean {
  if (!w.days.includes(local.weekday)) return false;
  if (w.excludeHolidays && isFrenchHoliday(local.toISODate() ?? '', w.holidayRegion)) return false;
  return true;
}

/** Is dialing allowed at `at`? */
export function isOpen(w: CallingWindow, at: Date): boolean {
  const local = DateTime.fromJSDate(at, { zone: w.timeZone });
  if (!dayAllowed(w, local)) return false;
  const m = localSecs(local);
  return w.ranges.some((r) => m >= secs(r.start) && m < secs(r.end));
}

/** The next instant at or after `from` when the window is open (`from` itself when open). Null if never (within 400 days). */
export function nextOpening(w: CallingWindow, from: Date): Date | null {
  if (isOpen(w, from)) return from;
  let local = DateTime.fromJSDate(from, { zone: w.timeZone });
  const sorted = [...w.ranges].sort((a, b) => secs(a.start) - secs(b.start));
  for (let i = 0; i < 400; i++) {
    if (dayAllowed(w, local)) {
      for (const r of sorted) {
        const start = atLocal(local, secs(r.start));
        // DST gaps: luxon moves a nonexistent local time forward, which is what we want.
        if (start.toMillis() >= from.getTime()) return start.toJSDate();
      }
    }
    local = local.plus({ days: 1 }).startOf('day');
  }
  return null;
}

/** When the currently open range closes (null when closed now). */
export function currentClosing(w: CallingWindow, at: Date): Date | null {
  if (!isOpen(w, at)) return null;
  const local = DateTime.fromJSDate(at, { zone: w.timeZone });
  const m = localSecs(local);
  const r = w.ranges.find((x) => m >= secs(x.start) && m < secs(x.end));
  return r ? atLocal(local, secs(r.end)).toJSDate() : null;
}
