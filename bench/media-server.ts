// Child process of bench/media.ts: runs the real MediaServer alone (so its CPU and event loop are measured
// without the simulated Asterisk peers), and reports every call event to the parent over IPC with the time
// the sink received it.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { MediaServer } from '../media/server';
import { workerVoskEngine, inlineVoskEngine, acquireModel, releaseModel, ASR_CHUNK_MS } from '../media/vosk-engine';
import type { CallEventSink } from '../lib/call-events';
import * as fx from '../test/helpers/media-fixtures';
import { RecognizerPool } from '../media/vosk';
import { MediaAdmission } from '../telephony/admission';

const mode = (process.env.BENCH_ASR_MODE ?? 'worker') as 'worker' | 'inline' | 'none';
const threads = Number(process.env.BENCH_ASR_THREADS ?? 1);
const send = (m: unknown) => process.send!(m);
const now = () => performance.timeOrigin + performance.now();

const forward = (name: keyof CallEventSink) => async (callId: string, e: unknown) => {
  send({ type: 'event', name, callId, e, at: now() });
};
const sink: CallEventSink = {
  answered: forward('answered'),
  amdResult: forward('amdResult'),
  speechStarted: forward('speechStarted'),
  utterance: forward('utterance'),
  playbackFinished: forward('playbackFinished'),
  hungUp: forward('hungUp'),
  dtmf: forward('dtmf'),
};

// The recognisers' warm-up speech, as a media worker takes it from its hello prompt (media/asr.ts warmupSpeech):
// in the model's language, so here a Korean bot's hello (none of the callees' phrases). BENCH_ASR_WARMUP=silence:
// warmed on 100 ms of silence, as before, for comparison.
const warmup = process.env.BENCH_ASR_WARMUP === 'silence' || mode === 'none'
  ? null
  : { pcm: fx.speech('안녕하세요 고객님, 에너지 계약 때문에 전화드렸습니다. 잠시 시간 괜찮으세요?', 16000, 'ko'), sampleRate: 16000 };
const asr =
  mode === 'none' ? null : mode === 'inline' ? inlineVoskEngine(fx.KO_MODEL_DIR, { prewarm: 2, sampleRate: 16000, warmup }) : workerVoskEngine(fx.KO_MODEL_DIR, { threads, sampleRate: 16000, warmup });
const server = new MediaServer({ host: '127.0.0.1', port: 0, sink, asr, sampleRate: 16000, vadMode: 3, frameMs: 20 });
const prompts = new Map<string, Int16Array>();

let admission: MediaAdmission | null = null;
const lag = monitorEventLoopDelay({ resolution: 5 });
lag.enable();
let cpuMark = process.cpuUsage();
let wallMark = now();
let eluMark = performance.eventLoopUtilization();
let asrMark = server.asrUsage();

process.on('message', async (m: { id: number; type: string; [k: string]: unknown }) => {
  try {
    switch (m.type) {
      case 'admit': {
        // The media worker's admission control, on this server's figures (calls held, ASR backlog, lag).
        admission ??= new MediaAdmission({ activeCalls: () => server.callIds(), asrBacklogMs: () => server.asrBacklogMs() }, { maxCalls: m.cap as number });
        try {
          admission.admit(m.callId as string);
          send({ id: m.id, ok: { admit: true } });
        } catch (e) {
          const d = (e as { details?: { retryAfterMs: number }[] }).details?.[0];
          send({ id: m.id, ok: { admit: false, retryAfterMs: Math.max(200, d?.retryAfterMs ?? 1000), message: (e as Error).message } });
        }
        break;
      }
      case 'expect':
        send({ id: m.id, ok: server.expectCall(m.callId as string) });
        break;
      case 'prompt':
        prompts.set(m.promptId as string, fx.speech(m.text as string, 16000, 'fr', m.promptId as string));
        send({ id: m.id, ok: true });
        break;
      case 'play': {
        const pcm = prompts.get(m.promptId as string)!;
        await server.play(m.callId as string, { promptId: m.promptId as string, turn: m.turn as number, pcm, sampleRate: 16000 });
        send({ id: m.id, ok: true });
        break;
      }
      case 'hangup':
        await server.hangup(m.callId as string);
        send({ id: m.id, ok: true });
        break;
      case 'mark': {
        cpuMark = process.cpuUsage();
        wallMark = now();
        eluMark = performance.eventLoopUtilization();
        asrMark = server.asrUsage();
        lag.reset();
        send({ id: m.id, ok: true });
        break;
      }
      case 'measure': {
        const cpu = process.cpuUsage(cpuMark);
        const wall = now() - wallMark;
        const elu = performance.eventLoopUtilization(eluMark);
        const asrNow = server.asrUsage();
        const asrAudioS = asrNow && asrMark ? asrNow.audioSeconds - asrMark.audioSeconds : 0;
        const asrBusyS = asrNow && asrMark ? asrNow.busySeconds - asrMark.busySeconds : 0;
        send({
          id: m.id,
          ok: {
            cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100, // % of one core, whole process (incl. ASR threads)
            sysPct: (cpu.system / 1000 / wall) * 100, // of which in the kernel (socket reads and writes)
            mainThreadUtil: elu.utilization,
            lagP99Ms: lag.percentile(99) / 1e6,
            lagMaxMs: lag.max / 1e6,
            stats: server.stats(),
            rssMb: process.memoryUsage().rss / 1e6,
            // What of it is the JS heap (V8, all threads' isolates are separate: this is the main thread's).
            heapMb: process.memoryUsage().heapUsed / 1e6,
            // Memory of the main thread's ArrayBuffers and Buffers (audio frames, socket messages): outside the
            // heap, inside the RSS. With the heap, what RSS growth is not native (libvosk, the ASR threads).
            externalMb: process.memoryUsage().external / 1e6,
            recognizers: asrNow?.recognizers ?? null,
            // Decoding on the live calls: audio given to the recognisers (s) and the threads' busy time (s).
            asrAudioS,
            asrBusyS,
            wallS: wall / 1000,
          },
        });
        break;
      }
      case 'rtf': {
        // The model's real-time factor: CPU seconds per second of audio decoded, one recogniser on this thread,
        // the given phrases (16 kHz PCM) fed in ASR_CHUNK_MS chunks then finalised, as a call's session does. Run while
        // no call is up, so the process's CPU time is the decoder's.
        const model = acquireModel(fx.KO_MODEL_DIR); // the engine's model when one is loaded
        const pool = new RecognizerPool(model.address);
        const rec = pool.take(16000);
        const phrases = (m.texts as string[]).map((t) => fx.speech(t, 16000, 'ko'));
        // A first round, not counted, pays the model's cold start (its graph's pages touched for the first time:
        // 0.34 there, 0.07-0.1 after); a media worker pays it once in its life, not per call.
        const chunk = (16000 * ASR_CHUNK_MS) / 1000;
        let samples = 0;
        let cpu0 = process.cpuUsage();
        for (let round = 0; round < 4; round++) {
          if (round === 1) {
            samples = 0;
            cpu0 = process.cpuUsage();
          }
          for (const pcm of phrases) {
            for (let i = 0; i < pcm.length; i += chunk) rec.accept(pcm.subarray(i, i + chunk));
            rec.final();
            samples += pcm.length;
          }
        }
        const cpu = process.cpuUsage(cpu0);
        pool.give(rec);
        pool.clear();
        releaseModel();
        send({ id: m.id, ok: { rtf: (cpu.user + cpu.system) / 1e6 / (samples / 16000), audioS: samples / 16000 } });
        break;
      }
      case 'stop':
        await server.stop();
        send({ id: m.id, ok: true });
        setTimeout(() => process.exit(0), 50);
        break;
    }
  } catch (e) {
    send({ id: m.id, error: (e as Error).message });
  }
});

const { port } = await server.start();
send({ type: 'ready', port });
