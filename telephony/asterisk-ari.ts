// The ARI connection of the Asterisk adapter, through `ari-client` (Asterisk's own Node client: it builds its
// API from Asterisk's swagger at connect time and keeps the events websocket reconnecting with a backoff).
// What this file adds around it:
//  - quiet start: the library prints "This API is using a deprecated version of Swagger!" through console.log
//    and its old dependencies (request, swagger-client 2) may raise Node deprecation warnings at load; both
//    go to our logger at debug level instead of stdout/stderr;
//  - a typed surface for the few operations and events the adapter uses;
//  - health: connected / reconnecting / down, with the library's WebSocketReconnecting / WebSocketConnected /
//    WebSocketMaxRetries events, and a fresh start loop after WebSocketMaxRetries (the library gives up then);
//  - the operations ari-client cannot do well: downloading a stored recording (binary body; its swagger
//    client decodes responses as text) goes to the REST endpoint directly.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

export interface AriCredentials {
  url: string;
  username: string;
  password: string;
  app: string;
}

export interface AriChannel {
  id: string;
  name: string;
  state: string;
}

/** The fields of ARI events the adapter reads. */
export interface AriEvent {
  type: string;
  timestamp?: string;
  application?: string;
  channel?: AriChannel;
  peer?: AriChannel;
  args?: string[];
  cause?: number;
  cause_txt?: string;
  dialstatus?: string;
  digit?: string;
  bridge?: { id: string };
  recording?: { name: string; state: string; target_uri?: string; duration?: number; cause?: string };
}

/** The subset of ari-client's generated API used here (its operations take one object of parameters). */
interface AriClientLike extends EventEmitter {
  start(app: string | string[]): Promise<void>;
  stop(): void;
  channels: {
    originate(p: Record<string, unknown>): Promise<AriChannel>;
    externalMedia(p: Record<string, unknown>): Promise<AriChannel>;
    hangup(p: { channelId: string; reason?: string }): Promise<void>;
    continueInDialplan(p: Record<string, unknown>): Promise<void>;
    list(): Promise<AriChannel[]>;
  };
  bridges: {
    create(p: Record<string, unknown>): Promise<{ id: string }>;
    addChannel(p: { bridgeId: string; channel: string | string[] }): Promise<void>;
    destroy(p: { bridgeId: string }): Promise<void>;
    record(p: Record<string, unknown>): Promise<{ name: string }>;
    list(): Promise<{ id: string; channels: string[] }[]>;
  };
  recordings: {
    stop(p: { recordingName: string }): Promise<void>;
    deleteStored(p: { recordingName: string }): Promise<void>;
  };
}

export type AriHealth = 'connecting' | 'connected' | 'reconnecting' | 'down';

/** ARI reports errors as an Error whose message is the JSON body: {"message":"Channel not found"}. */
export function ariErrorMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  try {
    const j = JSON.parse(m) as { message?: string; error?: string };
    return j.message ?? j.error ?? m;
  } catch {
    return m;
  }
}

export const isNotFound = (err: unknown) => /not found|not in stasis|does not exist/i.test(ariErrorMessage(err));
export const isConflict = (err: unknown) => /already exists/i.test(ariErrorMessage(err));

/** Runs `fn` with the library's console chatter and Node deprecation warnings routed to `log.debug`. */
async function quietly<T>(log: Logger, fn: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, warn: console.warn, error: console.error, noDeprecation: process.noDeprecation };
  const route = (level: string) => (...args: unknown[]) => log.debug({ level, args: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))) }, 'ari-client output');
  console.log = route('log');
  console.warn = route('warn');
  console.error = route('error');
  process.noDeprecation = true;
  try {
    return await fn();
  } finally {
    console.log = saved.log;
    console.warn = saved.warn;
    console.error = saved.error;
    process.noDeprecation = saved.noDeprecation;
  }
}

/**
 * One ARI connection for one Stasis app. Emits every ARI event under its type, plus
 * 'health' (AriHealth) and 'reconnected' (after the websocket came back: time to reconcile).
 */
export class AriConnection extends EventEmitter {
  client!: AriClientLike;
  health: AriHealth = 'connecting';
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private everConnected = false;

  constructor(readonly creds: AriCredentials, private log: Logger) {
    super();
  }

  get auth(): string {
    return 'Basic ' + Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64');
  }

  async connect(): Promise<void> {
    const client = await quietly(this.log, async () => {
      // @ts-expect-error ari-client ships no type declarations (the surface used is typed above)
      const mod = (await import('ari-client')) as unknown as { default?: { connect: Function }; connect?: Function };
      const connect = (mod.default?.connect ?? mod.connect) as (url: string, user: string, pass: string) => Promise<AriClientLike>;
      return connect(this.creds.url, this.creds.username, this.creds.password);
    });
    this.client = client;
    client.on('*', (e: AriEvent) => this.emit(e.type, e));
    client.on('WebSocketReconnecting', (err?: Error) => {
      this.setHealth('reconnecting');
      this.log.warn({ err: err?.message }, 'ARI websocket lost: reconnecting');
    });
    client.on('WebSocketConnected', () => {
      const again = this.everConnected;
      this.everConnected = true;
      this.setHealth('connected');
      if (again) {
        this.log.info('ARI websocket reconnected');
        this.emit('reconnected');
      }
    });
    client.on('WebSocketMaxRetries', (err?: Error) => {
      this.setHealth('down');
      this.log.error({ err: err?.message }, 'ARI websocket: reconnection attempts exhausted; restarting the connection loop');
      this.scheduleRestart();
    });
    await quietly(this.log, () => client.start(this.creds.app));
  }

  private scheduleRestart(): void {
    if (this.stopped || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped) return;
      // A new start() runs the library's connect loop again (the old one gave up for good).
      this.client.start(this.creds.app).catch(() => this.scheduleRestart());
    }, 5000);
    this.restartTimer.unref();
  }

  private setHealth(h: AriHealth): void {
    if (this.health === h) return;
    this.health = h;
    this.emit('health', h);
  }

  /** Downloads a stored recording (direct REST call: ari-client's swagger layer decodes bodies as text). */
  async storedRecording(name: string): Promise<Buffer> {
    const res = await fetch(`${this.creds.url}/ari/recordings/stored/${encodeURIComponent(name)}/file`, {
      headers: { authorization: this.auth },
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`GET /recordings/stored/${name}/file: HTTP ${res.status} ${await res.text()}`);
    return Buffer.from(await res.arrayBuffer());
  }

  close(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    try {
      this.client?.stop();
    } catch {
      /* not started */
    }
    this.setHealth('down');
  }
}
