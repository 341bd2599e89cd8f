// The real stack of the Asterisk end-to-end tests: the chroot's Asterisk (installed if missing) on ports of the
// test's own, and a test stack whose telephony backend is that Asterisk with the Korean Vosk test model.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Config } from '../../runtime/config';
import { ariCredentials } from '../../scripts/asterisk-render';
import { KO_MODEL_DIR, ensureKoreanModel } from './media-fixtures';
import { testStack, type TestStack } from './stack';
import { INSTALLED, REPO, asteriskTestEnv, freeTcpPort } from './asterisk';

const run = promisify(execFile);

/** GET on ARI with the rendered credentials, as JSON. */
export async function ariGet(cfg: Config, path: string): Promise<any> {
  const creds = ariCredentials(cfg);
  const res = await fetch(`${creds.url}/ari${path}`, { headers: { authorization: 'Basic ' + Buffer.from(`${creds.username}:${creds.password}`).toString('base64') } });
  return res.json();
}

/**
 * Asserts that Asterisk holds no channel and no bridge once `timeoutMs` has let the last hang-ups land: what a
 * test's calls leave behind is named (channel names, bridges) rather than counted.
 */
export async function assertAsteriskEmpty(cfg: Config, timeoutMs: number): Promise<{ channels: number; bridges: number }> {
  let channels: { name: string }[] = [];
  let bridges: unknown[] = [];
  for (const until = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 200))) {
    channels = await ariGet(cfg, '/channels');
    bridges = await ariGet(cfg, '/bridges');
    if ((channels.length === 0 && bridges.length === 0) || Date.now() > until) break;
  }
  assert.deepEqual(channels.map((c) => c.name), [], 'channels left in Asterisk');
  assert.deepEqual(bridges, [], 'bridges left in Asterisk');
  return { channels: channels.length, bridges: bridges.length };
}

/** A further media worker Asterisk is configured for (ASTERISK_MEDIA_WORKERS): its connection and media port. */
export interface ExtraMediaWorker {
  connection: string;
  port: number;
}

/**
 * Asterisk restarted fresh, and a stack on it; `recordingsPrefix` names the recordings' temporary folder.
 * `extraMediaWorkers`: that many further media workers Asterisk can reach (each its own connection and port);
 * `stackEnv` is the stack's environment, for worker processes.
 */
export async function startAsteriskStack(recordingsPrefix: string, o: { extraMediaWorkers?: number } = {}): Promise<{
  env: NodeJS.ProcessEnv; stack: TestStack; recordingsDir: string; stackEnv: NodeJS.ProcessEnv; extraMedia: ExtraMediaWorker[];
}> {
  if (process.getuid?.() !== 0) throw new Error('the end-to-end tier needs root (Asterisk chroot, mounts)');
  const model = ensureKoreanModel();
  if ('error' in model) throw new Error(`Vosk test model: ${model.error}`);
  const mediaPort = await freeTcpPort();
  const recordingsDir = mkdtempSync(join(tmpdir(), recordingsPrefix));
  const env = await asteriskTestEnv(mediaPort);
  const extraMedia: ExtraMediaWorker[] = [];
  for (let i = 2; i < 2 + (o.extraMediaWorkers ?? 0); i++) extraMedia.push({ connection: `minibot-media-${i}`, port: await freeTcpPort() });
  if (extraMedia.length) env.ASTERISK_MEDIA_WORKERS = extraMedia.map((m) => `${m.connection}=127.0.0.1:${m.port}`).join(',');
  if (!INSTALLED) await run('bash', [join(REPO, 'scripts/asterisk-install.sh')], { env, timeout: 900_000 });
  await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
  await run('bash', [join(REPO, 'scripts/asterisk-up.sh')], { env, timeout: 120_000 });
  const overrides = {
    ARI_URL: env.ARI_URL!,
    AUDIOFORK_HOST: '127.0.0.1',
    AUDIOFORK_PORT: String(mediaPort),
    VOSK_MODEL_PATH: KO_MODEL_DIR,
    RECORDINGS_DIR: recordingsDir,
    TELEPHONY_BACKEND: 'asterisk',
    CALL_NO_ANSWER_TIMEOUT_MS: '6000',
    CALL_MAX_DURATION_MS: '120000',
  };
  const stack = await testStack(overrides);
  const stackEnv = { ...process.env, ...overrides, TEMPORAL_TASK_QUEUE: stack.cfg.TEMPORAL_TASK_QUEUE, ARI_PASSWORD: stack.cfg.ARI_PASSWORD ?? ariCredentials(stack.cfg).password };
  return { env, stack, recordingsDir, stackEnv, extraMedia };
}
