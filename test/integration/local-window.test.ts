// The calling window in each callee's local time, against the real stack: one campaign with Paris, Réunion and
// Martinique contacts dials each zone only inside its own local window (real time: a window placed a few
// seconds ahead); the dial-time check turns back a call whose window closed; commercial schedules outside
// D.223-9 are refused; can-dial through the API and the CLI.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { DateTime } from 'luxon';
import { createApp } from '../../api/app';
import { campaignStatus, createCampaign, launchCampaign, signalCampaign } from '../../services/campaigns';
import { createCallActivities } from '../../activities/call';
import { windowFromSchedule } from '../../lib/calling-window';
import type { CampaignStatus } from '../../workflows/definitions';
import { makeContacts, startWorkers, testStack, waitUntil, type RunningWorkers, type TestStack } from '../helpers/stack';
import { runMinibot } from '../helpers/minibot-cli';

const KEY = 'w'.repeat(8) + '-local-window-test-key-0123';
let stack: TestStack;
let workers: RunningWorkers;
let server: Server;
let base: string;

before(async () => {
  stack = await testStack();
  workers = await startWorkers(stack, { speed: 60, seed: 'local-window' });
  server = createApp({ cfg: stack.cfg, prisma: stack.prisma, client: stack.client }, { apiKey: KEY, rateLimitPerMinute: 100_000 }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server?.closeAllConnections();
  server?.close();
  await workers?.stop();
  await stack?.close();
});

async function get(path: string, key: string | null = KEY) {
  const r = await fetch(base + path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: r.status, json: (await r.json()) as any };
}

const minibot = (args: string[]) => runMinibot(args, { TEMPORAL_TASK_QUEUE: stack.cfg.TEMPORAL_TASK_QUEUE });

const secOfDay = (d: DateTime) => d.hour * 3600 + d.minute * 60 + d.second;
const hms = (s: number) => `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
const ZONES = { paris: 'Europe/Paris', reunion: 'Indian/Reunion', martinique: 'America/Martinique' } as const;
const SPAN = 240; // seconds each range stays open
const LEAD = 20; // Paris opens this many seconds after the plan is made

/**
 * Two ranges in local time: one open now for Réunion, one opening LEAD seconds from now for Paris; Martinique's local
 * time is in neither. Returns null near midnight (ranges must not wrap): the caller waits and asks again.
 */
function plan(now: DateTime) {
  const r = secOfDay(now.setZone(ZONES.reunion));
  const p = secOfDay(now.setZone(ZONES.paris));
  const m = secOfDay(now.setZone(ZONES.martinique));
  const reunion = [r - 30, r + SPAN];
  const paris = [p + LEAD, p + LEAD + SPAN];
  const [a, b] = reunion[0]! < paris[0]! ? [reunion, paris] : [paris, reunion];
  if (a[0]! < 0 || b[1]! >= 86_400 || a[1]! >= b[0]!) return null;
  if ((m >= a[0]! - 60 && m < a[1]! + 60) || (m >= b[0]! - 60 && m < b[1]! + 60)) return null;
  return { a, b, parisOpensAt: now.set({ millisecond: 0 }).plus({ seconds: LEAD }) };
}

test('one campaign, three zones: each is dialed only inside its own local window; status shows the next opening per zone', { timeout: 600_000 }, async () => {
  let now = DateTime.utc();
  let pl = plan(now);
  while (!pl) {
    await new Promise((r) => setTimeout(r, 20_000)); // near a local midnight: wait (bounded: a few minutes at most)
    now = DateTime.utc();
    pl = plan(now);
  }
  const { a, b, parisOpensAt } = pl;
  const zoneOf = (i: number): keyof typeof ZONES => (i % 3 === 0 ? 'paris' : i % 3 === 1 ? 'reunion' : 'martinique');
  const dep = { paris: '75', reunion: '974', martinique: '972' } as const;
  const { source, ids } = await makeContacts(stack.prisma, 9, (i) => ({ timezone: ZONES[zoneOf(i)], departement: dep[zoneOf(i)] }));
  const zoneById = new Map(ids.map((id, i) => [id, zoneOf(i)]));
  const c = await createCampaign(stack.prisma, {
    name: 'three zones', non_commercial: true, max_concurrent_calls: 2, max_attempts: 1, contact_source: source, time_scale: 1 / 60,
    schedule: { start_time: hms(a[0]!), break_start: hms(a[1]!), break_end: hms(b[0]!), end_time: hms(b[1]!), days: [1, 2, 3, 4, 5, 6, 7], timezone: 'Europe/Paris', exclude_holidays: false },
  });
  // Martinique's next opening: the first range start in its local time, later today or tomorrow.
  const mLocal = now.setZone(ZONES.martinique);
  const firstStart = [a[0]!, b[0]!].find((s) => s > secOfDay(mLocal)) ?? a[0]!;
  const mOpen = (firstStart > secOfDay(mLocal) ? mLocal : mLocal.plus({ days: 1 })).startOf('day').plus({ seconds: firstStart });
  await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);

  // Before Paris opens: Réunion is dialed, Paris and Martinique wait with their own openings.
  let seen: CampaignStatus | null = null;
  await waitUntil('the status to list the waiting zones', async () => {
    const st = await campaignStatus(stack.client, c.id);
    if ((st.windowWaits ?? []).length === 2) seen = st;
    return seen !== null;
  }, LEAD * 1000);
  const waits = Object.fromEntries(seen!.windowWaits!.map((w) => [w.timeZone, w]));
  assert.equal(waits[ZONES.paris]!.nextOpening, parisOpensAt.toJSDate().toISOString());
  assert.equal(waits[ZONES.paris]!.contacts, 3);
  assert.equal(waits[ZONES.martinique]!.nextOpening, mOpen.toJSDate().toISOString());
  assert.equal(waits[ZONES.martinique]!.territory, 'MQ');
  assert.equal(waits[ZONES.reunion], undefined);
  // The API shows the same per-zone openings.
  const api = await get(`/campaigns/${c.id}`);
  assert.equal(api.status, 200);
  const apiZones = Object.fromEntries(api.json.workflow.window_waits.map((w: any) => [w.time_zone, w.next_opening]));
  assert.equal(apiZones[ZONES.martinique], mOpen.toJSDate().toISOString());

  // Paris opens; after that only Martinique waits (its window is hours away) and the campaign sleeps.
  await waitUntil('Réunion and Paris dialed and finished', async () =>
    (await stack.prisma.call.count({ where: { campaignId: c.id, endedAt: { not: null } } })) === 6, 180_000);
  await waitUntil('the campaign to wait for Martinique only', async () => {
    const st = await campaignStatus(stack.client, c.id);
    return st.state === 'waiting_window' && st.windowWaits?.length === 1 && st.windowWaits[0]!.timeZone === ZONES.martinique;
  }, 30_000);
  const st = await campaignStatus(stack.client, c.id);
  assert.equal(st.nextWindowOpening, mOpen.toJSDate().toISOString());
  assert.equal(st.windowWaits![0]!.contacts, 3);
  assert.equal(st.counts.skipped, 0, 'waiting contacts are not skipped');

  const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id }, include: { contact: true } });
  assert.equal(calls.length, 6);
  const byZone = { paris: 0, reunion: 0, martinique: 0 };
  for (const k of calls) {
    const zone = zoneById.get(k.contactId)!;
    byZone[zone] += 1;
    const local = secOfDay(DateTime.fromJSDate(k.dialedAt, { zone: ZONES[zone] }));
    assert.ok((local >= a[0]! && local < a[1]!) || (local >= b[0]! && local < b[1]!), `${zone} dialed at local ${hms(local)}, outside its window`);
    if (zone === 'paris') assert.ok(k.dialedAt.getTime() >= parisOpensAt.toMillis(), `Paris dialed ${k.dialedAt.toISOString()} before ${parisOpensAt.toISO()}`);
  }
  assert.deepEqual(byZone, { paris: 3, reunion: 3, martinique: 0 });
  const states = await stack.prisma.campaignContact.groupBy({ by: ['state'], where: { campaignId: c.id }, _count: true });
  assert.equal(Object.fromEntries(states.map((s) => [s.state, s._count])).pending, 3, 'Martinique contacts are still pending, not claimed');

  // The CLI status shows the waiting zone.
  const human = await minibot(['campaign', 'status', c.id]);
  assert.equal(human.code, 0, human.err);
  assert.match(human.out, new RegExp(`waiting America/Martinique\\s+3 contacts, window opens ${mOpen.toJSDate().toISOString().replace(/\./g, '\\.')}`));

  // can-dial agrees: Martinique not now, at its opening yes.
  const mPhone = (await stack.prisma.contact.findUniqueOrThrow({ where: { id: ids[2]! } })).phone;
  const cd = await get(`/contacts/can-dial?phone=${encodeURIComponent(mPhone)}&campaign=${c.id}&at=${encodeURIComponent(new Date(mOpen.toMillis() - 1000).toISOString())}`);
  assert.equal(cd.status, 200);
  assert.deepEqual([cd.json.allowed, cd.json.rule, cd.json.timeZone, cd.json.nextAllowedAt], [false, 'outside_local_hours', ZONES.martinique, mOpen.toJSDate().toISOString()]);
  await signalCampaign(stack.client, c.id, 'stop');
  const final = (await stack.client.workflow.getHandle(`campaign-${c.id}`).result()) as CampaignStatus;
  assert.equal(final.state, 'stopped');
});

test('calls claimed before their window closed are turned back at dial time, then dialed at the next opening under new ids', { timeout: 600_000 }, async () => {
  // Paris contacts, one call at a time, all claimed in one batch while range A is open; A closes a few seconds
  // later with most of them still waiting for a slot: their call workflows find the window closed at dial time
  // (beginCall) and put them back to wait; range B opens a few seconds after A closes and they are dialed then.
  let now = DateTime.now().setZone(ZONES.paris);
  while (secOfDay(now) < 60 || secOfDay(now) > 86_400 - 180) {
    await new Promise((r) => setTimeout(r, 20_000)); // ranges must not wrap midnight
    now = DateTime.now().setZone(ZONES.paris);
  }
  const t = secOfDay(now);
  const [a0, a1, b0, b1] = [t - 30, t + 6, t + 14, t + 150];
  const aEnd = now.startOf('day').plus({ seconds: a1 });
  const bStart = now.startOf('day').plus({ seconds: b0 });
  const n = 40;
  const { source } = await makeContacts(stack.prisma, n, () => ({ timezone: ZONES.paris, departement: '75' }));
  const c = await createCampaign(stack.prisma, {
    name: 'closes while queued', non_commercial: true, max_concurrent_calls: 1, max_attempts: 1, contact_source: source, time_scale: 1 / 60,
    schedule: { start_time: hms(a0), break_start: hms(a1), break_end: hms(b0), end_time: hms(b1), days: [1, 2, 3, 4, 5, 6, 7], timezone: 'Europe/Paris', exclude_holidays: false },
  });
  const { workflowId } = await launchCampaign(stack.client, stack.prisma, stack.cfg, c.id);
  const status = (await stack.client.workflow.getHandle(workflowId).result()) as CampaignStatus;
  assert.equal(status.state, 'completed');
  const calls = await stack.prisma.call.findMany({ where: { campaignId: c.id } });
  assert.equal(calls.length, n, 'every contact dialed');
  assert.equal(new Set(calls.map((k) => k.contactId)).size, n, 'once each');
  for (const k of calls) {
    const local = secOfDay(DateTime.fromJSDate(k.dialedAt, { zone: ZONES.paris }));
    assert.ok((local >= a0 && local < a1) || (local >= b0 && local < b1), `dialed at local ${hms(local)}, outside ${hms(a0)}-${hms(a1)} / ${hms(b0)}-${hms(b1)}`);
  }
  const inA = calls.filter((k) => k.dialedAt < aEnd.toJSDate());
  const inB = calls.filter((k) => k.dialedAt >= bStart.toJSDate());
  assert.equal(inA.length + inB.length, n);
  assert.ok(inA.length >= 1 && inB.length >= 1, `dialed in A: ${inA.length}, in B: ${inB.length} (all ${n} were claimed at once while A was open)`);
  // Contacts whose call started after A closed were turned back at dial time: that call workflow ended
  // "requeued" without a call record, and the contact's call in B carries the -w1 id. (Those still waiting in
  // the campaign's buffer when B opened are dialed in B under their first id.)
  const turnedBack = inB.filter((k) => k.workflowId.endsWith('-1-w1'));
  assert.ok(turnedBack.length >= 1, `no call was turned back at dial time (${inB.length} dialed in B)`);
  for (const k of turnedBack) {
    const h = stack.client.workflow.getHandle(k.workflowId.slice(0, -3));
    const first = (await h.result()) as { requeued?: boolean; skipReason?: string; outcome: unknown };
    assert.deepEqual([first.requeued, first.skipReason, first.outcome], [true, 'outside_local_hours', null]);
    const d = await h.describe();
    // (A call started just before A closed may reach its dial-time check just after: a few seconds' slack.)
    assert.ok(d.startTime.getTime() >= aEnd.toMillis() - 5000, `${k.workflowId}: turned back although started at ${d.startTime.toISOString()}, well before A closed`);
  }
  for (const k of [...inA, ...inB.filter((x) => !turnedBack.includes(x))]) assert.doesNotMatch(k.workflowId, /-w\d+$/);
  // Turned-back calls are neither dialed nor skipped in the campaign's figures.
  assert.equal(status.counts.dialed, n);
  assert.equal(status.counts.skipped, 0);
  assert.equal(status.counts.finished, n);
});

test('beginCall turns back a call whose window closed after the claim: not dialed, the contact waits', async () => {
  const { source, ids } = await makeContacts(stack.prisma, 1, () => ({ timezone: ZONES.reunion, departement: '974' }));
  const c = await createCampaign(stack.prisma, { name: 'closed at dial', non_commercial: true, contact_source: source });
  const cc = await stack.prisma.campaignContact.create({ data: { campaignId: c.id, contactId: ids[0]!, state: 'queued', claimToken: 'x:1' } });
  // A window that is closed now in Réunion: one second, twelve hours ago (local).
  const local = DateTime.now().setZone(ZONES.reunion).minus({ hours: 12 });
  const s = secOfDay(local) === 86_399 ? 86_398 : secOfDay(local);
  const window = windowFromSchedule({ start: hms(s), end: hms(s + 1), days: [1, 2, 3, 4, 5, 6, 7], excludeHolidays: false });
  const acts = createCallActivities({ prisma: stack.prisma });
  const input = { workflowId: `call-${c.id}-${ids[0]}-1`, campaignId: c.id, campaignContactId: String(cc.id), contactId: ids[0]!, phone: 'x', attempt: 1, nonCommercial: true, window };
  const r = await acts.beginCall(input);
  assert.equal(r.allowed, false);
  assert.deepEqual([(r as any).reason, (r as any).requeued], ['outside_local_hours', true]);
  const after = await stack.prisma.campaignContact.findUniqueOrThrow({ where: { id: cc.id } });
  const opening = local.plus({ days: 1 }).startOf('day').plus({ seconds: s }).toJSDate();
  assert.deepEqual([after.state, after.claimToken, after.attempts, after.nextAttemptAt?.toISOString()], ['retry_wait', null, 0, opening.toISOString()]);
  assert.equal(await stack.prisma.call.count({ where: { campaignId: c.id } }), 0, 'not dialed');
  // Without a window (older runs) the same call is dialed.
  await stack.prisma.campaignContact.update({ where: { id: cc.id }, data: { state: 'queued' } });
  const { window: _w, ...noWindow } = input;
  assert.equal((await acts.beginCall(noWindow)).allowed, true);
});

test('commercial schedules outside D.223-9 are refused: API 422 naming the field, CLI exit code 2', async () => {
  const before = await stack.prisma.campaign.count();
  const post = async (body: unknown) => {
    const r = await fetch(base + '/campaigns?launch=false', { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, json: (await r.json()) as any };
  };
  const wide = await post({ name: 'wide', schedule: { start_time: '08:00', end_time: '22:00', days: [1, 2, 3, 4, 5, 6] } });
  assert.equal(wide.status, 422);
  const fields = wide.json.error.issues.map((i: any) => i.field).sort();
  assert.deepEqual(fields, ['body.schedule.days', 'body.schedule.end_time', 'body.schedule.start_time']);
  assert.match(wide.json.error.issues.find((i: any) => i.field === 'body.schedule.end_time').reason, /^22:00 is after 20:00; D\.223-9 Code de la consommation/);
  const noBreak = await post({ name: 'lunch', schedule: { start_time: '10:00', end_time: '20:00', break_start: null, break_end: null } });
  assert.deepEqual(noBreak.json.error.issues.map((i: any) => i.field), ['body.schedule.break_start']);
  const holidays = await post({ name: 'holidays', schedule: { exclude_holidays: false } });
  assert.deepEqual(holidays.json.error.issues.map((i: any) => i.field), ['body.schedule.exclude_holidays']);
  assert.equal(await stack.prisma.campaign.count(), before, 'nothing created');

  // The same schedule is accepted for a non-commercial campaign; the default (legal) one for a commercial one.
  assert.equal((await post({ name: 'survey', non_commercial: true, schedule: { start_time: '08:00', end_time: '22:00', days: [1, 2, 3, 4, 5, 6] } })).status, 201);
  assert.equal((await post({ name: 'legal' })).status, 201);

  // A commercial campaign stored with a wide schedule before this rule existed is refused at launch.
  const old = await stack.prisma.campaign.create({ data: { name: 'old wide', windowStart: '08:00', windowEnd: '21:00', allowedDays: [1, 2, 3, 4, 5, 6] } });
  const launch = await fetch(`${base}/campaigns/${old.id}/launch`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } });
  const lj = (await launch.json()) as any;
  // The stored campaign cannot start as it is: 409 launch_refused, naming the campaign's fields to change.
  assert.equal(launch.status, 409);
  assert.equal(lj.error.code, 'launch_refused');
  assert.deepEqual(lj.error.issues.map((i: any) => i.field).sort(), ['schedule.days', 'schedule.end_time', 'schedule.start_time']);
  assert.equal((await stack.prisma.campaign.findUniqueOrThrow({ where: { id: old.id } })).status, 'draft', 'not launched');

  const cli = await minibot(['campaign', 'launch', '--name', 'wide', '--start-time', '09:00', '--end-time', '21:00', '--draft']);
  assert.equal(cli.code, 2);
  assert.match(cli.err, /invalid campaign: schedule\.start_time: 09:00 is before 10:00; D\.223-9 Code de la consommation.*schedule\.end_time: 21:00 is after 20:00/);
  const sat = await minibot(['campaign', 'launch', '--name', 'sat', '--days', '1-6', '--draft']);
  assert.equal(sat.code, 2);
  assert.match(sat.err, /schedule\.days: Saturday \(6\) not allowed/);
  assert.equal((await minibot(['campaign', 'launch', '--name', 'sat survey', '--days', '1-6', '--non-commercial', '--draft', '--json'])).code, 0);
});

test('can-dial: API (behind the API key, in the OpenAPI document) and CLI explain each rule', async () => {
  const { phones, ids } = await makeContacts(stack.prisma, 3, (i) => [
    { timezone: ZONES.reunion, departement: '974' },
    { timezone: ZONES.paris, departement: '75', lastRefusalAt: new Date('2026-10-02T13:00:00Z') },
    { timezone: ZONES.paris, departement: '67' },
  ][i]!);
  assert.equal((await get(`/contacts/can-dial?phone=${encodeURIComponent(phones[0]!)}`, null)).status, 401);
  const doc = await get('/openapi.json');
  assert.ok(doc.json.paths['/contacts/can-dial']?.get, 'documented');
  const q = (phone: string, at: string, extra = '') => get(`/contacts/can-dial?phone=${encodeURIComponent(phone)}&at=${encodeURIComponent(at)}${extra}`);

  // Réunion, Tuesday 24 November 2026: 09:59:59 local no, 10:00:00 yes.
  const early = await q(phones[0]!, '2026-11-24T09:59:59+04:00');
  assert.deepEqual(early.json, {
    allowed: false, rule: 'outside_local_hours', detail: '2026-11-24 09:59:59 local time (La Réunion, Indian/Reunion) is outside the calling window',
    timeZone: 'Indian/Reunion', territory: 'RE', localTime: '2026-11-24T09:59:59.000+04:00', nextAllowedAt: '2026-11-24T06:00:00.000Z',
    phone: phones[0], contactId: ids[0], campaignId: null, at: '2026-11-24T05:59:59.000Z',
  });
  assert.equal((await q(phones[0]!, '2026-11-24T10:00:00+04:00')).json.allowed, true);
  // Réunion's abolition day (Sunday in 2026; Monday 20 December 2027).
  const holiday = await q(phones[0]!, '2027-12-20T11:00:00+04:00');
  assert.deepEqual([holiday.json.rule, holiday.json.nextAllowedAt], ['public_holiday', '2027-12-21T06:00:00.000Z']);
  // Refused on 2 October 2026: blocked until 1 December 13:00 UTC.
  const refused = await q(phones[1]!, '2026-11-24T11:00:00+01:00');
  assert.deepEqual([refused.json.rule, refused.json.nextAllowedAt], ['refused_recently', '2026-12-01T13:00:00.000Z']);
  // Alsace: Good Friday.
  assert.equal((await q(phones[2]!, '2026-04-03T11:00:00+02:00')).json.rule, 'public_holiday');
  // DNC: never.
  await stack.prisma.dncEntry.create({ data: { phone: phones[2]!, source: 'bloctel' } });
  const dnc = await q(phones[2]!, '2026-11-24T11:00:00+01:00');
  assert.deepEqual([dnc.json.allowed, dnc.json.rule, dnc.json.nextAllowedAt], [false, 'dnc', null]);
  // 4 attempts in 30 days (calls of another campaign).
  const other = await createCampaign(stack.prisma, { name: 'attempts', non_commercial: true });
  for (let i = 1; i <= 4; i++) {
    await stack.prisma.call.create({ data: { campaignId: other.id, contactId: ids[0]!, attempt: i, workflowId: `t-${other.id}-${i}`, phone: phones[0]!, dialedAt: new Date(`2026-11-${String(i * 2).padStart(2, '0')}T08:00:00Z`), status: 'completed' } });
  }
  const capped = await q(phones[0]!, '2026-11-24T11:00:00+04:00');
  assert.deepEqual([capped.json.rule, capped.json.nextAllowedAt], ['max_attempts_30d', '2026-12-02T08:00:00.001Z']);
  // Unknown number: no consent recorded (commercial default); a non-commercial campaign needs none.
  const unknown = await q('0692 12 34 56', '2026-11-24T11:00:00+04:00');
  assert.deepEqual([unknown.json.rule, unknown.json.timeZone, unknown.json.contactId], ['no_consent', 'Indian/Reunion', null]);
  assert.equal((await q('0692 12 34 56', '2026-11-24T11:00:00+04:00', `&campaign=${other.id}`)).json.allowed, true);
  // Bad input names the field.
  const bad = await get('/contacts/can-dial?phone=abc&at=tomorrow');
  assert.equal(bad.status, 400);
  assert.ok(bad.json.error.issues.some((i: any) => i.field === 'query.at'));
  const badPhone = await get('/contacts/can-dial?phone=123');
  assert.equal(badPhone.status, 422, 'spelled like a number, in no range: a rule, not the document, refuses it');
  assert.deepEqual(badPhone.json.error.issues.map((i: any) => i.field), ['query.phone']);

  // CLI: same answers, exit codes 0 / 3 / 2.
  const j = await minibot(['contacts', 'can-dial', phones[0]!, '--at', '2026-11-24T09:59:59+04:00', '--json']);
  assert.equal(j.code, 3, j.err);
  const parsed = JSON.parse(j.out);
  assert.deepEqual([parsed.allowed, parsed.rule, parsed.timeZone, parsed.localTime, parsed.nextAllowedAt], [false, 'max_attempts_30d', 'Indian/Reunion', '2026-11-24T09:59:59.000+04:00', '2026-12-02T08:00:00.001Z']);
  const human = await minibot(['contacts', 'can-dial', '0692 12 34 56', '--at', '2026-11-24T10:00:00+04:00', '--campaign', other.id]);
  assert.equal(human.code, 0, human.err);
  assert.match(human.out, /allowed at 2026-11-24T06:00:00\.000Z/);
  assert.match(human.out, /callee time zone\s+Indian\/Reunion \(RE\)/);
  const never = await minibot(['contacts', 'can-dial', phones[2]!]);
  assert.equal(never.code, 3);
  assert.match(never.out, /NOT allowed \(dnc\)/);
  assert.match(never.out, /next allowed at\s+never/);
  const badAt = await minibot(['contacts', 'can-dial', phones[0]!, '--at', 'tomorrow']);
  assert.equal(badAt.code, 2);
  assert.match(badAt.err, /--at: "tomorrow" is not an ISO 8601 date-time/);
});
