// The media server: the WebSocket endpoint Asterisk's chan_websocket connects to, one connection per call.
// A connection must present the per-call token issued by expectCall() (URI parameters added through the
// `v()` dial option); anything else is refused at the HTTP upgrade and logged.
import http from 'node:http';
import { stat } from 'node:fs/promises';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { CallEventSink } from '../lib/call-events';
import { config } from '../runtime/config';
import { logger } from '../runtime/logger';
import { percentile } from '../lib/metrics';
import { initAudio, readWavMono } from './audio';
import { initVad } from './vad';
import { resolveBargeIn, type BargeInOptions } from './barge-in';
import { fromConfig as asrFromConfig, type AsrEngine, type AsrEngineFactory, type AsrUsage } from './asr';
import { CallSession } from './session';
import type { MediaFrame } from './frames';
import type { PromptInput } from './prompt';

export interface MediaServerOptions {
  host: string;
  port: number;
  sink: CallEventSink;
  /** ASR engine; undefined = the configured one (media/asr.ts fromConfig), null = no speech recognition. */
  asr?: AsrEngineFactory | null;
  vadMode?: number;
  frameMs?: number;
  /** ASR sample rate (8000 or 16000); default VOSK_SAMPLE_RATE. */
  sampleRate?: number;
  bargeIn?: Partial<BargeInOptions>;
  /** How long an issued token stays valid without a connection (ms). */
  tokenTtlMs?: number;
  /** Read-only taps per call: media started (MEDIA_START), each analysed inbound frame (hybrid AMD). */
  observer?: {
    started?(callId: string): void;
    frame?(callId: string, f: MediaFrame): void;
  };
}

interface Expected {
  token: string;
  expiresAt: number;
  bargeIn?: Partial<BargeInOptions>;
}

const LATENCY_WINDOW = 2000;

export class MediaServer {
  private log = logger('media');
  private http: http.Server | null = null;
  private wss: WebSocketServer | null = null;
  private expected = new Map<string, Expected>();
  private sessions = new Map<string, CallSession>();
  private asr: AsrEngine | null = null;
  private bargeInDefaults: BargeInOptions;
  private vadMode: number;
  private frameMs: 10 | 20 | 30;
  private sampleRate: number;
  private latencies = { bargeIn: [] as number[], asr: [] as number[], signal: [] as number[] };
  private counters = { refusedConnections: 0, callsServed: 0 };

  constructor(private opts: MediaServerOptions) {
    const c = config();
    this.vadMode = opts.vadMode ?? c.VAD_MODE;
    const fm = opts.frameMs ?? c.VAD_FRAME_DURATION;
    if (fm !== 10 && fm !== 20 && fm !== 30) throw new Error(`frameMs: must be 10, 20 or 30 (got ${fm})`);
    this.frameMs = fm;
    this.sampleRate = opts.sampleRate ?? c.VOSK_SAMPLE_RATE;
    if (this.sampleRate !== 8000 && this.sampleRate !== 16000) throw new Error(`sampleRate: must be 8000 or 16000 (got ${this.sampleRate})`);
    this.bargeInDefaults = resolveBargeIn(
      {
        enabled: c.BARGE_IN_ENABLED,
        flushAfterMs: c.BARGE_IN_FLUSH_AFTER_MS,
        minSpeechMs: c.BARGE_IN_MIN_SPEECH_MS,
        minEnergyDbfs: c.BARGE_IN_MIN_ENERGY_DBFS,
        echoMarginDb: c.BARGE_IN_ECHO_MARGIN_DB,
        endSilenceMs: c.VAD_END_SILENCE_MS,
      },
      opts.bargeIn,
    );
  }

  async start(): Promise<{ host: string; port: number }> {
    await Promise.all([initAudio(), initVad()]);
    const factory = this.opts.asr === undefined ? asrFromConfig(config()) : this.opts.asr;
    if (factory) {
      this.asr = await factory(); // throws a clear error now if the model is missing
      this.log.info({ method: this.asr.method }, 'speech recognition ready');
    } else {
      this.log.warn('speech recognition disabled (asr: null): no utterance events will be produced');
    }
    const server = http.createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket upgrade required\n');
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
    server.on('upgrade', (req, socket, head) => this.onUpgrade(wss, req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.http = server;
    this.wss = wss;
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    this.log.info({ host: this.opts.host, port }, 'media server listening (chan_websocket)');
    return { host: this.opts.host, port };
  }

  async stop(): Promise<void> {
    for (const s of this.sessions.values()) s.hangup();
    const wss = this.wss;
    if (wss) for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => (this.http ? this.http.close(() => resolve()) : resolve()));
    this.http = null;
    this.wss = null;
    this.sessions.clear();
    this.expected.clear();
    if (this.asr) await this.asr.close();
    this.asr = null;
  }

  expectCall(callId: string, opts: { bargeIn?: Partial<BargeInOptions> } = {}): { token: string; uriParams: string; transportData: string } {
    if (!callId) throw new Error('expectCall: callId is required');
    if (opts.bargeIn) resolveBargeIn(this.bargeInDefaults, opts.bargeIn); // validate now, naming the field
    const token = randomBytes(18).toString('base64url');
    this.expected.set(callId, { token, expiresAt: Date.now() + (this.opts.tokenTtlMs ?? 10 * 60_000), bargeIn: opts.bargeIn });
    // For the v() dial option: names and values URI-encoded one by one (commas separate parameters).
    const uriParams = `call=${encodeURIComponent(callId)},token=${token}`;
    return { token, uriParams, transportData: `f(json)v(${uriParams})` };
  }

  private onUpgrade(wss: WebSocketServer, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, reason: string, callId?: string) => {
      this.counters.refusedConnections++;
      this.log.warn({ remote: req.socket.remoteAddress, callId, reason }, 'media connection refused');
      socket.write(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://media.local');
    } catch {
      return refuse(400, 'bad request URI');
    }
    const callId = url.searchParams.get('call') ?? '';
    const token = url.searchParams.get('token') ?? '';
    if (!callId || !token) return refuse(401, 'missing call/token URI parameters');
    const exp = this.expected.get(callId);
    if (!exp) return refuse(403, 'no call expects media', callId);
    if (exp.expiresAt < Date.now()) {
      this.expected.delete(callId);
      return refuse(403, 'token expired', callId);
    }
    const a = Buffer.from(token);
    const b = Buffer.from(exp.token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return refuse(403, 'bad token', callId);
    if (this.sessions.has(callId)) return refuse(403, 'call already has a media connection', callId);
    this.expected.delete(callId); // one connection per token
    wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, callId, exp));
  }

  private onConnection(ws: WebSocket, callId: string, exp: Expected): void {
    const obs = this.opts.observer;
    const session = new CallSession({
      callId,
      ws,
      observer: obs ? { started: () => obs.started?.(callId), frame: (f) => obs.frame?.(callId, f) } : undefined,
      sink: this.opts.sink,
      asr: this.asr,
      asrRate: this.sampleRate,
      vadMode: this.vadMode,
      frameMs: this.frameMs,
      bargeIn: resolveBargeIn(this.bargeInDefaults, exp.bargeIn),
      log: this.log.child({ callId }),
      onClose: (s) => {
        if (this.sessions.get(callId) === s) this.sessions.delete(callId);
      },
      stats: (name, ms) => {
        const arr = this.latencies[name];
        arr.push(ms);
        if (arr.length > LATENCY_WINDOW) arr.splice(0, arr.length - LATENCY_WINDOW);
      },
    });
    this.sessions.set(callId, session);
    this.counters.callsServed++;
  }

  private session(callId: string): CallSession {
    const s = this.sessions.get(callId);
    if (!s || s.isClosed) throw new Error(`call ${callId}: no live media connection`);
    return s;
  }

  /** The calls this server holds or expects (a token issued, media not connected yet). */
  callIds(): string[] {
    const ids = [...this.expected.keys()];
    for (const [id, s] of this.sessions) if (!s.isClosed) ids.push(id);
    return ids;
  }

  /** Audio decoded and decoding threads' busy time so far (null: no recogniser, or one that does not say). */
  asrUsage(): AsrUsage | null {
    return this.asr?.usage?.() ?? null;
  }

  /** How far the recognisers are behind real time (ms; 0 without ASR or for an engine that cannot tell). */
  asrBacklogMs(): number {
    return this.asr?.backlogMs?.() ?? 0;
  }

  hasCall(callId: string): boolean {
    const s = this.sessions.get(callId);
    return !!s && !s.isClosed && s.started;
  }

  async play(
    callId: string,
    prompt: { promptId: string; turn: number; wavPath?: string; pcm?: Int16Array; sampleRate?: number; bargeIn?: boolean },
  ): Promise<void> {
    if (!prompt.promptId) throw new Error('play: promptId is required');
    if (!prompt.wavPath && !prompt.pcm) throw new Error(`play ${prompt.promptId}: give wavPath or pcm`);
    if (prompt.pcm && !prompt.sampleRate) throw new Error(`play ${prompt.promptId}: sampleRate is required with pcm`);
    await this.session(callId).play(prompt, loadPromptPcm);
  }

  async stopPlayback(callId: string): Promise<{ playedMs: number } | null> {
    return this.session(callId).stopPlayback();
  }

  async hangup(callId: string): Promise<void> {
    const s = this.sessions.get(callId);
    this.expected.delete(callId);
    if (s && !s.isClosed) s.hangup();
  }

  setTurn(callId: string, turn: number): void {
    this.session(callId).turn = turn;
  }

  /** Changes barge-in thresholds for the rest of the call (e.g. per scenario step). */
  setBargeIn(callId: string, b: Partial<BargeInOptions>): void {
    const s = this.session(callId);
    s.bargeInOptions = resolveBargeIn(s.bargeInOptions, b);
  }

  stats(): {
    activeCalls: number;
    callsServed: number;
    refusedConnections: number;
    processingMethod: string | null;
    bargeInLatencyMs: { p50: number | null; p95: number | null; avg: number | null; count: number };
    asrLatencyMs: { p50: number | null; p95: number | null; avg: number | null; count: number };
    endOfSpeechToSignalMs: { p50: number | null; p95: number | null; avg: number | null; count: number };
  } {
    const pct = (xs: number[], p: number) => {
      const v = percentile(xs, p);
      return v === null ? null : Math.round(v);
    };
    const summary = (xs: number[]) => ({
      p50: pct(xs, 50),
      p95: pct(xs, 95),
      avg: xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : null,
      count: xs.length,
    });
    let active = 0;
    for (const s of this.sessions.values()) if (!s.isClosed) active++;
    return {
      activeCalls: active,
      ...this.counters,
      processingMethod: this.asr?.method ?? null,
      bargeInLatencyMs: summary(this.latencies.bargeIn),
      asrLatencyMs: summary(this.latencies.asr),
      endOfSpeechToSignalMs: summary(this.latencies.signal),
    };
  }
}

/**
 * The prompt WAVs start with 0.5 s of digital silence (scripts/audio-sox.ts pads them for Asterisk's Playback):
 * streamed as is, that is half a second of dead air before every prompt the callee hears, on top of the gate.
 * Only the leading pad goes (down to 10 ms before the first sample above -60 dBFS); the rest is untouched.
 */
export function trimLeadingSilence(pcm: Int16Array, sampleRate: number): Int16Array {
  let i = 0;
  while (i < pcm.length && Math.abs(pcm[i]!) < 33) i++; // 33/32768 ≈ -60 dBFS
  const keep = Math.round(sampleRate / 100);
  return i > keep && i < pcm.length ? pcm.subarray(i - keep) : pcm;
}

/**
 * Prompt WAVs read and trimmed once per file version (path, size, mtime): the hello is 11.4 s, and decoding it on
 * every call cost 20-75 ms of dead air; the same array each play also lets the encoded prompt be reused
 * (media/prompt.ts). Bounded: the oldest entry goes past PROMPT_FILES.
 */
const PROMPT_FILES = 256;
const promptFiles = new Map<string, { version: string; audio: { pcm: Int16Array; sampleRate: number } }>();

async function loadPromptPcm(p: PromptInput): Promise<{ pcm: Int16Array; sampleRate: number }> {
  if (p.pcm) return { pcm: p.pcm, sampleRate: p.sampleRate! };
  const path = p.wavPath!;
  const st = await stat(path).catch(() => null);
  const version = st ? `${st.size}/${st.mtimeMs}` : '';
  const hit = promptFiles.get(path);
  if (hit && st && hit.version === version) return hit.audio;
  const wav = await readWavMono(path); // throws naming the file
  const audio = { pcm: trimLeadingSilence(wav.pcm, wav.sampleRate), sampleRate: wav.sampleRate };
  promptFiles.delete(path);
  promptFiles.set(path, { version, audio });
  if (promptFiles.size > PROMPT_FILES) promptFiles.delete(promptFiles.keys().next().value!);
  return audio;
}
