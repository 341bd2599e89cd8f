// AMD and first-prompt figures against a real Asterisk, measured from what the callee hears.
// Starts its own Asterisk (the chroot of scripts/asterisk-install.sh) on free loopback ports, then for each AMD
// mode (stream: our own AMD while the hello waits for the "Allô ?" to end; asterisk: AMD() in the dialplan
// first) calls the test callees through the ARI adapter (no Temporal: a sink that plays the hello on `answered`,
// as the call workflow does) and reads the callees' own recordings (test/helpers/callee-recordings.ts):
//   - dead air: end of the callee's greeting ("Allô, oui ?") → first audio of the hello reaching the callee;
//   - silent callee: answer → hello heard;
//   - AMD verdict delay after answer, and the verdict.
// Then the offline AMD set (test/helpers/amd-set.ts: synthetic voices answering, voicemail greetings with and
// without beeps, the recorded callees) through the same VAD + stream AMD as a call: verdict delay p50/p95,
// humans classed machine, machines caught.
// With --turns, then the end-to-end turn latency (test/e2e/turns-asterisk.test.ts, whole stack, one call at a time).
// Prints a table, then one JSON line.   npm run bench:amd [-- --rounds 3] [-- --modes stream,asterisk] [-- --turns]
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { percentile } from '../lib/metrics';
import type { CallEventSink } from '../lib/call-events';
import { REPO, asteriskTestEnv, CHROOT, freeTcpPort } from '../test/helpers/asterisk';
import { calleeRecordings, calleeTimeline } from '../test/helpers/callee-recordings';
import { runAmdSet } from '../test/helpers/amd-set';

const run = promisify(execFile);
const arg = (name: string, dflt: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1]! : dflt);
const rounds = Number(arg('--rounds', '3')) || 3;
const modes = arg('--modes', 'stream').split(',') as ('stream' | 'asterisk')[];
const CALLEES = (arg('--callees', 'human,chatty,silent,machine').split(',')) as string[];
const RECS = join(CHROOT, 'var/spool/asterisk/monitor/minibot-test');

// Our own Asterisk on free ports, and the config read from that environment.
const env = await asteriskTestEnv(await freeTcpPort());
Object.assign(process.env, { ARI_URL: env.ARI_URL, ASTERISK_SIP_PORT: env.ASTERISK_SIP_PORT, ASTERISK_RTP_START: env.ASTERISK_RTP_START, ASTERISK_RTP_END: env.ASTERISK_RTP_END, AUDIOFORK_HOST: env.AUDIOFORK_HOST, AUDIOFORK_PORT: env.AUDIOFORK_PORT, ASTERISK_TEST_ENDPOINTS: 'true', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
const { config } = await import('../runtime/config');
const { AsteriskTelephony } = await import('../telephony/asterisk');
const { ariCredentials } = await import('../scripts/asterisk-render');
const cfg = config();
await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
await run('bash', [join(REPO, 'scripts/asterisk-up.sh')], { env, timeout: 180_000 });

type Row = {
  mode: string; callee: string; firstPromptMs: number | null; heardAfterAnswerMs: number | null; greetingEndMs: number | null;
  deadAirMs: number | null; mediaMs: number | null; amdGreetingEndMs: number | null; amdMs: number | null; verdict: string | null; cause: string | null; gate: string | null;
};

async function runMode(mode: 'stream' | 'asterisk'): Promise<Row[]> {
  let tel: InstanceType<typeof AsteriskTelephony>;
  const noop = async () => undefined;
  const sink: CallEventSink = {
    answered: async (id) => {
      // The call workflow plays the hello as soon as the call is answered; the adapter's gate holds it.
      void tel.play({ callId: id, promptId: '1-hello', prompt: 'hello', turn: 1, bargeIn: true, minSpeechMs: 300 }).catch(() => undefined);
      setTimeout(() => void tel.hangup(id), 8000); // enough hello heard to measure; the AMD decides within 5 s
    },
    amdResult: async (id, e) => {
      if (e.verdict === 'machine') await tel.hangup(id);
    },
    playbackFinished: noop, speechStarted: noop, utterance: noop, hungUp: noop, dtmf: noop,
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
  const rows: Row[] = [];
  for (const m of tel.metrics().filter((x) => ids.has(x.callId))) {
    const callee = ids.get(m.callId)!;
    const a = m.answeredAt ?? 0;
    const tl = calleeTimeline(await calleeRecordings(RECS, `${m.callId}-c`));
    rows.push({
      mode, callee,
      firstPromptMs: m.firstPromptAt ? m.firstPromptAt - a : null,
      heardAfterAnswerMs: tl.firstHeardMs,
      greetingEndMs: tl.greetingEndMs,
      deadAirMs: tl.firstHeardMs !== null && tl.greetingEndMs !== null ? tl.firstHeardMs - tl.greetingEndMs : null,
      // Where the time goes: media connected after answer, and the greeting's end as the media worker saw it.
      mediaMs: m.mediaAt ? m.mediaAt - a : null,
      amdGreetingEndMs: m.amd?.evidence?.speechOnsetMs != null ? m.amd.evidence.speechOnsetMs + m.amd.evidence.greetingMs : null,
      amdMs: m.amd ? m.amd.decidedAt - a : null,
      verdict: m.amd?.verdict ?? null,
      cause: m.amd?.cause ?? null,
      gate: m.gateReason,
    });
  }
  return rows;
}

const rows: Row[] = [];
try {
  for (const mode of modes) rows.push(...(await runMode(mode)));
} finally {
  await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env }).catch(() => undefined);
}

const f = (v: number | null) => (v === null ? '-' : `${v} ms`);
console.log('through Asterisk (times from the callee recordings; AMD time from the adapter)');
console.log('mode      callee   heard after answer  greeting end  dead air   media up  greeting end seen  adapter prompt  AMD at    verdict  gate            cause');
for (const r of rows) {
  console.log(`${r.mode.padEnd(9)} ${r.callee.padEnd(8)} ${f(r.heardAfterAnswerMs).padEnd(19)} ${f(r.greetingEndMs).padEnd(13)} ${f(r.deadAirMs).padEnd(10)} ${f(r.mediaMs).padEnd(9)} ${f(r.amdGreetingEndMs).padEnd(18)} ${f(r.firstPromptMs).padEnd(15)} ${f(r.amdMs).padEnd(9)} ${String(r.verdict).padEnd(8)} ${String(r.gate).padEnd(15)} ${r.cause}`);
}
const p = (xs: (number | null)[], q: number) => {
  const v = percentile(xs.filter((x): x is number => x !== null), q);
  return v === null ? null : Math.round(v);
};
const byMode = Object.fromEntries(
  modes.map((mode) => {
    const rs = rows.filter((r) => r.mode === mode);
    const speaking = rs.filter((r) => r.callee === 'human' || r.callee === 'chatty');
    const silent = rs.filter((r) => r.callee === 'silent');
    return [mode, {
      deadAirP50Ms: p(speaking.map((r) => r.deadAirMs), 50),
      deadAirP95Ms: p(speaking.map((r) => r.deadAirMs), 95),
      silentHeardP95Ms: p(silent.map((r) => r.heardAfterAnswerMs), 95),
      silentHeardMaxMs: p(silent.map((r) => r.heardAfterAnswerMs), 100),
      amdHumanP95Ms: p(speaking.map((r) => r.amdMs), 95),
      amdMachineP95Ms: p(rs.filter((r) => r.callee === 'machine').map((r) => r.amdMs), 95),
      humansClassedMachine: speaking.filter((r) => r.verdict === 'machine').length,
      machinesCaught: rs.filter((r) => r.callee === 'machine' && r.verdict === 'machine').length,
      machines: rs.filter((r) => r.callee === 'machine').length,
      speechHeardOverMachine: rs.filter((r) => r.callee === 'machine' && r.heardAfterAnswerMs !== null).length,
    }];
  }),
);
for (const [mode, s] of Object.entries(byMode)) console.log(`${mode}: ${JSON.stringify(s)}`);

// The offline AMD set: every case through the VAD and the stream AMD, as in a call.
const set = await runAmdSet();
console.log('\nAMD set (synthetic voices + recorded callees, VAD + stream AMD as in a call)');
console.log('case                                   expected  verdict   cause                      after answer');
for (const c of set.cases) console.log(`${c.name.padEnd(38)} ${c.expected.padEnd(9)} ${c.status.padEnd(9)} ${c.cause.padEnd(26)} ${c.afterMs} ms${c.ok ? '' : '   <-- wrong'}`);
console.log(`AMD set: ${JSON.stringify(set.summary)}`);

// --turns: end of the callee's speech → our next prompt reaching it, through the whole stack (Temporal, the call
// workflow, the intent activity, ASR, Asterisk) with one call at a time: the e2e file that runs it prints a
// `# turns:` line (its services are the test runner's: a Temporal dev server and Postgres on free ports).
let turns: Record<string, unknown> | null = null;
if (process.argv.includes('--turns')) {
  const r = await run(process.execPath, ['--import', 'tsx', join(REPO, 'scripts/test.ts'), 'test/e2e/turns-asterisk.test.ts'], { cwd: REPO, env: process.env, timeout: 1_200_000, maxBuffer: 64 << 20 }).catch((e) => e as { stdout: string; stderr: string });
  const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
  for (const l of out.split('\n')) if (/^\s*# (call-|turns)/.test(l)) console.log(l.trim());
  const line = out.split('\n').find((l) => l.includes('# turns: '));
  turns = line ? JSON.parse(line.slice(line.indexOf('# turns: ') + 9)) : { error: 'the e2e run printed no figures (see scripts/test.ts test/e2e/turns-asterisk.test.ts)' };
  console.log(`\nend of speech → next prompt heard (e2e, one call at a time): ${JSON.stringify(turns)}`);
}
console.log(JSON.stringify({ bench: 'asterisk-amd', rounds, loadAverage: (await import('node:os')).loadavg()[0], asterisk: byMode, amdSet: set.summary, turns, rows }));
process.exit(0);
