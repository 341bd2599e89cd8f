// Small pure measurements over call records.

/** The largest number of intervals open at the same instant (an interval is [start, end)). */
export function maxOverlap(intervals: { start: number; end: number }[]): number {
  const events: [number, number][] = [];
  for (const i of intervals) {
    events.push([i.start, 1], [i.end, -1]);
  }
  // Ends before starts at the same instant: a call that ends as another begins does not overlap it.
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let max = 0;
  for (const [, d] of events) {
    open += d;
    if (open > max) max = open;
  }
  return max;
}

/** Percentile by linear interpolation between closest ranks (p in 0..100); null for no values. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const v = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (v.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return v[lo]! + (v[hi]! - v[lo]!) * (rank - lo);
}

export function round(n: number | null, digits = 1): number | null {
  if (n === null || !Number.isFinite(n)) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
