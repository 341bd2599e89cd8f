// Who calls, and on what basis: caller ID in ARCEP's canvassing ranges, the first prompt's disclosure, the
// legal basis recorded with a call, the compliance report's CSV, the consent columns of the import.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CANVASSING_RANGES, checkCanvassingCallerId } from '../../lib/caller-id';
import { missingDisclosure, disclosureErrors } from '../../lib/disclosure';
import { legalBasis } from '../../lib/compliance';
import { localTime, reportCsv } from '../../lib/compliance-report';
import { mapRow, resolveColumns } from '../../lib/contact-import';
import { PRODUCTION, TEST, validateScenario, type PromptTexts } from '../../lib/scenario';
import { loadPromptTexts } from '../../services/prompts';

const ALLOWED = '0162, 0163, 0270, 0271, 0377, 0378, 0424, 0425, 0568, 0569, 0948, 0949, 09475, 09476, 09477, 09478, 09479';

test('caller ID: every ARCEP canvassing range is accepted, in any French spelling, at its first and last number', () => {
  assert.equal(CANVASSING_RANGES.map((r) => r.prefix).join(', '), ALLOWED);
  for (const { prefix } of CANVASSING_RANGES) {
    const first = prefix.padEnd(10, '0');
    const last = prefix.padEnd(10, '9');
    for (const spelling of [first, last, `+33${last.slice(1)}`, `0033 ${first.slice(1)}`, first.replace(/(\d{2})(?=\d)/g, '$1 ')]) {
      const r = checkCanvassingCallerId(spelling);
      assert.ok(r.ok, `${spelling}: ${JSON.stringify(r)}`);
      assert.equal(r.range.prefix, prefix);
    }
  }
});

test('caller ID: numbers just outside the ranges, mobiles, ordinary 09, overseas geographic numbers and garbage are refused, naming the allowed ranges', () => {
  for (const n of ['0161999999', '0164000000', '0269999999', '0272000000', '0379000000', '0423999999', '0570000000', '0947000000', '0947499999', '0947400000',
    '0950000000', '0612345678', '0712345678', '0123456789', '0262123456', '0590123456', '0800123456']) {
    const r = checkCanvassingCallerId(n);
    assert.equal(r.ok, false, n);
    assert.ok(!r.ok && r.reason.endsWith(`decision n° 2022-1583): ${ALLOWED}`), `${n}: ${!r.ok && r.reason}`);
  }
  for (const [n, why] of [['', /no caller ID set/], [null, /no caller ID set/], ['abc', /contains letters/], ['+442071234567', /not a number of the French national plan/]] as const) {
    const r = checkCanvassingCallerId(n);
    assert.ok(!r.ok && why.test(r.reason), `${n}: ${JSON.stringify(r)}`);
  }
});

const id = { company: 'Éco Habitat Conseil', purpose: 'rénovation énergétique' };

test('disclosure: the shipped hello says who calls, why, and that the call is automated', () => {
  const p = loadPromptTexts('audio');
  assert.deepEqual(p.identity, id);
  assert.deepEqual(missingDisclosure(p.texts.hello!, p.identity), []);
  assert.deepEqual(validateScenario(PRODUCTION, p), []);
});

test('disclosure: each missing element is named, on ASR-free text with or without accents and punctuation', () => {
  const full = "Bonjour, ici l'assistante virtuelle d'Éco Habitat Conseil, au sujet de la rénovation énergétique de votre logement.";
  assert.deepEqual(missingDisclosure(full, id), []);
  assert.deepEqual(missingDisclosure('bonjour ici un appel automatise de eco habitat conseil pour la renovation energetique', id), []);
  assert.deepEqual(missingDisclosure("Bonjour, ici Camille, d'Éco Habitat Conseil, au sujet de la rénovation énergétique.", id), ['automated']);
  assert.deepEqual(missingDisclosure('Bonjour, ceci est un appel automatisé au sujet de la rénovation énergétique.', id), ['company']);
  assert.deepEqual(missingDisclosure("Bonjour, ici le robot d'Éco Habitat Conseil. Auriez-vous une minute ?", id), ['purpose']);
  assert.deepEqual(missingDisclosure('Bonjour, auriez-vous une minute ?', id), ['company', 'purpose', 'automated']);
  // A part of the company name is not the company; "appel" alone is not "automated".
  assert.deepEqual(missingDisclosure('Bonjour, un appel de Éco Habitat au sujet de la rénovation énergétique.', id), ['company', 'automated']);
  assert.deepEqual(disclosureErrors('hello', 'Bonjour', id), [
    'prompt "hello" does not say who calls: the company (Code de la consommation L.221-16)',
    'prompt "hello" does not say why: the commercial purpose of the call (Code de la consommation L.221-16)',
    'prompt "hello" does not say that the call is automated, an AI system speaking (EU AI Act art. 50, from 2 August 2026)',
  ]);
});

test('disclosure: validateScenario refuses a scenario whose first prompt lacks an element, not a technical one', () => {
  const prompts: PromptTexts = { texts: { hello: "Bonjour, ici Camille, d'Éco Habitat Conseil. Auriez-vous une minute ?", test_audio: 'Ceci est un test.' }, identity: id };
  assert.deepEqual(validateScenario(PRODUCTION, prompts), [
    'steps.hello.prompt: prompt "hello" does not say why: the commercial purpose of the call (Code de la consommation L.221-16)',
    'steps.hello.prompt: prompt "hello" does not say that the call is automated, an AI system speaking (EU AI Act art. 50, from 2 August 2026)',
  ]);
  assert.deepEqual(validateScenario(PRODUCTION, { ...prompts, texts: {} }), ['steps.hello.prompt: no text for prompt "hello", so its disclosure cannot be checked']);
  assert.deepEqual(validateScenario(TEST, prompts), []);
  assert.deepEqual(validateScenario(PRODUCTION), []); // graph only
});

test('legal basis: non-commercial, then consent, then existing customer, with the evidence copied', () => {
  const r = { consentGivenAt: new Date('2025-06-15T08:30:00Z'), consentSource: 'https://example.fr/form', consentWordingVersion: 'v3', consentProof: 'form-1', existingCustomer: true };
  const evidence = { consentGivenAt: '2025-06-15T08:30:00.000Z', consentSource: 'https://example.fr/form', consentWordingVersion: 'v3', consentProof: 'form-1', existingCustomer: true };
  assert.deepEqual(legalBasis(r, { nonCommercial: true }), { basis: 'non_commercial', evidence });
  assert.deepEqual(legalBasis(r, { nonCommercial: false }), { basis: 'consent', evidence });
  const customer = { ...r, consentGivenAt: null, consentSource: null, consentWordingVersion: null, consentProof: null };
  assert.equal(legalBasis(customer, { nonCommercial: false }).basis, 'existing_customer');
  assert.throws(() => legalBasis({ ...customer, existingCustomer: false }, { nonCommercial: false }), /dialDecision refuses/);
});

test('compliance report: exact CSV (BOM, ";", CRLF, formula cells quoted, local time per zone across DST)', () => {
  const ev = { consentGivenAt: '2025-06-15T08:30:00.000Z', consentSource: '=HYPERLINK("http://x")', consentWordingVersion: 'v3;b', consentProof: null, existingCustomer: false };
  const csv = reportCsv([
    { contactId: 'c1', phone: '+33612345678', timeZone: 'Europe/Paris', state: 'done', skipReason: null, lastOutcome: 'lead', attempts: [
      { attempt: 2, dialedAt: new Date('2026-03-30T08:00:00Z'), outcome: 'lead', legalBasis: 'consent', basisEvidence: ev },
      { attempt: 1, dialedAt: new Date('2026-03-27T09:00:00Z'), outcome: 'no_answer', legalBasis: 'consent', basisEvidence: ev },
    ] },
    { contactId: 'c2', phone: '+262692123456', timeZone: 'Indian/Reunion', state: 'skipped', skipReason: 'no_consent', lastOutcome: null, attempts: [] },
    { contactId: 'c3', phone: '+596696123456', timeZone: 'America/Martinique', state: 'skipped', skipReason: 'opted_out', lastOutcome: 'callback', attempts: [
      { attempt: 1, dialedAt: new Date('2026-03-27T14:00:00Z'), outcome: 'callback', legalBasis: 'existing_customer', basisEvidence: { ...ev, consentGivenAt: null, consentSource: null, consentWordingVersion: null, existingCustomer: true } },
    ] },
    { contactId: 'c4', phone: '+33123456789', timeZone: 'Europe/Paris', state: 'pending', skipReason: null, lastOutcome: null, attempts: [] },
  ], { header: true });
  assert.equal(csv, '\uFEFF' + [
    'contact_id;phone;time_zone;decision;rule;basis;consent_given_at;consent_source;consent_wording_version;consent_proof;existing_customer;attempts;attempts_local_time;last_outcome',
    'c1;\'+33612345678;Europe/Paris;dialed;prior consent (L.34-5 CPCE, law of 30 June 2025);consent;2025-06-15T08:30:00.000Z;"\'=HYPERLINK(""http://x"")";"v3;b";;non;2;2026-03-27 10:00:00 +01:00 | 2026-03-30 10:00:00 +02:00;lead',
    'c2;\'+262692123456;Indian/Reunion;skipped;no_consent;;;;;;;0;;',
    'c3;\'+596696123456;America/Martinique;dialed_then_skipped;existing customer (law of 30 June 2025 exemption), then skipped: opted_out;existing_customer;;;;;oui;1;2026-03-27 10:00:00 -04:00;callback',
    'c4;\'+33123456789;Europe/Paris;not_dialed;not dialed yet (pending);;;;;;;0;;',
  ].join('\r\n') + '\r\n');
  assert.equal(reportCsv([], { header: false }), '');
  assert.equal(localTime(new Date('2026-10-25T00:30:00Z'), 'Europe/Paris'), '2026-10-25 02:30:00 +02:00');
  assert.equal(localTime(new Date('2026-10-25T01:30:00Z'), 'Europe/Paris'), '2026-10-25 02:30:00 +01:00');
});

test('import: consent date, source and wording version columns, with per-row issues', () => {
  const headers = ['tel', 'optin', 'origine', 'version_texte'];
  const cols = resolveColumns(headers, { consentDate: 'optin', consentSource: 'origine', consentWordingVersion: 'version_texte' });
  const now = new Date('2026-01-01T00:00:00Z');
  const ok = mapRow(['0612345678', '15/06/2025 09:30', 'https://eco.example/form', 'CGU-2025-03'], cols, headers, { validate: false }, now);
  assert.ok(ok.ok === true);
  assert.deepEqual([ok.contact.consentGivenAt?.toISOString(), ok.contact.consentSource, ok.contact.consentWordingVersion], ['2025-06-15T09:30:00.000Z', 'https://eco.example/form', 'CGU-2025-03']);
  const noDate = mapRow(['0612345678', '', 'papier', 'v1'], cols, headers, { validate: false }, now);
  assert.deepEqual(noDate, { ok: false, issues: [
    { column: 'origine', reason: 'consent evidence without a consent date', value: 'papier' },
    { column: 'version_texte', reason: 'consent evidence without a consent date', value: 'v1' },
  ] });
  // Recognised without mapping
  assert.deepEqual(resolveColumns(['telephone', 'date_consentement', 'source_consentement', 'version_consentement']),
    { phone: 0, consentDate: 1, consentSource: 2, consentWordingVersion: 3 });
  assert.throws(() => resolveColumns(['tel'], { consentWordingVersion: 'v' }), /--consent-version-col/);
});

test('the hello WAV was rebuilt from the new text (longer than the old 8.5 s one)', () => {
  const b = readFileSync('audio/hello.wav');
  const seconds = b.readUInt32LE(40) / 16000;
  assert.ok(seconds > 10 && seconds < 30, String(seconds));
});
