// A test peer that speaks chan_websocket the way Asterisk does (channels/chan_websocket.c), for tests and
// benchmarks of the media server: it connects like an outbound websocket_client connection with v() URI
// parameters, sends MEDIA_START, streams the callee's audio as one codec frame per ptime, keeps the
// outgoing frame queue (frames split at optimal_frame_size, one played per tick, XOFF at 900 / XON below 800,
// 1000 max), answers FLUSH_MEDIA, PAUSE/CONTINUE_MEDIA, REPORT_QUEUE_DRAINED, MARK_MEDIA, GET_STATUS, HANGUP,
// ignores TEXT commands over 128 bytes, and can feed back an echo of what it plays (delay + attenuation).
import WebSocket from 'ws';
import alawmulaw from 'alawmulaw';

const { alaw, mulaw } = alawmulaw;

export type PeerFormat = 'ulaw' | 'alaw' | 'slin16' | 'slin';

export interface PeerOptions {
  url: string;
  format?: PeerFormat;
  control?: 'json' | 'plain-text';
  ptime?: number;
  channelId?: string;
  /** Line echo of the audio played to the callee: it comes back delayMs later, gainDb quieter (negative). */
  echo?: { delayMs: number; gainDb: number };
  /** Constant background noise added to the callee stream (dBFS RMS, white). */
  noiseDbfs?: number;
}

export interface ReceivedCommand {
  command: string;
  arg?: string;
  at: number;
  raw: string;
}

const now = (): number => performance.timeOrigin + performance.now();

/** When a say()'s first frame went out, and when it was due to go out on the peer's 20 ms clock (ms, epoch). */
export interface SaidAt {
  sentAt: number;
  dueAt: number;
}

export class AsteriskPeer {
  readonly format: PeerFormat;
  readonly control: 'json' | 'plain-text';
  readonly ptime: number;
  readonly rate: number;
  readonly frameSamples: number;
  readonly frameBytes: number;
  readonly channelId: string;
  ws: WebSocket | null = null;
  commands: ReceivedCommand[] = [];
  ignoredTooLong = 0;
  closedAt: number | null = null;
  closeCode: number | null = null;
  /** Frames of bot audio actually played to the callee (what Asterisk dequeued), with times. */
  playedFrames = 0;
  /**
   * Ticks where a prompt was playing and its next frame had not arrived in time: the queue ran dry right after
   * a played frame while the app had not yet asked for QUEUE_DRAINED (it asks once the whole prompt is sent)
   * and had not flushed or paused it. The callee hears a gap: the app is late to Asterisk.
   */
  lateFrames = 0;
  private playedLastTick = false;
  playedLog: { at: number; pcm: Int16Array }[] = [];
  private queue: Uint8Array[] = [];
  private leftover: Uint8Array | null = null;
  private bulk = false;
  private paused = false;
  private queueFull = false;
  private reportDrained = false;
  private marks: string[] = [];
  private callee: { pcm: Int16Array; pos: number; resolve: (firstFrame: SaidAt) => void; started: boolean }[] = [];
  private echoRing: Int16Array[] = [];
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;
  private t0 = 0;
  private listeners: ((c: ReceivedCommand) => void)[] = [];
  private textListeners: ((text: string) => void)[] = [];

  constructor(private o: PeerOptions) {
    this.format = o.format ?? 'ulaw';
    this.control = o.control ?? 'json';
    this.ptime = o.ptime ?? 20;
    this.rate = this.format === 'slin16' ? 16000 : 8000;
    this.frameSamples = (this.rate / 1000) * this.ptime;
    this.frameBytes = this.format === 'ulaw' || this.format === 'alaw' ? this.frameSamples : this.frameSamples * 2;
    this.channelId = o.channelId ?? `pbx-${Math.floor(Math.random() * 1e9)}.1`;
  }

  /** Opens the socket; resolves once MEDIA_START has been sent. Rejects if the server refuses the upgrade. */
  connect(opts: { sendMediaStart?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.o.url, { perMessageDeflate: false });
      this.ws = ws;
      ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.on('error', (e) => reject(e));
      ws.on('open', () => {
        if (opts.sendMediaStart !== false) this.sendText(this.mediaStart());
        this.startTicking();
        resolve();
      });
      ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
      ws.on('close', (code) => {
        this.closedAt = now();
        this.closeCode = code;
        this.stopTicking();
      });
    });
  }

  mediaStart(): string {
    const fields = {
      event: 'MEDIA_START',
      connection_id: `conn-${this.channelId}`,
      channel: `WebSocket/media_connection1/0x${Math.floor(Math.random() * 1e12).toString(16)}`,
      channel_id: this.channelId,
      format: this.format,
      optimal_frame_size: this.frameBytes,
      ptime: this.ptime,
    };
    if (this.control === 'json') return JSON.stringify({ ...fields, channel_variables: { MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE: String(this.frameBytes) } });
    const { event, ...rest } = fields;
    return `${event} ${Object.entries(rest).map(([k, v]) => `${k}:${v}`).join(' ')}`;
  }

  /** Queues callee speech/noise (PCM at the codec rate); resolves with the wall time its first frame was sent. */
  say(pcm: Int16Array): Promise<number> {
    return this.sayTimed(pcm).then((s) => s.sentAt);
  }

  /**
   * Like say(), with both times of its first frame: when it was sent, and when it was due to be sent on the
   * peer's 20 ms clock. They differ when this process is starved of CPU and the peer catches up
   * several ticks at once, which Asterisk's timer does not: the media server times inbound audio by its
   * samples (media/inbound-timeline.ts), so what it reports lines up with dueAt.
   */
  sayTimed(pcm: Int16Array): Promise<SaidAt> {
    return new Promise((resolve) => this.callee.push({ pcm, pos: 0, resolve, started: false }));
  }

  get calleeBusy(): boolean {
    return this.callee.length > 0;
  }

  onCommand(fn: (c: ReceivedCommand) => void): void {
    this.listeners.push(fn);
  }
  onText(fn: (text: string) => void): void {
    this.textListeners.push(fn);
  }

  waitForCommand(name: string, timeoutMs = 5000, after = 0): Promise<ReceivedCommand> {
    const found = this.commands.find((c) => c.command === name && c.at >= after);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${name} within ${timeoutMs} ms`)), timeoutMs);
      this.listeners.push((c) => {
        if (c.command === name && c.at >= after) {
          clearTimeout(timer);
          resolve(c);
        }
      });
    });
  }

  get queueLength(): number {
    return this.queue.length;
  }

  sendText(text: string): void {
    this.ws?.send(text);
  }
  sendBinary(b: Uint8Array): void {
    this.ws?.send(b, { binary: true });
  }
  sendDtmf(digit: string): void {
    this.sendText(this.control === 'json' ? JSON.stringify({ event: 'DTMF_END', channel_id: this.channelId, digit }) : `DTMF_END digit:${digit} channel_id:${this.channelId}`);
  }

  /** Drops the connection abruptly (as if Asterisk crashed / the channel vanished). */
  drop(): void {
    this.stopTicking();
    this.ws?.terminate();
  }
  close(): void {
    this.stopTicking();
    this.ws?.close(1000);
  }

  private event(name: string, extra: Record<string, unknown> = {}): void {
    if (this.control === 'json') this.sendText(JSON.stringify({ event: name, channel_id: this.channelId, ...extra }));
    else this.sendText(name);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) return this.onMedia(new Uint8Array(data.buffer, data.byteOffset, data.length));
    const raw = data.toString('utf8');
    for (const l of this.textListeners) l(raw);
    if (data.length > 128) {
      this.ignoredTooLong++; // chan_websocket: "TEXT message ... exceeds maximum length of 128"
      return;
    }
    let command: string;
    let arg: string | undefined;
    if (this.control === 'json') {
      try {
        const j = JSON.parse(raw) as { command?: string; correlation_id?: string; direction?: string };
        command = j.command ?? '';
        arg = j.correlation_id ?? j.direction;
      } catch {
        this.event('ERROR', { error_text: 'Unable to parse JSON command' });
        return;
      }
    } else {
      const t = raw.trim();
      const sp = t.indexOf(' ');
      command = sp < 0 ? t : t.slice(0, sp);
      arg = sp < 0 ? undefined : t.slice(sp + 1);
    }
    const c: ReceivedCommand = { command, arg, at: now(), raw };
    this.commands.push(c);
    switch (command) {
      case 'HANGUP':
        setImmediate(() => this.close());
        break;
      case 'FLUSH_MEDIA':
        this.playedLastTick = false;
        this.queue = [];
        this.bulk = false;
        this.leftover = null;
        this.paused = false;
        break;
      case 'PAUSE_MEDIA':
        this.playedLastTick = false;
        this.paused = true;
        break;
      case 'CONTINUE_MEDIA':
        this.paused = false;
        break;
      case 'REPORT_QUEUE_DRAINED':
        this.reportDrained = true;
        break;
      case 'START_MEDIA_BUFFERING':
        this.bulk = true;
        break;
      case 'STOP_MEDIA_BUFFERING':
        this.bulk = false;
        if (this.leftover) {
          const f = new Uint8Array(this.frameBytes).fill(this.silenceByte());
          f.set(this.leftover);
          this.enqueue(f);
          this.leftover = null;
        }
        this.event('MEDIA_BUFFERING_COMPLETED', { correlation_id: arg ?? '' });
        break;
      case 'MARK_MEDIA':
        this.marks.push(arg ?? '');
        break;
      case 'GET_STATUS':
        if (this.control === 'json') {
          this.sendText(JSON.stringify({ event: 'STATUS', channel_id: this.channelId, queue_length: this.queue.length, xon_level: 800, xoff_level: 900, queue_full: this.queueFull, bulk_media: this.bulk, media_paused: this.paused }));
        } else {
          this.sendText(`STATUS channel_id:${this.channelId} queue_length:${this.queue.length} xon_level:800 xoff_level:900 queue_full:${this.queueFull} bulk_media:${this.bulk} media_paused:${this.paused}`);
        }
        break;
      default:
        break;
    }
    for (const l of this.listeners) l(c);
  }

  private silenceByte(): number {
    return this.format === 'ulaw' ? 0xff : this.format === 'alaw' ? 0xd5 : 0;
  }

  private onMedia(buf: Uint8Array): void {
    if (this.queue.length >= 1000) return; // "queue is full. Ignoring incoming binary message"
    let off = 0;
    if (this.bulk && this.leftover) {
      const need = this.frameBytes - this.leftover.length;
      const take = Math.min(need, buf.length);
      const merged = new Uint8Array(this.leftover.length + take);
      merged.set(this.leftover);
      merged.set(buf.subarray(0, take), this.leftover.length);
      off = take;
      if (merged.length < this.frameBytes) {
        this.leftover = merged;
        return;
      }
      this.enqueue(merged);
      this.leftover = null;
    }
    while (buf.length - off >= this.frameBytes) {
      this.enqueue(buf.slice(off, off + this.frameBytes));
      off += this.frameBytes;
    }
    if (off < buf.length) {
      if (this.bulk) this.leftover = buf.slice(off);
      // else: the odd bytes are dropped, as chan_websocket does outside bulk mode
    }
  }

  private enqueue(f: Uint8Array): void {
    this.queue.push(f);
    if (!this.queueFull && this.queue.length >= 900) {
      this.queueFull = true;
      this.event('MEDIA_XOFF');
    }
  }

  private startTicking(): void {
    this.t0 = now();
    this.tick = 0;
    const loop = () => {
      // Catch up if the timer fired late (Asterisk's timerfd keeps real-time pace).
      const due = Math.floor((now() - this.t0) / this.ptime);
      while (this.tick <= due) {
        this.doTick();
        this.tick++;
      }
      if (!this.timer) return;
      this.timer = setTimeout(loop, Math.max(0, this.t0 + this.tick * this.ptime - now()));
    };
    this.timer = setTimeout(loop, this.ptime);
  }

  private stopTicking(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private decode(b: Uint8Array): Int16Array {
    if (this.format === 'ulaw') return mulaw.decode(b);
    if (this.format === 'alaw') return alaw.decode(b);
    return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  }
  private encode(p: Int16Array): Uint8Array {
    if (this.format === 'ulaw') return mulaw.encode(p);
    if (this.format === 'alaw') return alaw.encode(p);
    return new Uint8Array(p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength));
  }

  private doTick(): void {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    // 1. Outgoing queue -> callee (dequeue_frame()).
    let played: Int16Array | null = null;
    if (!this.paused) {
      if (this.queueFull && this.queue.length < 800) {
        this.queueFull = false;
        this.event('MEDIA_XON');
      }
      const f = this.queue.shift();
      if (!f && this.playedLastTick && !this.reportDrained) this.lateFrames++;
      this.playedLastTick = !!f;
      if (f) {
        played = this.decode(f);
        this.playedFrames++;
        this.playedLog.push({ at: now(), pcm: played });
        if (this.playedLog.length > 3000) this.playedLog.splice(0, 1000);
        if (this.marks.length && this.queue.length === 0) {
          for (const m of this.marks.splice(0)) this.event('MEDIA_MARK_PROCESSED', { correlation_id: m });
        }
      } else if (this.reportDrained) {
        this.reportDrained = false;
        this.event('QUEUE_DRAINED');
      }
    }
    // 2. Callee -> app: the callee's voice + line noise + echo of what was played ptime*k ago.
    const out = new Float32Array(this.frameSamples);
    const cur = this.callee[0];
    if (cur) {
      if (!cur.started) {
        cur.started = true;
        cur.resolve({ sentAt: now(), dueAt: this.t0 + this.tick * this.ptime });
      }
      const n = Math.min(this.frameSamples, cur.pcm.length - cur.pos);
      for (let i = 0; i < n; i++) out[i] = cur.pcm[cur.pos + i]!;
      cur.pos += n;
      if (cur.pos >= cur.pcm.length) this.callee.shift();
    }
    if (this.o.echo) {
      const k = Math.max(1, Math.round(this.o.echo.delayMs / this.ptime));
      this.echoRing.push(played ?? new Int16Array(this.frameSamples));
      if (this.echoRing.length > k) {
        const e = this.echoRing.shift()!;
        const g = Math.pow(10, this.o.echo.gainDb / 20);
        for (let i = 0; i < this.frameSamples; i++) out[i]! += e[i]! * g;
      }
    }
    if (this.o.noiseDbfs !== undefined) {
      const amp = Math.pow(10, this.o.noiseDbfs / 20) * 32768 * Math.sqrt(3);
      for (let i = 0; i < this.frameSamples; i++) out[i]! += (Math.random() * 2 - 1) * amp;
    }
    const pcm = new Int16Array(this.frameSamples);
    for (let i = 0; i < this.frameSamples; i++) pcm[i] = Math.max(-32768, Math.min(32767, Math.round(out[i]!)));
    this.ws.send(this.encode(pcm), { binary: true });
  }
}
