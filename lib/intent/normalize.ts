// Text normalisation for French ASR output (Vosk: lowercase, no punctuation, sometimes apostrophes/hyphens).
// Output: accent-free lowercase words separated by single spaces, elisions expanded, informal contractions
// rewritten to their full form, hesitation fillers removed. Hand-written because no maintained library does
// spoken-French normalisation; accents are removed with the standard NFD + combining-mark strip.

const REWRITES: [RegExp, string][] = [
  [/\bd['’`´ ]?\s*(accord|ac|acc)\b/g, 'daccord'],
  [/\bpeut['’`´ -]?(etre|être)\b/g, 'peut etre'],
  // elisions: j'ai -> je ai, c'est -> ce est, qu'il -> que il, also ASR "j ai"/"jai" forms
  [/\b(j|m|t|s|n|l|d|c)['’`´]\s*/g, '$1e '],
  [/\bqu['’`´]\s*/g, 'que '],
  [/\bjusqu['’`´]\s*/g, 'jusque '],
  [/\bpresqu['’`´]\s*/g, 'presque '],
  [/\blorsqu['’`´]\s*/g, 'lorsque '],
  [/\bpuisqu['’`´]\s*/g, 'puisque '],
  [/\baujourd['’`´ ]?hui\b/g, 'aujourdhui'],
  [/['’`´]/g, ' '],
  [/[-_]/g, ' '],
  [/[^a-z0-9: ]+/g, ' '],
];

// Word-level rewrites applied on the token list (after accent removal). Keys are single tokens.
const TOKEN_MAP: Record<string, string> = {
  // elided forms written without apostrophe by ASR or typists
  cest: 'ce est', jai: 'je ai', jsuis: 'je suis', chuis: 'je suis', jsui: 'je suis', shuis: 'je suis',
  chsuis: 'je suis', jsais: 'je sais', chais: 'je sais', chai: 'je sais', jveux: 'je veux', jpeux: 'je peux',
  jpense: 'je pense', jcrois: 'je crois', jvais: 'je vais', jvois: 'je vois', jen: 'je en', jy: 'je y',
  jme: 'je me', jle: 'je le', jlai: 'je le ai', jlui: 'je lui', jte: 'je te', jtrouve: 'je trouve',
  jcomprends: 'je comprends', jentends: 'je entends',
  minteresse: 'me interesse', minteresserait: 'me interesserait', minteresseraient: 'me interesseraient',
  sinteresse: 'se interesse', nai: 'ne ai', nest: 'ne est', ninteresse: 'ne interesse', napelez: 'ne appelez',
  mappelez: 'me appelez', mappeler: 'me appeler', mappele: 'me appele', mappeller: 'me appeler',
  dac: 'daccord', dak: 'daccord', dacc: 'daccord', dacodac: 'daccord', dacor: 'daccord', dakor: 'daccord',
  okay: 'ok', okey: 'ok', oki: 'ok', okidoki: 'ok', oke: 'ok', ouki: 'ok',
  ptet: 'peut etre', ptetre: 'peut etre', peutetre: 'peut etre',
  quest: 'que est', questce: 'que est ce', kesk: 'que est ce que', keske: 'que est ce que',
  kestu: 'que est ce que tu', quesque: 'que est ce que', quesqu: 'que est ce que',
  sa: 'ca', ya: 'il y a', yen: 'il y en', ske: 'ce que', pa: 'pas', pô: 'pas', po: 'pas',
  // informal yes/no variants -> canonical forms kept distinct where they carry nuance
  ouais: 'oui', ouai: 'oui', ouaip: 'oui', ouep: 'oui', ouip: 'oui', oue: 'oui', wouais: 'oui', wi: 'oui',
  ui: 'oui', yes: 'oui', yep: 'oui', ouiii: 'oui', ouii: 'oui', voui: 'oui', oauis: 'oui',
  nan: 'non', nope: 'non', niet: 'non', nannn: 'non', nann: 'non', nom: 'non',
  mouai: 'mouais', mwouais: 'mouais', mwais: 'mouais',
  koi: 'quoi', pourkoi: 'pourquoi', ki: 'qui', kesske: 'que est ce que',
  // elided article/pronoun left alone by ASR ("c est", "j ai", "m appelez")
  c: 'ce', j: 'je', m: 'me', t: 'te', n: 'ne', l: 'le', d: 'de', s: 'se', qu: 'que',
  rdv: 'rendez vous', svp: 'se il vous plait', stp: 'se il te plait',
  aprem: 'apres midi', apm: 'apres midi',
};

// Hesitation fillers and discourse particles that carry no intent (dropped everywhere).
const FILLERS = new Set([
  'euh', 'euhh', 'euhm', 'heu', 'heuu', 'hum', 'humm', 'hmm', 'hm', 'mmh', 'mm', 'mh', 'em', 'eh', 'ah', 'oh',
  'ben', 'bah', 'beh', 'bein', 'be', 'benh', 'genre', 'bref', 'donc',
]);

export function stripAccents(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/œ/g, 'oe').replace(/æ/g, 'ae');
}

// Elisions glued to the next word by ASR or typing ("mintéresse", "nappelez", "doù"): split them back.
const GLUED: [RegExp, string][] = [
  [/^m(interess\w*|entend\w*|appel\w*|ecout\w*|excus\w*|explique\w*|inscri\w*|occup\w*|en|y|avez|a|ont)$/, 'me $1'],
  [/^n(appel\w*|ai|est|etes|avez|interess\w*|y|en|etait|aurai\w*)$/, 'ne $1'],
  [/^j(ai|entend\w*|en|y|etais|aime\w*|appel\w*|hesite|arrive|ecoute|avais|aurai\w*|attend\w*|insiste)$/, 'je $1'],
  [/^d(ou|ici|abord|autre|appel\w*|interet)$/, 'de $1'],
  [/^l(appareil|heure|instant|interet|offre|autre)$/, 'le $1'],
  [/^qu(on|il|est|ils|un|une)$/, 'que $1'],
  [/^s(il)$/, 'se $1'],
];
function unglue(tok: string): string {
  for (const [re, by] of GLUED) if (re.test(tok)) return tok.replace(re, by);
  return tok;
}

/** Normalised form of one utterance: see the file header. Always returns a string (possibly empty). */
export function normalize(text: string): string {
  let s = stripAccents(String(text ?? '').toLowerCase());
  for (const [re, by] of REWRITES) s = s.replace(re, by);
  const out: string[] = [];
  for (const raw of s.split(/\s+/)) {
    if (!raw) continue;
    const mapped = TOKEN_MAP[raw] ?? unglue(raw);
    for (const t of mapped.split(' ')) {
      if (!FILLERS.has(t)) out.push(t);
    }
  }
  // Homophones the ASR confuses where only one reading makes sense on the phone: "s'est" for "c'est"
  // ("s est qui", "s est pas la peine") and "sa" for "ça" (TOKEN_MAP).
  return out.join(' ').replace(/\bse est\b/g, 'ce est');
}
