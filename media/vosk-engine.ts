// Vosk behind the ASR port (media/asr.ts). One Vosk model per process; one recogniser per call.
//  - 'inline': recognisers run on the main thread (simple; fine for a call or two).
//  - 'worker': recognisers live in worker threads (the model is loaded once, its native address is shared
//    with the workers, which create their recognisers from it), so Kaldi's decoding never blocks the event
//    loop that paces 20 ms frames and sends FLUSH_MEDIA. bench/media.ts measures both.
import { Worker } from 'node:worker_threads';
import os from 'node:os';
import type { AsrEngineFactory, AsrResult, AsrSession } from './asr';
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
  constructor(pool: RecognizerPool, sampleRate: number) {
    this.rec = new LeasedRecognizer(pool, sampleRate);
  }
  accept(pcm: Int16Array): void {
    this.rec.accept(pcm);
  }
  async finalize(): Promise<AsrResult> {
    const t0 = performance.now();
    const r = this.rec.final();
    return { ...r, decodeMs: performance.now() - t0 };
  }
  reset(): void {
    this.rec.reset();
  }
  close(): void {
    this.rec.release();
  }
}

export interface EngineOptions {
  /** Warm recognizers to prepare at start, per thread (for this sample rate). */
  prewarm?: number;
  sampleRate?: number;
}

export function inlineVoskEngine(modelDir: string, opts: EngineOptions = {}): AsrEngineFactory {
  return async () => {
    const model = acquireModel(modelDir);
    const pool = new RecognizerPool(model.address);
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
  | { t: 'reset'; id: number }
  | { t: 'close'; id: number };
type FromWorker =
  | { t: 'pong'; at: number }
  | { t: 'final'; id: number; req: number; result?: VoskFinal; decodeMs: number; error?: string }
  | { t: 'error'; id: number; error: string };

export function workerVoskEngine(modelDir: string, opts: EngineOptions & { threads?: number } = {}): AsrEngineFactory {
  return async () => {
    const model = acquireModel(modelDir);
    const n = Math.max(1, opts.threads ?? os.availableParallelism());
    // Each worker's backlog: a ping queued behind the audio it was given comes back when that audio is decoded.
    const workers: { w: Worker; sessions: number; pingAt: number | null; lastDelayMs: number }[] = [];
    const pending = new Map<string, { resolve: (r: AsrResult) => void; reject: (e: Error) => void }>();
    let nextId = 1;
    let nextReq = 1;
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('./asr-worker.mjs', import.meta.url), {
        workerData: { modelAddress: model.address, prewarm: opts.prewarm ?? 4, sampleRate: opts.sampleRate ?? 16000 },
      });
      w.unref();
      w.on('message', (m: FromWorker) => {
        if (m.t === 'pong') {
          const slot = workers.find((x) => x.w === w)!;
          slot.lastDelayMs = performance.now() - m.at;
          slot.pingAt = null;
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
      workers.push({ w, sessions: 0, pingAt: null, lastDelayMs: 0 });
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
      backlogMs() {
        const t = performance.now();
        return Math.max(0, ...workers.map((s) => Math.max(s.lastDelayMs, s.pingAt === null ? 0 : t - s.pingAt)));
      },
      createSession(rate: number): AsrSession {
        const slot = workers.reduce((a, b) => (b.sessions < a.sessions ? b : a));
        slot.sessions++;
        const id = nextId++;
        const post = (m: ToWorker, transfer?: ArrayBuffer[]) => slot.w.postMessage(m, transfer);
        post({ t: 'open', id, rate });
        let open = true;
        return {
          accept(pcm) {
            if (!open) return;
            const copy = pcm.byteOffset === 0 && pcm.byteLength === pcm.buffer.byteLength ? pcm : pcm.slice();
            post({ t: 'audio', id, pcm: copy }, [copy.buffer as ArrayBuffer]);
          },
          finalize() {
            if (!open) return Promise.reject(new Error('asr session closed'));
            const req = nextReq++;
            return new Promise<AsrResult>((resolve, reject) => {
              pending.set(`${id}:${req}`, { resolve, reject });
              post({ t: 'final', id, req });
            });
          },
          reset() {
            if (open) post({ t: 'reset', id });
          },
          close() {
            if (!open) return;
            open = false;
            slot.sessions--;
            post({ t: 'close', id });
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
