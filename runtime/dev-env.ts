// Dev-stack discovery for every process: the state `npm run dev:up` (scripts/services/dev-stack.ts) keeps in
// data/dev-services.json gives the services' addresses to the processes started after it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_DIR } from './paths';

export interface DevState {
  temporal: { address: string; uiUrl: string; namespace: string; pidFile: string; managed: boolean };
  postgres: { url: string; managed: boolean; dataDir?: string };
}

export const DEV_STATE_FILE = join(DATA_DIR, 'dev-services.json');

export function readDevState(): DevState | undefined {
  if (!existsSync(DEV_STATE_FILE)) return undefined;
  return JSON.parse(readFileSync(DEV_STATE_FILE, 'utf8')) as DevState;
}

/**
 * Fills process.env with the dev stack's addresses (DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_UI_URL) where
 * the user has not set them, so every component started after `npm run dev:up` finds the services.
 */
export function applyDevEnv(env: NodeJS.ProcessEnv = process.env): DevState | undefined {
  const s = readDevState();
  if (!s) return undefined;
  env.DATABASE_URL ||= s.postgres.url;
  env.TEMPORAL_ADDRESS ||= s.temporal.address;
  env.TEMPORAL_NAMESPACE ||= s.temporal.namespace;
  env.TEMPORAL_UI_URL ||= s.temporal.uiUrl;
  return s;
}
