// WebRTC VAD through @echogarden/fvad-wasm (libfvad compiled to WASM). One WASM module per thread, one
// Fvad instance per call. Frames must be 10, 20 or 30 ms at 8/16/32/48 kHz.
import FvadModule from '@echogarden/fvad-wasm';

interface FvadWasm {
  _fvad_new(): number;
  _fvad_free(inst: number): void;
  _fvad_reset(inst: number): void;
  _fvad_set_mode(inst: number, mode: number): number;
  _fvad_set_sample_rate(inst: number, rate: number): number;
  _fvad_process(inst: number, frame: number, length: number): number;
  _malloc(n: number): number;
  _free(p: number): void;
  HEAP16: Int16Array;
}

let mod: FvadWasm | undefined;
let modPromise: Promise<FvadWasm> | undefined;

export async function initVad(): Promise<void> {
  modPromise ??= (FvadModule as unknown as () => Promise<FvadWasm>)();
  mod = await modPromise;
}

export class Vad {
  private inst: number;
  private buf: number;
  readonly frameSamples: number;
  constructor(readonly sampleRate: number, readonly frameMs: 10 | 20 | 30, mode: number) {
    if (!mod) throw new Error('vad: initVad() must be awaited first');
    if (![8000, 16000, 32000, 48000].includes(sampleRate)) throw new Error(`vad: unsupported sample rate ${sampleRate}`);
    if (![10, 20, 30].includes(frameMs)) throw new Error(`VAD_FRAME_DURATION: must be 10, 20 or 30 ms (got ${frameMs})`);
    if (!Number.isInteger(mode) || mode < 0 || mode > 3) throw new Error(`VAD_MODE: must be 0..3 (got ${mode})`);
    this.inst = mod._fvad_new();
    if (!this.inst) throw new Error('vad: fvad_new failed');
    if (mod._fvad_set_mode(this.inst, mode) < 0) throw new Error(`vad: fvad_set_mode(${mode}) failed`);
    if (mod._fvad_set_sample_rate(this.inst, sampleRate) < 0) throw new Error(`vad: fvad_set_sample_rate(${sampleRate}) failed`);
    this.frameSamples = (sampleRate / 1000) * frameMs;
    this.buf = mod._malloc(this.frameSamples * 2);
  }
  /** true = speech. `frame` must hold exactly frameSamples samples. */
  isSpeech(frame: Int16Array): boolean {
    const m = mod!;
    if (!this.inst) throw new Error('vad: freed');
    if (frame.length !== this.frameSamples) throw new Error(`vad: frame of ${frame.length} samples, expected ${this.frameSamples}`);
    m.HEAP16.set(frame, this.buf >> 1);
    const r = m._fvad_process(this.inst, this.buf, this.frameSamples);
    if (r < 0) throw new Error('vad: fvad_process failed');
    return r === 1;
  }
  free(): void {
    if (!this.inst) return;
    mod!._fvad_free(this.inst);
    mod!._free(this.buf);
    this.inst = 0;
  }
}
