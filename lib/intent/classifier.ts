// Embedded intent classifier (placeholder v0; replaced by the rule engine).
import type { ClassifyOptions, Intent, IntentResult } from './types';
import { normalize } from './normalize';

export function classify(text: string, opts: ClassifyOptions = {}): IntentResult {
  const t0 = performance.now();
  const n = ' ' + normalize(text) + ' ';
  let intent: Intent = 'unsure';
  if (/ (rappelez|appelez) plus | bloctel /.test(n)) intent = 'stop';
  else if (/ rappel/.test(n)) intent = 'callback';
  else if (/ non /.test(n)) intent = 'deny';
  else if (/ oui /.test(n)) intent = 'affirm';
  void opts;
  return { intent, confidence: 0.5, method: 'embedded', latencyMs: performance.now() - t0 };
}
