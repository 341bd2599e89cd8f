// Callback time extraction: "demain", "ce soir", "lundi", "après dix-huit heures", "dans une heure", "plus tard"
// -> { kind, at?, text } relative to the call's time and time zone (luxon does the calendar arithmetic).
// Hand-written parsing: no maintained library reads spoken French times from ASR text.
import { DateTime } from 'luxon';
import type { CallbackTime } from './types';
import { normalize } from './normalize';

const UNITS: Record<string, number> = {
  zero: 0, un: 1, une: 1, deux: 2, trois: 3, quatre: 4, cinq: 5, six: 6, sept: 7, huit: 8, neuf: 9, dix: 10,
  onze: 11, douze: 12, treize: 13, quatorze: 14, quinze: 15, seize: 16,
};
const TENS: Record<string, number> = { vingt: 20, trente: 30, quarante: 40, cinquante: 50 };

/** Replaces French number words (0-59) with digits: "dix huit" -> "18", "vingt et une" -> "21". */
export function numerize(tokens: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t in TENS) {
      let v = TENS[t]!;
      const a = tokens[i + 1], b = tokens[i + 2];
      if (a === 'et' && (b === 'un' || b === 'une')) { v += 1; i += 2; }
      else if (a && a in UNITS && UNITS[a]! >= 1 && UNITS[a]! <= 9) { v += UNITS[a]!; i += 1; }
      out.push(String(v));
    } else if (t === 'dix' && ['sept', 'huit', 'neuf'].includes(tokens[i + 1] ?? '')) {
      out.push(String(10 + UNITS[tokens[i + 1]!]!)); i += 1;
    } else if (t in UNITS && t !== 'un' && t !== 'une') {
      out.push(String(UNITS[t]));
    } else if (/^\d{1,2}h\d{0,2}$/.test(t)) {
      const [h, m] = t.split('h');
      out.push(h!, 'heures'); if (m) out.push(m);
    } else if (/^\d{1,2}:\d{2}$/.test(t)) {
      const [h, m] = t.split(':');
      out.push(h!, 'heures', m!);
    } else out.push(t);
  }
  return out;
}

const WEEKDAYS: Record<string, number> = { lundi: 1, mardi: 2, mercredi: 3, jeudi: 4, vendredi: 5, samedi: 6, dimanche: 7 };
const PART_HOUR: Record<string, number> = { matin: 10, midi: 12, apres_midi: 14, soir: 18, fin_journee: 17, fin_aprem: 17, debut_aprem: 14 };

const NUM = '(\\d{1,2}|un|une|quelques|deux)';
const RELATIVE = new RegExp(
  `\\b(?:dans|de ici|d ici) (?:(un quart de heure)|(une demi heure)|${NUM} (minutes?|heures?|jours?|semaines?|mois)(?: et demie?)?)\\b`,
);
const HOUR = /\b(?:(a partir de|apres|avant|vers|des|pour|a|sur les|entre|autour de) )?(\d{1,2}) heures?(?: (\d{1,2}|et quart|et demie?|moins le quart))?\b|\b(?:(a partir de|apres|avant|vers|des|pour|a|entre|autour de) )?(midi|minuit)(?: (et demie?|et quart|\d{1,2}))?\b/;
const VAGUE = /\b(plus tard|tout a le heure|un autre jour|une autre fois|un autre moment|dans un (?:petit )?moment|un peu plus tard|ulterieurement|plus tard dans la journee|la prochaine fois)\b/;

/**
 * The callback time said in `text`, if any. `now` is the call's current time, `timeZone` the callee's.
 * Pure: the same inputs always give the same output.
 */
export function extractCallbackTime(text: string, now: Date, timeZone = 'Europe/Paris'): CallbackTime | undefined {
  const tokens = numerize(normalize(text).split(' ').filter(Boolean));
  const s = ' ' + tokens.join(' ') + ' ';
  let base = DateTime.fromJSDate(now, { zone: timeZone });
  if (!base.isValid) base = DateTime.fromJSDate(now, { zone: 'Europe/Paris' });
  const spans: string[] = [];
  const iso = (d: DateTime) => d.set({ second: 0, millisecond: 0 }).toISO({ suppressMilliseconds: true }) ?? undefined;

  const rel = RELATIVE.exec(s);
  if (rel) {
    let minutes = 0;
    if (rel[1]) minutes = 15;
    else if (rel[2]) minutes = 30;
    else {
      const n = rel[3] === 'un' || rel[3] === 'une' ? 1 : rel[3] === 'quelques' ? 3 : Number(rel[3]);
      const unit = rel[4]!;
      const half = / et demie?$/.test(rel[0]) ? 0.5 : 0;
      const per = unit.startsWith('minute') ? 1 : unit.startsWith('heure') ? 60 : unit.startsWith('jour') ? 1440 : unit.startsWith('semaine') ? 10080 : 43200;
      minutes = (n + half) * per;
    }
    return { kind: 'relative', at: iso(base.plus({ minutes })), text: rel[0].trim() };
  }

  // Day anchor
  let day: DateTime | undefined;
  let part: keyof typeof PART_HOUR | undefined;
  const has = (re: RegExp) => {
    const m = re.exec(s);
    if (m && !spans.some((x) => x.includes(m[0].trim()))) spans.push(m[0].trim());
    return !!m;
  };
  if (has(/\bapres demain\b/)) day = base.plus({ days: 2 });
  else if (has(/\bdemain\b/)) day = base.plus({ days: 1 });
  else if (has(/\b(aujourdhui|ce soir|ce matin|cet apres midi|cette apres midi|ce midi|cette apres midi|dans la journee|dans la soiree|ce week end)\b/)) day = base;
  const wd = /\b(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)( prochain)?\b/.exec(s);
  if (!day && wd) {
    spans.push(wd[0].trim());
    const target = WEEKDAYS[wd[1]!]!;
    let delta = (target - base.weekday + 7) % 7;
    if (delta === 0) delta = 7;
    day = base.plus({ days: delta });
  }
  if (!day && has(/\b(la semaine prochaine|semaine prochaine)\b/)) day = base.plus({ days: 8 - base.weekday });
  if (!day && has(/\b(le|ce) week end\b|\bweek end\b/)) day = base.plus({ days: (6 - base.weekday + 7) % 7 || 7 });
  if (!day && has(/\ble mois prochain\b/)) day = base.plus({ months: 1 }).set({ day: 1 });
  const dom = /\ble (\d{1,2}|premier)\b(?! heures?)/.exec(s);
  if (!day && dom) {
    const d = dom[1] === 'premier' ? 1 : Number(dom[1]);
    if (d >= 1 && d <= 31) {
      spans.push(dom[0].trim());
      let cand = base.set({ day: Math.min(d, base.daysInMonth ?? 28) });
      if (cand.startOf('day') < base.startOf('day')) cand = base.plus({ months: 1 }).set({ day: d });
      day = cand;
    }
  }

  // Part of day
  if (has(/\b(fin de (la )?apres midi|fin de aprem)\b/)) part = 'fin_aprem';
  else if (has(/\bdebut de (la )?apres midi\b/)) part = 'debut_aprem';
  else if (has(/\bfin de (la )?journee\b/)) part = 'fin_journee';
  else if (has(/\bapres midi\b/)) part = 'apres_midi';
  else if (has(/\b(soir|soiree)\b/)) part = 'soir';
  else if (has(/\bmatin(ee)?\b/)) part = 'matin';
  else if (/\bentre midi et (deux|2|14)\b/.test(s)) { spans.push('entre midi et deux'); part = 'midi'; }
  else if (/\bapres le (travail|boulot)\b/.test(s)) { spans.push('apres le travail'); part = 'soir'; }

  // Explicit hour
  let hour: number | undefined;
  let minute = 0;
  const hm = HOUR.exec(s.replace(/\bentre midi et (deux|2|14)\b/, ' '));
  if (hm) {
    spans.push(hm[0].trim());
    const prep = hm[1] ?? hm[4];
    if (hm[5]) {
      hour = hm[5] === 'midi' ? 12 : 0;
      const extra = hm[6];
      if (extra) minute = extra.startsWith('et demi') ? 30 : extra === 'et quart' ? 15 : Number(extra) || 0;
    } else {
      hour = Number(hm[2]);
      const extra = hm[3];
      if (extra) minute = extra.startsWith('et demi') ? 30 : extra === 'et quart' ? 15 : extra === 'moins le quart' ? -15 : Number(extra) || 0;
      if (hour < 12 && (part === 'soir' || part === 'apres_midi' || part === 'fin_aprem' || part === 'debut_aprem')) hour += 12;
      else if (hour >= 1 && hour <= 7 && part !== 'matin') hour += 12; // "deux heures" on a business call = 14h
    }
    if (hour > 23 || minute > 59) hour = undefined;
    else if (prep === 'avant') { hour = Math.max(0, hour - 1); }
  }

  if (day || part || hour !== undefined) {
    let d = day ?? base;
    const h = hour ?? PART_HOUR[part ?? ''] ?? 10;
    let at = d.set({ hour: h, minute: 0, second: 0, millisecond: 0 }).plus({ minutes: minute });
    if (!day && at < base) at = at.plus({ days: 1 }); // "à 14h" said at 16h means tomorrow
    d = at;
    return { kind: 'absolute', at: iso(d), text: [...new Set(spans)].join(' ') };
  }
  const v = VAGUE.exec(s);
  if (v) return { kind: 'vague', text: v[0].trim() };
  return undefined;
}
