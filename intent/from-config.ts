// Chooses the intent classifier from the configuration: embedded only, or embedded + Ollama when OLLAMA_URL
// is set (Ollama asked below INTENT_LLM_THRESHOLD, within OLLAMA_TIMEOUT).
import type { Config } from '../runtime/config';
import { embeddedClassifier, type IntentClassifier } from './port';
import { withOllama, type WarnLog } from './ollama';

export type IntentConfig = Pick<Config, 'OLLAMA_URL' | 'OLLAMA_MODEL' | 'OLLAMA_TIMEOUT' | 'INTENT_LLM_THRESHOLD'>;

export function intentClassifierFromConfig(cfg: IntentConfig, o: { log?: WarnLog } = {}): IntentClassifier {
  if (!cfg.OLLAMA_URL) return embeddedClassifier();
  return withOllama({
    url: cfg.OLLAMA_URL,
    model: cfg.OLLAMA_MODEL,
    timeoutMs: Math.round(cfg.OLLAMA_TIMEOUT * 1000),
    threshold: cfg.INTENT_LLM_THRESHOLD,
    log: o.log,
  });
}
