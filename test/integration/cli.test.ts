// The `minibot` CLI against the real stack: contact import of a hostile 10 000-row CSV (exact counts, report,
// idempotence, batches all-or-nothing), encodings, mapping, region filter, DNC list, contact validation, and
// the campaign commands driving a real Temporal workflow.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { makeContacts, startWorkers, testStack, waitUntil, type RunningWorkers, type TestStack } from '../helpers/stack';
import { runMinibot } from '../helpers/minibot-cli';

/** Two digits after 06 that make metropolitan mobile numbers (0639 and 069x are overseas ranges). */
function randomBlock(): string {
  for (;;) {
    const b = 10 + Math.floor(Math.random() * 80);
    if (b !== 39) return String(b);
  }
}

let stack: TestStack;
let dir: string;

/** Runs the CLI without blocking this process (its in-process workers must keep serving Temporal). */
const minibot = runMinibot;

const cp1252 = (s: string) => Buffer.from(new TextEncoder().encode(s).length === s.length ? s : [...s].map((ch) => {
  const map: Record<string, number> = { é: 0xe9, è: 0xe8, ç: 0xe7, à: 0xe0, ô: 0xf4, É: 0xc9, ë: 0xeb };
  return map[ch] ?? ch.charCodeAt(0);
}));

/**
 * The hostile file: UTF-8 with BOM, semicolons, CRLF, plus per block of 20 rows: an invalid number, a row with
 * missing columns, a Windows-1252 line, a quoted multi-line field with the delimiter inside, a formula, a
 * control character, an in-file duplicate in another spelling, a bad e-mail, a premium number, a bad postal
 * code, a consent date in the future, extra columns, an empty line, an SQL-looking name, a number whose
 * leading 0 was lost, a number with invisible characters pasted from a web page (zero-width space, word joiner,
 * soft hyphen, bidi isolates, narrow NBSP), a 5 000-character name (kept, truncated, reported). (Line breaks inside
 * a cell are LF, as Excel writes them.) Expected figures are counted while writing, by construction.
 */
function hostileCsv(path: string, rows: number, block: string) {
  const parts: Buffer[] = [Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Nom;Prénom;Téléphone;Email;Code postal;Date consentement\r\n')];
  let line = 1;
  const exp = {
    rows: 0, valid: 0, rejected: 0, duplicates: 0, cp1252Lines: 0, rejectedLines: [] as number[], duplicateLines: [] as number[],
    truncatedLines: [] as number[], invisiblePhones: [] as string[],
  };
  const phone = (i: number) => `06${block}${String(i).padStart(6, '0')}`; // 06 + 2-digit block + 6 digits
  const spaced = (p: string) => p.replace(/(\d\d)(?=\d)/g, '$1 ');
  const push = (s: string | Buffer, kind: 'valid' | 'rejected' | 'duplicate') => {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    const newlines = b.toString('latin1').split('\n').length - 1;
    line += newlines;
    exp.rows += 1;
    if (kind === 'valid') exp.valid += 1;
    else if (kind === 'rejected') {
      exp.rejected += 1;
      exp.rejectedLines.push(line);
    } else {
      exp.duplicates += 1;
      exp.duplicateLines.push(line);
    }
    parts.push(b);
  };
  for (let i = 0; i < rows; i++) {
    const p = phone(i);
    const cat = i % 20;
    const email = `c${i}@exemple.fr`;
    switch (cat) {
      case 0: push(`Faux;Numéro;12 34;${email};75001;\r\n`, 'rejected'); break;
      case 1: push('Sans;Colonnes\r\n', 'rejected'); break;
      case 2: push(Buffer.concat([cp1252(`Hélène;François;${spaced(p)};${email};13008;01/02/2025`), Buffer.from('\r\n')]), 'valid'); exp.cp1252Lines += 1; break;
      case 3: push(`"Dupont;\nJunior";"Jean ""JJ""";${p};${email};69001;2025-03-04\r\n`, 'valid'); break;
      case 4: push(`=HYPERLINK("http://x");@SUM(1);${p};${email};33000;\r\n`, 'valid'); break;
      case 5: push(`Bel\u0007l;Anne;${p};${email};31000;\r\n`, 'rejected'); break;
      case 6: push(`Double;Ligne;+33 ${spaced(phone(i - 4).slice(1))};${email};75002;\r\n`, 'duplicate'); break;
      case 7: push(`Mail;Faux;${p};pas-un-mail;75003;\r\n`, 'rejected'); break;
      case 8: push(`Surtaxe;Numéro;08 99 ${block} ${String(i % 100).padStart(2, '0')} 00;${email};75004;\r\n`, 'rejected'); break;
      case 9: push(`Code;Postal;${p};${email};ABCDE;\r\n`, 'rejected'); break;
      case 10: push(`Futur;Consentement;${p};${email};75005;01/01/2999\r\n`, 'rejected'); break;
      case 11: push(`Trop;De;${p};${email};75006;;colonne en trop;encore\r\n`, 'valid'); break;
      case 12: parts.push(Buffer.from('\r\n')); line += 1; push(`Après;Vide;${p};${email};20167;\r\n`, 'valid'); break;
      case 13: push(`"Robert'); DROP TABLE contacts;--";Bobby;${p};${email};75007;\r\n`, 'valid'); break;
      case 14: push(`Zéro;Perdu;6${block}${String(i).padStart(6, '0')};${email};97400;\r\n`, 'valid'); break;
      case 15: {
        const invisible = `\u2066\u200b${p.slice(0, 2)}\u2060${p.slice(2, 4)}\u00ad${p.slice(4, 6)}\u202f${p.slice(6, 8)}\u200e${p.slice(8)}\ufeff\u2069`;
        push(`Invisible;Collé;${invisible};${email};75008;\r\n`, 'valid');
        exp.invisiblePhones.push(`+33${p.slice(1)}`);
        break;
      }
      case 16:
        push(`${'Long'.repeat(1_250)};Nom;${p};${email};75009;\r\n`, 'valid');
        exp.truncatedLines.push(line);
        break;
      default: push(`Nom${i};Prénom${i};${spaced(p)};${email};${String(1 + (i % 95)).padStart(2, '0')}100;\r\n`, 'valid');
    }
  }
  writeFileSync(path, Buffer.concat(parts));
  return exp;
}

before(async () => {
  stack = await testStack();
  dir = mkdtempSync(join(tmpdir(), 'minibot-cli-'));
});

after(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('minibot contacts import', () => {
  test('--help documents the commands and the seed options', async () => {
    const top = (await minibot(['--help']));
    assert.equal(top.code, 0);
    for (const c of ['contacts', 'dnc', 'campaign']) assert.match(top.out, new RegExp(`\\b${c}\\b`));
    const imp = (await minibot(['contacts', 'import', '--help']));
    for (const o of ['--validate', '--dedupe', '--batch-size', '--phone-col', '--name-col', '--email-col', '--region-filter', '--consent-date-col']) assert.ok(imp.out.includes(o), o);
    const launch = (await minibot(['campaign', 'launch', '--help']));
    for (const o of ['--name', '--scenario', '--limit', '--concurrent', '--start-time', '--end-time', '--days', '--timezone']) assert.ok(launch.out.includes(o), o);
  });

  test('hostile 10 000-row CSV: exact counts, per-row report, idempotent re-run, --dedupe', async () => {
    const block = randomBlock();
    const file = join(dir, 'hostile.csv');
    const exp = hostileCsv(file, 10_000, block);
    const source = `cli-${randomUUID().slice(0, 8)}`;
    const r = (await minibot(['contacts', 'import', file, '--validate', '--batch-size', '1000', '--source', source, '--json']));
    assert.equal(r.code, 0, r.err);
    const s = r.json();
    assert.equal(s.fatal, null);
    assert.equal(s.delimiter, ';');
    assert.equal(s.rows, exp.rows);
    assert.equal(s.rows, 10_000);
    assert.equal(s.valid, exp.valid);
    assert.equal(s.created, exp.valid);
    assert.equal(s.rejected, exp.rejected);
    assert.equal(s.duplicates, exp.duplicates);
    assert.equal(s.truncated, exp.truncatedLines.length);
    assert.equal(s.truncated, 500);
    assert.equal(s.batches, Math.ceil(exp.valid / 1000));
    assert.equal(s.encodings['windows-1252'], exp.cp1252Lines);
    assert.equal(await stack.prisma.contact.count({ where: { source } }), exp.valid);

    // The tricky rows landed right.
    const fr = await stack.prisma.contact.findFirstOrThrow({ where: { source, firstName: 'François' } });
    assert.equal(fr.lastName, 'Hélène');
    assert.equal(fr.departement, '13');
    assert.equal(fr.consentGivenAt?.toISOString(), '2025-02-01T12:00:00.000Z');
    assert.ok(await stack.prisma.contact.findFirst({ where: { source, lastName: 'Dupont;\nJunior', firstName: 'Jean "JJ"' } }), 'quoted multi-line field');
    assert.ok(await stack.prisma.contact.findFirst({ where: { source, lastName: "Robert'); DROP TABLE contacts;--" } }), 'SQL-looking text stored as text');
    const reunion = await stack.prisma.contact.findFirstOrThrow({ where: { source, lastName: 'Zéro' } });
    assert.equal(reunion.timezone, 'Indian/Reunion');
    assert.match(reunion.phone, /^\+336\d{8}$/);
    assert.equal((await stack.prisma.contact.findFirstOrThrow({ where: { source, lastName: 'Après' } })).departement, '2A');
    // Invisible characters stripped: every such row is a contact with exactly its number.
    const invisible = await stack.prisma.contact.findMany({ where: { source, lastName: 'Invisible' }, orderBy: { phone: 'asc' } });
    assert.equal(exp.invisiblePhones.length, 500);
    assert.deepEqual(invisible.map((c) => c.phone), [...exp.invisiblePhones].sort());
    // The 5 000-character names: the contacts are kept, the name cut to the column's 200 characters.
    const long = await stack.prisma.contact.findMany({ where: { source, firstName: 'Nom', lastName: { startsWith: 'LongLong' } } });
    assert.equal(long.length, exp.truncatedLines.length);
    assert.ok(long.every((c) => c.lastName === 'Long'.repeat(50)), 'truncated to 200 characters');

    // The report: one line per issue, with the CSV line number, the column and the reason.
    const report = readFileSync(`${file}.errors.csv`, 'utf8').replace(/^\uFEFF/, '').trim().split('\n');
    assert.equal(report[0], 'line,column,value,reason');
    assert.equal(report.length - 1, exp.rejected + exp.duplicates + exp.truncatedLines.length);
    const lines = report.slice(1).map((l) => Number(l.split(',')[0]));
    assert.deepEqual(lines, [...exp.rejectedLines, ...exp.duplicateLines, ...exp.truncatedLines].sort((a, b) => a - b));
    assert.match(report.find((l) => l.startsWith(`${exp.truncatedLines[0]},`))!, /^\d+,Nom,(Long){20}…,"kept, truncated to 200 characters \(was 5000\)"$/);
    assert.ok(!report.some((l) => /characters other than digits/.test(l)), 'no number rejected for an invisible character');
    const first = report.slice(1);
    assert.match(first.find((l) => l.startsWith(`${exp.rejectedLines[0]},`))!, /Téléphone,12 34,"too short/);
    assert.match(first.find((l) => l.startsWith(`${exp.rejectedLines[1]},`))!, /Téléphone,,missing phone number/);
    assert.ok(first.some((l) => /,Nom,.*control characters/.test(l)));
    assert.ok(first.some((l) => /,Email,pas-un-mail,not a valid e-mail address/.test(l)));
    assert.ok(first.some((l) => /premium rate/.test(l)));
    assert.ok(first.some((l) => /,Code postal,ABCDE,/.test(l)));
    assert.ok(first.some((l) => /consent date is in the future/.test(l)));
    assert.ok(first.some((l) => new RegExp(`^${exp.duplicateLines[0]},Téléphone,\\+336${block}\\d{6},duplicate of line \\d+$`).test(l)));

    // Re-running the same file changes nothing.
    const stamp = await stack.prisma.contact.aggregate({ where: { source }, _max: { updatedAt: true } });
    const again = (await minibot(['contacts', 'import', file, '--validate', '--batch-size', '1000', '--source', source, '--json'])).json();
    assert.equal(again.created, 0);
    assert.equal(again.updated, 0);
    assert.equal(again.unchanged, exp.valid);
    assert.equal(again.rejected, exp.rejected);
    assert.equal(again.truncated, exp.truncatedLines.length);
    assert.deepEqual(await stack.prisma.contact.aggregate({ where: { source }, _max: { updatedAt: true } }), stamp);
    assert.equal(await stack.prisma.contact.count({ where: { source } }), exp.valid);

    // --dedupe leaves the existing contacts alone.
    const dd = (await minibot(['contacts', 'import', file, '--validate', '--dedupe', '--source', source, '--json'])).json();
    assert.equal(dd.created, 0);
    assert.equal(dd.existingSkipped, exp.valid);

    // Human output names the report.
    const human = (await minibot(['contacts', 'import', file, '--validate', '--source', source, '--no-progress']));
    assert.equal(human.code, 0);
    assert.match(human.out, new RegExp(`rejected\\s+${exp.rejected}`));
    assert.match(human.out, /hostile\.csv\.errors\.csv/);
  });

  test('each batch is one transaction: a failing batch leaves nothing half-written; the re-run completes', async () => {
    const file = join(dir, 'batches.csv');
    const source = `batch-${randomUUID().slice(0, 8)}`;
    const block = randomBlock();
    const rows = ['nom,telephone'];
    for (let i = 0; i < 2500; i++) rows.push(`${i === 1700 ? 'BOOM' : `N${i}`},06${block}5${String(i).padStart(5, '0')}`);
    writeFileSync(file, rows.join('\n') + '\n');
    const fn = `minibot_test_boom_${randomUUID().slice(0, 8)}`;
    await stack.prisma.$executeRawUnsafe(`CREATE FUNCTION ${fn}() RETURNS trigger AS $$ BEGIN IF NEW.last_name = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await stack.prisma.$executeRawUnsafe(`CREATE TRIGGER ${fn} BEFORE INSERT ON contacts FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    try {
      const r = (await minibot(['contacts', 'import', file, '--batch-size', '1000', '--source', source, '--json']));
      assert.equal(r.code, 1);
      const s = r.json();
      assert.match(s.fatal, /stopped after 1 complete batch/);
      assert.equal(s.created, 1000);
      assert.equal(await stack.prisma.contact.count({ where: { source } }), 1000, 'first batch committed, second not at all');
    } finally {
      await stack.prisma.$executeRawUnsafe(`DROP TRIGGER ${fn} ON contacts`);
      await stack.prisma.$executeRawUnsafe(`DROP FUNCTION ${fn}()`);
    }
    const again = (await minibot(['contacts', 'import', file, '--batch-size', '1000', '--source', source, '--json'])).json();
    assert.equal(again.created, 1500);
    assert.equal(again.unchanged, 1000);
    assert.equal(await stack.prisma.contact.count({ where: { source } }), 2500);
  });

  test('UTF-16 file, column mapping, region filter, dry run, missing phone column', async () => {
    const block = randomBlock();
    const source = `map-${randomUUID().slice(0, 8)}`;
    const f16 = join(dir, 'utf16.csv');
    const text = `nom_complet,tel_perso,mail,cp,consent\r\nÉlodie Martin,06${block}300001,e@x.fr,75011,2025-05-05\r\nJosé Ñúñez,06${block}300002,j@x.fr,13001,\r\nLéo Bastia,06${block}300003,l@x.fr,20200,\r\n`;
    writeFileSync(f16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const dry = (await minibot(['contacts', 'import', f16, '--phone-col', 'tel_perso', '--name-col', 'nom_complet', '--email-col', 'mail', '--consent-date-col', 'consent', '--source', source, '--dry-run', '--json'])).json();
    assert.equal(dry.valid, 3);
    assert.equal(dry.created, 0);
    assert.equal(await stack.prisma.contact.count({ where: { source } }), 0, 'dry run writes nothing');
    const r = (await minibot(['contacts', 'import', f16, '--phone-col', 'tel_perso', '--name-col', 'nom_complet', '--email-col', 'mail', '--consent-date-col', 'consent', '--region-filter', '75,2B', '--source', source, '--json']));
    assert.equal(r.code, 0, r.err);
    const s = r.json();
    assert.equal(s.encodings['utf-16le'], 1);
    assert.equal(s.created, 2);
    assert.equal(s.filtered, 1);
    const rows = await stack.prisma.contact.findMany({ where: { source }, orderBy: { phone: 'asc' } });
    assert.deepEqual(rows.map((x) => [x.lastName, x.departement, x.email]), [['Élodie Martin', '75', 'e@x.fr'], ['Léo Bastia', '2B', 'l@x.fr']]);
    assert.ok(rows[0]!.consentGivenAt);

    const noPhone = join(dir, 'nophone.csv');
    writeFileSync(noPhone, 'nom,email\nA,a@x.fr\n');
    const bad = (await minibot(['contacts', 'import', noPhone, '--json']));
    assert.equal(bad.code, 1);
    assert.match(bad.json().fatal, /no phone column/);
    const badMap = (await minibot(['contacts', 'import', f16, '--email-col', 'courriel']));
    assert.equal(badMap.code, 1);
    assert.match(badMap.err, /"courriel" \(--email-col\) is not in the header/);
    const badFilter = (await minibot(['contacts', 'import', f16, '--region-filter', '75,99']));
    assert.equal(badFilter.code, 2);
    assert.match(badFilter.err, /"99" is not a French département/);
    assert.equal((await minibot(['contacts', 'import', join(dir, 'missing.csv')])).code, 1);
  });
});

describe('consent you can prove', () => {
  test('import: --consent-col, --consent-source-col, --consent-version-col, with the per-row report; re-import keeps the evidence', async () => {
    const block = randomBlock();
    const source = `consent-${randomUUID().slice(0, 8)}`;
    const file = join(dir, 'consent.csv');
    writeFileSync(file, [
      'tel;optin le;recueilli sur;texte',
      `06${block}400001;15/06/2025 09:30;https://eco.example/form?c=renov;CGU-2025-03`,
      `06${block}400002;2025-05-01;papier;v1`,
      `06${block}400003;;salon de l'habitat;v2`,
      `06${block}400004;31/02/2025;https://eco.example/form;v2`,
      `06${block}400005;;;`,
    ].join('\r\n') + '\r\n');
    const args = ['contacts', 'import', file, '--phone-col', 'tel', '--consent-col', 'optin le', '--consent-source-col', 'recueilli sur', '--consent-version-col', 'texte', '--source', source, '--json'];
    const r = await minibot(args);
    assert.equal(r.code, 0, r.err);
    const s = r.json();
    assert.deepEqual([s.rows, s.valid, s.created, s.rejected], [5, 3, 3, 2]);
    assert.deepEqual(readFileSync(`${file}.errors.csv`, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/), [
      'line,column,value,reason',
      "4,recueilli sur,salon de l'habitat,consent evidence without a consent date",
      '4,texte,v2,consent evidence without a consent date',
      '5,optin le,31/02/2025,expected a consent date (JJ/MM/AAAA or AAAA-MM-JJ)',
    ]);
    const rows = await stack.prisma.contact.findMany({ where: { source }, orderBy: { phone: 'asc' } });
    assert.deepEqual(rows.map((x) => [x.phone, x.consentGivenAt?.toISOString() ?? null, x.consentSource, x.consentWordingVersion]), [
      [`+336${block}400001`, '2025-06-15T09:30:00.000Z', 'https://eco.example/form?c=renov', 'CGU-2025-03'],
      [`+336${block}400002`, '2025-05-01T12:00:00.000Z', 'papier', 'v1'],
      [`+336${block}400005`, null, null, null],
    ]);
    // A later file without the columns keeps the evidence (COALESCE), and the same file changes nothing.
    const again = (await minibot(args)).json();
    assert.deepEqual([again.created, again.updated, again.unchanged], [0, 0, 3]);
    const bare = join(dir, 'bare.csv');
    writeFileSync(bare, `telephone\n06${block}400001\n`);
    assert.equal((await minibot(['contacts', 'import', bare, '--json'])).code, 0);
    assert.equal((await stack.prisma.contact.findUniqueOrThrow({ where: { phone: `+336${block}400001` } })).consentWordingVersion, 'CGU-2025-03');
    const badCol = await minibot(['contacts', 'import', file, '--consent-version-col', 'version']);
    assert.equal(badCol.code, 1);
    assert.match(badCol.err, /"version" \(--consent-version-col\) is not in the header/);
  });

  test('compliance report: CSV file with BOM and ";"; unknown campaign exit 1; bad id exit 1', async () => {
    const { ids, phones } = await makeContacts(stack.prisma, 2, (i) => (i === 1 ? { consentGivenAt: null, timezone: 'America/Martinique' } : {}));
    const c = await stack.prisma.campaign.create({ data: { name: 'report' } });
    await stack.prisma.campaignContact.createMany({ data: [
      { campaignId: c.id, contactId: ids[0]!, state: 'done', lastOutcome: 'lead', attempts: 1 },
      { campaignId: c.id, contactId: ids[1]!, state: 'skipped', skipReason: 'no_consent' },
    ] });
    const dialedAt = new Date('2026-03-27T09:00:00Z');
    await stack.prisma.call.create({ data: {
      campaignId: c.id, contactId: ids[0]!, attempt: 1, workflowId: `call-${c.id}-${ids[0]}-1`, phone: phones[0]!, status: 'completed', outcome: 'lead',
      dialedAt, legalBasis: 'consent', basisEvidence: { consentGivenAt: '2026-03-26T09:00:00.000Z', consentSource: 'test', consentWordingVersion: null, consentProof: null, existingCustomer: false },
    } });
    const out = join(dir, 'compliance.csv');
    const r = await minibot(['compliance', 'report', '--campaign', c.id, '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err.trim(), `compliance report: 2 contact(s) written to ${out}`);
    assert.equal(readFileSync(out, 'utf8'), '\uFEFF' + [
      'contact_id;phone;time_zone;decision;rule;basis;consent_given_at;consent_source;consent_wording_version;consent_proof;existing_customer;attempts;attempts_local_time;last_outcome',
      `${ids[0]};'${phones[0]};Europe/Paris;dialed;prior consent (L.34-5 CPCE, law of 30 June 2025);consent;2026-03-26T09:00:00.000Z;test;;;non;1;2026-03-27 10:00:00 +01:00;lead`,
      `${ids[1]};'${phones[1]};America/Martinique;skipped;no_consent;;;;;;;0;;`,
    ].join('\r\n') + '\r\n');
    const stdout = await minibot(['compliance', 'report', '--campaign', c.id]);
    assert.equal(stdout.out, readFileSync(out, 'utf8'));
    const missing = await minibot(['compliance', 'report', '--campaign', randomUUID()]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /campaign .* not found/);
    assert.equal((await minibot(['compliance', 'report', '--campaign', 'nope'])).code, 1);
  });

  test('campaign launch refuses a caller ID outside the canvassing ranges on real telephony (exit 2, nothing written)', async () => {
    const env = { TEMPORAL_TASK_QUEUE: stack.cfg.TEMPORAL_TASK_QUEUE, TELEPHONY_BACKEND: 'asterisk', ARI_PASSWORD: 'test-ari-password', SIP_TRUNK_CALLER_ID: '0612345678' };
    const name = `callerid-${randomUUID().slice(0, 8)}`;
    const trunk = await minibot(['campaign', 'launch', '--name', name], env);
    assert.equal(trunk.code, 2, trunk.err);
    assert.match(trunk.err, /env\.SIP_TRUNK_CALLER_ID: 0612345678 is outside the canvassing ranges; .*decision n° 2022-1583\): 0162, 0163, 0270, 0271, 0377, 0378, 0424, 0425, 0568, 0569, 0948, 0949, 09475, 09476, 09477, 09478, 09479/);
    const own = await minibot(['campaign', 'launch', '--name', name, '--caller-id', '01 61 00 00 00'], env);
    assert.equal(own.code, 2, own.err);
    assert.match(own.err, /caller_id: 0161000000 is outside the canvassing ranges/);
    assert.equal(await stack.prisma.campaign.count({ where: { name } }), 0, 'no campaign written');
    // Its own number in a canvassing range: launched (no contacts under that source, so it dials nobody).
    const ok = await minibot(['campaign', 'launch', '--name', name, '--caller-id', '01 62 00 00 00', '--source', `none-${name}`, '--json'], env);
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.json().started, true);
    assert.equal((await stack.prisma.campaign.findUniqueOrThrow({ where: { id: ok.json().id } })).callerId, '+33162000000');
  });
});

describe('minibot dnc and contacts validate', () => {
  test('dnc import (idempotent) and dnc check', async () => {
    const block = randomBlock();
    await stack.prisma.dncEntry.deleteMany({ where: { phone: { startsWith: `+336${block}11111` } } });
    const file = join(dir, 'bloctel.txt');
    writeFileSync(file, `numero\n06${block}111111\n+33 6 ${block} 11 11 12\n06${block}111111\npas un numéro\n06${block}111113;2025-01-01\n`);
    const a = (await minibot(['dnc', 'import', file, '--json'])).json();
    assert.deepEqual({ lines: a.lines, added: a.added, alreadyListed: a.alreadyListed, invalid: a.invalid }, { lines: 5, added: 3, alreadyListed: 1, invalid: 1 });
    assert.equal(a.invalidLines[0].line, 5);
    const b = (await minibot(['dnc', 'import', file, '--json'])).json();
    assert.equal(b.added, 0);
    assert.equal((await stack.prisma.dncEntry.findUniqueOrThrow({ where: { phone: `+336${block}111112` } })).source, 'bloctel');
    const listed = (await minibot(['dnc', 'check', `06 ${block} 11 11 11`]));
    assert.equal(listed.code, 3);
    assert.match(listed.out, /ON the do-not-call list \(bloctel/);
    const free = (await minibot(['dnc', 'check', `06${block}999999`]));
    assert.equal(free.code, 0);
    assert.match(free.out, /not on the do-not-call list/);
    assert.equal((await minibot(['dnc', 'check', 'abc'])).code, 2);
  });

  test('contacts validate --format-french --dedupe --clean-invalid', async () => {
    const block = randomBlock();
    const src = `val-${randomUUID().slice(0, 8)}`;
    await stack.prisma.contact.createMany({ data: [
      { phone: `06 ${block} 22 22 21`, source: src },
      { phone: `+336${block}222222`, source: src },
      { phone: `06.${block}.22.22.22`, source: src }, // same number as the previous one, other spelling
      { phone: `garbage-${block}`, source: src },
    ] });
    const dry = (await minibot(['contacts', 'validate', '--format-french', '--dedupe', '--clean-invalid', '--dry-run', '--json'])).json();
    assert.ok(dry.reformatted >= 1);
    assert.equal(await stack.prisma.contact.count({ where: { source: src, phone: `+336${block}222221` } }), 0, 'dry run');
    const s = (await minibot(['contacts', 'validate', '--format-french', '--dedupe', '--clean-invalid', '--json'])).json();
    const rows = await stack.prisma.contact.findMany({ where: { source: src } });
    assert.ok(rows.some((r) => r.phone === `+336${block}222221`), 'reformatted to E.164');
    assert.equal(rows.find((r) => r.phone === `garbage-${block}`)!.status, 'invalid');
    assert.ok(rows.find((r) => r.phone === `06.${block}.22.22.22`), 'a duplicate is reported, never merged blindly');
    assert.ok(s.duplicateGroups.some((g: any) => g.phone === `+336${block}222222` && g.contactIds.length === 2));
  });
});

describe('minibot campaign', () => {
  let workers: RunningWorkers;
  before(async () => {
    workers = await startWorkers(stack, { speed: 10, seed: 'cli' });
  });
  after(async () => {
    await workers?.stop();
  });

  test('launch, status, pause, resume, concurrency, stop, list — through Temporal', async () => {
    const { source } = await makeContacts(stack.prisma, 30);
    const env = { TEMPORAL_TASK_QUEUE: stack.cfg.TEMPORAL_TASK_QUEUE };
    const bad = (await minibot(['campaign', 'launch', '--name', 'x', '--start-time', '25:00'], env));
    assert.equal(bad.code, 2);
    assert.match(bad.err, /schedule\.start_time/);
    const l = (await minibot(['campaign', 'launch', '--name', 'CLI test', '--scenario', 'production', '--limit', '30', '--concurrent', '2',
      '--start-time', '00:00', '--end-time', '23:59', '--break-start', 'none', '--days', '1-7', '--timezone', 'Europe/Paris', '--source', source,
      '--non-commercial', '--json'], env)); // dials at any hour: not a legal canvassing schedule
    assert.equal(l.code, 0, l.err);
    const { id, workflowId, started } = l.json();
    assert.equal(started, true);
    assert.equal(workflowId, `campaign-${id}`);
    const c = await stack.prisma.campaign.findUniqueOrThrow({ where: { id } });
    assert.deepEqual([c.windowStart, c.windowEnd, c.windowBreakStart, c.allowedDays, c.contactLimit, c.maxConcurrentCalls], ['00:00', '23:59', null, [1, 2, 3, 4, 5, 6, 7], 30, 2]);

    const live = async () => (await minibot(['campaign', 'status', id, '--json'], env)).json();
    await waitUntil('the workflow to answer its status query', async () => (await live()).live !== null, 60_000);
    assert.equal((await minibot(['campaign', 'pause', id], env)).code, 0);
    await waitUntil('paused', async () => (await live()).live?.state === 'paused', 60_000);
    const human = (await minibot(['campaign', 'status', id], env));
    assert.match(human.out, /workflow state\s+paused/);
    assert.match(human.out, /contacts\s+30/);
    assert.equal((await minibot(['campaign', 'resume', id], env)).code, 0);
    await waitUntil('running again', async () => (await live()).live?.state !== 'paused', 60_000);
    assert.equal((await minibot(['campaign', 'concurrency', id, '1'], env)).code, 0);
    await waitUntil('the new cap', async () => (await live()).live?.maxConcurrent === 1, 60_000);
    assert.equal((await minibot(['campaign', 'stop', id], env)).code, 0);
    await waitUntil('stopped', async () => ['stopped', 'completed'].includes((await stack.prisma.campaign.findUniqueOrThrow({ where: { id } })).status), 120_000);
    const after = (await minibot(['campaign', 'pause', id], env));
    assert.equal(after.code, 1);
    const list = (await minibot(['campaign', 'list', '--json'], env)).json();
    assert.ok(list.some((x: any) => x.id === id));
    assert.equal((await minibot(['campaign', 'pause', 'not-an-id'], env)).code, 1);
    assert.equal((await minibot(['campaign', 'status', '00000000-0000-4000-8000-000000000000'], env)).code, 1);
  });
});

describe('minibot with a service down', () => {
  test('every command names the unreachable service, its address and how to start it, with exit 4 (Postgres) / 5 (Temporal), no stack trace', async () => {
    const { freePort } = await import('../../scripts/services/process');
    const closed = await freePort(); // bound then released: nobody listens there
    const deadPg = `postgresql://minibot:x@127.0.0.1:${closed}/minibot`;
    const deadTemporal = `127.0.0.1:${closed}`;
    const csv = join(dir, 'down.csv');
    writeFileSync(csv, 'telephone;nom\n0612345678;Down\n');
    const id = randomUUID();
    const name = `down-${randomUUID()}`;
    // [args, exit code with Postgres closed, exit code with Temporal closed] (0/1: the command's own answer
    // when it does not need the closed service: the commands that only use Temporal, or only Postgres).
    const commands: [string[], number, number][] = [
      [['contacts', 'import', csv, '--no-progress'], 4, 0],
      [['contacts', 'validate', '--dry-run'], 4, 0],
      [['dnc', 'import', csv], 4, 0],
      [['dnc', 'check', '0612345678'], 4, 3], // 3: listed, by the dnc import just above
      [['campaign', 'list'], 4, 0],
      [['campaign', 'launch', '--name', name], 4, 5],
      [['campaign', 'status', id], 4, 5],
      [['campaign', 'pause', id], 4, 5],
      [['campaign', 'resume', id], 4, 5],
      [['campaign', 'stop', id], 4, 5],
      [['campaign', 'concurrency', id, '2'], 1, 5],
    ];
    for (const [args, pgCode, temporalCode] of commands) {
      const pgDown = await minibot(args, { DATABASE_URL: deadPg });
      assert.equal(pgDown.code, pgCode, `${args.join(' ')} with Postgres closed: ${pgDown.err}`);
      if (pgCode === 4) assert.match(pgDown.err, new RegExp(`^minibot: Postgres \\(the database\\) is unreachable at 127\\.0\\.0\\.1:${closed}: start the dev stack with \`npm run dev:up\`, or set DATABASE_URL`), args.join(' '));
      assert.doesNotMatch(pgDown.err, /^\s+at |Invalid `prisma/m, `${args.join(' ')}: no stack trace`);
      const tDown = await minibot(args, { TEMPORAL_ADDRESS: deadTemporal });
      assert.equal(tDown.code, temporalCode, `${args.join(' ')} with Temporal closed: ${tDown.err}`);
      if (temporalCode === 5) assert.match(tDown.err, new RegExp(`^minibot: Temporal is unreachable at 127\\.0\\.0\\.1:${closed}: start the dev stack with \`npm run dev:up\`, or set TEMPORAL_ADDRESS`), args.join(' '));
      assert.doesNotMatch(tDown.err, /^\s+at /m, `${args.join(' ')}: no stack trace`);
    }
    assert.equal(await stack.prisma.campaign.count({ where: { name } }), 0, 'a launch with Temporal down created nothing');
  });
});
