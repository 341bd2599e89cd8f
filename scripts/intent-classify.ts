// Line-oriented intent classification: reads JSON lines {"text": "...", "context": "<step>"} on stdin and
// writes, in the same order, one JSON line per input {"intent","confidence","method","latencyMs"} on stdout
// (nothing else goes to stdout). Embedded classifier only, unless OLLAMA_URL is set: then the classifyIntent
// classifier from intent/from-config.ts is used (Ollama asked below INTENT_LLM_THRESHOLD). Diagnostics go to stderr.
// Usage: npm run --silent intent:classify < in.jsonl > out.jsonl
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { classify } from '../lib/intent';
import { config } from '../runtime/config';
import { intentClassifierFromConfig } from '../intent/from-config';

const stderrLog = pino({ level: 'warn', base: { component: 'intent-classify' } }, pino.destination(2));

async function main() {
  const cfg = config();
  const classifier = cfg.OLLAMA_URL ? intentClassifierFromConfig(cfg, { log: stderrLog }) : undefined;
  // warm-up so the first answers' latencyMs reflect steady state, not module loading/JIT
  for (let i = 0; i < 50; i++) for (const t of ['oui', 'non merci', 'rappelez moi demain a 14h', 'c est qui', 'je sais pas']) classify(t, { context: 'hello' });
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    if (line.trim() === '') continue;
    let input: { text?: unknown; context?: unknown };
    try {
      input = JSON.parse(line);
      if (typeof input !== 'object' || input === null) throw new Error('not a JSON object');
    } catch (e) {
      process.stderr.write(`line ${lineNo}: invalid JSON: ${(e as Error).message}\n`);
      process.stdout.write(JSON.stringify({ error: `line ${lineNo}: invalid JSON` }) + '\n');
      continue;
    }
    const text = typeof input.text === 'string' ? input.text : '';
    if (typeof input.text !== 'string') process.stderr.write(`line ${lineNo}: field "text" missing or not a string; treated as empty\n`);
    const context = typeof input.context === 'string' ? input.context : '';
    let out: object;
    if (classifier) {
      const r = await classifier.classify(text, { callId: `stdin-${lineNo}`, step: context, now: new Date(), timeZone: 'Europe/Paris' });
      out = { intent: r.intent, confidence: r.confidence, method: r.processingMethod, latencyMs: r.latencyMs, ...(r.callbackTime ? { callbackTime: r.callbackTime } : {}) };
    } else {
      const r = classify(text, { context, now: new Date(), clock: performance.now.bind(performance) });
      out = { intent: r.intent, confidence: r.confidence, method: r.method, latencyMs: r.latencyMs, ...(r.callbackTime ? { callbackTime: r.callbackTime } : {}) };
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  }
}

main().catch((e) => {
  process.stderr.write(`intent:classify failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
