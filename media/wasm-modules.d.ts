// Modules that ship no type declarations. The echogarden WASM packages: their default export is an Emscripten module
// factory (media/audio.ts and media/vad.ts describe the exports they use).
declare module '@echogarden/speex-resampler-wasm' {
  const factory: (moduleArg?: Record<string, unknown>) => Promise<unknown>;
  export default factory;
}
declare module '@echogarden/fvad-wasm' {
  const factory: (moduleArg?: Record<string, unknown>) => Promise<unknown>;
  export default factory;
}
// fft.js (indutny) ships no type declarations either: the part media/bands.ts uses.
declare module 'fft.js' {
  export default class FFT {
    constructor(size: number);
    readonly size: number;
    createComplexArray(): number[];
    realTransform(out: number[] | Float64Array, input: number[] | Float64Array): void;
  }
}
