// Real-time media worker: chan_websocket media server, WebRTC VAD, Vosk streaming ASR, barge-in.
export { MediaServer, defaultAsrFromConfig, type MediaServerOptions } from './server';
export { DEFAULT_BARGE_IN, resolveBargeIn, SpeechSegmenter, type BargeInOptions } from './barge-in';
export {
  inlineVoskEngine,
  workerVoskEngine,
  ModelMissingError,
  type AsrEngine,
  type AsrEngineFactory,
  type AsrSession,
  type AsrResult,
} from './asr';
export { VoskModel, VoskRecognizer, checkModelDir, libvoskPath } from './vosk';
export { formatCommand, parseEvent, codecInfo, MAX_COMMAND_BYTES, type ControlFormat, type Command } from './protocol';
export { createMediaActivities, mediaTaskQueue } from './activities';
