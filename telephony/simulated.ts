// Simulated telephony: a backend that behaves like a carrier + callees, for the demo, load tests and CI.
// Configurable mix of outcomes (answer, no answer, busy, answering machine, failure), ring and talk
// durations, scripted callee answers per step (with interruptions that trigger barge-in), and a time
// compression factor. It reports call progress through the same CallEventSink as the real backend.
// Draws are deterministic per call id, so a run can be reproduced.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallEventSink, HangupCause } from '../lib/call-events';
import { parseWav } from '../lib/audio-files';
import { PROMPTS } from '../lib/scenario';
import type { PromptName } from '../lib/scenario';
import { logger } from '../runtime/logger';
import type { OriginateRequest, PlayRequest, TelephonyPort, TransferRequest, TransferResult } from './port';

export type LineOutcome = 'answer' | 'no_answer' | 'busy' | 'machine' | 'failure';
export type Persona =
  | 'lead' | 'refuser' | 'convinced' | 'callback' | 'optout' | 'interrupter' | 'questioner' | 'silent' | 'hangs_up'
  // Callees who answer with the keypad (not in the default mix): "1" to every question, or "9" over the hello.
  | 'keypad_lead' | 'keypad_optout';

export interface SimulationOptions {
  /** Time compression: 10 = ten times faster than real time. */
  speed: number;
  lineMix: Partial<Record<LineOutcome, number>>;
  personaMix: Partial<Record<Persona, number>>;
  /** Ring time before answer, ms (real time, before compression). */
  ringMs: [number, number];
  /** Prompt durations, ms (real time); defaults approximate the shipped prompts. */
  promptMs?: Partial<Record<PromptName, number>>;
  seed?: string;
  /** How long a transferred callee talks with the agent, ms (real time); default 8000. */
  agentTalkMs?: number;
}

export const DEFAULT_SIMULATION: SimulationOptions = {
  speed: 1,
  lineMix: { answer: 62, no_answer: 15, busy: 8, machine: 10, failure: 5 },
  personaMix: { lead: 22, refuser: 20, convinced: 10, callback: 12, optout: 6, interrupter: 12, questioner: 8, silent: 4, hangs_up: 6 },
  ringMs: [2000, 9000],
};

const DEFAULT_PROMPT_MS: Record<PromptName, number> = {
  hello: 6500, retry: 4500, q1: 3500, q2: 3500, q3: 3500, is_leads: 4000, confirm: 4000, bye_success: 2500, bye_failed: 2500, test_audio: 3000, hold: 5400,
};

/** A script line that is a key press, not speech: `${KEY}9`. */
const KEY = 'DTMF:';

// What each persona answers, by prompt and by how many times it has heard that prompt in this call.
const YES = ['oui je vous écoute', 'oui tout à fait', 'oui bien sûr', 'oui allez-y', 'oui ça m intéresse'];
const SCRIPTS: Record<Persona, Partial<Record<PromptName, string[]>>> = {
  lead: { hello: ['oui je vous écoute'], q1: ['oui tout à fait'], q2: ['oui bien sûr'], q3: ['oui'], is_leads: ['oui ça m intéresse'], test_audio: ['oui je vous entends bien'] },
  refuser: { hello: ['non merci ça ne m intéresse pas'], retry: ['non vraiment pas merci'], test_audio: ['oui'] },
  convinced: { hello: ['non merci'], retry: ['bon d accord allez-y'], q1: ['oui'], q2: ['oui'], q3: ['oui tout à fait'], is_leads: ['oui d accord'], test_audio: ['oui'] },
  callback: { hello: ['je suis occupé là rappelez-moi demain matin'], test_audio: ['oui'] },
  optout: { hello: ['ne m appelez plus retirez mon numéro'], test_audio: ['ne m appelez plus'] },
  interrupter: { hello: ['oui oui allez-y je vous écoute'], q1: ['oui'], q2: ['oui'], q3: ['oui'], is_leads: ['oui ça m intéresse'], test_audio: ['oui'] },
  questioner: { hello: ['c est qui', 'ah d accord oui allez-y'], q1: ['oui'], q2: ['non'], q3: ['oui'], is_leads: ['non merci pas intéressé'], test_audio: ['c est quoi'] },
  silent: {},
  hangs_up: { hello: ['oui'], q1: ['euh oui'] },
  keypad_lead: { hello: [`${KEY}1`], q1: [`${KEY}1`], q2: [`${KEY}1`], q3: [`${KEY}1`], is_leads: [`${KEY}1`], test_audio: [`${KEY}1`] },
  keypad_optout: {}, // presses 9 while the hello plays (see play)
};

/** The real durations of the prompt files in `audioDir` (those that exist and parse), so simulated calls last as long as real ones. */
export function promptDurationsFrom(audioDir: string): Partial<Record<PromptName, number>> {
  const out: Partial<Record<PromptName, number>> = {};
  for (const p of PROMPTS) {
    const f = join(audioDir, `${p}.wav`);
    if (!existsSync(f)) continue;
    try {
      const w = parseWav(readFileSync(f));
      out[p] = Math.round((w.dataBytes / (w.channels * (w.bitsPerSample / 8) * w.sampleRate)) * 1000);
    } catch {
      /* an unreadable file keeps the default duration */
    }
  }
  return out;
}

/** FNV-1a then mulberry32: a small deterministic PRNG seeded by a string. */
function rng(seed: string): () => number {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<K extends string>(weights: Partial<Record<K, number>>, r: number): K {
  const entries = Object.entries(weights).filter(([, w]) => (w as number) > 0) as [K, number][];
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = r * total;
  for (const [k, w] of entries) {
    if ((x -= w) < 0) return k;
  }
  return entries[entries.length - 1]![0];
}

interface SimCall {
  id: string;
  line: LineOutcome;
  persona: Persona;
  rand: () => number;
  timers: Set<NodeJS.Timeout>;
  heard: Map<PromptName, number>;
  playing: { promptId: string; turn: number; startedAt: number; durationMs: number; timer: NodeJS.Timeout } | null;
  seenPrompts: Set<string>;
  answered: boolean;
  interruptedHello: boolean;
  ended: boolean;
  transfer: Promise<TransferResult> | null;
}

export class SimulatedTelephony implements TelephonyPort {
  private readonly calls = new Map<string, SimCall>();
  private readonly opts: SimulationOptions;
  private readonly promptMs: Partial<Record<PromptName, number>>;
  private readonly log = logger('sim-telephony');

  constructor(private readonly sink: CallEventSink, opts: Partial<SimulationOptions> = {}) {
    this.opts = { ...DEFAULT_SIMULATION, ...opts };
    if (!(this.opts.speed > 0)) throw new Error('simulation speed must be > 0');
    this.promptMs = { ...DEFAULT_PROMPT_MS, ...this.opts.promptMs };
  }

  /** Real-time ms → wall-clock ms under compression. */
  private t(ms: number): number {
    return Math.max(1, Math.round(ms / this.opts.speed));
  }

  private later(c: SimCall, ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      c.timers.delete(timer);
      if (!c.ended) fn();
    }, this.t(ms));
    c.timers.add(timer);
    return timer;
  }

  private emit(p: Promise<void>, what: string, callId: string): void {
    p.catch((err) => this.log.warn({ callId, err: (err as Error).message }, `could not deliver ${what}`));
  }

  private end(c: SimCall, cause: HangupCause | null): void {
    if (c.ended) return;
    c.ended = true;
    for (const t of c.timers) clearTimeout(t);
    c.timers.clear();
    if (c.playing) clearTimeout(c.playing.timer);
    this.calls.delete(c.id);
    if (cause) this.emit(this.sink.hungUp(c.id, { cause, at: Date.now() }), 'hungUp', c.id);
  }

  async originate(req: OriginateRequest): Promise<void> {
    if (this.calls.has(req.callId)) return;
    const rand = rng(`${this.opts.seed ?? ''}|${req.callId}`);
    const line = pick(this.opts.lineMix, rand());
    const persona = pick(this.opts.personaMix, rand());
    const c: SimCall = {
      id: req.callId, line, persona, rand, timers: new Set(), heard: new Map(), playing: null, seenPrompts: new Set(),
      answered: false, interruptedHello: false, ended: false, transfer: null,
    };
    this.calls.set(c.id, c);
    const [lo, hi] = this.opts.ringMs;
    const ring = lo + rand() * (hi - lo);
    switch (line) {
      case 'no_answer':
        this.later(c, Math.min(req.ringTimeoutMs, 30_000), () => this.end(c, 'no_answer'));
        break;
      case 'busy':
        this.later(c, 800 + rand() * 1500, () => this.end(c, 'busy'));
        break;
      case 'failure':
        this.later(c, 300 + rand() * 700, () => this.end(c, 'failed'));
        break;
      case 'answer':
      case 'machine':
        this.later(c, ring, () => {
          c.answered = true;
          this.emit(this.sink.answered(c.id, { at: Date.now() }), 'answered', c.id);
          // AMD decides while the hello already plays: machines by their long greeting, humans by a short hello.
          const amdMs = line === 'machine' ? 2200 + rand() * 700 : 900 + rand() * 900;
          this.later(c, amdMs, () =>
            this.emit(this.sink.amdResult(c.id, {
              verdict: line === 'machine' ? 'machine' : 'human',
              cause: line === 'machine' ? 'LONGGREETING' : 'HUMAN-1-1',
              decidedAt: Date.now(),
            }), 'amdResult', c.id),
          );
        });
        break;
    }
  }

  async play(req: PlayRequest): Promise<void> {
    const c = this.calls.get(req.callId);
    if (!c || c.ended) throw new Error(`simulated call ${req.callId} is not up`);
    if (c.seenPrompts.has(req.promptId)) return; // idempotent per promptId
    c.seenPrompts.add(req.promptId);
    if (c.playing) clearTimeout(c.playing.timer);
    const heardBefore = c.heard.get(req.prompt) ?? 0;
    c.heard.set(req.prompt, heardBefore + 1);
    // A scenario file's own prompt (not one of the shared ten): about one sentence.
    const durationMs = this.promptMs[req.prompt] ?? 3500;
    const startedAt = Date.now();
    const timer = setTimeout(() => {
      c.timers.delete(timer);
      if (c.ended || c.playing?.promptId !== req.promptId) return;
      c.playing = null;
      this.emit(this.sink.playbackFinished(c.id, { promptId: req.promptId, turn: req.turn, interrupted: false, playedMs: durationMs }), 'playbackFinished', c.id);
      this.afterPrompt(c, req, heardBefore);
    }, this.t(durationMs));
    c.timers.add(timer);
    c.playing = { promptId: req.promptId, turn: req.turn, startedAt, durationMs, timer };
    if (c.line === 'answer' && c.persona === 'keypad_optout' && req.prompt === 'hello' && !c.interruptedHello) {
      c.interruptedHello = true;
      this.later(c, durationMs * 0.4, () => this.press(c, '9'));
    }
    if (c.line === 'answer' && c.persona === 'interrupter' && req.prompt === 'hello' && !c.interruptedHello && req.bargeIn) {
      c.interruptedHello = true;
      this.later(c, durationMs * (0.3 + c.rand() * 0.3), () => this.bargeIn(c, req));
    }
  }

  /** The callee talks over the prompt: the backend flushes it at once, then reports. */
  private bargeIn(c: SimCall, req: PlayRequest): void {
    if (!c.playing || c.playing.promptId !== req.promptId) return;
    const playedMs = Math.round((Date.now() - c.playing.startedAt) * this.opts.speed);
    clearTimeout(c.playing.timer);
    c.playing = null;
    const onset = Date.now();
    const flushedAt = onset + Math.round(40 / this.opts.speed);
    this.emit(this.sink.speechStarted(c.id, { turn: req.turn, speechStartAt: onset, flushedAt, promptId: req.promptId, promptPlayedMs: playedMs }), 'speechStarted', c.id);
    this.emit(this.sink.playbackFinished(c.id, { promptId: req.promptId, turn: req.turn, interrupted: true, playedMs }), 'playbackFinished', c.id);
    const text = SCRIPTS[c.persona][req.prompt]?.[0] ?? YES[0]!;
    this.speak(c, req.turn, text, onset, true);
  }

  private afterPrompt(c: SimCall, req: PlayRequest, heardBefore: number): void {
    if (c.line === 'machine') return; // the machine records; the workflow hangs up on the AMD verdict
    if (c.persona === 'hangs_up' && req.prompt === 'q2') {
      this.later(c, 600, () => this.end(c, 'normal'));
      return;
    }
    const lines = SCRIPTS[c.persona][req.prompt];
    const text = lines?.[Math.min(heardBefore, lines.length - 1)];
    if (!text) return; // stays silent
    const reaction = 250 + c.rand() * 500;
    this.later(c, reaction, () => this.speak(c, req.turn, text, Date.now(), false));
  }

  /** A key press reaches the workflow as DTMF (Asterisk reports it through ARI once, when the key is released). */
  private press(c: SimCall, digit: string): void {
    this.emit(this.sink.dtmf(c.id, { digit, at: Date.now() }), 'dtmf', c.id);
  }

  private speak(c: SimCall, turn: number, text: string, speechStartAt: number, bargeIn: boolean): void {
    if (text.startsWith(KEY)) {
      this.press(c, text.slice(KEY.length));
      return;
    }
    if (!bargeIn) this.emit(this.sink.speechStarted(c.id, { turn, speechStartAt }), 'speechStarted', c.id);
    const speechMs = 350 + text.split(' ').length * 230;
    const asrMs = 90 + c.rand() * 140;
    this.later(c, speechMs + asrMs, () => {
      const finalAt = Date.now();
      const speechEndAt = finalAt - Math.round(asrMs / this.opts.speed);
      this.emit(this.sink.utterance(c.id, {
        turn, text, confidence: 0.82 + c.rand() * 0.15, speechStartAt, speechEndAt, finalAt,
        asrLatencyMs: Math.round(asrMs), bargeIn, metadata: { backend: 'simulated', persona: c.persona },
      }), 'utterance', c.id);
    });
  }

  async stopPlayback(callId: string): Promise<{ playedMs: number } | null> {
    const c = this.calls.get(callId);
    if (!c?.playing) return null;
    const playedMs = Math.round((Date.now() - c.playing.startedAt) * this.opts.speed);
    clearTimeout(c.playing.timer);
    const p = c.playing;
    c.playing = null;
    this.emit(this.sink.playbackFinished(c.id, { promptId: p.promptId, turn: p.turn, interrupted: true, playedMs }), 'playbackFinished', c.id);
    return { playedMs };
  }

  /**
   * Simulated agents: `noanswer` rings until the timeout, `busy` refuses at once, any other agent answers after
   * the shortest ring time; the callee then talks with the agent for `agentTalkMs` and hangs up.
   */
  async transfer(req: TransferRequest): Promise<TransferResult> {
    const c = this.calls.get(req.callId);
    if (!c || c.ended) return { answered: false, agentLeg: `sim/${req.agent}`, startedAt: Date.now(), answeredAt: null, cause: 'callee_gone' };
    c.transfer ??= new Promise<TransferResult>((resolve) => {
      const startedAt = Date.now();
      const base = { agentLeg: `sim/${req.agent}`, startedAt };
      const give = (r: TransferResult) => {
        clearInterval(watch);
        resolve(r);
      };
      // The callee may hang up while waiting.
      const watch = setInterval(() => c.ended && give({ ...base, answered: false, answeredAt: null, cause: 'callee_gone' }), 50);
      c.timers.add(watch as unknown as NodeJS.Timeout);
      if (req.agent === 'busy') return void this.later(c, 300, () => give({ ...base, answered: false, answeredAt: null, cause: 'busy' }));
      if (req.agent === 'noanswer') return void setTimeout(() => give({ ...base, answered: false, answeredAt: null, cause: 'no_answer' }), req.timeoutMs);
      this.later(c, this.opts.ringMs[0], () => {
        void this.stopPlayback(c.id); // the bot leaves: the hold prompt stops
        give({ ...base, answered: true, answeredAt: Date.now() });
        this.later(c, this.opts.agentTalkMs ?? 8000, () => this.end(c, 'normal'));
      });
    });
    return c.transfer;
  }

  async hangup(callId: string): Promise<void> {
    const c = this.calls.get(callId);
    if (c) this.end(c, null);
  }

  activeCalls(): string[] {
    return [...this.calls.keys()];
  }

  /** For tests and the demo: what the simulation drew for a call (deterministic per id). */
  static draw(callId: string, opts: Partial<SimulationOptions> = {}): { line: LineOutcome; persona: Persona } {
    const o = { ...DEFAULT_SIMULATION, ...opts };
    const rand = rng(`${o.seed ?? ''}|${callId}`);
    return { line: pick(o.lineMix, rand()), persona: pick(o.personaMix, rand()) };
  }
}
