// How the recognisers' memory grows as they decode (issue #14's soak: the media worker's RSS grew while its JS
// heap and buffers stayed flat). One Vosk model (the Korean test model), a few recognisers used in turn, as the
// recogniser pool does: each decodes one sentence (12 French sentences, three espeak-ng voices), gives its
// final result and is reset. Prints RSS as the audio decoded grows, then one JSON line.
//   npm run bench:vosk-memory [-- --recognizers 4] [-- --audio 600] [-- --recycle 0]
// --recycle S frees a recogniser and makes a new one after it has decoded S seconds (0: never).
import os from 'node:os';
import { VoskModel, VoskRecognizer } from '../media/vosk';
import * as fx from '../test/helpers/media-fixtures';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  const v = i < 0 ? dflt : Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}: expected a number >= 0 (got ${process.argv[i + 1]})`);
  return v;
};
const RECOGNIZERS = Math.max(1, Math.round(arg('--recognizers', 4)));
const AUDIO_S = arg('--audio', 600);
const RECYCLE_S = arg('--recycle', 0);
const RATE = 16000;
const TEXTS = [
  'Bonjour, je voudrais savoir si vous êtes propriétaire', 'Non merci je ne suis pas intéressé du tout', 'Rappelez-moi demain après-midi vers quinze heures',
  'Oui bien sûr, ma maison est chauffée au fioul', 'Qui êtes-vous et comment avez-vous eu mon numéro', 'Nous avons des factures d électricité très élevées',
  'Je suis locataire, il faut voir avec le propriétaire', 'Ne m appelez plus, retirez mon numéro de votre liste', 'Ça dépend, combien ça coûte exactement',
  'Ma femme s en occupe, elle rentre ce soir', 'Le toit a été refait il y a dix ans', 'Je ne comprends pas, pouvez-vous répéter',
];

const model = ensureModel();
const rssMb = () => Math.round(process.memoryUsage().rss / 1e6);
const before = rssMb();
const vosk = new VoskModel(model);
const modelMb = rssMb() - before;
const utterances = TEXTS.map((t, i) => fx.speech(t, RATE, ['fr', 'fr+f2', 'fr+m3'][i % 3]!));
const recs = Array.from({ length: RECOGNIZERS }, () => new VoskRecognizer(vosk.address, RATE));
const decoded = recs.map(() => 0);
const warmMb = rssMb();
const rows: { audioS: number; rssMb: number }[] = [{ audioS: 0, rssMb: warmMb }];
let audio = 0;
let recycled = 0;
let nextRow = 60;
const t0 = performance.now();
for (let k = 0; audio < AUDIO_S; k++) {
  const i = k % RECOGNIZERS;
  const pcm = utterances[(k * 7) % utterances.length]!;
  for (let j = 0; j < pcm.length; j += RATE / 10) recs[i]!.accept(pcm.subarray(j, j + RATE / 10));
  recs[i]!.final();
  recs[i]!.reset();
  audio += pcm.length / RATE;
  decoded[i]! += pcm.length / RATE;
  if (RECYCLE_S > 0 && decoded[i]! >= RECYCLE_S) {
    recs[i]!.free();
    recs[i] = new VoskRecognizer(vosk.address, RATE);
    decoded[i] = 0;
    recycled++;
  }
  if (audio >= nextRow) {
    rows.push({ audioS: Math.round(audio), rssMb: rssMb() });
    nextRow += 60;
  }
}
if (rows.at(-1)!.audioS !== Math.round(audio)) rows.push({ audioS: Math.round(audio), rssMb: rssMb() });
const wallS = (performance.now() - t0) / 1000;

console.log(`vosk memory: ${RECOGNIZERS} recognisers in turn, ${TEXTS.length} sentences, recycle ${RECYCLE_S ? `after ${RECYCLE_S} s` : 'never'}; ${os.availableParallelism()} cores, load ${os.loadavg()[0]!.toFixed(1)}`);
console.log(`process before the model ${before} MB, model +${modelMb} MB, ${RECOGNIZERS} recognisers made: ${warmMb} MB`);
console.log('audio decoded (s) | RSS (MB) | per recogniser above the start (MB)');
for (const r of rows) console.log(`${String(r.audioS).padStart(17)} | ${String(r.rssMb).padStart(8)} | ${Math.round((r.rssMb - warmMb) / RECOGNIZERS)}`);
console.log(JSON.stringify({
  recognizers: RECOGNIZERS, audioS: Math.round(audio), recycleS: RECYCLE_S, recycled, modelMb, startMb: warmMb, endMb: rows.at(-1)!.rssMb,
  perRecognizerGrowthMb: Math.round((rows.at(-1)!.rssMb - warmMb) / RECOGNIZERS), rows, rtf: Math.round((wallS / audio) * 1000) / 1000,
  loadAverage: os.loadavg()[0],
}));
vosk.free();

function ensureModel(): string {
  const m = fx.ensureKoreanModel();
  if ('error' in m) throw new Error(`Vosk test model: ${m.error}`);
  return m.dir;
}
