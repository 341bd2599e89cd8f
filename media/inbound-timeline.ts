// When each inbound payload's first sample was spoken, on our clock. Pure logic: fed arrival times and
// sample counts, no clock of its own.
//
// Why not arrival time: Asterisk sends the call's audio every 20 ms from its own timer, but we read the
// socket when our event loop gets round to it. Behind a garbage collection, a burst of recognition work or
// a loaded machine, three frames are read in one go and would all be stamped with the same time. The barge-in
// echo guard compares each frame with what we played one line-echo delay earlier (media/echo-path.ts): frames
// stamped tens of ms late are compared with the wrong part of our prompt, and the delay it learns drifts with
// the load (seen in the media tier beside the other test lanes: 80 ms of echo learnt as 100, echo-only frames
// taken for the callee). So frames are timed by their samples: the stream's start plus the audio before them,
// the start being the earliest the arrivals allow.
//
// How: `expected` = anchor + samples so far. A payload read no later than expected + maxLateMs is given
// `expected` (read late: it was still spoken on time). One read earlier than expected proves the anchor too
// late: it moves back to it. Every `windowFrames` payloads, if all of them were read late, the anchor moves
// forward by the least lateness (the network path grew longer, or the sender's clock runs slow against ours).
// Later than maxLateMs is either our stall or a gap in the stream (a sender that stops during silence). A
// stall ends in a burst: the backlog is read at once, each payload 20 ms less late than the one before, and
// the audio is contiguous, so it keeps `expected` (stamped at its arrival, a stall of 300-800 ms on a loaded
// machine read as a pause: the AMD took a voicemail greeting for a person's "Allô ?"). A gap is followed by
// payloads at the normal pace, all late by the same amount: after `gapFrames` of them the anchor is reset to
// the stream's new start.
export interface InboundTimelineOptions {
  /** Lateness beyond which a payload may start a new stretch of stream (a gap), ms. */
  maxLateMs: number;
  /** Payloads over which the least lateness is taken before the anchor follows it forward. */
  windowFrames: number;
  /** Payloads in a row, each later than maxLateMs by the same amount (within half a payload), that make a gap. */
  gapFrames: number;
}

export const DEFAULT_INBOUND_TIMELINE: InboundTimelineOptions = { maxLateMs: 250, windowFrames: 25, gapFrames: 3 };

const NOT_OVERDUE = Object.freeze({ n: 0, min: Infinity, max: -Infinity, total: 0, since: 0 });

export class InboundTimeline {
  private anchor = NaN;
  private samples = 0;
  private leastLate = Infinity;
  private inWindow = 0;
  /**
   * The payloads in a row later than maxLateMs: `n` as late as each other (the range of their lateness), and
   * all of them since the last one on time (`total`, read from `since`).
   */
  private overdue: { n: number; min: number; max: number; total: number; since: number } = NOT_OVERDUE;
  /** Payloads whose time was moved from their arrival (read late), and gaps that reset the stream. */
  readonly counts = { late: 0, gaps: 0 };

  constructor(
    private readonly sampleRate: number,
    private readonly o: InboundTimelineOptions = DEFAULT_INBOUND_TIMELINE,
  ) {}

  /** The time (ms, the arrival's clock) of the first sample of a payload of `samples` read at `arrivedAt`. */
  stamp(arrivedAt: number, samples: number): number {
    const durMs = (samples / this.sampleRate) * 1000;
    const fromArrival = arrivedAt - durMs;
    let expected = this.anchor + (this.samples / this.sampleRate) * 1000;
    const late = fromArrival - expected;
    if (late > this.o.maxLateMs) {
      let od = this.overdue;
      if (od.total === 0) od = this.overdue = { ...NOT_OVERDUE, since: arrivedAt };
      od.total++;
      // Not as late as the ones before it (within half a payload): the run of equally late payloads starts again.
      if (Math.max(od.max, late) - Math.min(od.min, late) > durMs / 2) Object.assign(od, { n: 0, min: Infinity, max: -Infinity });
      od.n++;
      od.min = Math.min(od.min, late);
      od.max = Math.max(od.max, late);
      // At the normal pace, not in one burst: as late as each other, or late for a whole window (a jittery path).
      const paced = arrivedAt - od.since >= ((od.total - 1) * durMs) / 2;
      if (!(od.n >= this.o.gapFrames || (paced && od.total >= this.o.windowFrames))) {
        // Our stall (or not yet known): the audio goes on where it was.
        this.counts.late++;
        this.samples += samples;
        return expected;
      }
      // The sender had stopped: the stream restarts here.
      this.counts.gaps++;
      this.restart(fromArrival);
      expected = fromArrival;
    } else if (!(late >= 0)) {
      // First payload, or one read earlier than the timeline allows: the arrival is the best estimate.
      this.restart(fromArrival);
      expected = fromArrival;
    } else {
      this.overdue = NOT_OVERDUE;
      if (late > 1) this.counts.late++;
      if (late < this.leastLate) this.leastLate = late;
      if (++this.inWindow >= this.o.windowFrames) {
        // Read late all window long: the stream itself is later than the anchor says.
        this.anchor += this.leastLate;
        this.leastLate = Infinity;
        this.inWindow = 0;
      }
    }
    this.samples += samples;
    return expected;
  }

  private restart(at: number): void {
    this.anchor = at;
    this.samples = 0;
    this.leastLate = Infinity;
    this.inWindow = 0;
    this.overdue = NOT_OVERDUE;
  }
}
