// One call held by the Asterisk backend: its record, the phases it goes through, and the registry of the
// calls this process holds (by call id and by media channel id) plus the recently ended ones.
//
//   dialing ──StasisStart──▶ amd (AMD_MODE=asterisk: AMD() runs in the dialplan) ──StasisStart──▶ up
//      └───────────StasisStart (AMD_MODE=stream|off)────────────────────────────────────────────▶ up
//   any phase ──teardown──▶ ending (final: the call is forgotten, late events and activities are no-ops)
import type { PlayRequest, TransferResult } from '../port';
import type { AmdEvidence, AsteriskAmd, StreamAmd } from '../../media/amd';

export type CallPhase = 'dialing' | 'amd' | 'up' | 'ending';

const NEXT: Record<CallPhase, CallPhase[]> = {
  dialing: ['amd', 'up', 'ending'],
  amd: ['up', 'ending'],
  up: ['ending'],
  ending: [],
};

/** Moves a call to its next phase; false (and no change) when that is not a move its phase allows. */
export function transition(c: { phase: CallPhase }, to: CallPhase): boolean {
  if (!NEXT[c.phase].includes(to)) return false;
  c.phase = to;
  return true;
}

/** What the adapter measured on a call (for the bench, the e2e test and the logs). */
export interface CallMetrics {
  callId: string;
  originatedAt: number;
  answeredAt: number | null;
  mediaAt: number | null;
  /** When the first prompt's audio started (after the gate). */
  firstPromptAt: number | null;
  gateReason: string | null;
  amd: { verdict: string; cause: string; source: string; decidedAt: number; evidence: AmdEvidence | null } | null;
  asteriskAmd: AsteriskAmd | null;
  endedAt: number | null;
  endCause: string | null;
  recordingPath: string | null;
  /** Key presses heard per path (ARI ChannelDtmfReceived, chan_websocket DTMF_END) and passed on (once each). */
  dtmf: { ari: number; media: number; delivered: number };
  /** A transfer whose agent answered. */
  /** The agent bridged with the callee: ringing from startedAt, answered, in the bridge at bridgedAt. */
  transfer: { agentLeg: string; startedAt: number; answeredAt: number | null; bridgedAt: number } | null;
}

/** The agent leg of a live transfer (asterisk/transfer.ts). */
export interface AgentLeg {
  id: string;
  endpoint: string;
  startedAt: number;
  answeredAt: number | null;
  /** The agent is in the call's bridge and the bot has left. */
  bridged: boolean;
  settled: boolean;
  result: Promise<TransferResult>;
  resolve: (r: TransferResult) => void;
}

export interface QueuedPrompt {
  req: PlayRequest;
  wavPath: string;
}

export interface AstCall {
  id: string;
  /** The externalMedia channel and the mixing bridge of this call (ids derived from the call id). */
  mediaId: string;
  bridgeId: string;
  record: boolean;
  /**
   * When Asterisk answered our originate (the channel exists from then on); null while it is under way.
   * reconcile judges a call by a channel list only if the list was asked for after this.
   */
  createdAt: number | null;
  phase: CallPhase;
  answered: boolean;
  /** Left Stasis for AMD() on purpose (its StasisEnd is not a hang-up). */
  inDialplan: boolean;
  /** We hung up (the workflow asked): no hungUp event goes back. */
  byUs: boolean;
  dialStatus: string;
  hangupCause: number | null;
  /** Asterisk itself is shutting down (a soft hang-up with reason SHUTDOWN): the line is cut on our side. */
  systemShutdown: boolean;
  // Media: the externalMedia channel entered Stasis (it can only be bridged then), the media server has the
  // call's websocket, play() calls waiting for it.
  mediaSetup: boolean;
  mediaInStasis: { promise: Promise<void>; resolve: () => void };
  mediaReady: boolean;
  mediaWaiters: { resolve: () => void; reject: (e: Error) => void }[];
  // The AMD gate: the stream AMD, Asterisk's verdict, whether ours went out, and the prompts held until the gate opens.
  streamAmd: StreamAmd | null;
  asteriskAmd: AsteriskAmd | null;
  amdSent: boolean;
  verdict: 'human' | 'machine' | 'unknown' | null;
  gateOpen: boolean;
  queue: QueuedPrompt[];
  prompts: Set<string>;
  timers: Set<NodeJS.Timeout>;
  recordingName: string | null;
  /** Per digit, how many presses each path reported and how many went to the workflow (asterisk/dtmf.ts). */
  keys: { ari: Map<string, number>; media: Map<string, number>; sent: Map<string, number> };
  agent: AgentLeg | null;
  metrics: CallMetrics;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export function newCall(callId: string, record: boolean, now: number): AstCall {
  return {
    id: callId, mediaId: `${callId}-m`, bridgeId: `${callId}-b`, record, createdAt: null,
    phase: 'dialing', answered: false, inDialplan: false, byUs: false, dialStatus: '', hangupCause: null, systemShutdown: false,
    mediaSetup: false, mediaInStasis: deferred(), mediaReady: false, mediaWaiters: [],
    streamAmd: null, asteriskAmd: null, amdSent: false, verdict: null, gateOpen: false, queue: [], prompts: new Set(),
    timers: new Set(), recordingName: null, keys: { ari: new Map(), media: new Map(), sent: new Map() }, agent: null,
    metrics: {
      callId, originatedAt: now, answeredAt: null, mediaAt: null, firstPromptAt: null, gateReason: null, amd: null,
      asteriskAmd: null, endedAt: null, endCause: null, recordingPath: null, dtmf: { ari: 0, media: 0, delivered: 0 }, transfer: null,
    },
  };
}

/** Runs fn after ms unless the call ends first (teardown clears the call's timers). */
export function later(c: AstCall, ms: number, fn: () => void): void {
  const t = setTimeout(() => {
    c.timers.delete(t);
    fn();
  }, ms);
  c.timers.add(t);
}

/** The calls this process holds, the media channels that lead to them, and the ones that just ended. */
export class CallRegistry {
  private readonly live = new Map<string, AstCall>();
  private readonly byMedia = new Map<string, AstCall>();
  /** Calls that ended recently (late activities for them are no-ops), bounded. */
  private readonly ended = new Map<string, number>();
  private readonly finished: CallMetrics[] = [];

  get(callId: string): AstCall | undefined {
    return this.live.get(callId);
  }
  byMediaId(channelId: string): AstCall | undefined {
    return this.byMedia.get(channelId);
  }
  has(callId: string): boolean {
    return this.live.has(callId);
  }
  hasEnded(callId: string): boolean {
    return this.ended.has(callId);
  }
  all(): AstCall[] {
    return [...this.live.values()];
  }
  ids(): string[] {
    return [...this.live.keys()];
  }
  get size(): number {
    return this.live.size;
  }

  add(c: AstCall): void {
    this.live.set(c.id, c);
    this.byMedia.set(c.mediaId, c);
  }

  /** The call ended: no longer held, remembered as ended (late activities for it are no-ops). */
  end(c: AstCall, at: number): void {
    this.live.delete(c.id);
    this.ended.set(c.id, at);
    if (this.ended.size > 20_000) for (const k of [...this.ended.keys()].slice(0, 5_000)) this.ended.delete(k);
  }

  /** Keeps the media channel id mapped a little: its ChannelDestroyed comes after the teardown. */
  releaseMediaLater(c: AstCall): void {
    setTimeout(() => this.byMedia.delete(c.mediaId), 10_000).unref();
  }

  /** The call never started (originate refused): forgotten entirely, so a retry can dial. */
  forget(c: AstCall): void {
    for (const t of c.timers) clearTimeout(t);
    this.live.delete(c.id);
    this.byMedia.delete(c.mediaId);
  }

  keep(m: CallMetrics): void {
    this.finished.push(m);
    if (this.finished.length > 1000) this.finished.splice(0, this.finished.length - 1000);
  }
  metrics(): CallMetrics[] {
    return [...this.finished];
  }
}
