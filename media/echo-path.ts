// Where the echo of our own prompt comes back on this line, and so how loud it can be in each inbound frame.
// Pure logic: fed, per inbound frame, its level and the levels of what we played at each candidate delay.
//
// Why: the barge-in detector ignores callee audio no louder than our prompt's echo could be. Not knowing the
// echo's delay, it must compare each frame with the loudest thing we played over the whole window in which
// an echo can arrive (300 ms): a callee who starts speaking while the prompt's echo is in a pause, or a
// quiet syllable, is held to the level of a loud syllable played up to 300 ms earlier, and their first
// soft frames (a nasal, an affricate) go unheard. Measured (npm run bench:barge-in: the bench's phrases over
// its prompt, echoed 40-140 ms late and 10-20 dB down): onset-to-flush p95 106 ms with the window, 67 ms with
// the delay this finds; on a line whose echo is spread over 55 ms, 111 -> 86 ms.
//
// How: while the callee is silent and we play, the inbound level (dB) is the echo's, so it follows the
// level of what we played one echo delay earlier. For each candidate delay we keep a running (exponentially
// weighted) Pearson correlation between the two level sequences; the delay with the best correlation, once it
// is clearly there, is the echo path. A line with no measurable echo never correlates: the window stays.
// Cost per frame: a few multiply-adds per candidate (a cross-correlation of samples, or an echo canceller,
// would cost hundreds of times more, on every call).

export interface EchoPathOptions {
  /** Candidate delays, one per entry of the levels arrays given (their spacing is the caller's). */
  candidates: number;
  /** Learning frames before a delay may be trusted. */
  minFrames: number;
  /** Correlation the best delay needs to be trusted. */
  minCorrelation: number;
  /** Weight of each new frame in the running statistics (1 / memory in frames). */
  alpha: number;
  /** Candidates either side of the tracked delay whose levels make up the reference (jitter, frame edges). */
  slack: number;
}

/** Levels below this (dBFS) are taken as this: digital silence must not dominate the statistics. */
const FLOOR_DB = -70;
const clip = (x: number) => (x > FLOOR_DB ? x : FLOOR_DB);

export class EchoPath {
  private readonly mx: Float64Array;
  private readonly mxx: Float64Array;
  private readonly mxy: Float64Array;
  private my = 0;
  private myy = 0;
  private frames = 0;
  private delay = -1;
  /** Changes whenever the reference it gives changes nature (a delay found, lost or moved). */
  version = 0;

  constructor(readonly o: EchoPathOptions) {
    this.mx = new Float64Array(o.candidates);
    this.mxx = new Float64Array(o.candidates);
    this.mxy = new Float64Array(o.candidates);
  }

  /** The tracked delay (index into the levels arrays), or -1 while not known. */
  get delayIndex(): number {
    return this.delay;
  }

  /** One frame heard while the callee is silent and we play: `inDbfs` is our echo (and the line's noise). */
  learn(inDbfs: number, levels: Float32Array): void {
    const { alpha: a, candidates: n } = this.o;
    // The first frames seed the averages (an exponential average started at 0 would take its memory to forget it).
    const w = this.frames < 1 / a ? 1 / (this.frames + 1) : a;
    const y = clip(inDbfs);
    this.my += w * (y - this.my);
    this.myy += w * (y * y - this.myy);
    for (let i = 0; i < n; i++) {
      const x = clip(levels[i]!);
      this.mx[i]! += w * (x - this.mx[i]!);
      this.mxx[i]! += w * (x * x - this.mxx[i]!);
      this.mxy[i]! += w * (x * y - this.mxy[i]!);
    }
    this.frames++;
    if (this.frames >= this.o.minFrames) this.choose();
  }

  /** Correlation of the inbound level with what we played at candidate i. */
  correlation(i: number): number {
    const vy = this.myy - this.my * this.my;
    const vx = this.mxx[i]! - this.mx[i]! * this.mx[i]!;
    if (vx <= 1e-6 || vy <= 1e-6) return 0;
    return (this.mxy[i]! - this.mx[i]! * this.my) / Math.sqrt(vx * vy);
  }

  private choose(): void {
    let best = -1;
    let bestR = -Infinity;
    for (let i = 0; i < this.o.candidates; i++) {
      const r = this.correlation(i);
      if (r > bestR) [best, bestR] = [i, r];
    }
    // A best delay on the edge of the candidates is not located: the correlation may still rise beyond it (an
    // echo later than the window, or earlier than our lead, correlates best at the edge, speech levels being
    // correlated over tens of ms). Seen in the media tier on a starved machine: the peer started playing our
    // prompt ~300 ms after we sent it, the path locked on 300 ms (the last candidate), and its reference, off
    // by tens of ms, let the echo in the pauses between the callee's sounds pass for speech. Such a line keeps
    // the window reference, which covers every delay up to the window.
    const interior = best > 0 && best < this.o.candidates - 1;
    let next = bestR >= this.o.minCorrelation && interior ? best : -1;
    // Hysteresis: a delay within the slack of the one tracked is the same path (the reference covers it).
    if (next >= 0 && this.delay >= 0 && Math.abs(next - this.delay) <= this.o.slack) next = this.delay;
    if (next !== this.delay) {
      this.delay = next;
      this.version++;
    }
  }

  /** The loudest level we played around the tracked delay, or null while no delay is trusted. */
  reference(levels: Float32Array): number | null {
    if (this.delay < 0) return null;
    const lo = Math.max(0, this.delay - this.o.slack);
    const hi = Math.min(this.o.candidates - 1, this.delay + this.o.slack);
    let best = -Infinity;
    for (let i = lo; i <= hi; i++) if (levels[i]! > best) best = levels[i]!;
    return best;
  }
}
