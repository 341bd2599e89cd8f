// The ARI adapter (telephony/asterisk-ari.ts, the only user of ari-client) against the real Asterisk 22 of the
// chroot: typed calls and errors by HTTP status, the library's output kept off stdout without touching the
// global console, and the events websocket reconnecting after Asterisk restarts (calls failing fast meanwhile).
// Skipped only when the chroot is not installed AND MINIBOT_SKIP_ASTERISK=1. Needs root (chroot, mounts).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseConfig } from '../../runtime/config';
import { logger } from '../../runtime/logger';
import { ariCredentials } from '../../scripts/asterisk-render';
import { AriConflict, AriConnection, AriError, AriNotFound, AriUnavailable, type AriEvent } from '../../telephony/asterisk-ari';
import { INSTALLED, REPO, asteriskTestEnv, freeTcpPort, skipReason } from '../helpers/asterisk';

const run = promisify(execFile);
const SKIP = skipReason('to test the ARI adapter against a real Asterisk');

function until(what: string, pred: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  return new Promise((res, rej) => {
    const iv = setInterval(() => {
      if (pred()) (clearInterval(iv), res());
      else if (Date.now() - t0 > ms) (clearInterval(iv), rej(new Error(`${what}: not within ${ms} ms`)));
    }, 100);
  });
}

describe('ARI adapter (ari-client) against Asterisk 22', { skip: SKIP }, () => {
  let env: NodeJS.ProcessEnv;
  let ari: AriConnection;
  const uniq = Date.now().toString(36);
  const events: AriEvent[] = [];

  before(
    async () => {
      if (process.getuid?.() !== 0) throw new Error('the Asterisk tier needs root (chroot, mounts)');
      env = await asteriskTestEnv(await freeTcpPort());
      if (!INSTALLED) await run('bash', [join(REPO, 'scripts/asterisk-install.sh')], { env, timeout: 900_000 });
      await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
      await run('bash', [join(REPO, 'scripts/asterisk-up.sh')], { env, timeout: 120_000 });
      ari = new AriConnection(ariCredentials(parseConfig(env)), logger('test-ari'), { requestTimeoutMs: 5000, restartDelayMs: 1000 });
      const originalLog = console.log;
      await ari.connect();
      assert.equal(console.log, originalLog, 'the global console is left alone');
      for (const t of ['StasisStart', 'ChannelDestroyed']) ari.on(t, (e: AriEvent) => events.push(e));
    },
    { timeout: 1_000_000 },
  );

  after(
    async () => {
      ari?.close();
      if (env) await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
    },
    { timeout: 60_000 },
  );

  it('a process that connects prints nothing of the library (its swagger log goes to our logger at debug)', async () => {
    const script = `
      import { parseConfig } from './runtime/config';
      import { logger } from './runtime/logger';
      import { ariCredentials } from './scripts/asterisk-render';
      import { AriConnection } from './telephony/asterisk-ari';
      const a = new AriConnection(ariCredentials(parseConfig(process.env)), logger('child'));
      await a.connect();
      a.close();`;
    // An app of its own: a second websocket for the same app would take the app's events from ours.
    const child = { ...env, ARI_APP: `quiet-${uniq}` };
    const quiet = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, env: { ...child, LOG_LEVEL: 'warn' } });
    assert.equal(quiet.stdout, '', 'nothing on stdout at LOG_LEVEL=warn');
    assert.equal(quiet.stderr, '', 'nothing on stderr (no deprecation warnings either)');
    const debug = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, env: { ...child, LOG_LEVEL: 'debug' } });
    const lines = debug.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { component?: string; msg?: string; args?: string[] });
    const swagger = lines.filter((l) => l.component === 'ari-client' && l.msg === 'swagger-client output');
    assert.ok(swagger.some((l) => l.args?.some((a) => a.includes('deprecated version of Swagger'))), 'the library message is in our log, at debug');
  });

  it('typed calls: originate, bridges, list, hangup; errors typed by HTTP status (404, 409, 400)', async () => {
    const ch = `adapter-${uniq}`;
    await ari.channels.originate({ endpoint: 'Local/human@minibot-test-callees', app: ari.creds.app, appArgs: 'dial', channelId: ch, otherChannelId: `${ch}-c` });
    await until('StasisStart', () => events.some((e) => e.type === 'StasisStart' && e.channel?.id === ch), 15_000);
    const dup = await ari.channels
      .originate({ endpoint: 'Local/human@minibot-test-callees', app: ari.creds.app, channelId: ch })
      .then(() => null, (e: unknown) => e);
    assert.ok(dup instanceof AriConflict, `same channel id again: ${String(dup)}`);
    assert.equal(dup.status, 409);

    const b = await ari.bridges.create({ bridgeId: `${ch}-b`, type: 'mixing', name: ch });
    assert.equal(b.id, `${ch}-b`);
    await ari.bridges.addChannel(b.id, [ch]);
    const listed = await ari.bridges.list();
    assert.deepEqual(listed.find((x) => x.id === b.id)?.channels, [ch]);
    assert.ok((await ari.channels.list()).some((c) => c.id === ch));
    await ari.bridges.destroy(b.id);
    const bad = await ari.channels.hangup(ch, 'not-a-reason').then(() => null, (e: unknown) => e);
    assert.ok(bad instanceof AriError && !(bad instanceof AriNotFound) && !(bad instanceof AriConflict), String(bad));
    assert.equal(bad.status, 400, String(bad));
    await ari.channels.hangup(ch);
    await until('ChannelDestroyed', () => events.some((e) => e.type === 'ChannelDestroyed' && e.channel?.id === ch), 15_000);

    const missing = await ari.channels.hangup(ch).then(() => null, (e: unknown) => e);
    assert.ok(missing instanceof AriNotFound, `hangup of a gone channel: ${String(missing)}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.operation, 'channels.hangup');
    const noBridge = await ari.bridges.destroy(`nope-${uniq}`).then(() => null, (e: unknown) => e);
    assert.ok(noBridge instanceof AriNotFound && noBridge.status === 404, String(noBridge));
    const noRec = await ari.recordings.download(`nope-${uniq}`).then(() => null, (e: unknown) => e);
    assert.ok(noRec instanceof AriNotFound && noRec.status === 404, String(noRec));
  });

  it('Asterisk restarted: calls fail fast with AriUnavailable while it is down, the events websocket reconnects', { timeout: 240_000 }, async () => {
    const healths: string[] = [];
    ari.on('health', (h: string) => healths.push(h));
    let reconnected = 0;
    ari.on('reconnected', () => reconnected++);
    await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
    await until('health reconnecting', () => ari.health !== 'connected', 30_000);
    const t = Date.now();
    const down = await ari.channels.list().then(() => null, (e: unknown) => e);
    assert.ok(down instanceof AriUnavailable, String(down));
    assert.equal(down.status, null);
    assert.ok(Date.now() - t < 1000, 'fails at once while the websocket is down, without waiting for the deadline');
    await run('bash', [join(REPO, 'scripts/asterisk-up.sh')], { env, timeout: 120_000 });
    await until('ARI websocket back', () => ari.health === 'connected', 120_000);
    assert.equal(reconnected, 1);
    assert.equal(ari.reconnections, 1);
    assert.equal(healths[0], 'reconnecting');
    assert.equal(healths.at(-1), 'connected');
    assert.deepEqual(await ari.channels.list(), []);
  });
});
