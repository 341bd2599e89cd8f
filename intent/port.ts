// The intent-classifier port: what the call workflow's classifyIntent activity needs from an engine. Two
// implementations: the embedded classifier alone (lib/intent: pure, deterministic, sub-millisecond) and the
// embedded one backed by Ollama for its low-confidence answers (intent/ollama.ts); intent/from-config.ts
// chooses between them from the configuration.
import { classify, type IntentResult } from '../lib/intent';

export interface IntentContext {
  /** The scenario step the answer was given to ('' when unknown). */
  step: string;
  /** The instant the answer was heard, for relative callback times ("demain à 14h"). */
  now: Date;
  /** The callee's time zone (callback times are in their local time). */
  timeZone: string;
  /** For diagnostics only (never the phone number or the text). */
  callId?: string;
  /** The caller gave up (the activity was cancelled): an engine that waits on the network stops and rejects. */
  signal?: AbortSignal;
}

export interface IntentClassification extends IntentResult {
  /** 'embedded', 'ollama', 'embedded_ollama_timeout', 'embedded_ollama_error', 'embedded_ollama_invalid' */
  processingMethod: string;
}

export interface IntentClassifier {
  /** Never rejects for an engine's failure when a fallback exists: the embedded answer stands then. */
  classify(text: string, context: IntentContext): Promise<IntentClassification>;
}

/** The embedded classifier alone. */
export function embeddedClassifier(): IntentClassifier {
  return {
    async classify(text, c) {
      return { ...classify(text, { context: c.step, now: c.now, timeZone: c.timeZone, clock: performance.now.bind(performance) }), processingMethod: 'embedded' };
    },
  };
}
