// Public face of the embedded intent engine: pure, deterministic, no network, no env reads.
export type { Intent, CallbackTime, IntentResult, ClassifyOptions, Step } from './types';
export { INTENTS, STEPS } from './types';
export { classify } from './classifier';
export { extractCallbackTime } from './callback-time';
export { normalize } from './normalize';
