// The speech-recognition port: what the media pipeline needs from an ASR engine, whatever the engine.
// One implementation today, Vosk (media/vosk-engine.ts); configuration picks it (fromConfig).
import os from 'node:os';
import type { Config } from '../runtime/config';
import type { TranscriptWord } from './frames';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { initAudio, readWavMono, resampleAll } from './audio';
import { inlineVoskEngine, workerVoskEngine } from './vosk-engine';

export interface AsrResult {
  text: string;
  /** Mean word confidence (0..1); 0 when no word. */
  confidence: number;
  words: TranscriptWord[];
  /** Time spent producing the final result (ms, decode of the tail + result). */
  decodeMs: number;
}

export interface AsrUsage {
  audioSeconds: number;
  busySeconds: number;
  /** Recognizers made so far (as last reported by the decoding threads), when the engine knows. */
  recognizers?: number;
}

/** One call's recogniser. */
export interface AsrSession {
  /** Feeds 16-bit mono PCM at the session's sample rate. Ordered, and never blocks the caller for long. */
  accept(pcm: Int16Array): void;
  /** Final result for everything fed since the last reset/finalize; the recogniser is ready for more after. */
  finalize(): Promise<AsrResult>;
  /** Drops everything fed so far. */
  reset(): void;
  close(): void;
}

export interface AsrEngine {
  /** Which engine and mode runs (e.g. 'vosk-worker'): recorded with each utterance and in the stats. */
  readonly method: string;
  createSession(sampleRate: number): AsrSession;
  /** How far decoding is behind real time now (ms): audio accepted but not decoded yet (admission control). */
  backlogMs?(): number;
  /**
   * What decoding has cost so far: seconds of audio given to the recognisers, and seconds the decoding threads
   * were busy (their event loops' active time). Their ratio is the real-time factor on live calls, which sizes
   * a server (bench:media prints both).
   */
  usage?(): AsrUsage;
  close(): Promise<void>;
}

/** Loads an engine (a model, worker threads): called once when the media server starts. */
export type AsrEngineFactory = () => Promise<AsrEngine>;

/**
 * The engine this configuration asks for. Without a model configured the factory fails when the media server
 * starts, with the reason (never on the first call). ASR_THREADS unset: one decoding thread per core (`cores`,
 * the machine's by default), since decoding is what decides how many calls a media worker holds.
 */
export function fromConfig(
  cfg: Pick<Config, 'VOSK_MODEL_PATH' | 'ASR_MODE' | 'ASR_THREADS' | 'AUDIO_DIR'>,
  cores: number = os.availableParallelism(),
): AsrEngineFactory {
  const dir = cfg.VOSK_MODEL_PATH;
  if (!dir) {
    return async () => {
      throw new Error(
        'VOSK_MODEL_PATH is not set: the media worker needs a Vosk model. Install the French one with ' +
          '`minibot asr install fr-small` (or `npm run minibot -- asr install fr-small`) and set the VOSK_MODEL_PATH ' +
          'line it prints. See README "Speech recognition model".',
      );
    };
  }
  return async () => {
    const warmup = await warmupSpeech(path.join(cfg.AUDIO_DIR, 'hello.wav'));
    const engine = cfg.ASR_MODE === 'inline' ? inlineVoskEngine(dir, { warmup }) : workerVoskEngine(dir, { threads: cfg.ASR_THREADS ?? cores, warmup });
    return engine();
  };
}

/** Rate the recognisers are warmed at (the engines' default, the media server's ASR rate). */
const WARMUP_RATE = 16000;
const WARMUP_S = 3;

/**
 * The recognisers' warm-up speech: the first seconds of speech of the hello prompt, which is in the language of
 * the campaign, so of its model (media/vosk.ts RecognizerPool: a recogniser warmed on speech of its own language
 * decodes its first utterance as fast as any later one). No prompt (or an unreadable one): null, warmed on silence.
 */
export async function warmupSpeech(wavPath: string): Promise<{ pcm: Int16Array; sampleRate: number } | null> {
  if (!existsSync(wavPath)) return null;
  try {
    await initAudio(); // the resampler's WASM module
    const w = await readWavMono(wavPath);
    const pcm = resampleAll(w.pcm, w.sampleRate, WARMUP_RATE);
    let first = 0;
    while (first < pcm.length && Math.abs(pcm[first]!) < 33) first++; // the prompt's leading silence (-60 dBFS)
    const speech = pcm.slice(first, first + WARMUP_S * WARMUP_RATE);
    return speech.length >= WARMUP_RATE / 2 ? { pcm: speech, sampleRate: WARMUP_RATE } : null;
  } catch {
    return null;
  }
}
