// The ARI credentials every process uses (the worker, scripts/asterisk-render.ts writing them into ari.conf,
// the Asterisk tests): ARI_PASSWORD, else a password generated once into data/asterisk/ari-password (mode
// 600, ignored by git): there is never a working default password.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { config, type Config } from './config';

export const ASTERISK_DATA_DIR = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'data', 'asterisk');
export const ARI_PASSWORD_FILE = join(ASTERISK_DATA_DIR, 'ari-password');

export interface AriCredentials {
  url: string;
  username: string;
  password: string;
  app: string;
}

/** ARI credentials as rendered: ARI_PASSWORD, else the generated password file (created on first use). */
export function ariCredentials(cfg: Config = config()): AriCredentials {
  let password = cfg.ARI_PASSWORD;
  if (!password) {
    if (existsSync(ARI_PASSWORD_FILE)) {
      password = readFileSync(ARI_PASSWORD_FILE, 'utf8').trim();
    }
    if (!password) {
      mkdirSync(ASTERISK_DATA_DIR, { recursive: true });
      password = randomBytes(24).toString('base64url');
      writeFileSync(ARI_PASSWORD_FILE, password + '\n', { mode: 0o600 });
    }
  }
  return { url: cfg.ARI_URL.replace(/\/+$/, ''), username: cfg.ARI_USERNAME, password, app: cfg.ARI_APP };
}
