// Waits until the project's Asterisk answers ARI (GET /ari/asterisk/info with the rendered credentials).
//   npx tsx scripts/asterisk-wait.ts [--pid <asterisk pid>] [--timeout <seconds>]
// Fails early when the given pid dies (Asterisk refused its configuration, port taken, ...).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ariCredentials } from './asterisk-render';

export async function ariInfo(timeoutMs = 2000): Promise<{ status: number; body: unknown }> {
  const { url, username, password } = ariCredentials();
  const res = await fetch(`${url}/ari/asterisk/info`, {
    headers: { authorization: 'Basic ' + Buffer.from(`${username}:${password}`).toString('base64') },
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

/** Resolves with the ARI info once it answers 200; rejects on timeout, on 401 (wrong credentials) or if pid dies. */
export async function waitForAri(opts: { pid?: number; timeoutMs: number }): Promise<unknown> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    if (opts.pid !== undefined && !existsSync(`/proc/${opts.pid}`)) {
      throw new Error(`Asterisk (pid ${opts.pid}) exited before ARI answered (${last})`);
    }
    try {
      const { status, body } = await ariInfo();
      if (status === 200) return body;
      if (status === 401) throw new Error('ARI answered 401: credentials in ari.conf differ from ARI_USERNAME/ARI_PASSWORD');
      last = `HTTP ${status}`;
    } catch (e) {
      if ((e as Error).message.startsWith('ARI answered 401')) throw e;
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`ARI did not answer within ${opts.timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const pid = arg('--pid') ? Number(arg('--pid')) : undefined;
  const timeoutMs = Number(arg('--timeout') ?? 60) * 1000;
  try {
    const info = (await waitForAri({ pid, timeoutMs })) as { system?: { version?: string } };
    console.error(`[asterisk-wait] ARI answers (Asterisk ${info?.system?.version ?? '?'})`);
  } catch (e) {
    console.error(`[asterisk-wait] ${(e as Error).message}`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main(process.argv.slice(2));
