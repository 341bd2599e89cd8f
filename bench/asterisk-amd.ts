// AMD design figures against the real Asterisk (run `npm run asterisk:up` first; ARI_URL / AUDIOFORK_* as for it):
// for each AMD mode (stream: our own AMD while the first prompt waits for the "Allô ?"; asterisk: AMD() in the
// dialplan first), calls the test callees human, chatty and machine through the ARI adapter (no Temporal: a
// sink that plays the hello on `answered`, as the call workflow does) and measures
//   - time from answer to the first prompt's audio, and the dead air after the callee's greeting,
//   - when the AMD verdict came, and what it was.
// Prints a table, then one JSON line with the figures.   npm run bench:amd [-- --rounds 2]
import { config } from '../runtime/config';
import type { CallEventSink } from '../lib/call-events';
import { AsteriskTelephony, type AmdMode, type CallMetrics } from '../telephony/asterisk';
import { ariCredentials } from '../scripts/asterisk-render';

const cfg = config();
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 1) || 1;
const CALLEES = ['human', 'chatty', 'machine'] as const;

async function runMode(mode: AmdMode): Promise<(CallMetrics & { callee: string })[]> {
  let tel: AsteriskTelephony;
  const noop = async () => undefined;
  const sink: CallEventSink = {
    answered: async (id) => tel.play({ callId: id, promptId: '1-hello', prompt: 'hello', turn: 1, bargeIn: true, minSpeechMs: 300 }),
    amdResult: async (id, e) => {
      if (e.verdict === 'machine') await tel.hangup(id);
    },
    playbackFinished: async (id) => void setTimeout(() => void tel.hangup(id), 500),
    speechStarted: noop, utterance: noop, hungUp: noop, dtmf: noop,
  };
  tel = new AsteriskTelephony({
    sink, ari: ariCredentials(cfg), media: { host: cfg.AUDIOFORK_HOST, port: cfg.AUDIOFORK_PORT, asr: null },
    dial: (p) => `Local/${p}@minibot-test-callees`, audioDir: cfg.AUDIO_DIR, amdMode: mode,
    amd: { gateSilenceMs: cfg.AMD_FIRST_PROMPT_SILENCE_MS, afterGreetingSilenceMs: cfg.AMD_SILENCE_THRESHOLD * 1000 },
  });
  await tel.start();
  const ids = new Map<string, string>();
  for (let r = 0; r < rounds; r++) {
    for (const callee of CALLEES) {
      const id = `bench-${mode}-${callee}-${r}-${Date.now().toString(36)}`;
      ids.set(id, callee);
      await tel.originate({ callId: id, phone: callee, ringTimeoutMs: 10_000 });
    }
    const until = Date.now() + 40_000;
    while (tel.activeCalls().length && Date.now() < until) await new Promise((res) => setTimeout(res, 200));
  }
  await tel.stop();
  return tel.metrics().filter((m) => ids.has(m.callId)).map((m) => ({ ...m, callee: ids.get(m.callId)! }));
}

const rows: Record<string, unknown>[] = [];
for (const mode of ['stream', 'asterisk'] as const) {
  for (const m of await runMode(mode)) {
    const a = m.answeredAt ?? 0;
    const ev = m.amd?.evidence;
    const greetingEnd = ev?.speechOnsetMs != null && mode === 'stream' ? ev.speechOnsetMs + ev.greetingMs : null;
    rows.push({
      mode, callee: m.callee,
      firstPromptMs: m.firstPromptAt ? m.firstPromptAt - a : null,
      deadAirAfterGreetingMs: m.firstPromptAt && greetingEnd !== null ? m.firstPromptAt - a - greetingEnd : null,
      amdMs: m.amd ? m.amd.decidedAt - a : null,
      verdict: m.amd?.verdict ?? null,
      cause: m.amd?.cause ?? null,
      gate: m.gateReason,
    });
  }
}
console.log('mode      callee   first prompt  dead air after greeting  AMD at    verdict  cause');
for (const r of rows) {
  const f = (v: unknown) => (v === null ? '-' : `${v} ms`);
  console.log(`${String(r.mode).padEnd(9)} ${String(r.callee).padEnd(8)} ${f(r.firstPromptMs).padEnd(13)} ${f(r.deadAirAfterGreetingMs).padEnd(24)} ${f(r.amdMs).padEnd(9)} ${String(r.verdict).padEnd(8)} ${r.cause}`);
}
console.log(JSON.stringify({ bench: 'asterisk-amd', rounds, rows }));
process.exit(0);
