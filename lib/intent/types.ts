// Shared types of the intent engine (pure: no I/O).

export type Intent = 'affirm' | 'deny' | 'unsure' | 'callback' | 'question' | 'stop';

export const INTENTS: readonly Intent[] = ['affirm', 'deny', 'unsure', 'callback', 'question', 'stop'] as const;

/** Scenario steps the robot can be at when the callee speaks. */
export const STEPS = ['hello', 'retry', 'q1', 'q2', 'q3', 'is_leads', 'confirm', 'test_audio'] as const;
export type Step = (typeof STEPS)[number];

export interface CallbackTime {
  /** absolute: a calendar anchor (demain, lundi, ce soir, à 18h); relative: an offset (dans une heure); vague: plus tard. */
  kind: 'absolute' | 'relative' | 'vague';
  /** Requested time, ISO 8601 with offset, in the call's time zone (absent for vague requests). */
  at?: string;
  /** The words the time was read from. */
  text: string;
}

export interface IntentResult {
  intent: Intent;
  /** Calibrated: roughly the probability the intent is right (see npm run eval:intent). */
  confidence: number;
  method: string;
  latencyMs: number;
  callbackTime?: CallbackTime;
}

export interface ClassifyOptions {
  /** Scenario step id: hello | retry | q1 | q2 | q3 | is_leads | confirm | test_audio */
  context?: string;
  /** The call's current time, for callback times: without it no callback time is read. */
  now?: Date;
  /** A monotonic clock in ms (e.g. performance.now) to measure latencyMs; without it latencyMs is 0. */
  clock?: () => number;
  /** IANA zone of the callee (for callback times). Default Europe/Paris. */
  timeZone?: string;
}
