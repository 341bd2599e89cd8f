// The embedded classifier backed by Ollama: the embedded classifier answers first; when its confidence is below
// the threshold, Ollama is asked (structured output, strict validation). On timeout, error or invalid answer the
// embedded result stands and the reason is kept in processingMethod.
import { Ollama } from 'ollama';
import { z } from 'zod';
import { logger as rootLogger } from '../runtime/logger';
import { classify, extractCallbackTime, INTENTS, type Intent } from '../lib/intent';
import type { IntentClassification, IntentClassifier, IntentContext } from './port';

/** Where warnings go: pino's argument order (the activity adapts its context logger to it). */
export interface WarnLog { warn(obj: object, msg?: string): void }

export interface OllamaOptions {
  url: string;
  model: string;
  timeoutMs: number;
  /** Ollama is asked when the embedded confidence is below this. */
  threshold: number;
  /** Default: the pino logger 'intent'. */
  log?: WarnLog;
}

/** JSON schema sent as Ollama's `format` (structured outputs). */
export const OLLAMA_FORMAT = {
  type: 'object',
  properties: {
    intent: { type: 'string', enum: [...INTENTS] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
  },
  required: ['intent', 'confidence'],
  additionalProperties: false,
} as const;

/** Strict validation of the model's answer. */
export const ollamaAnswerSchema = z
  .object({
    intent: z.enum(INTENTS as [Intent, ...Intent[]]),
    confidence: z.number().min(0).max(1),
  })
  .strict();

const STEP_CONTEXT: Record<string, string> = {
  hello: "le robot vient de se présenter et de demander si la personne est intéressée par l'offre",
  retry: 'le robot relance après un premier refus ou une hésitation',
  q1: 'le robot pose une première question de qualification (réponse oui/non attendue)',
  q2: 'le robot pose une deuxième question de qualification (réponse oui/non attendue)',
  q3: 'le robot pose une troisième question de qualification (réponse oui/non attendue)',
  is_leads: "le robot demande si la personne accepte d'être recontactée par un conseiller",
  confirm: 'le robot confirme le rendez-vous de rappel et demande si cela convient',
  test_audio: 'le robot fait un test audio et demande si la personne entend bien',
};

export function buildPrompt(step: string, text: string): { system: string; user: string } {
  const system =
    "Tu classes la réponse d'une personne appelée par un robot de prospection téléphonique. " +
    'Le texte vient d\'une reconnaissance vocale (minuscules, sans ponctuation, erreurs possibles). ' +
    'Étiquettes: affirm (oui, accord, intérêt), deny (non, refus, pas intéressé), ' +
    'unsure (hésitation, doit réfléchir ou en parler), callback (occupé, rappeler plus tard), ' +
    'question (qui appelle, de quoi il s\'agit, prix, répéter, robot), ' +
    'stop (ne plus jamais appeler, retirer le numéro, Bloctel: prioritaire sur tout le reste). ' +
    'Réponds uniquement en JSON {"intent": ..., "confidence": 0..1}.';
  const ctx = STEP_CONTEXT[step] ?? `étape du scénario: ${step || 'inconnue'}`;
  return { system, user: `Contexte: ${ctx}.\nRéponse entendue: "${text}"` };
}

type Outcome =
  | { ok: true; intent: Intent; confidence: number }
  | { ok: false; reason: 'timeout' | 'error' | 'invalid'; detail: string };

async function askOllama(
  url: string,
  model: string,
  timeoutMs: number,
  step: string,
  text: string,
  cancelled?: AbortSignal,
): Promise<Outcome> {
  // The request also ends when the caller gives up (the activity cancelled or timed out).
  const timeout = cancelled ? AbortSignal.any([AbortSignal.timeout(timeoutMs), cancelled]) : AbortSignal.timeout(timeoutMs);
  // Per-request fetch so the timeout aborts the HTTP request itself (the client's abort() only covers streams).
  const client = new Ollama({
    host: url,
    fetch: (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
      fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout }),
  });
  const { system, user } = buildPrompt(step, text);
  let content: string;
  try {
    const res = await client.chat({
      model,
      stream: false,
      format: OLLAMA_FORMAT as unknown as object,
      options: { temperature: 0, num_predict: 64 },
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ],
    });
    content = res?.message?.content ?? '';
  } catch (err) {
    const e = err as Error;
    const isTimeout = timeout.aborted || e?.name === 'TimeoutError' || e?.name === 'AbortError';
    if (isTimeout) return { ok: false, reason: 'timeout', detail: `no answer within ${timeoutMs} ms` };
    // invalid JSON in the HTTP body itself (not the model's content) is an invalid answer
    if (e instanceof SyntaxError) return { ok: false, reason: 'invalid', detail: e.message };
    return { ok: false, reason: 'error', detail: String(e?.message ?? e) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return { ok: false, reason: 'invalid', detail: `content is not JSON: ${content.slice(0, 80)}` };
  }
  const v = ollamaAnswerSchema.safeParse(parsed);
  if (!v.success) {
    return { ok: false, reason: 'invalid', detail: v.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
  }
  return { ok: true, intent: v.data.intent, confidence: v.data.confidence };
}

/**
 * Embedded first, Ollama below the threshold. The context's `signal` (the activity's cancellation) aborts
 * the request and rejects: a cancelled activity has no answer to give.
 */
export function withOllama(o: OllamaOptions): IntentClassifier {
  let log = o.log;
  const warn = (obj: object, msg: string) => {
    log ??= rootLogger('intent');
    log.warn(obj, msg);
  };
  return {
    async classify(text: string, c: IntentContext): Promise<IntentClassification> {
      const t0 = performance.now();
      const embedded = classify(text, { context: c.step, now: c.now, timeZone: c.timeZone, clock: performance.now.bind(performance) });
      if (embedded.confidence >= o.threshold || text.trim() === '') return { ...embedded, processingMethod: 'embedded' };
      const answer = await askOllama(o.url, o.model, o.timeoutMs, c.step, text, c.signal);
      if (c.signal?.aborted) throw c.signal.reason;
      const latencyMs = performance.now() - t0;
      if (!answer.ok) {
        warn({ callId: c.callId, step: c.step, reason: answer.reason, detail: answer.detail }, 'ollama intent fallback to embedded');
        return { ...embedded, latencyMs, processingMethod: `embedded_ollama_${answer.reason}` };
      }
      const out: IntentClassification = {
        intent: answer.intent,
        confidence: answer.confidence,
        method: 'ollama',
        latencyMs,
        processingMethod: 'ollama',
      };
      if (answer.intent === 'callback') {
        const cb = embedded.callbackTime ?? extractCallbackTime(text, c.now, c.timeZone);
        if (cb) out.callbackTime = cb;
      }
      return out;
    },
  };
}
