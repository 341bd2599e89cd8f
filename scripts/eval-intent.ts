// Evaluates the embedded intent classifier on the held-out TEST split (intent/corpus/test.tsv):
// accuracy, per-label precision/recall, confusion matrix, calibration table, latency p50/p99.
// Human tables first; the LAST line is one JSON object with the figures.  Usage: npm run eval:intent
//   options: --split train|test (default test), --errors (list misclassified utterances)
import { classify, INTENTS, type Intent } from '../lib/intent';
import { loadOptOutSet, loadSplit } from '../intent/corpus';

const args = process.argv.slice(2);
const split = (args[args.indexOf('--split') + 1] === 'train' && args.includes('--split') ? 'train' : 'test') as 'train' | 'test';
const items = loadSplit(split);
const now = new Date('2025-03-12T15:20:00+01:00');

// warm-up (JIT), not measured
for (let i = 0; i < 3; i++) for (const it of items) classify(it.text, { context: it.step, now });

const conf: Record<Intent, Record<Intent, number>> = Object.fromEntries(
  INTENTS.map((a) => [a, Object.fromEntries(INTENTS.map((b) => [b, 0]))]),
) as never;
const lat: number[] = [];
const scored: { conf: number; ok: boolean }[] = [];
const errors: string[] = [];
let ok = 0;
// latency: every test utterance classified LATENCY_PASSES times (p99 over a few hundred calls is noise)
const LATENCY_PASSES = 20;
for (let p = 0; p < LATENCY_PASSES; p++) for (const it of items) lat.push(classify(it.text, { context: it.step, now, clock: performance.now.bind(performance) }).latencyMs);
for (const it of items) {
  const r = classify(it.text, { context: it.step, now });
  conf[it.label][r.intent]++;
  const good = r.intent === it.label;
  if (good) ok++;
  else errors.push(`  ${it.label.padEnd(8)} -> ${r.intent.padEnd(8)} (${r.confidence.toFixed(2)}) [${it.step}] ${it.text}`);
  scored.push({ conf: r.confidence, ok: good });
}
const pct = (x: number) => (x * 100).toFixed(1).padStart(6) + ' %';
const q = (arr: number[], p: number) => {
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
};

console.log(`Intent eval on ${split} split: ${items.length} utterances\n`);
console.log('label       precision   recall     support');
const perLabel: Record<string, { precision: number; recall: number; support: number }> = {};
for (const l of INTENTS) {
  const tp = conf[l][l];
  const predicted = INTENTS.reduce((a, x) => a + conf[x][l], 0);
  const support = INTENTS.reduce((a, x) => a + conf[l][x], 0);
  const precision = predicted ? tp / predicted : 0;
  const recall = support ? tp / support : 0;
  perLabel[l] = { precision: +precision.toFixed(4), recall: +recall.toFixed(4), support };
  console.log(`${l.padEnd(10)} ${pct(precision)}  ${pct(recall)}  ${String(support).padStart(8)}`);
}
console.log('\nConfusion matrix (rows: true label, columns: predicted)');
console.log('            ' + INTENTS.map((l) => l.slice(0, 8).padStart(9)).join(''));
for (const a of INTENTS) console.log(a.padEnd(12) + INTENTS.map((b) => String(conf[a][b]).padStart(9)).join(''));

console.log('\nCalibration (confidence bin: count, mean confidence, accuracy)');
const bins = [0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001];
const calibration: { bin: string; n: number; meanConfidence: number; accuracy: number }[] = [];
for (let i = 0; i + 1 < bins.length; i++) {
  const inBin = scored.filter((s) => s.conf >= bins[i]! && s.conf < bins[i + 1]!);
  if (!inBin.length) continue;
  const mean = inBin.reduce((a, s) => a + s.conf, 0) / inBin.length;
  const acc = inBin.filter((s) => s.ok).length / inBin.length;
  const bin = `[${bins[i]!.toFixed(2)}, ${Math.min(1, bins[i + 1]!).toFixed(2)}${i + 2 === bins.length ? ']' : ')'}`;
  calibration.push({ bin, n: inBin.length, meanConfidence: +mean.toFixed(3), accuracy: +acc.toFixed(3) });
  console.log(`  ${bin.padEnd(14)} n=${String(inBin.length).padStart(4)}  conf=${mean.toFixed(3)}  acc=${acc.toFixed(3)}`);
}

const accuracy = ok / items.length;
const p50 = q(lat, 50);
const p99 = q(lat, 99);
console.log(`\nAccuracy: ${pct(accuracy)}  (${ok}/${items.length})`);
console.log(`stop recall: ${pct(perLabel.stop!.recall)}`);
console.log(`Latency per utterance (embedded, ${lat.length} calls): p50 ${p50.toFixed(4)} ms, p99 ${p99.toFixed(4)} ms, max ${Math.max(...lat).toFixed(4)} ms`);
if (args.includes('--errors') && errors.length) console.log('\nErrors:\n' + errors.join('\n'));
// The opt-out set: every opt-out must be read as one; none may become a callback or an interest.
const optOutSet = loadOptOutSet();
const optOuts = optOutSet.filter((it) => it.label === 'stop');
const missed = optOuts.map((it) => ({ it, got: classify(it.text, { context: it.step, now }).intent })).filter((x) => x.got !== 'stop');
const nearMisses = optOutSet.filter((it) => it.label !== 'stop');
const nearWrong = nearMisses.map((it) => ({ it, got: classify(it.text, { context: it.step, now }).intent })).filter((x) => x.got !== x.it.label);
const optOut = {
  n: optOuts.length,
  recall: +((optOuts.length - missed.length) / optOuts.length).toFixed(4),
  readAsCallback: missed.filter((x) => x.got === 'callback').length,
  readAsAffirm: missed.filter((x) => x.got === 'affirm').length,
  nearMisses: nearMisses.length,
  nearMissAccuracy: +((nearMisses.length - nearWrong.length) / nearMisses.length).toFixed(4),
};
console.log(`\nOpt-out set (optout-asr.tsv): ${optOut.n} opt-outs, recall ${pct(optOut.recall)}, read as callback ${optOut.readAsCallback}, as affirm ${optOut.readAsAffirm}; ${optOut.nearMisses} near misses, accuracy ${pct(optOut.nearMissAccuracy)}`);
for (const x of [...missed, ...nearWrong]) console.log(`  ${x.it.label.padEnd(8)} -> ${x.got.padEnd(8)} [${x.it.step}] ${x.it.text}`);
console.log(
  JSON.stringify({
    optOut,
    split,
    n: items.length,
    accuracy: +accuracy.toFixed(4),
    stopRecall: perLabel.stop!.recall,
    p50LatencyMs: +p50.toFixed(4),
    p99LatencyMs: +p99.toFixed(4),
    perLabel,
    calibration,
  }),
);
