import { test } from 'node:test';
import assert from 'node:assert/strict';
import Holidays from 'date-holidays';
import { FRENCH_LEGAL_WINDOW, currentClosing, isOpen, nextOpening, validateWindow, windowFromSchedule } from '../../lib/calling-window';
import { easterSunday, frenchHolidays, isFrenchHoliday } from '../../lib/holidays';

const paris = (iso: string) => new Date(iso); // ISO strings below carry their offset

test('legal window: weekday mornings and afternoons only, not at lunch, not in the evening', () => {
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-11-24T10:00:00+01:00')), true); // Tuesday 10:00
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-11-24T09:59:59+01:00')), false);
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-11-24T13:00:00+01:00')), false); // lunch break
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-11-24T14:00:00+01:00')), true);
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-11-24T19:59:59+01:00')), true);
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-11-24T20:00:00+01:00')), false);
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-11-28T11:00:00+01:00')), false); // Saturday
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-11-29T11:00:00+01:00')), false); // Sunday
});

test('legal window: closed on public holidays', () => {
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-11-11T11:00:00+01:00')), false); // Armistice, a Wednesday
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-05-14T11:00:00+02:00')), false); // Ascension 2026
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-05-25T11:00:00+02:00')), false); // Whit Monday 2026
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, paris('2026-05-26T11:00:00+02:00')), true);
});

test('the window is read in its own time zone, not the server one', () => {
  // 09:30 UTC in winter is 10:30 in Paris: open.
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, new Date('2026-11-24T09:30:00Z')), true);
  // Réunion (UTC+4): 10:30 there is 06:30 UTC.
  const reunion = { ...FRENCH_LEGAL_WINDOW, timeZone: 'Indian/Reunion' };
  assert.equal(isOpen(reunion, new Date('2026-11-24T06:30:00Z')), true);
  assert.equal(isOpen(FRENCH_LEGAL_WINDOW, new Date('2026-11-24T06:30:00Z')), false);
});

test('nextOpening: after the lunch break, the next morning, over a weekend and a holiday', () => {
  assert.equal(nextOpening(FRENCH_LEGAL_WINDOW, paris('2026-11-24T13:10:00+01:00'))!.toISOString(), '2026-11-24T13:00:00.000Z');
  assert.equal(nextOpening(FRENCH_LEGAL_WINDOW, paris('2026-11-24T20:30:00+01:00'))!.toISOString(), '2026-11-25T09:00:00.000Z');
  // Friday evening → Monday 10:00
  assert.equal(nextOpening(FRENCH_LEGAL_WINDOW, paris('2026-11-27T21:00:00+01:00'))!.toISOString(), '2026-11-30T09:00:00.000Z');
  // Thursday 24 Dec evening → Friday 25 is Christmas → Monday 28 Dec
  assert.equal(nextOpening(FRENCH_LEGAL_WINDOW, paris('2026-12-24T20:30:00+01:00'))!.toISOString(), '2026-12-28T09:00:00.000Z');
  // open now → now
  const now = paris('2026-11-24T11:00:00+01:00');
  assert.equal(nextOpening(FRENCH_LEGAL_WINDOW, now), now);
});

test('nextOpening across the spring DST change keeps local 10:00', () => {
  // Sunday 29 March 2026 clocks go forward; Monday 30 March 10:00 Paris is 08:00 UTC.
  assert.equal(nextOpening(FRENCH_LEGAL_WINDOW, paris('2026-03-27T21:00:00+01:00'))!.toISOString(), '2026-03-30T08:00:00.000Z');
});

test('currentClosing gives the end of the open range', () => {
  assert.equal(currentClosing(FRENCH_LEGAL_WINDOW, paris('2026-11-24T11:00:00+01:00'))!.toISOString(), '2026-11-24T12:00:00.000Z');
  assert.equal(currentClosing(FRENCH_LEGAL_WINDOW, paris('2026-11-24T13:30:00+01:00')), null);
});

test('windowFromSchedule splits a day around its break; seconds are honoured', () => {
  const w = windowFromSchedule({ start: '09:00', end: '18:00', breakStart: '12:30', breakEnd: '13:30', days: [1, 2, 3, 4, 5, 6, 7], timeZone: 'UTC', excludeHolidays: false });
  assert.deepEqual(w.ranges, [{ start: '09:00', end: '12:30' }, { start: '13:30', end: '18:00' }]);
  const s = windowFromSchedule({ start: '10:00:05', end: '10:00:10', days: [1, 2, 3, 4, 5, 6, 7], timeZone: 'UTC', excludeHolidays: false });
  assert.equal(isOpen(s, new Date('2026-11-24T10:00:04Z')), false);
  assert.equal(isOpen(s, new Date('2026-11-24T10:00:05Z')), true);
  assert.equal(nextOpening(s, new Date('2026-11-24T10:00:01Z'))!.toISOString(), '2026-11-24T10:00:05.000Z');
});

test('validateWindow names the bad field', () => {
  const errs = validateWindow({ ranges: [{ start: '25:00', end: '10:00' }, { start: '12:00', end: '11:00' }], days: [0, 8], timeZone: 'Mars/Olympus', excludeHolidays: true });
  assert.ok(errs.some((e) => e.startsWith('timezone:')));
  assert.ok(errs.some((e) => e.startsWith('days: 0')));
  assert.ok(errs.some((e) => e.startsWith('ranges[0].start')));
  assert.ok(errs.some((e) => e.startsWith('ranges[1]: start 12:00 must be before end 11:00')));
  assert.deepEqual(validateWindow(FRENCH_LEGAL_WINDOW), []);
});

test('French holidays agree with the date-holidays library, 2020-2040', () => {
  const hd = new Holidays('FR');
  for (let y = 2020; y <= 2040; y++) {
    const theirs = new Set(hd.getHolidays(y).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
    const ours = new Set(frenchHolidays(y).keys());
    assert.deepEqual([...ours].sort(), [...theirs].sort(), `year ${y}`);
  }
});

test('Easter and Alsace-Moselle extras', () => {
  assert.deepEqual(easterSunday(2026), [4, 5]);
  assert.deepEqual(easterSunday(2027), [3, 28]);
  assert.equal(isFrenchHoliday('2026-04-03'), false);
  assert.equal(isFrenchHoliday('2026-04-03', 'FR-ALSACE-MOSELLE'), true); // Good Friday
  assert.equal(isFrenchHoliday('2026-12-26', 'FR-ALSACE-MOSELLE'), true);
});
