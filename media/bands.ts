// Levels of a 20 ms frame in four bands of the telephone band (300-3400 Hz), for the barge-in echo guard.
//
// Why: the guard ignores callee audio no louder than our prompt's echo could be. On the whole band, a callee
// whose first syllable is as loud as the echo (a nasal "n", a soft "j" over a loud echo) cannot be told from
// it; but the echo has the spectrum of what we played one echo delay earlier, and speech starting under it
// rarely has: per band, the callee's sound stands out where our prompt had little. Measured (npm run
// bench:barge-in), with the echo delay known: onset-to-flush p95 67 -> 63 ms on a line with one echo delay,
// 86 -> 79 ms on one whose echo is spread over 55 ms, no flush on the echo alone either way. Both sides are
// measured the same way: the prompt's bands once per prompt (media/prompt.ts), the callee's frame only
// when the whole-band guard rejected it (media/barge-in.ts).
import FFT from 'fft.js';

export const BANDS_HZ: readonly (readonly [number, number])[] = [
  [300, 700],
  [700, 1400],
  [1400, 2400],
  [2400, 3400],
];
export const BAND_COUNT = BANDS_HZ.length;

interface Plan {
  fft: FFT;
  window: Float64Array;
  input: Float64Array;
  out: number[];
  bins: [number, number][];
  norm: number;
}
const plans = new Map<string, Plan>();

function plan(samples: number, rate: number): Plan {
  const key = `${samples}/${rate}`;
  let p = plans.get(key);
  if (!p) {
    let size = 4;
    while (size < samples) size *= 2;
    const fft = new FFT(size);
    const window = new Float64Array(samples);
    let wsum = 0;
    for (let n = 0; n < samples; n++) {
      window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (samples - 1));
      wsum += window[n]! * window[n]!;
    }
    const bins = BANDS_HZ.map(([a, b]) => [Math.ceil((a * size) / rate), Math.min(size / 2, Math.ceil((b * size) / rate))] as [number, number]);
    // Parseval over the one-sided spectrum: a band's share of the frame's power, in dB relative to full scale
    // (a full-scale sine in one band reads about -3, like rmsDbfs).
    p = { fft, window, input: new Float64Array(size), out: fft.createComplexArray(), bins, norm: (size * wsum * 32768 * 32768) / 2 };
    plans.set(key, p);
  }
  return p;
}

/** Fills out[0..BAND_COUNT) with the level (dB, full scale = 0) of `pcm[start, end)` in each band. */
export function bandLevels(pcm: Int16Array, rate: number, out: Float32Array, start = 0, end = pcm.length): void {
  const p = plan(end - start, rate);
  p.input.fill(0);
  for (let n = 0; n < end - start; n++) p.input[n] = pcm[start + n]! * p.window[n]!;
  p.fft.realTransform(p.out, p.input);
  for (let j = 0; j < p.bins.length; j++) {
    const [a, b] = p.bins[j]!;
    let e = 0;
    for (let k = a; k < b; k++) e += p.out[2 * k]! * p.out[2 * k]! + p.out[2 * k + 1]! * p.out[2 * k + 1]!;
    out[j] = e > 0 ? 10 * Math.log10(e / p.norm) : -100;
  }
}
