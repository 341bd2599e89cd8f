// French phone normalisation, départements and the contact CSV row rules (pure, no services).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskNumber, normalizeFrenchPhone } from '../../lib/phone';
import { departementFromPostalCode, normalizeDepartement, parseDepartementList } from '../../lib/departement';
import { decodeLine, mapRow, MAX_TEXT, parseFrenchDate, resolveColumns, sniffDelimiter, ImportSetupError } from '../../lib/contact-import';

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

test('invisible characters pasted from a web page or a spreadsheet are stripped like spaces', () => {
  const invisible: [string, string][] = [
    ['zero-width space', '\u200b'], ['zero-width non-joiner', '\u200c'], ['zero-width joiner', '\u200d'], ['word joiner', '\u2060'],
    ['soft hyphen', '\u00ad'], ['left-to-right mark', '\u200e'], ['right-to-left mark', '\u200f'],
    ['LRE', '\u202a'], ['RLE', '\u202b'], ['PDF', '\u202c'], ['LRO', '\u202d'], ['RLO', '\u202e'],
    ['LRI', '\u2066'], ['RLI', '\u2067'], ['FSI', '\u2068'], ['PDI', '\u2069'], ['BOM', '\ufeff'], ['Arabic letter mark', '\u061c'],
    ['no-break space', '\u00a0'], ['narrow no-break space', '\u202f'], ['figure space', '\u2007'],
  ];
  for (const [name, ch] of invisible) {
    for (const raw of [`${ch}06 12 34 56 78`, `06${ch}12${ch}34${ch}56${ch}78`, `+33${ch}6 12 34 56 78${ch}`]) {
      const r = normalizeFrenchPhone(raw);
      assert.ok(r.ok, `${name} in ${JSON.stringify(raw)}: ${!r.ok && r.reason}`);
      assert.equal(r.e164, '+33612345678', name);
    }
  }
  // A spreadsheet cell wrapped in bidi isolates with a word joiner inside (what a copy from an RTL page gives).
  const wrapped = normalizeFrenchPhone('\u2067\u200f+33\u20606\u00ad12\u200b34 56\u202f78\u2069');
  assert.ok(wrapped.ok && wrapped.e164 === '+33612345678');
  // Visible foreign characters are still refused, and invisible ones do not hide a short number.
  assert.match((normalizeFrenchPhone('06\u200b12\u200b34') as { reason: string }).reason, /too short \(6 digits/);
  assert.match((normalizeFrenchPhone('06 12 34 56 78 \u2605') as { reason: string }).reason, /characters other than digits/);
});

const NOW = new Date('2026-03-12T10:00:00Z');

test('rows: a 5 000-character name keeps the contact, truncated to the column limit, with a warning', () => {
  const headers = ['nom', 'prenom', 'telephone', 'preuve_consentement', 'date_consentement'];
  const cols = resolveColumns(headers);
  const long = 'A'.repeat(4_000) + 'é'.repeat(1_000);
  const r = mapRow([long, 'Jean', '06\u200b12 34 56 78', '', ''], cols, headers, { validate: true }, NOW);
  assert.ok(r.ok === true, JSON.stringify(r).slice(0, 200));
  assert.equal(r.contact.phone, '+33612345678');
  assert.equal(r.contact.lastName, 'A'.repeat(MAX_TEXT));
  assert.equal(r.contact.firstName, 'Jean');
  assert.deepEqual(r.warnings, [{ column: 'nom', reason: 'kept, truncated to 200 characters (was 5000)', value: long }]);

  // Code points, not UTF-16 units: an emoji at the cut is not split in half; trailing spaces at the cut go.
  const emoji = mapRow(['N', '😀'.repeat(250), '0612345678', '', ''], cols, headers, { validate: false }, NOW);
  assert.ok(emoji.ok === true);
  assert.equal(emoji.contact.firstName, '😀'.repeat(200));
  assert.equal(emoji.warnings[0]!.column, 'prenom');
  const spaced = mapRow(['x'.repeat(199) + ' '.repeat(10) + 'y', '', '0612345678', '', ''], cols, headers, { validate: false }, NOW);
  assert.ok(spaced.ok === true && spaced.contact.lastName === 'x'.repeat(199));

  // Exactly at the limit: kept as is, no warning.
  const exact = mapRow(['B'.repeat(MAX_TEXT), '', '0612345678', '', ''], cols, headers, { validate: false }, NOW);
  assert.ok(exact.ok === true && exact.contact.lastName === 'B'.repeat(MAX_TEXT) && exact.warnings.length === 0);

  // Consent evidence is never cut (a shortened proof is not the proof): that row is still rejected.
  const proof = mapRow(['N', '', '0612345678', 'p'.repeat(201), '01/02/2025'], cols, headers, { validate: false }, NOW);
  assert.ok(proof.ok === false);
  assert.deepEqual(proof.issues.map((i) => [i.column, i.reason]), [['preuve_consentement', 'longer than 200 characters']]);
});
