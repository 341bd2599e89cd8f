// The echogarden WASM packages ship no type declarations; their default export is an Emscripten module
// factory. media/audio.ts and media/vad.ts describe the exports they use.
declare module '@echogarden/speex-resampler-wasm' {
  const factory: (moduleArg?: Record<string, unknown>) => Promise<unknown>;
  export default factory;
}
declare module '@echogarden/fvad-wasm' {
  const factory: (moduleArg?: Record<string, unknown>) => Promise<unknown>;
  export default factory;
}
