// Vosk behind the ASR port (media/asr.ts). One Vosk model per process; recognisers leased per utterance.
//  - 'inline': recognisers run on the main thread (simple; fine for a call or two).
//  - 'worker': recognisers live in worker threads (the model is loaded once, its native address is shared
//    with the workers, which create their recognisers from it), so Kaldi's decoding never blocks the event
//    loop that paces 20 ms frames and sends FLUSH_MEDIA. bench/media.ts measures both.
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import type { AsrEngineFactory, AsrResult, AsrSession, AsrUsage } from './asr';
import { VoskModel, LeasedRecognizer, RecognizerPool, checkModelDir, type VoskFinal } from './vosk';

export class ModelMissingError extends Error {
  constructor(reason: string) {
    super(
      `Vosk model unavailable: ${reason}. Install a model (e.g. vosk-model-small-fr-0.22) and set VOSK_MODEL_PATH ` +
        `to its folder, or start the media server with asr: null to run without speech recognition.`,
    );
    this.name = 'ModelMissingError';
  }
}

/**
 * Audio goes to Vosk in chunks of this length, not frame by frame: libvosk decodes audio given 20 ms at a time at
 * about twice the CPU of the same audio given in 60 ms pieces or more (the decoder's cost per call; measured
 * with the Korean test model: real-time factor 0.145 in 20 ms pieces, 0.068 in 100 ms ones, 8 kHz speech
 * resampled to 16 kHz). What is left when the utterance ends goes with the request for its final result, so the
 * final latency grows by the decoding of < 100 ms of audio (a few ms).
 */
export const ASR_CHUNK_MS = 100;

/** Gathers an utterance's audio into ASR_CHUNK_MS chunks (each handed on as an array of its own). */
class Chunker {
  private buf: Int16Array;
  private fill = 0;
  constructor(sampleRate: number, private readonly out: (chunk: Int16Array) => void) {
    this.buf = new Int16Array(Math.round((sampleRate * ASR_CHUNK_MS) / 1000));
  }
  push(pcm: Int16Array): void {
    let i = 0;
    while (i < pcm.length) {
      const take = Math.min(this.buf.length - this.fill, pcm.length - i);
      this.buf.set(pcm.subarray(i, i + take), this.fill);
      this.fill += take;
      i += take;
      if (this.fill === this.buf.length) this.flush();
    }
  }
  /** Hands on what is gathered (at the end of the utterance). */
  flush(): void {
    if (this.fill === 0) return;
    this.out(this.buf.slice(0, this.fill));
    this.fill = 0;
  }
  clear(): void {
    this.fill = 0;
  }
}

let sharedModel: { dir: string; model: VoskModel; refs: number } | undefined;

/** The process-wide model (loaded once, reference counted). */
export function acquireModel(dir: string): VoskModel {
  const reason = checkModelDir(dir);
  if (reason) throw new ModelMissingError(reason);
  if (sharedModel && sharedModel.dir !== dir) {
    throw new Error(`vosk: a model is already loaded from ${sharedModel.dir}; one model per process`);
  }
  if (!sharedModel) {
    sharedModel = { dir, model: new VoskModel(dir), refs: 0 };
  }
  sharedModel.refs++;
  return sharedModel.model;
}

export function releaseModel(): void {
  if (!sharedModel) return;
  if (--sharedModel.refs <= 0) {
    sharedModel.model.free();
    sharedModel = undefined;
  }
}

class InlineSession implements AsrSession {
  private rec: LeasedRecognizer;
  private chunks: Chunker;
  constructor(pool: RecognizerPool, sampleRate: number) {
    this.rec = new LeasedRecognizer(pool, sampleRate);
    this.chunks = new Chunker(sampleRate, (chunk) => this.rec.accept(chunk));
  }
  accept(pcm: Int16Array): void {
    this.chunks.push(pcm);
  }
  async finalize(): Promise<AsrResult> {
    const t0 = performance.now();
    this.chunks.flush();
    const r = this.rec.final();
    return { ...r, decodeMs: performance.now() - t0 };
  }
  reset(): void {
    this.chunks.clear();
    this.rec.reset();
  }
  close(): void {
    this.rec.release();
  }
}

/**
 * Warm recognisers each decoding thread keeps spare, beyond those decoding (media/asr-worker.ts). One made on
 * demand costs its thread 300 ms to make and about a second more on its first utterance (Korean test model),
 * during which every utterance queued behind it waits: in bench:media that was the ASR final latency's tail
 * whenever the calls speaking at once reached a new high. Spares are warmed on speech, in the thread's idle
 * time; three per thread cover the utterances that begin together at 16-24 calls on two threads.
 */
export const PREWARM_PER_THREAD = 3;

export interface EngineOptions {
  /** Warm recognizers to prepare (inline: at start; worker threads: kept spare, per thread), at this sample rate. */
  prewarm?: number;
  sampleRate?: number;
  /** Speech in the model's language to warm the recognisers on (media/vosk.ts RecognizerPool says why). */
  warmup?: { pcm: Int16Array; sampleRate: number } | null;
}

export function inlineVoskEngine(modelDir: string, opts: EngineOptions = {}): AsrEngineFactory {
  return async () => {
    const model = acquireModel(modelDir);
    const pool = new RecognizerPool(model.address, undefined, opts.warmup ?? null);
    pool.prewarm(opts.sampleRate ?? 16000, opts.prewarm ?? 1);
    let closed = false;
    return {
      method: 'vosk-inline',
      createSession: (rate) => new InlineSession(pool, rate),
      close: async () => {
        if (closed) return;
        closed = true;
        pool.clear();
        releaseModel();
      },
    };
  };
}

type ToWorker =
  | { t: 'open'; id: number; rate: number }
  | { t: 'audio'; id: number; pcm: Int16Array }
  | { t: 'final'; id: number; req: number }
  | { t: 'close'; id: number };
type FromWorker =
  | { t: 'pong'; at: number; recognizers: number }
  | { t: 'final'; id: number; req: number; result?: VoskFinal; decodeMs: number; error?: string }
  | { t: 'error'; id: number; error: string };

export function workerVoskEngine(modelDir: string, opts: EngineOptions & { threads?: number } = {}): AsrEngineFactory {
  return async () => {
    const model = acquireModel(modelDir);
    const n = Math.max(1, opts.threads ?? os.availableParallelism());
    // Each worker's backlog: a ping queued behind the audio it was given comes back when that audio is decoded.
    const workers: { w: Worker; utterances: number; pingAt: number | null; lastDelayMs: number; recognizers: number }[] = [];
    const pending = new Map<string, { resolve: (r: AsrResult) => void; reject: (e: Error) => void }>();
    let nextId = 1;
    let nextReq = 1;
    let audioSeconds = 0;
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('./asr-worker.mjs', import.meta.url), {
        workerData: { modelAddress: model.address, prewarm: opts.prewarm ?? PREWARM_PER_THREAD, sampleRate: opts.sampleRate ?? 16000, warmup: opts.warmup ?? null },
      });
      w.unref();
      w.on('message', (m: FromWorker) => {
        if (m.t === 'pong') {
          const slot = workers.find((x) => x.w === w)!;
          slot.lastDelayMs = performance.now() - m.at;
          slot.pingAt = null;
          slot.recognizers = m.recognizers;
        } else if (m.t === 'final') {
          const key = `${m.id}:${m.req}`;
          const p = pending.get(key);
          pending.delete(key);
          if (!p) return;
          if (m.error || !m.result) p.reject(new Error(`asr worker: ${m.error ?? 'no result'}`));
          else p.resolve({ ...m.result, decodeMs: m.decodeMs });
        }
      });
      w.on('error', (e) => {
        for (const [k, p] of pending) {
          p.reject(e);
          pending.delete(k);
        }
      });
      workers.push({ w, utterances: 0, pingAt: null, lastDelayMs: 0, recognizers: 0 });
    }
    await Promise.all(
      workers.map(
        ({ w }) =>
          new Promise<void>((resolve, reject) => {
            const onMsg = (m: { t: string }) => {
              if (m.t !== 'ready') return;
              w.off('message', onMsg);
              resolve();
            };
            w.on('message', onMsg);
            w.once('error', reject);
            w.once('exit', (code) => reject(new Error(`asr worker exited during start (code ${code})`)));
          }),
      ),
    );
    let closed = false;
    const pinger = setInterval(() => {
      for (const slot of workers) {
        if (slot.pingAt !== null) continue; // still queued: backlogMs() reads its age
        slot.pingAt = performance.now();
        slot.w.postMessage({ t: 'ping', at: slot.pingAt });
      }
    }, 250);
    pinger.unref();
    return {
      method: 'vosk-worker',
      usage(): AsrUsage {
        return {
          audioSeconds,
          busySeconds: workers.reduce((t, { w }) => t + w.performance.eventLoopUtilization().active / 1000, 0),
          recognizers: workers.reduce((t, s) => t + s.recognizers, 0),
        };
      },
      backlogMs() {
        const t = performance.now();
        return Math.max(0, ...workers.map((s) => Math.max(s.lastDelayMs, s.pingAt === null ? 0 : t - s.pingAt)));
      },
      createSession(rate: number): AsrSession {
        // Each utterance goes to the thread with the fewest utterances being decoded (then the shortest
        // queue), chosen at its first audio: pinning a call to one thread for its whole life let the callees
        // who happened to speak at once pile up on one thread while the other idled, and the queue behind them
        // was the ASR final latency's tail. A recogniser is leased per utterance anyway (LeasedRecognizer), so
        // moving between threads costs nothing.
        let cur: { slot: (typeof workers)[number]; id: number } | null = null;
        let open = true;
        const chunks = new Chunker(rate, (chunk) => {
          cur ??= begin();
          cur.slot.w.postMessage({ t: 'audio', id: cur.id, pcm: chunk } satisfies ToWorker, [chunk.buffer as ArrayBuffer]);
        });
        const begin = () => {
          const slot = workers.reduce((a, b) => (b.utterances < a.utterances || (b.utterances === a.utterances && b.lastDelayMs < a.lastDelayMs) ? b : a));
          slot.utterances++;
          const id = nextId++;
          slot.w.postMessage({ t: 'open', id, rate } satisfies ToWorker);
          return { slot, id };
        };
        const end = () => {
          if (!cur) return;
          cur.slot.utterances--;
          cur.slot.w.postMessage({ t: 'close', id: cur.id } satisfies ToWorker);
          cur = null;
        };
        return {
          accept(pcm) {
            if (!open) return;
            audioSeconds += pcm.length / rate;
            chunks.push(pcm);
          },
          finalize() {
            if (!open) return Promise.reject(new Error('asr session closed'));
            chunks.flush();
            // Nothing fed since the last result: nothing to decode (as LeasedRecognizer answers).
            if (!cur) return Promise.resolve({ text: '', confidence: 0, words: [], decodeMs: 0 });
            const { slot, id } = cur;
            const req = nextReq++;
            const result = new Promise<AsrResult>((resolve, reject) => {
              pending.set(`${id}:${req}`, { resolve, reject });
              slot.w.postMessage({ t: 'final', id, req } satisfies ToWorker);
            });
            end(); // queued after the final request: the worker answers, then frees the utterance
            return result;
          },
          reset() {
            chunks.clear();
            end();
          },
          close() {
            if (!open) return;
            open = false;
            chunks.clear();
            end();
          },
        };
      },
      async close() {
        if (closed) return;
        closed = true;
        clearInterval(pinger);
        // Let each worker free its recognizers before the model goes away.
        await Promise.all(
          workers.map(
            ({ w }) =>
              new Promise<void>((resolve) => {
                const timer = setTimeout(() => void w.terminate().then(() => resolve()), 2000);
                w.once('exit', () => {
                  clearTimeout(timer);
                  resolve();
                });
                w.postMessage({ t: 'shutdown' });
              }),
          ),
        );
        releaseModel();
      },
    };
  };
}
