// Temporal activity `classifyIntent`: asks the intent-classifier port (intent/port.ts), chosen from the
// configuration by intent/from-config.ts (embedded only, or embedded + Ollama when OLLAMA_URL is set). In an
// activity, warnings go to the activity context's logger (with the workflow and activity ids) and the
// activity's cancellation aborts a pending Ollama request.
import { asyncLocalStorage } from '@temporalio/activity';
import { config } from '../runtime/config';
import { logger as rootLogger } from '../runtime/logger';
import type { IntentClassification, IntentClassifier } from '../intent/port';
import { intentClassifierFromConfig } from '../intent/from-config';
import type { WarnLog } from '../intent/ollama';

export { OLLAMA_FORMAT, ollamaAnswerSchema, buildPrompt } from '../intent/ollama';

export interface ClassifyIntentInput {
  callId: string;
  step: string;
  text: string;
  now: number; // epoch ms
  timeZone: string;
}

export type ClassifyIntentOutput = IntentClassification;

export interface IntentActivityOptions {
  /** The classifier itself; when given, the Ollama options below are ignored. */
  classifier?: IntentClassifier;
  /** Ollama base URL; without it only the embedded classifier runs. Default: OLLAMA_URL. */
  ollamaUrl?: string;
  /** Default: OLLAMA_MODEL. */
  ollamaModel?: string;
  /** Default: OLLAMA_TIMEOUT (seconds) * 1000. */
  ollamaTimeoutMs?: number;
  /** Ollama is asked when the embedded confidence is below this. Default: INTENT_LLM_THRESHOLD. */
  llmThreshold?: number;
  /** Where warnings go (default: the activity's logger, outside an activity the pino logger). The classify CLI passes a stderr logger. */
  log?: WarnLog;
}

/** The activity context's logger when running in one (pino's argument order adapted), else pino's. */
const contextLog: WarnLog = {
  warn(obj, msg) {
    const ctx = asyncLocalStorage.getStore();
    if (ctx) ctx.log.warn(msg ?? '', obj as Record<string, unknown>);
    else rootLogger('intent').warn(obj, msg);
  },
};

function classifierFrom(opts: IntentActivityOptions): IntentClassifier {
  if (opts.classifier) return opts.classifier;
  // The environment is read only for what the caller did not give ('' as ollamaUrl disables Ollama).
  const allGiven =
    'ollamaUrl' in opts && opts.ollamaModel !== undefined && opts.ollamaTimeoutMs !== undefined && opts.llmThreshold !== undefined;
  const cfg = allGiven ? undefined : config();
  return intentClassifierFromConfig({
    OLLAMA_URL: 'ollamaUrl' in opts ? opts.ollamaUrl || undefined : cfg?.OLLAMA_URL,
    OLLAMA_MODEL: opts.ollamaModel ?? cfg?.OLLAMA_MODEL ?? 'phi3:mini',
    OLLAMA_TIMEOUT: opts.ollamaTimeoutMs !== undefined ? opts.ollamaTimeoutMs / 1000 : (cfg?.OLLAMA_TIMEOUT ?? 10),
    INTENT_LLM_THRESHOLD: opts.llmThreshold ?? cfg?.INTENT_LLM_THRESHOLD ?? 0.6,
  }, { log: opts.log ?? contextLog });
}

export function createIntentActivities(opts: IntentActivityOptions = {}) {
  const classifier = classifierFrom(opts);
  return {
    async classifyIntent(input: ClassifyIntentInput): Promise<ClassifyIntentOutput> {
      const text = typeof input?.text === 'string' ? input.text : '';
      return classifier.classify(text, {
        step: typeof input?.step === 'string' ? input.step : '',
        now: new Date(Number.isFinite(input?.now) ? input.now : Date.now()),
        timeZone: input?.timeZone || 'Europe/Paris',
        callId: input?.callId,
        signal: asyncLocalStorage.getStore()?.cancellationSignal,
      });
    },
  };
}
