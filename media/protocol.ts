// Asterisk chan_websocket control protocol (Asterisk 20.16+/22.6+; JSON control format from 20.18/22.8/23.2).
// Source: Asterisk docs "Configuration / Channel-Drivers / WebSocket" and channels/chan_websocket.c.
//  - BINARY frames: raw codec payload (no headers). TEXT frames: control events (Asterisk -> app) and
//    commands (app -> Asterisk).
//  - Commands are case-sensitive; Asterisk ignores any TEXT message longer than 128 bytes
//    (MAX_TEXT_MESSAGE_LEN), so every command we build is checked against that limit.
//  - Plain text: `COMMAND [arg]` / `EVENT key:value key:value ...`. JSON: `{"command":"..."}` /
//    `{"event":"...","channel_id":"..."}`; exactly one object per TEXT frame.

export type ControlFormat = 'plain-text' | 'json';

export const MAX_COMMAND_BYTES = 128;
/** Largest BINARY message Asterisk's websocket code accepts (bigger closes the socket and hangs up). */
export const MAX_BINARY_MESSAGE_BYTES = 65500;
/** Asterisk's queue levels (frames), as in chan_websocket.c. */
export const QUEUE_XOFF_LEVEL = 900;
export const QUEUE_XON_LEVEL = 800;
export const QUEUE_MAX = 1000;

export type Command =
  | { command: 'ANSWER' }
  | { command: 'HANGUP' }
  | { command: 'START_MEDIA_BUFFERING' }
  | { command: 'STOP_MEDIA_BUFFERING'; correlation_id?: string }
  | { command: 'FLUSH_MEDIA' }
  | { command: 'PAUSE_MEDIA' }
  | { command: 'CONTINUE_MEDIA' }
  | { command: 'MARK_MEDIA'; correlation_id?: string }
  | { command: 'GET_STATUS' }
  | { command: 'REPORT_QUEUE_DRAINED' }
  | { command: 'SET_MEDIA_DIRECTION'; direction: 'in' | 'out' | 'both' };

export type CommandName = Command['command'];

export interface MediaStartEvent {
  event: 'MEDIA_START';
  connection_id: string;
  channel: string;
  channel_id: string;
  format: string;
  optimal_frame_size: number;
  ptime: number;
  channel_variables?: Record<string, string>;
}

export type AsteriskEvent =
  | MediaStartEvent
  | { event: 'MEDIA_XOFF'; channel_id?: string }
  | { event: 'MEDIA_XON'; channel_id?: string }
  | { event: 'QUEUE_DRAINED'; channel_id?: string }
  | { event: 'DTMF_END'; channel_id?: string; digit: string }
  | { event: 'MEDIA_BUFFERING_COMPLETED'; channel_id?: string; correlation_id?: string }
  | { event: 'MEDIA_MARK_PROCESSED'; channel_id?: string; correlation_id?: string }
  | {
      event: 'STATUS';
      channel_id?: string;
      queue_length: number;
      xon_level: number;
      xoff_level: number;
      queue_full: boolean;
      bulk_media: boolean;
      media_paused: boolean;
    }
  | { event: 'ERROR'; channel_id?: string; error_text: string };

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** Serialises a command in the call's control format; throws if it would exceed Asterisk's 128-byte limit. */
export function formatCommand(cmd: Command, format: ControlFormat): string {
  let text: string;
  if (format === 'json') {
    text = JSON.stringify(cmd);
  } else {
    const arg =
      'correlation_id' in cmd ? cmd.correlation_id : 'direction' in cmd ? cmd.direction : undefined;
    text = arg ? `${cmd.command} ${arg}` : cmd.command;
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_COMMAND_BYTES) {
    throw new ProtocolError(
      `command ${cmd.command} is ${bytes} bytes; chan_websocket ignores TEXT messages over ${MAX_COMMAND_BYTES}`,
    );
  }
  return text;
}

const INT_FIELDS = new Set(['optimal_frame_size', 'ptime', 'queue_length', 'xon_level', 'xoff_level']);
const BOOL_FIELDS = new Set(['queue_full', 'bulk_media', 'media_paused']);
const KNOWN_EVENTS = new Set([
  'MEDIA_START',
  'MEDIA_XOFF',
  'MEDIA_XON',
  'QUEUE_DRAINED',
  'DTMF_END',
  'MEDIA_BUFFERING_COMPLETED',
  'MEDIA_MARK_PROCESSED',
  'STATUS',
  'ERROR',
]);

/**
 * Parses one TEXT frame from Asterisk. The format is detected from the message itself (JSON objects start
 * with `{`), so a call works whatever `control_message_format` / `f()` option Asterisk was given.
 * Throws ProtocolError on anything malformed or unknown.
 */
export function parseEvent(text: string, maxBytes = 64 * 1024): { event: AsteriskEvent; format: ControlFormat } {
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw new ProtocolError(`control message over ${maxBytes} bytes`);
  const trimmed = text.trim();
  if (!trimmed) throw new ProtocolError('empty control message');
  if (trimmed.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(trimmed);
    } catch {
      throw new ProtocolError('control message is not valid JSON');
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ProtocolError('JSON control message is not an object');
    const o = obj as Record<string, unknown>;
    if (typeof o.event !== 'string' || !KNOWN_EVENTS.has(o.event)) throw new ProtocolError(`unknown event ${String(o.event)}`);
    validate(o);
    return { event: o as unknown as AsteriskEvent, format: 'json' };
  }
  // Plain text: EVENT then key:value tokens. ERROR's error_text runs to the end of the line.
  const firstSpace = trimmed.indexOf(' ');
  const name = firstSpace < 0 ? trimmed : trimmed.slice(0, firstSpace);
  if (!KNOWN_EVENTS.has(name)) throw new ProtocolError(`unknown event ${name.slice(0, 40)}`);
  const rest = firstSpace < 0 ? '' : trimmed.slice(firstSpace + 1);
  const o: Record<string, unknown> = { event: name };
  if (name === 'MEDIA_BUFFERING_COMPLETED' || name === 'MEDIA_MARK_PROCESSED') {
    if (rest) o.correlation_id = rest.trim();
  } else {
    let s = rest;
    while (s.length) {
      const m = /^([a-z_]+):/.exec(s);
      if (!m) throw new ProtocolError(`malformed ${name} parameters`);
      const key = m[1]!;
      s = s.slice(m[0].length);
      let value: string;
      if (key === 'error_text') {
        value = s;
        s = '';
      } else {
        const sp = s.indexOf(' ');
        value = sp < 0 ? s : s.slice(0, sp);
        s = sp < 0 ? '' : s.slice(sp + 1).trimStart();
      }
      o[key] = INT_FIELDS.has(key) ? Number(value) : BOOL_FIELDS.has(key) ? value === 'true' : value;
    }
  }
  validate(o);
  return { event: o as unknown as AsteriskEvent, format: 'plain-text' };
}

function validate(o: Record<string, unknown>): void {
  if (o.event === 'MEDIA_START') {
    for (const k of ['connection_id', 'format'] as const) {
      if (typeof o[k] !== 'string' || !o[k]) throw new ProtocolError(`MEDIA_START: missing ${k}`);
    }
    const ofs = o.optimal_frame_size;
    if (typeof ofs !== 'number' || !Number.isInteger(ofs) || ofs <= 0 || ofs > MAX_BINARY_MESSAGE_BYTES) {
      throw new ProtocolError('MEDIA_START: optimal_frame_size must be a positive integer');
    }
    if (o.ptime === undefined) o.ptime = 20;
    if (typeof o.ptime !== 'number' || !Number.isInteger(o.ptime) || o.ptime <= 0 || o.ptime > 200) {
      throw new ProtocolError('MEDIA_START: ptime must be a positive integer (ms)');
    }
  }
  if (o.event === 'DTMF_END' && (typeof o.digit !== 'string' || o.digit.length !== 1)) {
    throw new ProtocolError('DTMF_END: digit must be one character');
  }
}

/** Media formats we can decode/encode, keyed by Asterisk format name. */
export interface CodecInfo {
  name: string;
  sampleRate: number;
  bytesPerSample: number;
  kind: 'ulaw' | 'alaw' | 'slin';
}

export function codecInfo(format: string): CodecInfo | null {
  switch (format) {
    case 'ulaw':
      return { name: format, sampleRate: 8000, bytesPerSample: 1, kind: 'ulaw' };
    case 'alaw':
      return { name: format, sampleRate: 8000, bytesPerSample: 1, kind: 'alaw' };
    case 'slin':
      return { name: format, sampleRate: 8000, bytesPerSample: 2, kind: 'slin' };
    default: {
      const m = /^slin(12|16|24|32|44|48|96|192)$/.exec(format);
      if (!m) return null;
      const k = Number(m[1]);
      const rate = k === 44 ? 44100 : k * 1000;
      return { name: format, sampleRate: rate, bytesPerSample: 2, kind: 'slin' };
    }
  }
}
