// The real stack of the Asterisk end-to-end tests: the chroot's Asterisk (installed if missing) on ports of the
// test's own, and a test stack whose telephony backend is that Asterisk with the Korean Vosk test model.
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

/** Asterisk restarted fresh, and a stack on it; `recordingsPrefix` names the recordings' temporary folder. */
export async function startAsteriskStack(recordingsPrefix: string): Promise<{ env: NodeJS.ProcessEnv; stack: TestStack; recordingsDir: string }> {
  if (process.getuid?.() !== 0) throw new Error('the end-to-end tier needs root (Asterisk chroot, mounts)');
  const model = ensureKoreanModel();
  if ('error' in model) throw new Error(`Vosk test model: ${model.error}`);
  const mediaPort = await freeTcpPort();
  const recordingsDir = mkdtempSync(join(tmpdir(), recordingsPrefix));
  const env = await asteriskTestEnv(mediaPort);
  if (!INSTALLED) await run('bash', [join(REPO, 'scripts/asterisk-install.sh')], { env, timeout: 900_000 });
  await run('bash', [join(REPO, 'scripts/asterisk-down.sh')], { env });
  await run('bash', [join(REPO, 'scripts/asterisk-up.sh')], { env, timeout: 120_000 });
  const stack = await testStack({
    ARI_URL: env.ARI_URL!,
    AUDIOFORK_HOST: '127.0.0.1',
    AUDIOFORK_PORT: String(mediaPort),
    VOSK_MODEL_PATH: KO_MODEL_DIR,
    RECORDINGS_DIR: recordingsDir,
    TELEPHONY_BACKEND: 'asterisk',
    CALL_NO_ANSWER_TIMEOUT_MS: '6000',
    CALL_MAX_DURATION_MS: '120000',
  });
  return { env, stack, recordingsDir };
}
