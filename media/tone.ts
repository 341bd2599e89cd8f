// Pure-tone detection for the AMD's beep rule (media/amd.ts): Goertzel filters, one DFT bin each.

/**
 * Tonal purity of `x` at frequency `hz`: the share of the (Hann-windowed) frame energy in that one DFT bin,
 * scaled so that a pure tone on the bin gives ~1. Goertzel's algorithm: one multiply-add per sample.
 */
export function goertzelPurity(x: Int16Array, sampleRate: number, hz: number, window: Float32Array = hann(x.length)): number {
  const n = x.length;
  const k = (2 * Math.PI * hz) / sampleRate;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]! * window[i]!;
    energy += v * v;
    const s0 = v + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  if (energy <= 0) return 0;
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2; // |X(hz)|²
  return Math.min(1, (power / (n * energy)) * HANN_NORM);
}

// Hann window, on-bin sinusoid of amplitude A: |X|² = (A·N/4)² and Σ(w·x)² = 3·A²·N/16, so |X|²/(N·Σ(w·x)²) = 1/3.
const HANN_NORM = 3;
const hannCache = new Map<number, Float32Array>();
export function hann(n: number): Float32Array {
  let w = hannCache.get(n);
  if (!w) {
    w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1));
    hannCache.set(n, w);
  }
  return w;
}

/** One frame's pure-tone reading: its frequency, the share of its energy there, and at the harmonics a voice has. */
export interface ToneReading {
  hz: number;
  purity: number;
  /** Largest purity at hz/2, 3hz/2 and 2hz: ~0 for a generated tone, clearly more for a voiced sound. */
  harmonics: number;
}

// Probes around the zero-crossing estimate (which is within ~1 crossing per frame, ±25 Hz on 20 ms): a Hann
// window loses < 0.4 dB at 7.5 Hz off the bin, so the best probe reads a pure tone at purity > 0.9.
const PROBES = [-30, -15, 0, 15, 30];

/**
 * Reads a frame as a candidate beep at any frequency in [minHz, maxHz], not only at a fixed list: the
 * zero-crossing rate of a pure tone is its frequency, then Goertzel probes measure how pure it is there and
 * how much energy sits where a voice's harmonics would (a steady-pitched vowel can be very "pure" at one
 * harmonic, e.g. 440 Hz for a 220 Hz voice, but it has energy at 220 and 660 Hz too; a beep has none).
 * Hand-written: no maintained library does a per-frame tone test this small (one pass + 8 Goertzel bins).
 */
export function readTone(x: Int16Array, sampleRate: number, minHz: number, maxHz: number, window: Float32Array = hann(x.length)): ToneReading | null {
  const n = x.length;
  let crossings = 0;
  for (let i = 1; i < n; i++) if ((x[i - 1]! < 0) !== (x[i]! < 0)) crossings++;
  const est = (crossings * sampleRate) / (2 * (n - 1));
  if (est < minHz - 30 || est > maxHz + 30) return null;
  let purity = 0;
  let hz = est;
  for (const d of PROBES) {
    const p = goertzelPurity(x, sampleRate, est + d, window);
    if (p > purity) {
      purity = p;
      hz = est + d;
    }
  }
  let harmonics = 0;
  for (const h of [hz / 2, (3 * hz) / 2, 2 * hz]) if (h < sampleRate / 2) harmonics = Math.max(harmonics, goertzelPurity(x, sampleRate, h, window));
  return { hz, purity, harmonics };
}
