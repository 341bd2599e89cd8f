// Temporal activity `classifyIntent`: the embedded classifier answers first; when its confidence is below
// INTENT_LLM_THRESHOLD and OLLAMA_URL is set, Ollama is asked (structured output, strict validation). On
// timeout, error or invalid answer the embedded result stands and the reason is kept in processingMethod.
import { Ollama } from 'ollama';
import { z } from 'zod';
import { config } from '../lib/config';
import { logger as rootLogger } from '../lib/logger';
import { classify, extractCallbackTime, INTENTS, type Intent, type IntentResult } from '../lib/intent';

export interface ClassifyIntentInput {
  callId: string;
  step: string;
  text: string;
  now: number; // epoch ms
  timeZone: string;
}

export interface ClassifyIntentOutput extends IntentResult {
  /** 'embedded', 'ollama', 'embedded_ollama_timeout', 'embedded_ollama_error', 'embedded_ollama_invalid' */
  processingMethod: string;
}

export interface IntentActivityOptions {
  /** Ollama base URL; without it only the embedded classifier runs. Default: OLLAMA_URL. */
  ollamaUrl?: string;
  /** Default: OLLAMA_MODEL. */
  ollamaModel?: string;
  /** Default: OLLAMA_TIMEOUT (seconds) * 1000. */
  ollamaTimeoutMs?: number;
  /** Ollama is asked when the embedded confidence is below this. Default: INTENT_LLM_THRESHOLD. */
  llmThreshold?: number;
  /** Where warnings go (default: the pino logger). The classify CLI passes a stderr logger. */
  log?: { warn(obj: object, msg?: string): void };
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
): Promise<Outcome> {
  const timeout = AbortSignal.timeout(timeoutMs);
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

export function createIntentActivities(opts: IntentActivityOptions = {}) {
  // The environment is read only for what the caller did not give ('' as ollamaUrl disables Ollama).
  const allGiven =
    'ollamaUrl' in opts && opts.ollamaModel !== undefined && opts.ollamaTimeoutMs !== undefined && opts.llmThreshold !== undefined;
  const cfg = allGiven ? undefined : config();
  const ollamaUrl = 'ollamaUrl' in opts ? opts.ollamaUrl : cfg?.OLLAMA_URL;
  const ollamaModel = opts.ollamaModel ?? cfg?.OLLAMA_MODEL ?? 'phi3:mini';
  const ollamaTimeoutMs = opts.ollamaTimeoutMs ?? (cfg ? Math.round(cfg.OLLAMA_TIMEOUT * 1000) : 10_000);
  const llmThreshold = opts.llmThreshold ?? cfg?.INTENT_LLM_THRESHOLD ?? 0.6;
  let log = opts.log;
  const warn = (obj: object, msg: string) => {
    log ??= rootLogger('intent');
    log.warn(obj, msg);
  };

  return {
    async classifyIntent(input: ClassifyIntentInput): Promise<ClassifyIntentOutput> {
      const t0 = performance.now();
      const text = typeof input?.text === 'string' ? input.text : '';
      const step = typeof input?.step === 'string' ? input.step : '';
      const now = new Date(Number.isFinite(input?.now) ? input.now : Date.now());
      const timeZone = input?.timeZone || 'Europe/Paris';
      const embedded = classify(text, { context: step, now, timeZone });
      if (!ollamaUrl || embedded.confidence >= llmThreshold || text.trim() === '') {
        return { ...embedded, processingMethod: 'embedded' };
      }
      const answer = await askOllama(ollamaUrl, ollamaModel, ollamaTimeoutMs, step, text);
      const latencyMs = performance.now() - t0;
      if (!answer.ok) {
        warn({ callId: input?.callId, step, reason: answer.reason, detail: answer.detail }, 'ollama intent fallback to embedded');
        return { ...embedded, latencyMs, processingMethod: `embedded_ollama_${answer.reason}` };
      }
      const out: ClassifyIntentOutput = {
        intent: answer.intent,
        confidence: answer.confidence,
        method: 'ollama',
        latencyMs,
        processingMethod: 'ollama',
      };
      if (answer.intent === 'callback') {
        const cb = embedded.callbackTime ?? extractCallbackTime(text, now, timeZone);
        if (cb) out.callbackTime = cb;
      }
      return out;
    },
  };
}
