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
// A payload later than maxLateMs is a gap in the stream (a sender that stops during silence), not our
// lateness: the anchor is reset to it.

export interface InboundTimelineOptions {
  /** Lateness beyond which a payload starts a new stretch of stream (a gap), ms. */
  maxLateMs: number;
  /** Payloads over which the least lateness is taken before the anchor follows it forward. */
  windowFrames: number;
}

export const DEFAULT_INBOUND_TIMELINE: InboundTimelineOptions = { maxLateMs: 250, windowFrames: 25 };

export class InboundTimeline {
  private anchor = NaN;
  private samples = 0;
  private leastLate = Infinity;
  private inWindow = 0;
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
    if (!(late >= 0) || late > this.o.maxLateMs) {
      // First payload, one read earlier than the timeline allows, or a gap: the arrival is the best estimate.
      if (late > this.o.maxLateMs) this.counts.gaps++;
      this.anchor = fromArrival;
      this.samples = 0;
      expected = fromArrival;
      this.leastLate = Infinity;
      this.inWindow = 0;
    } else {
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
}
