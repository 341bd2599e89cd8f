// Worker thread hosting Vosk recognizers for media/asr.ts (vosk-worker engine). The model is loaded once by
// the main thread; its native address arrives in workerData and recognizers are created from it here.
import { parentPort, workerData } from 'node:worker_threads';
import { LeasedRecognizer, RecognizerPool } from './vosk';

const wd = workerData as { modelAddress: bigint; prewarm: number; sampleRate: number; warmup: { pcm: Int16Array; sampleRate: number } | null };
const pool = new RecognizerPool(BigInt(wd.modelAddress), undefined, wd.warmup);
const recs = new Map<number, LeasedRecognizer>(); // one per utterance in progress on this thread (the engine opens and closes them)
// Ready after one recogniser warmed on speech (1-1.5 s of this thread: media/vosk.ts says why); then the thread
// keeps `prewarm` warm recognisers spare, beyond those in use, warming each 100 ms of audio at a time while it has
// nothing else to do: a media worker starts in about a second, an utterance waits for one chunk of a warm-up at
// most, and the pool grows with the utterances decoded at once (its high) plus the spares, no more.
const SPARES = Math.max(1, wd.prewarm);
pool.prewarm(wd.sampleRate, 1);
parentPort!.postMessage({ t: 'ready' });

type Msg =
  | { t: 'open'; id: number; rate: number }
  | { t: 'audio'; id: number; pcm: Int16Array }
  | { t: 'final'; id: number; req: number }
  | { t: 'close'; id: number }
  | { t: 'ping'; at: number }
  | { t: 'shutdown' };

/**
 * Work waits in an inbox, not in the port's FIFO, so that a final result asked for is served before the audio of
 * utterances still going on: someone is waiting for that final (the call's next turn), nobody for the others'
 * chunks until their own final. Measured (bench:media, campaign, 16 calls on 2 threads), finals waited up to
 * 400 ms behind other calls' chunks in arrival order. Per utterance the order is kept (its audio, then its final).
 * The audio of an utterance dropped before its final (a false alarm) is never decoded.
 */
const inbox: Msg[] = [];
const finalsWaiting: number[] = []; // utterance ids, oldest request first
let scheduled = false;
let closed = false;

parentPort!.on('message', (m: Msg) => {
  if (m.t === 'final') finalsWaiting.push(m.id);
  if (m.t === 'close' && !finalsWaiting.includes(m.id)) {
    for (let k = inbox.length - 1; k >= 0; k--) {
      const q = inbox[k]!;
      if (q.t === 'audio' && q.id === m.id) inbox.splice(k, 1);
    }
  }
  inbox.push(m);
  if (!scheduled) {
    scheduled = true;
    setImmediate(step);
  }
});

/** Does one message's work, then yields (so that new messages, maybe a final, are seen before the next). */
function step(): void {
  scheduled = false;
  let k = 0;
  if (finalsWaiting.length) {
    const id = finalsWaiting[0]!;
    k = inbox.findIndex((q) => 'id' in q && q.id === id);
    if (k < 0) k = 0;
  }
  const [m] = inbox.splice(k, 1);
  if (m) {
    if (m.t === 'final') finalsWaiting.splice(finalsWaiting.indexOf(m.id), 1);
    handle(m);
  }
  if (inbox.length && !scheduled) {
    scheduled = true;
    setImmediate(step);
  } else if (!inbox.length) {
    warmWhenIdle();
  }
}

/** The recogniser being warmed (one chunk per idle turn), if any. */
let warming: Generator<void, void, void> | null = null;
/** One more chunk of warm-up if recognisers are still to warm and nothing waits; then looks again. */
function warmWhenIdle(): void {
  if (closed || (!warming && pool.size >= SPARES) || warmScheduled) return;
  warmScheduled = true;
  setImmediate(() => {
    warmScheduled = false;
    if (closed || inbox.length) return; // work came first: step() will call again
    warming ??= pool.warming(wd.sampleRate);
    if (warming.next().done) warming = null;
    warmWhenIdle();
  });
}
let warmScheduled = false;
warmWhenIdle();

function handle(m: Msg): void {
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
      case 'close':
        {
          recs.get(m.id)?.release();
          recs.delete(m.id);
        }
        break;
      case 'ping': // answered when every message before it is processed (finals may pass it): the queue's delay
        parentPort!.postMessage({ t: 'pong', at: m.at, recognizers: pool.made });
        break;
      case 'shutdown':
        closed = true;
        warming?.return();
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
}
