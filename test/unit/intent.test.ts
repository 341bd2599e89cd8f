import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, normalize, INTENTS, type Intent } from '../../lib/intent';
import { parseCorpus, loadSplit } from '../../intent/corpus';

const cases: [Intent, string, string][] = [
  // from the issue: negation scope, idioms, informal forms, combinations
  ['affirm', 'hello', "ça m'intéresse"],
  ['deny', 'hello', "ça m'intéresse pas"],
  ['deny', 'hello', 'ca ne m interesse pas du tout'],
  ['affirm', 'hello', 'je ne dis pas non'],
  ['deny', 'hello', 'oui mais non'],
  ['affirm', 'hello', "ce n'est pas de refus"],
  ['affirm', 'hello', 'pourquoi pas'],
  ['affirm', 'hello', 'ouais'],
  ['deny', 'hello', 'nan'],
  ['unsure', 'hello', 'mouais'],
  ['affirm', 'hello', 'carrément'],
  ['callback', 'hello', 'je suis intéressé mais pas maintenant'],
  ['stop', 'hello', 'non pas intéressé ne rappelez pas'],
  ['callback', 'hello', 'rappelez-moi plus tard'],
  ['deny', 'hello', 'non merci'],
  ['question', 'hello', 'c est qui'],
  ['question', 'hello', 'vous êtes un robot'],
  ['question', 'hello', 'ça coûte combien'],
  ['question', 'q1', 'vous pouvez répéter'],
  ['unsure', 'hello', 'euh je sais pas faut que je réfléchisse'],
  ['unsure', 'hello', 'je dois en parler à ma femme'],
  ['stop', 'hello', 'je suis inscrit sur bloctel'],
  ['stop', 'hello', 'supprimez mon numéro'],
  ['affirm', 'hello', 'je suis pas contre'],
  ['affirm', 'hello', 'pas de souci allez y'],
  ['deny', 'hello', 'pas question'],
  ['affirm', 'hello', 'non en fait oui'],
  ['deny', 'hello', 'oui non merci'],
  ['affirm', 'confirm', 'merci'],
  ['callback', 'confirm', 'non plutôt mardi'],
  ['question', 'is_leads', 'il va m appeler quand le conseiller'],
  ['affirm', 'hello', "ça peut être intéressant"],
  ['unsure', 'hello', "peut-être"],
  ['callback', 'hello', 'ne me rappelez pas avant dix huit heures'],
  // ASR forms: elisions glued or split, accents dropped
  ['deny', 'hello', 'ca minteresse pas'],
  ['question', 'test_audio', 'allo vous mentendez'],
  ['affirm', 'hello', 'd accord'],
];

test('classify: linguistic cases (negation scope, idioms, informal forms, combinations)', () => {
  for (const [label, step, text] of cases) {
    const r = classify(text, { context: step });
    assert.equal(r.intent, label, `"${text}" at ${step}`);
    assert.equal(r.method, 'embedded');
  }
});

test('stop outranks every other intent in the same utterance', () => {
  for (const t of [
    'oui ça m intéresse mais ne me rappelez plus',
    'rappelez moi demain enfin non ne m appelez plus jamais',
    'c est qui supprimez mon numéro',
    'je sais pas mais arrêtez de m appeler',
  ]) assert.equal(classify(t).intent, 'stop', t);
});

test('classify returns a valid result for empty, whitespace and odd input', () => {
  for (const t of ['', '   ', '\n', 'euh', '???', 'x'.repeat(5000), undefined as unknown as string]) {
    const r = classify(t);
    assert.ok(INTENTS.includes(r.intent));
    assert.ok(r.confidence >= 0 && r.confidence <= 1);
    assert.ok(r.latencyMs >= 0);
  }
  assert.equal(classify('').intent, 'unsure');
  assert.ok(classify('').confidence < 0.6, 'silence is low confidence');
});

test('classify is deterministic', () => {
  const a = classify('oui rappelez moi demain', { now: new Date('2025-03-12T10:00:00Z') });
  const b = classify('oui rappelez moi demain', { now: new Date('2025-03-12T10:00:00Z') });
  assert.deepEqual({ ...a, latencyMs: 0 }, { ...b, latencyMs: 0 });
});

test('callback results carry the requested time', () => {
  const now = new Date('2025-03-12T15:20:00+01:00');
  const r = classify('rappelez moi demain à quatorze heures', { now, timeZone: 'Europe/Paris' });
  assert.equal(r.intent, 'callback');
  assert.equal(r.callbackTime?.kind, 'absolute');
  assert.equal(r.callbackTime?.at, '2025-03-13T14:00:00+01:00');
  assert.equal(classify('oui', { now }).callbackTime, undefined);
});

test('confidence is higher on clear answers than on unclear ones', () => {
  assert.ok(classify('non merci').confidence > classify('bof').confidence);
  assert.ok(classify('ne me rappelez plus').confidence > classify('zorglub').confidence);
});

test('normalize: accents, elisions, fillers, informal contractions', () => {
  assert.equal(normalize("Euh ben J'suis pas intéressé"), 'je suis pas interesse');
  assert.equal(normalize("c'est bon"), 'ce est bon');
  assert.equal(normalize('c est bon'), 'ce est bon');
  assert.equal(normalize("d'accord"), 'daccord');
  assert.equal(normalize('chuis occupé'), 'je suis occupe');
  assert.equal(normalize('ouais nan'), 'oui non');
  assert.equal(normalize('peut-être'), 'peut etre');
});

test('corpus: size, labels, steps and a disjoint held-out split', () => {
  const train = loadSplit('train');
  const test = loadSplit('test');
  assert.ok(train.length + test.length >= 600);
  for (const l of INTENTS) {
    assert.ok(train.some((i) => i.label === l), `train has ${l}`);
    assert.ok(test.some((i) => i.label === l), `test has ${l}`);
  }
  const key = (i: { step: string; text: string }) => `${i.step}|${i.text}`;
  const trainKeys = new Set(train.map(key));
  assert.equal(test.filter((i) => trainKeys.has(key(i))).length, 0, 'no test utterance is also in train');
  for (const i of [...train, ...test]) assert.equal(i.text, i.text.toLowerCase(), `lowercase: ${i.text}`);
});

test('corpus parser names the file and line of a bad row', () => {
  assert.throws(() => parseCorpus('label\tstep\ttext\naffirm\thello\toui\nmaybe\thello\tbof\n', 'x.tsv'), /x\.tsv:3: unknown label "maybe"/);
  assert.throws(() => parseCorpus('label\tstep\ttext\naffirm\tnowhere\toui\n', 'x.tsv'), /x\.tsv:2: unknown step "nowhere"/);
  assert.throws(() => parseCorpus('label\tstep\ttext\naffirm oui\n', 'x.tsv'), /x\.tsv:2: expected 3/);
});
