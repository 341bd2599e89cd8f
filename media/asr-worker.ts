// Worker thread hosting Vosk recognizers for media/asr.ts (vosk-worker engine). The model is loaded once by
// the main thread; its native address arrives in workerData and recognizers are created from it here.
import { parentPort, workerData } from 'node:worker_threads';
import { LeasedRecognizer, RecognizerPool } from './vosk';

const wd = workerData as { modelAddress: bigint; prewarm: number; sampleRate: number };
const pool = new RecognizerPool(BigInt(wd.modelAddress));
pool.prewarm(wd.sampleRate, wd.prewarm);
const recs = new Map<number, LeasedRecognizer>(); // one per call, holding a pooled recogniser per utterance
parentPort!.postMessage({ t: 'ready' });

type Msg =
  | { t: 'open'; id: number; rate: number }
  | { t: 'audio'; id: number; pcm: Int16Array }
  | { t: 'final'; id: number; req: number }
  | { t: 'reset'; id: number }
  | { t: 'close'; id: number }
  | { t: 'ping'; at: number }
  | { t: 'shutdown' };

parentPort!.on('message', (m: Msg) => {
  try {
    switch (m.t) {
      case 'open':
        recs.set(m.id, new LeasedRecognizer(pool, m.rate));
        break;
      case 'audio':
        recs.get(m.id)?.accept(m.pcm);
        break;
      case 'final': {
        const r = recs.get(m.id);
        const t0 = performance.now();
        const result = r?.final();
        parentPort!.postMessage({ t: 'final', id: m.id, req: m.req, result, decodeMs: performance.now() - t0, error: r ? undefined : 'unknown session' });
        break;
      }
      case 'reset':
        recs.get(m.id)?.reset();
        break;
      case 'close':
        {
          recs.get(m.id)?.release();
          recs.delete(m.id);
        }
        break;
      case 'ping': // answered when every message before it is processed: the queue's delay
        parentPort!.postMessage({ t: 'pong', at: m.at });
        break;
      case 'shutdown':
        for (const r of recs.values()) r.release();
        recs.clear();
        pool.clear();
        parentPort!.close();
        break;
    }
  } catch (e) {
    if (m.t === 'final') parentPort!.postMessage({ t: 'final', id: m.id, req: m.req, decodeMs: 0, error: (e as Error).message });
    else parentPort!.postMessage({ t: 'error', id: 'id' in m ? m.id : 0, error: (e as Error).message });
  }
});
