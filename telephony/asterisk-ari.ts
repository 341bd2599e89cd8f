// The ARI adapter: the only module that touches `ari-client` (Asterisk's own Node client: it builds its API
// from Asterisk's swagger at connect time and keeps the events websocket reconnecting with a backoff). The
// rest of telephony/ sees typed calls, typed events and typed errors. What this file adds around the library:
//  - errors by HTTP status: ari-client turns an error response into `new Error(body)` and drops the status
//    (lib/client.js, swaggerError). swagger-client 2 runs every request through its `authorizations` hooks
//    synchronously inside the operation call, so a hook of ours reads the status of the request being
//    started (see `capturing`) and the call is rejected with AriNotFound / AriConflict / AriError(status);
//  - bounded calls: swagger-client's HTTP layer (shred) never settles a request whose connection fails
//    (it emits "request_error" to no listener), so every call has a deadline, and calls fail fast with
//    AriUnavailable while the events websocket is down (Asterisk restarting);
//  - a scoped logger: swagger-client 2 prints through a global function `log` it defines itself at load
//    (swagger.js, line 10: "This API is using a deprecated version of Swagger!"). We point that hook of the
//    library at our logger (debug level). The global console is never touched;
//  - health: connecting / connected / reconnecting / down, from the library's WebSocketReconnecting /
//    WebSocketConnected / WebSocketMaxRetries events, with a fresh start loop after WebSocketMaxRetries (the
//    library gives up then), and a 'reconnected' event (time to reconcile) with a count;
//  - downloading a stored recording (binary body; the swagger layer decodes bodies as text) goes to the REST
//    endpoint directly.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { logger } from '../runtime/logger';
import { AriError, AriUnavailable, ariError, bodyMessage } from './ari-errors';

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

export interface AriBridge {
  id: string;
  channels: string[];
}

/** The fields of ARI events the adapter reads. */
export interface AriEvent {
  type: string;
  timestamp?: string;
  application?: string;
  channel?: AriChannel;
  peer?: AriChannel;
  args?: string[];
  /** Q.850 cause; in a ChannelHangupRequest with soft=true, the soft-hangup reason flags instead. */
  cause?: number;
  cause_txt?: string;
  soft?: boolean;
  dialstatus?: string;
  digit?: string;
  bridge?: { id: string };
  recording?: { name: string; state: string; target_uri?: string; duration?: number; cause?: string };
}

export type AriHealth = 'connecting' | 'connected' | 'reconnecting' | 'down';

export { AriConflict, AriError, AriNotFound, AriUnavailable, ariError } from './ari-errors';

// ------------------------------------------------------------------------------------------ library hooks

/** The subset of ari-client's generated API used here (its operations take one object of parameters). */
interface AriClientLike extends EventEmitter {
  start(app: string | string[]): Promise<void>;
  stop(): void;
  [resource: string]: unknown;
}
type Operation = (p?: Record<string, unknown>) => Promise<unknown>;

const requireFromAri = createRequire(createRequire(import.meta.url).resolve('ari-client'));
/** The status of the request being started by the ARI call in progress (set around each call, synchronously). */
let capturing: { status: number | null } | null = null;
let hooked = false;

function hookLibrary(): void {
  if (hooked) return;
  hooked = true;
  // The same swagger-client instance ari-client loaded (resolved from ari-client's own folder).
  const swagger = requireFromAri('swagger-client') as {
    authorizations: { add(name: string, auth: { apply(obj: { on?: Record<string, (r: unknown) => unknown> }): boolean }): void };
  };
  swagger.authorizations.add('minibot-status', {
    apply(obj) {
      const cap = capturing;
      const on = obj.on;
      if (cap && on) {
        for (const k of ['error', 'response'] as const) {
          const orig = on[k];
          if (orig) on[k] = (r: unknown) => ((cap.status = (r as { status?: number } | null)?.status ?? null), orig(r));
        }
      }
      return true;
    },
  });
  const log = logger('ari-client');
  (globalThis as { log?: unknown }).log = (...args: unknown[]) =>
    log.debug({ args: args.map((a) => (typeof a === 'string' ? a : String(a))) }, 'swagger-client output');
}

// ------------------------------------------------------------------------------------------ connection

export interface AriConnectionOptions {
  /** Deadline of one REST call (ms). */
  requestTimeoutMs?: number;
  /** Pause before a new connect loop once the library gave up reconnecting (ms). */
  restartDelayMs?: number;
}

/**
 * One ARI connection for one Stasis app. Emits every ARI event under its type, plus
 * 'health' (AriHealth) and 'reconnected' (after the websocket came back: time to reconcile).
 */
export class AriConnection extends EventEmitter {
  health: AriHealth = 'connecting';
  /** How many times the events websocket came back after a loss. */
  reconnections = 0;
  private client: AriClientLike | null = null;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private everConnected = false;

  constructor(readonly creds: AriCredentials, private log: Logger, private readonly opts: AriConnectionOptions = {}) {
    super();
  }

  get auth(): string {
    return 'Basic ' + Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64');
  }

  async connect(): Promise<void> {
    const mod = requireFromAri('ari-client') as { connect: (url: string, user: string, pass: string) => Promise<AriClientLike> };
    hookLibrary();
    const client = await mod.connect(this.creds.url, this.creds.username, this.creds.password);
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
        this.reconnections++;
        this.log.info({ reconnections: this.reconnections }, 'ARI websocket reconnected');
        this.emit('reconnected');
      }
    });
    client.on('WebSocketMaxRetries', (err?: Error) => {
      this.setHealth('down');
      this.log.error({ err: err?.message }, 'ARI websocket: reconnection attempts exhausted; restarting the connection loop');
      this.scheduleRestart();
    });
    await client.start(this.creds.app);
  }

  private scheduleRestart(): void {
    if (this.stopped || this.restartTimer) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped || !this.client) return;
      // A new start() runs the library's connect loop again (the old one gave up for good).
      this.client.start(this.creds.app).catch(() => this.scheduleRestart());
    }, this.opts.restartDelayMs ?? 5000);
    this.restartTimer.unref();
  }

  private setHealth(h: AriHealth): void {
    if (this.health === h) return;
    this.health = h;
    this.emit('health', h);
  }

  /** Runs one operation of ari-client's generated API, with its deadline and a typed error. */
  private async call<T>(operation: string, params?: Record<string, unknown>): Promise<T> {
    const [resource, op] = operation.split('.') as [string, string];
    const fn = this.client && ((this.client[resource] as Record<string, Operation> | undefined)?.[op]);
    if (!fn) throw new AriUnavailable(operation, null, this.client ? 'no such operation' : 'not connected');
    if (this.health !== 'connected') throw new AriUnavailable(operation, null, `ARI ${this.health}`);
    const cap = { status: null as number | null };
    let pending: Promise<unknown>;
    capturing = cap;
    try {
      pending = fn(params);
    } catch (err) {
      throw new AriError(operation, null, (err as Error).message);
    } finally {
      capturing = null;
    }
    const ms = this.opts.requestTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new AriUnavailable(operation, null, `no answer within ${ms} ms`)), ms);
    });
    try {
      return (await Promise.race([pending, deadline])) as T;
    } catch (err) {
      if (err instanceof AriError) throw err;
      const detail = bodyMessage(err instanceof Error ? err.message : String(err));
      throw cap.status !== null ? ariError(operation, cap.status, detail) : new AriError(operation, null, detail);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------------------------------- typed calls

  readonly channels = {
    originate: (p: {
      endpoint: string; app: string; appArgs?: string; channelId: string; otherChannelId?: string; timeout?: number;
      callerId?: string; variables?: Record<string, string>;
    }) => this.call<AriChannel>('channels.originate', p),
    externalMedia: (p: {
      app: string; channelId: string; external_host: string; transport: string; encapsulation: string; connection_type: string;
      format: string; transport_data?: string;
    }) => this.call<AriChannel>('channels.externalMedia', p),
    hangup: (channelId: string, reason?: string) => this.call<void>('channels.hangup', reason ? { channelId, reason } : { channelId }),
    continueInDialplan: (p: { channelId: string; context: string; extension: string; priority: number }) =>
      this.call<void>('channels.continueInDialplan', p),
    list: () => this.call<AriChannel[]>('channels.list'),
  };

  readonly bridges = {
    create: (p: { bridgeId: string; type: string; name?: string }) => this.call<AriBridge>('bridges.create', p),
    addChannel: (bridgeId: string, channel: string[]) => this.call<void>('bridges.addChannel', { bridgeId, channel }),
    removeChannel: (bridgeId: string, channel: string[]) => this.call<void>('bridges.removeChannel', { bridgeId, channel }),
    destroy: (bridgeId: string) => this.call<void>('bridges.destroy', { bridgeId }),
    record: (p: { bridgeId: string; name: string; format: string; ifExists?: string; beep?: boolean; terminateOn?: string }) =>
      this.call<{ name: string }>('bridges.record', p),
    list: () => this.call<AriBridge[]>('bridges.list'),
  };

  readonly recordings = {
    stop: (recordingName: string) => this.call<void>('recordings.stop', { recordingName }),
    deleteStored: (recordingName: string) => this.call<void>('recordings.deleteStored', { recordingName }),
    /** The stored recording's file (direct REST call: the swagger layer decodes bodies as text). */
    download: async (name: string): Promise<Buffer> => {
      const op = 'recordings.getStoredFile';
      let res: Response;
      try {
        res = await fetch(`${this.creds.url}/ari/recordings/stored/${encodeURIComponent(name)}/file`, {
          headers: { authorization: this.auth },
          signal: AbortSignal.timeout(30_000),
        });
      } catch (err) {
        throw new AriUnavailable(op, null, (err as Error).message);
      }
      if (!res.ok) throw ariError(op, res.status, bodyMessage(await res.text()));
      return Buffer.from(await res.arrayBuffer());
    },
  };

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
