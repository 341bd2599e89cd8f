// Small typed binding to libvosk.so through koffi.
//
// The `vosk` npm package ships a prebuilt libvosk.so, but its own binding uses ffi-napi, which does not build
// on Node 20. We keep the library and replace the binding: the package is installed with --ignore-scripts
// semantics not required (ffi-napi is never loaded), we only resolve the path of the shared object inside it.
//
// Memory ownership: models and recognizers are native objects. `VoskModel.free()` / `VoskRecognizer.free()`
// must be called; both are idempotent and the recognizer keeps the model alive (libvosk ref-counts models).
import { createRequire } from 'node:module';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import koffi from 'koffi';

export interface VoskWord {
  word: string;
  start: number; // seconds from the recognizer's first sample
  end: number;
  conf: number;
}

export interface VoskFinal {
  text: string;
  /** Mean word confidence (0..1); 0 when no word. */
  confidence: number;
  words: VoskWord[];
}

interface VoskLib {
  setLogLevel(level: number): void;
  modelNew(path: string): bigint | null;
  modelFree(model: bigint): void;
  recognizerNew(model: bigint, sampleRate: number): bigint | null;
  recognizerSetWords(rec: bigint, words: number): void;
  recognizerSetPartialWords(rec: bigint, words: number): void;
  acceptWaveformS(rec: bigint, data: Int16Array, length: number): number;
  result(rec: bigint): string;
  partialResult(rec: bigint): string;
  finalResult(rec: bigint): string;
  reset(rec: bigint): void;
  recognizerFree(rec: bigint): void;
}

let lib: VoskLib | undefined;

/** Where libvosk.so lives: inside the installed `vosk` npm package. */
export function libvoskPath(): string {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve('vosk/package.json');
  const dir = path.dirname(pkgJson);
  const candidates: Record<string, string> = {
    'linux-x64': 'lib/linux-x86_64/libvosk.so',
    'darwin-x64': 'lib/osx-universal/libvosk.dylib',
    'darwin-arm64': 'lib/osx-universal/libvosk.dylib',
    'win32-x64': 'lib/win-x86_64/libvosk.dll',
  };
  const rel = candidates[`${process.platform}-${process.arch}`];
  if (!rel) throw new Error(`vosk: no libvosk shipped for ${process.platform}-${process.arch}`);
  const full = path.join(dir, rel);
  if (!existsSync(full)) throw new Error(`vosk: ${full} not found (is the "vosk" npm package installed?)`);
  return full;
}

/** Loads libvosk once per thread (koffi bindings are per isolate). */
export function voskLib(): VoskLib {
  if (lib) return lib;
  const so = koffi.load(libvoskPath());
  // Opaque handles are passed as uintptr_t: koffi 3 represents pointers as BigInt, and a plain integer type
  // lets a model address travel to worker threads (postMessage clones BigInt) and be used there.
  const f = {
    setLogLevel: so.func('void vosk_set_log_level(int level)'),
    modelNew: so.func('uintptr_t vosk_model_new(const char *path)'),
    modelFree: so.func('void vosk_model_free(uintptr_t model)'),
    recognizerNew: so.func('uintptr_t vosk_recognizer_new(uintptr_t model, float sample_rate)'),
    setWords: so.func('void vosk_recognizer_set_words(uintptr_t rec, int words)'),
    setPartialWords: so.func('void vosk_recognizer_set_partial_words(uintptr_t rec, int words)'),
    accept: so.func('int vosk_recognizer_accept_waveform_s(uintptr_t rec, const int16_t *data, int length)'),
    result: so.func('const char *vosk_recognizer_result(uintptr_t rec)'),
    partial: so.func('const char *vosk_recognizer_partial_result(uintptr_t rec)'),
    final: so.func('const char *vosk_recognizer_final_result(uintptr_t rec)'),
    reset: so.func('void vosk_recognizer_reset(uintptr_t rec)'),
    recFree: so.func('void vosk_recognizer_free(uintptr_t rec)'),
  };
  const toPtr = (v: unknown): bigint | null => {
    const b = typeof v === 'bigint' ? v : BigInt(v as number);
    return b === 0n ? null : b;
  };
  lib = {
    setLogLevel: (l) => f.setLogLevel(l),
    modelNew: (p) => toPtr(f.modelNew(p)),
    modelFree: (m) => f.modelFree(m),
    recognizerNew: (m, r) => toPtr(f.recognizerNew(m, r)),
    recognizerSetWords: (r, w) => f.setWords(r, w),
    recognizerSetPartialWords: (r, w) => f.setPartialWords(r, w),
    acceptWaveformS: (r, d, n) => f.accept(r, d, n) as number,
    result: (r) => f.result(r) as string,
    partialResult: (r) => f.partial(r) as string,
    finalResult: (r) => f.final(r) as string,
    reset: (r) => f.reset(r),
    recognizerFree: (r) => f.recFree(r),
  };
  return lib;
}

/** Checks that a directory looks like a Vosk model (am/ + conf/ + graph/). Returns a reason or null. */
export function checkModelDir(dir: string | undefined): string | null {
  if (!dir) return `VOSK_MODEL_PATH is not set; ${INSTALL_HINT}`;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return `VOSK_MODEL_PATH=${dir} is not a directory; ${INSTALL_HINT}`;
  for (const sub of ['am', 'conf']) {
    if (!existsSync(path.join(dir, sub))) return `VOSK_MODEL_PATH=${dir} has no ${sub}/ folder: not a Vosk model; ${INSTALL_HINT}`;
  }
  return null;
}

/** What to do about a missing model, said wherever one is missing. */
export const INSTALL_HINT = 'install the French model with `minibot asr install fr-small` and use the VOSK_MODEL_PATH line it prints';

export class VoskModel {
  private ptr: bigint | null;
  constructor(readonly dir: string, opts: { logLevel?: number } = {}) {
    const reason = checkModelDir(dir);
    if (reason) throw new Error(`vosk: ${reason}`);
    const l = voskLib();
    l.setLogLevel(opts.logLevel ?? -1);
    this.ptr = l.modelNew(dir);
    if (!this.ptr) throw new Error(`vosk: failed to load model from ${dir}`);
  }
  /** Native address, usable by recognizers created in worker threads of this process. */
  get address(): bigint {
    if (!this.ptr) throw new Error('vosk: model already freed');
    return this.ptr;
  }
  free(): void {
    if (this.ptr) voskLib().modelFree(this.ptr);
    this.ptr = null;
  }
}

export class VoskRecognizer {
  private ptr: bigint | null;
  /** Samples fed since the last reset/final (to compute timings). */
  fedSamples = 0;
  constructor(modelAddress: bigint, readonly sampleRate: number, opts: { words?: boolean } = {}) {
    const l = voskLib();
    this.ptr = l.recognizerNew(modelAddress, sampleRate);
    if (!this.ptr) throw new Error('vosk: failed to create recognizer');
    if (opts.words ?? true) l.recognizerSetWords(this.ptr, 1);
  }
  private get p(): bigint {
    if (!this.ptr) throw new Error('vosk: recognizer already freed');
    return this.ptr;
  }
  /** Feeds 16-bit mono PCM; returns true when Vosk's own endpointer produced a final result (read it with result()). */
  accept(pcm: Int16Array): boolean {
    this.fedSamples += pcm.length;
    return voskLib().acceptWaveformS(this.p, pcm, pcm.length) === 1;
  }
  partial(): string {
    const j = JSON.parse(voskLib().partialResult(this.p)) as { partial?: string };
    return j.partial ?? '';
  }
  result(): VoskFinal {
    return parseFinal(voskLib().result(this.p));
  }
  /** Flushes the decoder and returns the final result for everything fed so far. */
  final(): VoskFinal {
    const r = parseFinal(voskLib().finalResult(this.p));
    this.fedSamples = 0;
    return r;
  }
  reset(): void {
    voskLib().reset(this.p);
    this.fedSamples = 0;
  }
  free(): void {
    if (this.ptr) voskLib().recognizerFree(this.ptr);
    this.ptr = null;
  }
}

export function parseFinal(json: string): VoskFinal {
  const j = JSON.parse(json) as { text?: string; result?: VoskWord[] };
  const words = Array.isArray(j.result) ? j.result : [];
  const confidence = words.length ? words.reduce((s, w) => s + (w.conf ?? 0), 0) / words.length : 0;
  return { text: (j.text ?? '').trim(), confidence, words };
}

/**
 * Warm recognizers, reused across calls. A fresh libvosk recognizer pays a one-off cost on its first decode of
 * speech: measured with the small Korean model (CPU time, one thread, 100 ms chunks), a recogniser warmed on
 * 100 ms of silence spent 900-1 000 ms on its first 1.7 s utterance and 110-150 ms on every later one; warmed
 * on 1 s of silence or of noise, 510-640 ms; warmed on speech in the model's language, 110-125 ms, as warm as
 * it gets (speech in another language: 415-530 ms). So recognisers are warmed on `warmup`, speech in the
 * model's language (the media worker's own hello prompt: media/asr.ts), when one is given; on 100 ms of
 * silence otherwise. Why it matters: each recogniser used for the first time stalled its decoding thread for
 * that second, and every final queued behind it waited (bench:media's ASR tail, 1-2.5 s, in bursts when the
 * calls speaking at once reached a new high). On session close they are reset and kept (up to `max`).
 */
export class RecognizerPool {
  private free_: Map<number, VoskRecognizer[]> = new Map();
  /** Recognizers made so far: each one that decodes keeps tens of MB (npm run bench:vosk-memory). */
  made = 0;
  constructor(
    private modelAddress: bigint,
    private max = 64,
    /** Speech in the model's language to warm recognisers on, at `warmup.sampleRate`. */
    private warmup: { pcm: Int16Array; sampleRate: number } | null = null,
  ) {}
  /** Made on demand (the pool ran dry): warmed on 100 ms of silence only, not to hold the thread up longer. */
  private create(rate: number): VoskRecognizer {
    this.made++;
    const r = new VoskRecognizer(this.modelAddress, rate);
    r.accept(new Int16Array(rate / 10));
    r.final();
    return r;
  }
  /**
   * Makes one recogniser and warms it on the warm-up speech, 100 ms at a time: each step is one chunk, so that a
   * decoding thread can warm recognisers between its real work (the whole warm-up is 1-1.5 s of CPU). Put in the
   * pool when done; freed if abandoned (return()).
   */
  *warming(rate: number): Generator<void, void, void> {
    this.made++;
    const r = new VoskRecognizer(this.modelAddress, rate);
    let kept = false;
    try {
      const audio = this.warmup && this.warmup.sampleRate === rate ? this.warmup.pcm : new Int16Array(rate / 10);
      const step = rate / 10;
      for (let i = 0; i < audio.length; i += step) {
        r.accept(audio.subarray(i, i + step));
        yield;
      }
      r.final();
      r.reset();
      const list = this.free_.get(rate) ?? [];
      list.push(r);
      this.free_.set(rate, list);
      kept = true;
    } finally {
      if (!kept) r.free();
    }
  }
  prewarm(rate: number, n: number): void {
    while ((this.free_.get(rate)?.length ?? 0) < n) for (const _ of this.warming(rate));
  }
  take(rate: number): VoskRecognizer {
    return this.free_.get(rate)?.pop() ?? this.create(rate);
  }
  give(r: VoskRecognizer): void {
    const list = this.free_.get(r.sampleRate) ?? [];
    if (list.length >= this.max) {
      r.free();
      return;
    }
    r.reset();
    list.push(r);
    this.free_.set(r.sampleRate, list);
  }
  get size(): number {
    let n = 0;
    for (const l of this.free_.values()) n += l.length;
    return n;
  }
  clear(): void {
    for (const l of this.free_.values()) for (const r of l) r.free();
    this.free_.clear();
  }
}

/**
 * One call's recogniser as the ASR port sees it, leased from the pool for one utterance at a time: taken at
 * the utterance's first audio, given back (reset, warm) at its final result or when it is dropped. A call
 * holds no recogniser while it is silent or the bot talks, so the pool only needs as many recognisers as
 * utterances decoded at once (a fraction of the calls), and they stay warm: a new call never pays the cold
 * first decode on the thread that decodes the other calls.
 */
export class LeasedRecognizer {
  private rec: VoskRecognizer | null = null;
  constructor(private readonly pool: RecognizerPool, readonly sampleRate: number) {}
  accept(pcm: Int16Array): void {
    this.rec ??= this.pool.take(this.sampleRate);
    this.rec.accept(pcm);
  }
  /** Final result of the utterance fed since the last final/reset (nothing fed: empty, nothing decoded). */
  final(): VoskFinal {
    const rec = this.rec;
    if (!rec) return { text: '', confidence: 0, words: [] };
    this.rec = null;
    try {
      return rec.final();
    } finally {
      this.pool.give(rec);
    }
  }
  reset(): void {
    this.release();
  }
  release(): void {
    const rec = this.rec;
    this.rec = null;
    if (rec) this.pool.give(rec);
  }
}
