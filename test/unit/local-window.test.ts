// The law per callee: calling hours in the callee's local time, holidays per territory, commercial schedules
// inside D.223-9, and the explained decision (can-dial). Pure functions, boundary instants.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Holidays from 'date-holidays';
import { FRENCH_LEGAL_WINDOW, commercialScheduleErrors, windowFromSchedule } from '../../lib/calling-window';
import { dialDecision, explainDial, type DialFacts } from '../../lib/compliance';
import { frenchHolidays, type Territory } from '../../lib/holidays';
import { calleeOf, calleeTimeZone } from '../../lib/territory';

const PARIS = calleeOf({ timeZone: 'Europe/Paris', departement: '75' });
const REUNION = calleeOf({ timeZone: 'Indian/Reunion', departement: '974' });
const MARTINIQUE = calleeOf({ timeZone: 'America/Martinique', departement: null });
const ok: DialFacts = { inDnc: false, optOut: false, consentGivenAt: new Date('2026-01-01T00:00:00Z'), existingCustomer: false, lastRefusalAt: null, attemptsLast30Days: 0 };
const legal = { nonCommercial: false, window: FRENCH_LEGAL_WINDOW };
const rule = (callee: typeof PARIS, at: string, campaign: Parameters<typeof dialDecision>[1] = legal) => {
  const d = dialDecision({ ...ok, callee }, campaign, new Date(at));
  return d.allowed ? 'allowed' : d.reason;
};

test('legal window boundaries in each callee\'s local time (Paris, Réunion, Martinique)', () => {
  // Tuesday 24 November 2026: Paris UTC+1, Réunion UTC+4, Martinique UTC-4.
  for (const [callee, off] of [[PARIS, '+01:00'], [REUNION, '+04:00'], [MARTINIQUE, '-04:00']] as const) {
    const at = (hms: string) => rule(callee, `2026-11-24T${hms}${off}`);
    assert.equal(at('09:59:59'), 'outside_local_hours', `${callee.timeZone} 09:59:59`);
    assert.equal(at('10:00:00'), 'allowed', `${callee.timeZone} 10:00:00`);
    assert.equal(at('12:59:59'), 'allowed', `${callee.timeZone} 12:59:59`);
    assert.equal(at('13:00:00'), 'outside_local_hours', `${callee.timeZone} 13:00`);
    assert.equal(at('13:59:59'), 'outside_local_hours', `${callee.timeZone} 13:59:59`);
    assert.equal(at('14:00:00'), 'allowed', `${callee.timeZone} 14:00`);
    assert.equal(at('19:59:59'), 'allowed', `${callee.timeZone} 19:59:59`);
    assert.equal(at('20:00:00'), 'outside_local_hours', `${callee.timeZone} 20:00`);
  }
  // One instant, three answers: 06:30 UTC is 10:30 in Réunion, 07:30 in Paris, 02:30 in Martinique.
  assert.deepEqual([REUNION, PARIS, MARTINIQUE].map((c) => rule(c, '2026-11-24T06:30:00Z')), ['allowed', 'outside_local_hours', 'outside_local_hours']);
  // 19:30 UTC: 20:30 Paris (closed), 15:30 Martinique (open), 23:30 Réunion (closed).
  assert.deepEqual([REUNION, PARIS, MARTINIQUE].map((c) => rule(c, '2026-11-24T19:30:00Z')), ['outside_local_hours', 'outside_local_hours', 'allowed']);
});

test('the days Paris changes to and from summer time; Réunion has no summer time', () => {
  const everyDay = { nonCommercial: true, window: windowFromSchedule({ start: '10:00', end: '20:00', breakStart: null, breakEnd: null, days: [1, 2, 3, 4, 5, 6, 7], excludeHolidays: false }) };
  // Sunday 29 March 2026, clocks go forward at 02:00: 10:00 Paris is 08:00 UTC (09:00 UTC the day before).
  assert.equal(rule(PARIS, '2026-03-28T08:59:59Z', everyDay), 'outside_local_hours');
  assert.equal(rule(PARIS, '2026-03-28T09:00:00Z', everyDay), 'allowed');
  assert.equal(rule(PARIS, '2026-03-29T07:59:59Z', everyDay), 'outside_local_hours');
  assert.equal(rule(PARIS, '2026-03-29T08:00:00Z', everyDay), 'allowed');
  assert.equal(rule(PARIS, '2026-03-29T17:59:59Z', everyDay), 'allowed');
  assert.equal(rule(PARIS, '2026-03-29T18:00:00Z', everyDay), 'outside_local_hours');
  // Sunday 25 October 2026, clocks go back at 03:00: 10:00 Paris is 09:00 UTC again.
  assert.equal(rule(PARIS, '2026-10-25T08:59:59Z', everyDay), 'outside_local_hours');
  assert.equal(rule(PARIS, '2026-10-25T09:00:00Z', everyDay), 'allowed');
  assert.equal(rule(PARIS, '2026-10-25T18:59:59Z', everyDay), 'allowed');
  assert.equal(rule(PARIS, '2026-10-25T19:00:00Z', everyDay), 'outside_local_hours');
  // Réunion: 10:00 is 06:00 UTC on all those days.
  for (const day of ['2026-03-28', '2026-03-29', '2026-10-25', '2026-10-26']) {
    assert.equal(rule(REUNION, `${day}T05:59:59Z`, everyDay), 'outside_local_hours', day);
    assert.equal(rule(REUNION, `${day}T06:00:00Z`, everyDay), 'allowed', day);
    assert.equal(rule(REUNION, `${day}T15:59:59Z`, everyDay), 'allowed', day);
    assert.equal(rule(REUNION, `${day}T16:00:00Z`, everyDay), 'outside_local_hours', day);
  }
  // The legal window's next opening after the weekend of each change keeps local 10:00.
  const next = (callee: typeof PARIS, at: string) => explainDial({ ...ok, callee }, legal, new Date(at)).nextAllowedAt;
  assert.equal(next(PARIS, '2026-03-27T20:00:00+01:00'), '2026-03-30T08:00:00.000Z');
  assert.equal(next(PARIS, '2026-10-23T20:00:00+02:00'), '2026-10-26T09:00:00.000Z');
  assert.equal(next(REUNION, '2026-03-27T20:00:00+04:00'), '2026-03-30T06:00:00.000Z');
});

test('public holidays of the callee\'s territory block it, not the others', () => {
  // Friday 22 May 2026, 11:00 in Martinique (abolition of slavery) — an ordinary Friday elsewhere.
  assert.equal(rule(MARTINIQUE, '2026-05-22T11:00:00-04:00'), 'public_holiday');
  assert.equal(rule(calleeOf({ timeZone: 'America/Guadeloupe', departement: '971' }), '2026-05-22T11:00:00-04:00'), 'allowed');
  assert.equal(rule(PARIS, '2026-05-22T11:00:00+02:00'), 'allowed');
  // Monday 20 December 2027 in Réunion; Friday 3 April 2026 (Good Friday) in Alsace-Moselle only.
  assert.equal(rule(REUNION, '2027-12-20T11:00:00+04:00'), 'public_holiday');
  assert.equal(rule(PARIS, '2027-12-20T11:00:00+01:00'), 'allowed');
  const strasbourg = calleeOf({ timeZone: 'Europe/Paris', departement: '67' });
  assert.equal(strasbourg.territory, 'FR-ALSACE-MOSELLE');
  assert.equal(rule(strasbourg, '2026-04-03T11:00:00+02:00'), 'public_holiday');
  assert.equal(rule(PARIS, '2026-04-03T11:00:00+02:00'), 'allowed');
  // Saint-Barthélemy 9 October (Friday in 2026), Saint-Martin 28 May (Thursday in 2026), Guyane 10 June, Mayotte 27 April.
  assert.equal(rule(calleeOf({ timeZone: 'America/St_Barthelemy', departement: null }), '2026-10-09T11:00:00-04:00'), 'public_holiday');
  assert.equal(rule(calleeOf({ timeZone: 'America/Marigot', departement: null }), '2026-05-28T11:00:00-04:00'), 'public_holiday');
  assert.equal(rule(calleeOf({ timeZone: 'America/Cayenne', departement: '973' }), '2026-06-10T11:00:00-03:00'), 'public_holiday');
  assert.equal(rule(calleeOf({ timeZone: 'Indian/Mayotte', departement: '976' }), '2026-04-27T11:00:00+03:00'), 'public_holiday');
  const e = explainDial({ ...ok, callee: MARTINIQUE }, legal, new Date('2026-05-22T11:00:00-04:00'));
  assert.equal(e.rule, 'public_holiday');
  assert.match(e.detail, /Abolition de l'esclavage \(Martinique\)/);
  assert.equal(e.localTime, '2026-05-22T11:00:00.000-04:00');
  // Monday 25 May 2026 is Whit Monday: Tuesday 26 May, 10:00 in Martinique.
  assert.equal(e.nextAllowedAt, '2026-05-26T14:00:00.000Z');
  // A non-commercial campaign that keeps holidays open dials on them.
  const open = { nonCommercial: true, window: windowFromSchedule({ start: '10:00', end: '20:00', days: [1, 2, 3, 4, 5], excludeHolidays: false }) };
  assert.equal(rule(MARTINIQUE, '2026-05-22T11:00:00-04:00', open), 'allowed');
});

test('holidays of every territory agree with date-holidays, 2010-2045', () => {
  // date-holidays models Alsace-Moselle as the states 57, 67, 68 of FR and the overseas territories both as
  // states of FR and as countries. Our only deliberate extra: Saint-Martin's 28 May (see lib/holidays.ts).
  const refs: [Territory, Holidays, (y: number) => string[]][] = [
    ['FR', new Holidays('FR'), () => []],
    ...(['57', '67', '68'] as const).map((s) => ['FR-ALSACE-MOSELLE', new Holidays('FR', s), () => []] as [Territory, Holidays, (y: number) => string[]]),
    ...(['GP', 'MQ', 'GF', 'RE', 'YT', 'BL', 'MF'] as const).flatMap((t) => [
      [t, new Holidays('FR', t), (y: number) => (t === 'MF' ? [`${y}-05-28`] : [])],
      [t, new Holidays(t), (y: number) => (t === 'MF' ? [`${y}-05-28`] : [])],
    ] as [Territory, Holidays, (y: number) => string[]][]),
    ['PM', new Holidays('PM'), () => []],
  ];
  let compared = 0;
  for (const [territory, hd, extra] of refs) {
    for (let y = 2010; y <= 2045; y++) {
      const theirs = new Set([...hd.getHolidays(y).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)), ...extra(y)]);
      assert.deepEqual([...frenchHolidays(y, territory).keys()].sort(), [...theirs].sort(), `${territory} ${y}`);
      compared++;
    }
  }
  assert.equal(compared, refs.length * 36);
});

test('the callee\'s zone: the address département wins over the number, except 971 addresses of Saint-Martin/Saint-Barthélemy numbers', () => {
  assert.equal(calleeTimeZone(null, 'RE'), 'Indian/Reunion');
  assert.equal(calleeTimeZone('75', 'RE'), 'Europe/Paris'); // a Réunion mobile living in Paris
  assert.equal(calleeTimeZone('974', 'FR'), 'Indian/Reunion');
  assert.equal(calleeTimeZone('971', 'MF'), 'America/Marigot');
  assert.equal(calleeTimeZone('971', 'GP'), 'America/Guadeloupe');
  assert.deepEqual(calleeOf({ timeZone: 'Europe/Paris', departement: '57' }), { territory: 'FR-ALSACE-MOSELLE', timeZone: 'Europe/Paris' });
  assert.deepEqual(calleeOf({ timeZone: 'America/Miquelon', departement: '975' }), { territory: 'PM', timeZone: 'America/Miquelon' });
});

test('commercial schedules must lie inside D.223-9; each problem names its field', () => {
  const errs = (s: Partial<Parameters<typeof commercialScheduleErrors>[0]>) =>
    commercialScheduleErrors({ start: '10:00', end: '20:00', breakStart: '13:00', breakEnd: '14:00', days: [1, 2, 3, 4, 5], excludeHolidays: true, ...s }).map((e) => e.field);
  assert.deepEqual(errs({}), []);
  assert.deepEqual(errs({ start: '10:30', end: '12:00', breakStart: null, breakEnd: null }), []); // a narrower morning
  assert.deepEqual(errs({ start: '14:00', end: '19:59:59', breakStart: null, breakEnd: null }), []);
  assert.deepEqual(errs({ start: '09:59:59' }), ['schedule.start_time']);
  assert.deepEqual(errs({ end: '20:00:01' }), ['schedule.end_time']);
  assert.deepEqual(errs({ start: '08:00', end: '22:00' }), ['schedule.start_time', 'schedule.end_time']);
  assert.deepEqual(errs({ breakStart: null, breakEnd: null }), ['schedule.break_start']);
  assert.deepEqual(errs({ breakStart: '13:30' }), ['schedule.break_start']);
  assert.deepEqual(errs({ breakEnd: '13:45' }), ['schedule.break_end']);
  assert.deepEqual(errs({ days: [1, 2, 3, 4, 5, 6] }), ['schedule.days']);
  assert.deepEqual(errs({ days: [7] }), ['schedule.days']);
  assert.deepEqual(errs({ excludeHolidays: false }), ['schedule.exclude_holidays']);
  const [e] = commercialScheduleErrors({ start: '10:00', end: '22:00', breakStart: '13:00', breakEnd: '14:00', days: [1, 2, 3, 4, 5], excludeHolidays: true });
  assert.equal(e!.reason, "22:00 is after 20:00; D.223-9 Code de la consommation: commercial calls only Monday-Friday 10:00-13:00 and 14:00-20:00 (callee's local time), public holidays excluded");
});

test('explainDial: every rule, and when it lifts', () => {
  const at = new Date('2026-11-24T11:00:00+01:00'); // Tuesday, open in Paris
  const ex = (f: Partial<DialFacts>, c = legal) => explainDial({ ...ok, callee: PARIS, ...f }, c, at);
  assert.deepEqual(ex({}), { allowed: true, rule: null, detail: 'allowed', timeZone: 'Europe/Paris', territory: 'FR', localTime: '2026-11-24T11:00:00.000+01:00', nextAllowedAt: at.toISOString() });
  for (const [f, r] of [[{ inDnc: true }, 'dnc'], [{ optOut: true }, 'opted_out'], [{ consentGivenAt: null }, 'no_consent']] as const) {
    const e = ex(f);
    assert.equal(e.allowed, false);
    assert.equal(e.rule, r);
    assert.equal(e.nextAllowedAt, null, `${r} never lifts by itself`);
  }
  // Consent is not needed for a non-commercial campaign (nor for an existing customer).
  assert.equal(ex({ consentGivenAt: null }, { nonCommercial: true, window: FRENCH_LEGAL_WINDOW }).allowed, true);
  assert.equal(ex({ consentGivenAt: null, existingCustomer: true }).allowed, true);
  // Refused on Friday 2 October 2026 at 15:00 Paris: 60 × 24 h later is Tuesday 1 December 14:00 Paris (winter time), open.
  const refused = ex({ lastRefusalAt: new Date('2026-10-02T13:00:00Z') });
  assert.equal(refused.rule, 'refused_recently');
  assert.equal(refused.nextAllowedAt, '2026-12-01T13:00:00.000Z');
  // Refused on Saturday 3 October 2026 at 21:00 Paris: 60 days later is a Wednesday 21:00 → Thursday 10:00.
  assert.equal(ex({ lastRefusalAt: new Date('2026-10-03T19:00:00Z') }).nextAllowedAt, '2026-12-03T09:00:00.000Z');
  // 5 attempts in 30 days: allowed again when only 3 remain, i.e. 30 days after the second oldest.
  const times = ['2026-11-02T10:00:00Z', '2026-11-03T10:00:00Z', '2026-11-10T10:00:00Z', '2026-11-20T10:00:00Z', '2026-11-23T10:00:00Z'].map((t) => new Date(t));
  const capped = ex({ attemptsLast30Days: 5, recentAttemptTimes: [...times].reverse() });
  assert.equal(capped.rule, 'max_attempts_30d');
  assert.equal(capped.nextAllowedAt, '2026-12-03T10:00:00.001Z'); // Thursday 11:00 Paris: open
  // 4 attempts: 30 days after the oldest (Wednesday 2 December, 11:00 Paris: open); dialed at 20:30 Paris instead → Thursday 10:00.
  assert.equal(ex({ attemptsLast30Days: 4, recentAttemptTimes: times.slice(0, 4) }).nextAllowedAt, '2026-12-02T10:00:00.001Z');
  const late = [new Date('2026-11-02T19:30:00Z'), ...times.slice(1, 4)];
  assert.equal(ex({ attemptsLast30Days: 4, recentAttemptTimes: late }).nextAllowedAt, '2026-12-03T09:00:00.000Z');
  // Outside hours: next opening.
  const evening = explainDial({ ...ok, callee: PARIS }, legal, new Date('2026-11-24T20:00:00+01:00'));
  assert.deepEqual([evening.rule, evening.nextAllowedAt], ['outside_local_hours', '2026-11-25T09:00:00.000Z']);
  // No window (technical campaign): hours do not apply.
  assert.equal(explainDial({ ...ok, callee: PARIS }, { nonCommercial: false, window: null }, new Date('2026-11-24T23:00:00+01:00')).allowed, true);
});
