// French phone normalisation, départements and the contact CSV row rules (pure, no services).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskNumber, normalizeFrenchPhone } from '../../lib/phone';
import { departementFromPostalCode, normalizeDepartement, parseDepartementList } from '../../lib/departement';
import { decodeLine, mapRow, parseFrenchDate, resolveColumns, sniffDelimiter, ImportSetupError } from '../../lib/contact-import';

test('French spellings normalise to one E.164 number, with the line type', () => {
  for (const raw of ['06 12 34 56 78', '06.12.34.56.78', '06-12-34-56-78', '+33 6 12 34 56 78', '+33 (0)6 12 34 56 78', '0033612345678', '33612345678', '612345678', '\u00a006 12 34 56 78 ']) {
    const r = normalizeFrenchPhone(raw);
    assert.ok(r.ok, `${raw}: ${!r.ok && r.reason}`);
    assert.equal(r.e164, '+33612345678', raw);
    assert.equal(r.type, 'mobile', raw);
  }
  const landline = normalizeFrenchPhone('01 42 68 53 00');
  assert.ok(landline.ok && landline.type === 'fixed_line' && landline.e164 === '+33142685300');
  const restored = normalizeFrenchPhone('142685300');
  assert.ok(restored.ok && restored.restoredLeadingZero);
  const premium = normalizeFrenchPhone('08 99 12 34 56');
  assert.ok(premium.ok && premium.type === 'premium_rate');
});

test('overseas numbers get their country and time zone; fiction ranges are valid and flagged', () => {
  const re = normalizeFrenchPhone('0692 12 34 56');
  assert.ok(re.ok);
  assert.equal(re.e164, '+262692123456');
  assert.equal(re.country, 'RE');
  assert.equal(re.type, 'mobile');
  const fiction = normalizeFrenchPhone('06 39 98 00 01');
  assert.ok(fiction.ok && fiction.fiction && fiction.e164 === '+33639980001' && fiction.type === 'mobile');
});

test('bad numbers are rejected with a reason', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/], ['06 12 34 56', /too short/], ['06 12 34 56 78 90', /too long/], ['06 12 AB 56 78', /letters/],
    ["0612345678'; DROP TABLE contacts;--", /letters|characters/], ['+33 6 12 +34', /misplaced/], ['00 00 00 00 00', /not a valid/],
    ['=HYPERLINK("x")', /letters|characters/],
  ];
  for (const [raw, reason] of cases) {
    const r = normalizeFrenchPhone(raw);
    assert.equal(r.ok, false, raw);
    assert.match((r as { reason: string }).reason, reason, raw);
  }
  assert.equal(maskNumber('+33612345678'), '+336****5678');
});

test('départements: codes, postal codes (Corsica, overseas), filter lists', () => {
  assert.equal(normalizeDepartement('1'), '01');
  assert.equal(normalizeDepartement('2a'), '2A');
  assert.equal(normalizeDepartement('20'), null);
  assert.equal(normalizeDepartement('96'), null);
  assert.equal(departementFromPostalCode('75011'), '75');
  assert.equal(departementFromPostalCode('20090'), '2A');
  assert.equal(departementFromPostalCode('20200'), '2B');
  assert.equal(departementFromPostalCode('97400'), '974');
  assert.equal(departementFromPostalCode('98000'), null);
  assert.deepEqual(parseDepartementList('01, 02;2b 974'), ['01', '02', '2B', '974']);
  assert.throws(() => parseDepartementList('01,99'), /"99"/);
});

test('delimiter sniffing, per-line decoding, French dates', () => {
  assert.equal(sniffDelimiter('nom;prenom;telephone'), ';');
  assert.equal(sniffDelimiter('"nom, complet",telephone,email'), ',');
  assert.equal(sniffDelimiter('nom\tprenom\ttel'), '\t');
  assert.deepEqual(decodeLine(Buffer.from('Hélène', 'utf8')), { text: 'Hélène', encoding: 'utf-8' });
  assert.deepEqual(decodeLine(Buffer.from([0x48, 0xe9, 0x6c, 0xe8, 0x6e, 0x65])), { text: 'Hélène', encoding: 'windows-1252' });
  assert.equal(parseFrenchDate('31/01/2025')?.toISOString(), '2025-01-31T12:00:00.000Z');
  assert.equal(parseFrenchDate('31/02/2025'), null);
  assert.equal(parseFrenchDate('2025-01-31')?.toISOString(), '2025-01-31T12:00:00.000Z');
  assert.equal(parseFrenchDate('hier'), null);
});

test('columns: French headers, operator mapping, missing phone column named', () => {
  const headers = ['Nom', 'Prénom', 'Téléphone', 'E-mail', 'Code postal'];
  const cols = resolveColumns(headers);
  assert.deepEqual(cols, { lastName: 0, firstName: 1, phone: 2, email: 3, departement: 4 });
  assert.equal(resolveColumns(['nom_complet', 'tel_perso', 'mail'], { phone: 'tel_perso' }).phone, 1);
  assert.throws(() => resolveColumns(['nom', 'email']), (e: Error) => e instanceof ImportSetupError && /no phone column/.test(e.message));
  assert.throws(() => resolveColumns(['nom', 'tel'], { email: 'courriel' }), /"courriel" \(--email-col\)/);
  assert.throws(() => resolveColumns(['nom', 'tel'], {}, { needDepartement: true }), /--region-filter/);
});

test('rows: normalised contact, issues naming the column, region filter, advanced validation', () => {
  const headers = ['nom', 'prenom', 'telephone', 'email', 'cp', 'date_consentement', 'client'];
  const cols = resolveColumns(headers);
  const now = new Date('2026-01-01T00:00:00Z');
  const ok = mapRow(['Dupont', 'Jean', '01 23 45 67 89', 'Jean@Example.fr', '97400', '15/06/2025', 'oui'], cols, headers, { validate: true }, now);
  assert.ok(ok.ok === true);
  assert.equal(ok.contact.phone, '+33123456789');
  assert.equal(ok.contact.departement, '974');
  assert.equal(ok.contact.timezone, 'Indian/Reunion');
  assert.equal(ok.contact.email, 'jean@example.fr');
  assert.equal(ok.contact.existingCustomer, true);
  assert.equal(ok.contact.consentGivenAt?.toISOString(), '2025-06-15T12:00:00.000Z');

  const bad = mapRow(['Du\u0007pont', '', '0899123456', 'pas-un-mail', '99999', '01/01/2030', 'peut-être'], cols, headers, { validate: true }, now);
  assert.ok(bad.ok === false);
  assert.deepEqual(bad.issues.map((i) => i.column).sort(), ['client', 'cp', 'date_consentement', 'email', 'nom', 'telephone'].sort());
  assert.match(bad.issues.find((i) => i.column === 'telephone')!.reason, /premium rate/);

  const lenient = mapRow(['X', '', '0899123456', 'pas-un-mail', '', '', ''], cols, headers, { validate: false }, now);
  assert.ok(lenient.ok === true, 'without --validate a premium number and a malformed e-mail pass');

  const filtered = mapRow(['X', '', '0612345678', '', '75011', '', ''], cols, headers, { validate: false, regionFilter: new Set(['13']) }, now);
  assert.deepEqual(filtered, { ok: 'filtered', departement: '75' });
  const missing = mapRow(['X'], cols, headers, { validate: false }, now);
  assert.ok(missing.ok === false && missing.issues[0]!.reason === 'missing phone number');
});
