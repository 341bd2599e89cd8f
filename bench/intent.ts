// Throughput and latency of the embedded intent classifier over the whole corpus (train + test).
// Human table first; the LAST line is one JSON object with the figures.  Usage: npm run bench:intent
import { classify } from '../lib/intent';
import { loadSplit } from '../intent/corpus';
import { percentile } from '../lib/metrics';

const items = [...loadSplit('train'), ...loadSplit('test')];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20); // bench knob, not app config
const now = new Date('2025-03-12T15:20:00+01:00');

for (let i = 0; i < 3; i++) for (const it of items) classify(it.text, { context: it.step, now }); // warm-up

const lat: number[] = [];
const t0 = performance.now();
for (let r = 0; r < ROUNDS; r++) {
  for (const it of items) {
    const a = performance.now();
    classify(it.text, { context: it.step, now });
    lat.push(performance.now() - a);
  }
}
const totalMs = performance.now() - t0;
lat.sort((a, b) => a - b);
const q = (p: number) => percentile(lat, p)!;
const n = lat.length;
const throughput = n / (totalMs / 1000);
const mean = lat.reduce((a, b) => a + b, 0) / n;

console.log(`Embedded intent classifier: ${items.length} corpus utterances x ${ROUNDS} rounds = ${n} calls`);
console.log('metric              value');
console.log(`throughput          ${throughput.toFixed(0)} utterances/s`);
console.log(`mean latency        ${mean.toFixed(4)} ms`);
console.log(`p50 latency         ${q(50).toFixed(4)} ms`);
console.log(`p90 latency         ${q(90).toFixed(4)} ms`);
console.log(`p99 latency         ${q(99).toFixed(4)} ms`);
console.log(`max latency         ${lat[n - 1]!.toFixed(4)} ms`);
console.log(
  JSON.stringify({
    utterances: items.length,
    rounds: ROUNDS,
    calls: n,
    throughputPerSec: Math.round(throughput),
    meanLatencyMs: +mean.toFixed(4),
    p50LatencyMs: +q(50).toFixed(4),
    p90LatencyMs: +q(90).toFixed(4),
    p99LatencyMs: +q(99).toFixed(4),
    maxLatencyMs: +lat[n - 1]!.toFixed(4),
  }),
);
