// The real Asterisk 22 of the project (chroot from scripts/asterisk-install.sh), started and stopped through
// scripts/asterisk-up.sh / asterisk-down.sh with configs rendered from asterisk-configs/, on free loopback ports.
// Checks ARI, the modules we rely on, Stasis, Asterisk's AMD on the test callees, SIP and Local callees'
// outcomes, chan_websocket media both ways through an externalMedia channel, and that nothing is left.
//
// Skipped only when the chroot is not installed AND MINIBOT_SKIP_ASTERISK=1; otherwise it installs it.
// Needs root (chroot, mounts).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';
import { type Config, parseConfig } from '../../runtime/config';
import { analyzePcm16, parseWav } from '../../lib/audio-files';
import { type AriCredentials, ariCredentials } from '../../scripts/asterisk-render';
import { CALLEE_REC_DIR, CHROOT, INSTALLED, REPO, asteriskTestEnv, freeTcpPort, skipReason } from '../helpers/asterisk';

const run = promisify(execFile);
const SKIP = skipReason('to test against a real Asterisk');
const PID_FILE = join(REPO, 'data', 'asterisk', 'asterisk.pid');
const REC_DIR = CALLEE_REC_DIR;


interface AriEvent {
  type: string;
  channel?: { id: string; name: string; state: string };
  peer?: { id: string };
  args?: string[];
  cause?: number;
  cause_txt?: string;
  dialstatus?: string;
}

/** Minimal ARI REST + events client for the test (the product's adapter is telephony/'s business). */
class Ari {
  readonly events: AriEvent[] = [];
  private waiters: { pred: (e: AriEvent) => boolean; resolve: (e: AriEvent) => void }[] = [];
  private ws?: WebSocket;
  constructor(readonly creds: AriCredentials) {}

  get auth(): string {
    return 'Basic ' + Buffer.from(`${this.creds.username}:${this.creds.password}`).toString('base64');
  }

  async req(method: string, path: string, query: Record<string, string> = {}, auth = this.auth): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.creds.url}/ari${path}?${new URLSearchParams(query)}`, {
      method,
      headers: { authorization: auth },
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body };
  }

  async connect(): Promise<void> {
    const url = `${this.creds.url.replace(/^http/, 'ws')}/ari/events?${new URLSearchParams({ app: this.creds.app, subscribeAll: 'false' })}`;
    this.ws = new WebSocket(url, { headers: { authorization: this.auth } });
    this.ws.on('message', (m) => {
      const e = JSON.parse(String(m)) as AriEvent;
      this.events.push(e);
      this.waiters = this.waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
    });
    await new Promise<void>((res, rej) => {
      this.ws!.once('open', () => res());
      this.ws!.once('error', rej);
    });
  }

  /** The first event (already received or coming) matching pred. */
  waitFor(pred: (e: AriEvent) => boolean, what: string, timeoutMs = 15_000): Promise<AriEvent> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no ARI event: ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ pred, resolve: (e) => (clearTimeout(timer), res(e)) });
    });
  }

  close(): void {
    this.ws?.close();
  }
}

const on = (type: string, channelId: string) => (e: AriEvent) => e.type === type && e.channel?.id === channelId;

describe('Asterisk 22 (chroot) with the rendered configs', { skip: SKIP }, () => {
  let env: NodeJS.ProcessEnv;
  let cfg: Config;
  let ari: Ari;
  let mediaPort: number;
  const uniq = Date.now().toString(36);
  const id = (name: string) => `${name}-${uniq}`;

  before(
    async () => {
      if (process.getuid?.() !== 0) throw new Error('the Asterisk tier needs root (debootstrap, chroot, mounts)');
      mediaPort = await freeTcpPort();
      // app_amd's total_analysis_time is wall-clock time while its verdicts count the audio read: the test
      // machine's verdict comes ~4 s into its audio (its sixth word: MAXWORDS), and at load ~7 (the other CI lanes) the
      // audio ran 150 ms behind the clock: NOTSURE TOOLONG-3960 against the default 4.1 s window. The tier
      // checks the verdicts, so it gives the analysis 6 s of wall-clock time.
      env = { ...(await asteriskTestEnv(mediaPort)), CALL_AMD_TIMEOUT_MS: '6000' };
      cfg = parseConfig(env);
      if (!INSTALLED) {
        const t = Date.now();
        await run('bash', [join(REPO, 'scripts/asterisk-install.sh')], { env, timeout: 900_000 });
        console.log(`# asterisk-install.sh: ${Date.now() - t} ms`);
      }
      // An Asterisk left running (dev, or an interrupted run) has other ports: restart it with ours.
      await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
      const t = Date.now();
      await run('bash', [join(REPO, 'scripts/asterisk-up.sh')], { env, timeout: 120_000 });
      console.log(`# asterisk-up.sh: ${Date.now() - t} ms`);
      ari = new Ari(ariCredentials(cfg));
      await ari.connect();
    },
    { timeout: 1_000_000 },
  );

  after(
    async () => {
      ari?.close();
      if (env) {
        await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
        assert.equal(existsSync(PID_FILE), false, 'asterisk-down.sh removes the pid file');
      }
    },
    { timeout: 60_000 },
  );

  it('ARI answers with the rendered credentials and refuses others', async () => {
    const ok = await ari.req('GET', '/asterisk/info');
    assert.equal(ok.status, 200);
    assert.match(ok.body.system.version, /^22\./);
    const rendered = readFileSync(join(CHROOT, 'etc/asterisk/ari.conf'), 'utf8');
    assert.ok(rendered.includes(`[${ari.creds.username}]`) && rendered.includes(`password = ${ari.creds.password}`));
    const wrong = await ari.req('GET', '/asterisk/info', {}, 'Basic ' + Buffer.from(`${ari.creds.username}:not-the-password`).toString('base64'));
    assert.equal(wrong.status, 401);
  });

  it('loads res_ari, chan_websocket, app_amd and res_pjsip', async () => {
    const { status, body } = await ari.req('GET', '/asterisk/modules');
    assert.equal(status, 200);
    const running = new Set((body as { name: string; status: string }[]).filter((m) => m.status === 'Running').map((m) => m.name));
    for (const m of ['res_ari.so', 'chan_websocket.so', 'res_websocket_client.so', 'app_amd.so', 'res_pjsip.so', 'chan_pjsip.so', 'app_stasis.so']) {
      assert.ok(running.has(m), `${m} not running`);
    }
    assert.ok(running.size < 120, `modules.conf should load a short list, got ${running.size}`);
  });

  it('a Local test callee originated through ARI with app= reaches Stasis', async () => {
    const ch = id('human-app');
    const res = await ari.req('POST', '/channels', {
      endpoint: 'Local/human@minibot-test-callees',
      app: ari.creds.app,
      channelId: ch,
      otherChannelId: `${ch}-callee`,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const start = await ari.waitFor(on('StasisStart', ch), `StasisStart ${ch}`);
    assert.equal(start.channel!.state, 'Up');
    assert.equal((await ari.req('DELETE', `/channels/${ch}`)).status, 204);
    await ari.waitFor(on('ChannelDestroyed', ch), `ChannelDestroyed ${ch}`);
  });

  it('minibot-outbound runs AMD before Stasis: human HUMAN, chatty human not MACHINE, answering machine MACHINE', async () => {
    const calls = { human: id('amd-human'), chatty: id('amd-chatty'), machine: id('amd-machine') };
    for (const [callee, ch] of Object.entries(calls)) {
      const res = await ari.req('POST', '/channels', {
        endpoint: `Local/${callee}@minibot-test-callees`,
        context: 'minibot-outbound',
        extension: 's',
        priority: '1',
        channelId: ch,
        otherChannelId: `${ch}-callee`,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    let hangups: number[] = [];
    try {
      const [human, chatty, machine] = await Promise.all(
        Object.values(calls).map((ch) => ari.waitFor(on('StasisStart', ch), `StasisStart of ${ch} after AMD`)),
      );
      assert.equal(human!.args?.[0], 'HUMAN', `human AMD: ${human!.args?.join(' ')}`);
      // "Allô ? Oui, bonjour, c'est de la part de qui ?" is 3+ words: Asterisk's stock maximum_number_of_words = 2
      // calls that a MACHINE (the known peer failure). With our amd.conf it must not be one.
      assert.ok(['HUMAN', 'NOTSURE'].includes(chatty!.args?.[0] ?? ''), `chatty human AMD: ${chatty!.args?.join(' ')}`);
      assert.equal(machine!.args?.[0], 'MACHINE', `machine AMD: ${machine!.args?.join(' ')}`);
    } finally {
      // Hung up whatever the verdicts, so one wrong verdict does not also fail the "no channel left" check.
      hangups = await Promise.all(Object.values(calls).map(async (ch) => (await ari.req('DELETE', `/channels/${ch}`)).status));
    }
    assert.deepEqual(hangups, [204, 204, 204]);
    // Channels that entered Stasis from the dialplan are only ours until StasisEnd (no ChannelDestroyed after).
    await Promise.all(Object.values(calls).map((ch) => ari.waitFor(on('StasisEnd', ch), `StasisEnd ${ch}`)));
  });

  it('AMD can be skipped per call (channel variable MINIBOT_AMD=off)', async () => {
    const ch = id('noamd');
    const query = new URLSearchParams({ endpoint: 'Local/human@minibot-test-callees', context: 'minibot-outbound', extension: 's', priority: '1', channelId: ch });
    const res = await fetch(`${ari.creds.url}/ari/channels?${query}`, {
      method: 'POST',
      headers: { authorization: ari.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ variables: { MINIBOT_AMD: 'off' } }),
    });
    assert.equal(res.status, 200, await res.text());
    const start = await ari.waitFor(on('StasisStart', ch), 'StasisStart without AMD');
    assert.deepEqual(start.args, ['SKIPPED', '']);
    assert.equal((await ari.req('DELETE', `/channels/${ch}`)).status, 204);
    await ari.waitFor(on('StasisEnd', ch), 'StasisEnd');
  });

  it('busy, congestion and no-answer callees end with the matching hangup causes', async () => {
    const cases = [
      { endpoint: 'PJSIP/busy@minibot-loop', ch: id('sip-busy'), cause: 17 },
      { endpoint: 'PJSIP/congestion@minibot-loop', ch: id('sip-congestion'), cause: 34 },
      { endpoint: 'Local/noanswer@minibot-test-callees', ch: id('noanswer'), cause: 19 },
    ];
    for (const c of cases) {
      const res = await ari.req('POST', '/channels', { endpoint: c.endpoint, app: ari.creds.app, channelId: c.ch, timeout: '2' });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    for (const c of cases) {
      const gone = await ari.waitFor(on('ChannelDestroyed', c.ch), `ChannelDestroyed ${c.ch}`);
      assert.equal(gone.cause, c.cause, `${c.endpoint}: cause ${gone.cause} ${gone.cause_txt}`);
      assert.equal(ari.events.some(on('StasisStart', c.ch)), false, `${c.endpoint} must not reach Stasis`);
    }
  });

  it('a SIP call to the loopback endpoint reaches Stasis', async () => {
    const ch = id('sip-human');
    assert.equal((await ari.req('POST', '/channels', { endpoint: 'PJSIP/human@minibot-loop', app: ari.creds.app, channelId: ch })).status, 200);
    await ari.waitFor(on('StasisStart', ch), 'StasisStart of the SIP call');
    await ari.req('DELETE', `/channels/${ch}`);
    await ari.waitFor(on('ChannelDestroyed', ch), 'ChannelDestroyed of the SIP call');
  });

  it('externalMedia over chan_websocket: MEDIA_START, callee audio in, our audio out to the callee', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: mediaPort });
    try {
      const connected = new Promise<{ sock: WebSocket; start: any; protocol?: string; url?: string }>((res, rej) => {
        const timer = setTimeout(() => rej(new Error('chan_websocket did not connect to the media server')), 10_000);
        wss.once('connection', (sock, req) => {
          sock.once('message', (data, isBinary) => {
            clearTimeout(timer);
            if (isBinary) return rej(new Error('first message was media, expected MEDIA_START'));
            res({ sock, start: JSON.parse(String(data)), protocol: req.headers['sec-websocket-protocol'] as string | undefined, url: req.url });
          });
        });
      });
      const em = id('em');
      const token = Math.random().toString(36).slice(2);
      const emRes = await ari.req('POST', '/channels/externalMedia', {
        app: ari.creds.app,
        channelId: em,
        external_host: 'minibot-media',
        transport: 'websocket',
        encapsulation: 'none',
        connection_type: 'client',
        format: 'slin',
        // Per-call URI parameters (the media server identifies and authenticates the call with them).
        transport_data: `f(json)v(call=${em},token=${token})`,
      });
      assert.equal(emRes.status, 200, JSON.stringify(emRes.body));
      const { sock, start, protocol, url } = await connected;
      const params = new URL(url ?? '/', 'ws://x').searchParams;
      assert.deepEqual([params.get('call'), params.get('token')], [em, token]);
      assert.equal(start.event, 'MEDIA_START');
      assert.equal(start.channel_id, em);
      assert.equal(start.format, 'slin');
      assert.equal(start.optimal_frame_size, 320);
      assert.equal(protocol, 'media');

      let inBytes = 0;
      let inPeak = 0;
      sock.on('message', (data, isBinary) => {
        if (!isBinary) return;
        const b = data as Buffer;
        inBytes += b.length;
        for (let i = 0; i + 1 < b.length; i += 2) inPeak = Math.max(inPeak, Math.abs(b.readInt16LE(i)));
      });

      // Bridge it with a human callee, who says "Allô, oui ?" and records what it hears.
      const call = id('em-call');
      const callee = `${call}-callee`;
      assert.equal((await ari.req('POST', '/channels', { endpoint: 'Local/human@minibot-test-callees', app: ari.creds.app, channelId: call, otherChannelId: callee })).status, 200);
      await ari.waitFor(on('StasisStart', call), 'StasisStart of the call');
      const bridge = id('bridge');
      assert.equal((await ari.req('POST', '/bridges', { type: 'mixing', bridgeId: bridge })).status, 200);
      assert.equal((await ari.req('POST', `/bridges/${bridge}/addChannel`, { channel: `${call},${em}` })).status, 204);

      // Our side speaks: the hello prompt, in chunks that are whole frames (320 bytes) and < 65500 bytes.
      const hello = parseWav(readFileSync(join(REPO, 'audio', 'hello.wav'))).samples!;
      const pcm = Buffer.from(hello.buffer, hello.byteOffset, hello.byteLength);
      for (let off = 0; off < pcm.length; off += 320 * 200) {
        const chunk = Buffer.alloc(320 * 200);
        pcm.copy(chunk, 0, off, Math.min(pcm.length, off + chunk.length));
        sock.send(chunk, { binary: true });
      }
      // Wait until the callee answered (its "Allô" reached us) and has heard some of the prompt.
      const deadline = Date.now() + 15_000;
      while ((inBytes < 16000 * 3 || inPeak < 3000) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.ok(inBytes >= 16000 * 3, `only ${inBytes} bytes of media received`);
      assert.ok(inPeak >= 3000, `callee audio too quiet or absent at the media server (peak ${inPeak})`);

      await ari.req('DELETE', `/channels/${call}`);
      await ari.req('DELETE', `/channels/${em}`);
      await ari.req('DELETE', `/bridges/${bridge}`);
      await ari.waitFor((e) => e.type === 'ChannelDestroyed' && e.channel?.id === em, 'ChannelDestroyed of the externalMedia channel');
      // MixMonitor closes the callee's recordings when its channel goes away.
      const heard = join(REC_DIR, `${callee}-heard.wav`);
      const until = Date.now() + 10_000;
      while (!existsSync(heard) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 300));
      const info = parseWav(readFileSync(heard));
      const a = analyzePcm16(info.samples!, info.sampleRate);
      assert.ok(a.peakDbfs > -20, `the callee did not hear our prompt (peak ${a.peakDbfs.toFixed(1)} dBFS)`);
    } finally {
      await new Promise((r) => wss.close(r));
    }
  });

  it('leaves no channel and no bridge behind', async () => {
    const deadline = Date.now() + 10_000;
    let channels: { name: string }[] = [];
    let bridges: unknown[] = [];
    do {
      channels = (await ari.req('GET', '/channels')).body;
      bridges = (await ari.req('GET', '/bridges')).body;
      if (!channels.length && !bridges.length) break;
      await new Promise((r) => setTimeout(r, 250));
    } while (Date.now() < deadline);
    assert.deepEqual(channels.map((c) => c.name), []);
    assert.deepEqual(bridges, []);
  });
});
