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
