// The OpenAPI document's patterns say exactly what the server accepts: each pattern is checked against the
// function that interprets the value, on every string of its alphabet up to the longest spelling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEPARTEMENT_INPUT, departementOf } from '../../lib/departement';
import { TEXT_INPUT, TIME_ZONES } from '../../lib/input-rules';
import { normalizeFrenchPhone, PHONE_INPUT } from '../../lib/phone';

test('DEPARTEMENT_INPUT matches exactly the codes and postal codes departementOf knows', () => {
  const re = new RegExp(DEPARTEMENT_INPUT);
  const mismatches: string[] = [];
  let accepted = 0;
  const check = (s: string) => {
    const byPattern = re.test(s);
    if (byPattern) accepted++;
    if (byPattern !== (departementOf(s) !== null)) mismatches.push(s);
  };
  for (let len = 1; len <= 5; len++) for (let n = 0; n < 10 ** len; n++) check(String(n).padStart(len, '0'));
  for (const s of ['2A', '2a', '2B', '2b', '2C', 'A2', '02A', '2AB', '', ' ', '7 5', '97 4', 'x']) check(s);
  assert.deepEqual(mismatches.slice(0, 20), []);
  // The API takes the code as such: the spaces departementOf would trim (a CSV cell) are refused there.
  for (const s of ['75 ', ' 75', ' 2A', '75011 ']) assert.ok(!re.test(s) && departementOf(s) !== null, JSON.stringify(s));
  // 95 + 9 single-digit spellings - "20", 2A/2B both cases, 6 overseas, postal codes of 94 mainland + Corsica
  // prefixes (1 000 each) and of 6 overseas départements (100 each).
  assert.equal(accepted, (95 - 1) + 9 + 4 + 6 + 95 * 1000 + 6 * 100);
});

test('TEXT_INPUT: not blank, no control or bidi-override characters; spaces around are allowed (stored trimmed)', () => {
  for (const ok of ['Dupont', ' Jean ', "O'Neil-Durand", 'Zoë', '李', '😀', 'a\tb', 'ligne\nsuivante', '\u00a0x']) assert.ok(TEXT_INPUT.test(ok), JSON.stringify(ok));
  for (const bad of ['', ' ', '\u00a0\u3000', '\t\n', 'a\u0000', 'a\u0007b', 'x\u202ey', 'x\u2066', '\u007f']) assert.ok(!TEXT_INPUT.test(bad), JSON.stringify(bad));
  // Every string the pattern accepts is non-empty once trimmed, as the server stores it.
  for (let c = 0; c <= 0xffff; c++) {
    const s = String.fromCharCode(c);
    if (c >= 0xd800 && c <= 0xdfff) continue;
    if (TEXT_INPUT.test(s)) assert.ok(s.trim().length === 1, `U+${c.toString(16)} is accepted but blank once trimmed`);
  }
});

test('PHONE_INPUT admits every spelling normalizeFrenchPhone turns into a number (422 for the rest, never 400)', () => {
  const re = new RegExp(PHONE_INPUT);
  for (const s of ['06 12 34 56 78', '+33 6 12 34 56 78', '+33 (0)6 12 34 56 78', '06.12.34.56.78', '06-12-34-56-78', '0033612345678',
    '06\u200b12\u00ad34 56 78', '\u202a0612345678\u202c', '06\u00a012\u202f34 56 78', '+262 692 12 34 56', '612345678']) {
    assert.ok(re.test(s), s);
    assert.ok(normalizeFrenchPhone(s).ok, s);
  }
  for (const s of ['', 'O6 12 34 56 78', '06 12 34 56 78 ext 2', '06\t12345678', '06_12_34_56_78', '0'.repeat(41)]) assert.ok(!re.test(s), JSON.stringify(s));
});

test('TIME_ZONES: canonical IANA names the runtime formats, Europe/Paris and the overseas zones among them', () => {
  for (const z of ['UTC', 'Europe/Paris', 'Indian/Reunion', 'America/Martinique', 'America/Cayenne', 'Indian/Mayotte', 'Pacific/Noumea']) assert.ok(TIME_ZONES.includes(z), z);
  for (const z of TIME_ZONES) assert.doesNotThrow(() => new Intl.DateTimeFormat('fr-FR', { timeZone: z }), z);
  assert.equal(new Set(TIME_ZONES).size, TIME_ZONES.length);
});
