// Scenarios as data: a graph of steps (prompt to play, whether to listen, timeouts, retries, transitions per
// intent), and the pure function that walks it. The call workflow executes whatever graph it is given.
import type { Intent } from './intent';
import type { CallOutcome } from './outcomes';
import { disclosureErrors, type DisclosureIdentity } from './disclosure';
import type { CaptureKind } from './capture';

/** The shared prompt library (AUDIO_DIR: the built-in scenarios' prompts; `hold` for a transfer). */
export const PROMPTS = ['hello', 'retry', 'q1', 'q2', 'q3', 'is_leads', 'confirm', 'bye_success', 'bye_failed', 'test_audio', 'hold'] as const;
export type SharedPromptName = (typeof PROMPTS)[number];
/**
 * A prompt id: one of the shared library's, or one of a scenario file's own (scenarios/<name>/prompts/<id>.wav,
 * which wins over the shared one of the same id).
 */
export type PromptName = string;

/** What the callee did after a prompt: an intent, or nothing before the step's timeout. */
export type StepEvent = Intent | 'silence';

export type Effect = 'opt_out' | 'note_callback' | 'refusal';

export interface Transition {
  /** Next step id; '$repeat' replays the current step (counted against its maxRetries); omitted = hang up. */
  next?: string;
  /** Sets the call's outcome (kept unless a later transition sets another). */
  outcome?: CallOutcome;
  effects?: Effect[];
}

export interface BargeInPolicy {
  enabled: boolean;
  /** Speech must last this long before it counts as an interruption (coughs and "mhm" do not). */
  minSpeechMs: number;
}

export interface Step {
  id: string;
  prompt: PromptName;
  /** Wait for an answer after the prompt. */
  listen: boolean;
  /** Silence allowed after the prompt ends before the `silence` event (ms). */
  timeoutMs: number;
  /** How many times '$repeat' may replay this step. */
  maxRetries: number;
  on: Partial<Record<StepEvent, Transition>>;
  /** When an event has no transition of its own. */
  otherwise: Transition;
  /** When '$repeat' is asked past maxRetries. */
  onRetriesExhausted?: Transition;
  bargeIn: BargeInPolicy;
  /** A terminal step: play the prompt, then hang up with this outcome unless one is already set. */
  end?: CallOutcome;
  /** Keys the callee may press instead of speaking, read as intents (on top of DEFAULT_DTMF; null = key ignored). */
  dtmf?: Partial<Record<string, Intent | null>>;
  /** Keep this turn's answer as a named field (transcript, intent and the value read from it, lib/capture.ts). */
  capture?: { field: string; kind: CaptureKind };
  /**
   * Hand the callee to a person: the telephony side rings the campaign's agent destination while `holdPrompt`
   * plays, bridges them when the agent answers, and continues at `onNoAgent` when nobody answers in `timeoutMs`.
   */
  transfer?: { holdPrompt: PromptName; timeoutMs: number; onNoAgent: string };
}

export interface Scenario {
  name: string;
  description: string;
  start: string;
  steps: Record<string, Step>;
  /** A technical scenario (audio tests) never calls prospects: the disclosure rule does not apply to it. */
  technical?: boolean;
}

/** The prompts' texts (audio/prompts.json) and who the campaign speaks for, read by the caller. */
export interface PromptTexts {
  texts: Record<string, string>;
  identity: DisclosureIdentity;
  /** Prompt ids that have audio (default: the shared library's ten). */
  available?: readonly string[];
}

const LISTEN_MS = 6000;
const BARGE: BargeInPolicy = { enabled: true, minSpeechMs: 300 };
const NO_BARGE: BargeInPolicy = { enabled: false, minSpeechMs: 0 };

const optOut: Transition = { next: 'bye_opt_out', outcome: 'opted_out', effects: ['opt_out'] };
const callback: Transition = { next: 'confirm_callback', outcome: 'callback', effects: ['note_callback'] };
const refuse: Transition = { next: 'bye_failed', outcome: 'not_interested', effects: ['refusal'] };

function question(id: string, prompt: PromptName, next: string): Step {
  const go: Transition = { next };
  return {
    id, prompt, listen: true, timeoutMs: LISTEN_MS, maxRetries: 1, bargeIn: BARGE,
    on: { affirm: go, deny: go, unsure: go, callback, stop: optOut, question: { next: '$repeat' }, silence: { next: '$repeat' } },
    otherwise: go,
    onRetriesExhausted: go,
  };
}

function terminal(id: string, prompt: PromptName, end: CallOutcome): Step {
  return { id, prompt, listen: false, timeoutMs: 0, maxRetries: 0, on: {}, otherwise: {}, bargeIn: NO_BARGE, end };
}

/** The seed's production scenario: hello → interest → q1..q3 → is_leads → confirm + bye. */
export const PRODUCTION: Scenario = {
  name: 'production',
  description: 'Présentation, qualification (3 questions), question finale, confirmation du rappel par un conseiller',
  start: 'hello',
  steps: {
    hello: {
      id: 'hello', prompt: 'hello', listen: true, timeoutMs: LISTEN_MS, maxRetries: 1, bargeIn: BARGE,
      on: {
        affirm: { next: 'q1' },
        deny: { next: 'retry' },
        unsure: { next: 'retry' },
        callback,
        stop: optOut,
        question: { next: '$repeat' },
        silence: { next: '$repeat' },
      },
      otherwise: { next: 'retry' },
      // Nobody spoke twice: treat as not reached (retried later), never as a refusal.
      onRetriesExhausted: { next: 'bye_failed', outcome: 'no_answer' },
    },
    retry: {
      id: 'retry', prompt: 'retry', listen: true, timeoutMs: LISTEN_MS, maxRetries: 1, bargeIn: BARGE,
      on: { affirm: { next: 'q1' }, deny: refuse, unsure: refuse, callback, stop: optOut, question: { next: '$repeat' }, silence: refuse },
      otherwise: refuse,
      onRetriesExhausted: refuse,
    },
    q1: question('q1', 'q1', 'q2'),
    q2: question('q2', 'q2', 'q3'),
    q3: question('q3', 'q3', 'is_leads'),
    is_leads: {
      id: 'is_leads', prompt: 'is_leads', listen: true, timeoutMs: LISTEN_MS, maxRetries: 1, bargeIn: BARGE,
      on: {
        affirm: { next: 'confirm_lead', outcome: 'lead' },
        deny: refuse,
        unsure: { next: '$repeat' },
        callback,
        stop: optOut,
        question: { next: '$repeat' },
        silence: { next: '$repeat' },
      },
      otherwise: refuse,
      onRetriesExhausted: refuse,
    },
    confirm_lead: { id: 'confirm_lead', prompt: 'confirm', listen: false, timeoutMs: 0, maxRetries: 0, on: {}, otherwise: { next: 'bye_success' }, bargeIn: NO_BARGE },
    confirm_callback: { id: 'confirm_callback', prompt: 'confirm', listen: false, timeoutMs: 0, maxRetries: 0, on: {}, otherwise: { next: 'bye_success' }, bargeIn: NO_BARGE },
    bye_success: terminal('bye_success', 'bye_success', 'lead'),
    bye_failed: terminal('bye_failed', 'bye_failed', 'not_interested'),
    bye_opt_out: terminal('bye_opt_out', 'bye_failed', 'opted_out'),
  },
};

/** The seed's technical test scenario: test_audio only, measures latencies. */
export const TEST: Scenario = {
  name: 'test',
  description: 'Test technique: test_audio seulement, mesure des latences',
  start: 'test_audio',
  technical: true,
  steps: {
    test_audio: {
      id: 'test_audio', prompt: 'test_audio', listen: true, timeoutMs: LISTEN_MS, maxRetries: 0, bargeIn: BARGE,
      on: { stop: { outcome: 'opted_out', effects: ['opt_out'] } },
      otherwise: { outcome: 'test_completed' },
      onRetriesExhausted: { outcome: 'test_completed' },
    },
  },
};

/**
 * Production with a live transfer: a qualified lead is put through to an agent (the campaign's `agent`) while
 * the hold prompt plays; when no agent answers within 25 s (or all are busy), the callback confirmation follows.
 */
export const TRANSFER: Scenario = {
  ...PRODUCTION,
  name: 'transfer',
  description: 'Comme production, mais le prospect qualifié est mis en relation en direct avec un conseiller (sinon, confirmation du rappel)',
  steps: {
    ...PRODUCTION.steps,
    is_leads: { ...PRODUCTION.steps.is_leads!, on: { ...PRODUCTION.steps.is_leads!.on, affirm: { next: 'transfer_lead', outcome: 'lead' } } },
    transfer_lead: {
      id: 'transfer_lead', prompt: 'hold', listen: false, timeoutMs: 0, maxRetries: 0, on: {}, otherwise: { next: 'confirm_lead' }, bargeIn: NO_BARGE,
      transfer: { holdPrompt: 'hold', timeoutMs: 25_000, onNoAgent: 'confirm_lead' },
    },
  },
};

export const SCENARIOS: Record<string, Scenario> = { production: PRODUCTION, test: TEST, transfer: TRANSFER };

export function getScenario(name: string): Scenario {
  const s = SCENARIOS[name];
  if (!s) throw new Error(`scenario: unknown scenario "${name}" (known: ${Object.keys(SCENARIOS).join(', ')})`);
  return s;
}

/**
 * Checks a scenario graph: every transition leads to a known step, the start exists, terminal steps end.
 * Given the prompts' texts, also that the first prompt discloses who calls, why, and that it is automated
 * (lib/disclosure.ts), unless the scenario is technical.
 */
export function validateScenario(s: Scenario, prompts?: PromptTexts): string[] {
  const errors: string[] = [];
  if (!s.steps[s.start]) errors.push(`start: unknown step "${s.start}"`);
  const first = s.steps[s.start];
  if (prompts && first && !s.technical) {
    const text = prompts.texts[first.prompt];
    if (text === undefined) errors.push(`steps.${first.id}.prompt: no text for prompt "${first.prompt}", so its disclosure cannot be checked`);
    else errors.push(...disclosureErrors(first.prompt, text, prompts.identity).map((e) => `steps.${first.id}.prompt: ${e}`));
  }
  for (const [id, step] of Object.entries(s.steps)) {
    if (step.id !== id) errors.push(`steps.${id}: id "${step.id}" differs from its key`);
    if (!(prompts?.available ?? PROMPTS).includes(step.prompt)) errors.push(`steps.${id}.prompt: unknown prompt "${step.prompt}"`);
    const ts: [string, Transition | undefined][] = [
      ...Object.entries(step.on).map(([k, t]) => [`on.${k}`, t] as [string, Transition]),
      ['otherwise', step.otherwise],
      ['onRetriesExhausted', step.onRetriesExhausted],
      ['transfer.onNoAgent', step.transfer ? { next: step.transfer.onNoAgent } : undefined],
    ];
    for (const [where, t] of ts) {
      if (!t?.next || t.next === '$repeat') continue;
      if (!s.steps[t.next]) errors.push(`steps.${id}.${where}: unknown next step "${t.next}"`);
    }
    if (step.end && step.listen) errors.push(`steps.${id}: a terminal step cannot listen`);
    if (step.transfer) {
      const t = step.transfer;
      if (step.listen || step.end) errors.push(`steps.${id}.transfer: a transfer step neither listens nor ends the call`);
      // onNoAgent is checked with the other transitions above; the hold prompt by the file's compiler
      // (lib/scenario-file.ts), which knows the scenario's own prompts as well as the shared ones.
      if (!(t.timeoutMs >= 1000 && t.timeoutMs <= 300_000)) errors.push(`steps.${id}.transfer.timeoutMs: must be between 1000 and 300000 (got ${t.timeoutMs})`);
    }
    if ((step.onRetriesExhausted ?? step.otherwise).next === '$repeat') {
      errors.push(`steps.${id}: the transition taken when retries are exhausted cannot be '$repeat'`);
    }
  }
  return errors;
}

export interface Decision {
  /** The step to play next, or null to hang up. */
  next: string | null;
  /** True when `next` is the same step replayed. */
  repeat: boolean;
  outcome?: CallOutcome;
  effects: Effect[];
}

/**
 * What to do after `event` at `stepId`, given how many times the step was already replayed.
 * Opt-out outranks everything (the intent engine already ranks `stop` first).
 */
/**
 * What a key means when a step offers no mapping of its own: 1 yes, 2 no, 9 "do not call me again" (the opt-out
 * key announced by scripts that offer one; it must work on every step that listens).
 */
export const DEFAULT_DTMF: Readonly<Record<string, Intent>> = { '1': 'affirm', '2': 'deny', '9': 'stop' };

/** The intent a key press stands for on this step, or null when the key means nothing here. */
export function dtmfIntent(step: Step, digit: string): Intent | null {
  if (!step.listen) return null;
  const own = step.dtmf?.[digit];
  if (own !== undefined) return own;
  return DEFAULT_DTMF[digit] ?? null;
}

export function decide(s: Scenario, stepId: string, event: StepEvent, retriesUsed: number): Decision {
  const step = s.steps[stepId];
  if (!step) throw new Error(`scenario ${s.name}: unknown step "${stepId}"`);
  if (!step.listen) return resolve(step.otherwise, step, retriesUsed);
  return resolve(step.on[event] ?? step.otherwise, step, retriesUsed);
}

function resolve(t: Transition, step: Step, retriesUsed: number): Decision {
  if (t.next === '$repeat') {
    if (retriesUsed < step.maxRetries) return { next: step.id, repeat: true, outcome: t.outcome, effects: t.effects ?? [] };
    const exhausted = step.onRetriesExhausted ?? step.otherwise;
    // validateScenario forbids '$repeat' here; should one slip through, hang up rather than loop.
    if (exhausted.next === '$repeat') return { next: null, repeat: false, outcome: exhausted.outcome, effects: exhausted.effects ?? [] };
    return resolve(exhausted, step, retriesUsed);
  }
  return { next: t.next ?? null, repeat: false, outcome: t.outcome, effects: t.effects ?? [] };
}
