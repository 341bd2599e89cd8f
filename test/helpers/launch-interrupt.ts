// Fault e's tools (the API killed in the middle of POST /campaigns/:id/launch), shared by the fault tier's
// `api-launch-kill` (test/faults/faults.ts) and test/faults/api-launch.test.ts.
// The deterministic "middle": we hold the campaign row's lock (SELECT … FOR UPDATE) from a session of our own,
// so the launch blocks inside its transaction — Postgres shows its backend waiting on the lock — and is killed
// there (or, once the lock is released, at a later point the caller waits for).
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import type { ApiProcess } from './own-services';
import { waitUntil } from './stack';

/** POST /campaigns/:id/launch on that API process. */
export function launchRequest(api: ApiProcess, apiKey: string, campaignId: string): Promise<Response> {
  return fetch(`${api.base}/campaigns/${campaignId}/launch`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, signal: AbortSignal.timeout(30_000) });
}

export interface CampaignRowLock {
  /** Resolves once a launch waits for the row inside its transaction. */
  launchBlocked(): Promise<void>;
  /** Resolves once a launch sits idle in its transaction past its campaign UPDATE (waiting for Temporal). */
  launchPastItsWrites(): Promise<void>;
  /** Lets the blocked launch go on. */
  release(): Promise<void>;
  /** Releases (if still held) and closes our sessions. */
  close(): Promise<void>;
}

/** Takes the campaign row's lock in a transaction of our own, and watches the launch from a second session. */
export async function holdCampaignRow(databaseUrl: string, campaignId: string): Promise<CampaignRowLock> {
  const holder = new pg.Client({ connectionString: databaseUrl });
  // Inside a transaction pg_stat_activity is a snapshot taken at its first read: observe from another session.
  const observer = new pg.Client({ connectionString: databaseUrl });
  await holder.connect();
  await observer.connect();
  await holder.query('BEGIN');
  await holder.query('SELECT id FROM campaigns WHERE id = $1 FOR UPDATE', [campaignId]);
  const count = async (where: string) =>
    (await observer.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND ${where}`)).rows[0].n as number;
  let held = true;
  const release = async () => {
    if (!held) return;
    held = false;
    await holder.query('ROLLBACK');
  };
  return {
    launchBlocked: () => waitUntil('the launch blocked on the campaign row lock', async () =>
      (await count(`wait_event_type = 'Lock' AND query ILIKE '%FROM campaigns%FOR UPDATE%'`)) === 1, 60_000),
    launchPastItsWrites: () => waitUntil('the launch waiting for Temporal inside its transaction', async () =>
      (await count(`state = 'idle in transaction' AND query ILIKE 'UPDATE "public"."campaigns"%'`)) === 1, 30_000),
    release,
    close: async () => {
      await release().catch(() => undefined);
      await holder.end().catch(() => undefined);
      await observer.end().catch(() => undefined);
    },
  };
}

/** Every execution (all runs) of `workflowId` on that Temporal server, as `temporal workflow list` sees them. */
export function workflowExecutions(temporalCli: string, address: string, namespace: string, workflowId: string): unknown[] {
  const r = spawnSync(temporalCli, ['workflow', 'list', '--address', address, '--namespace', namespace, '--query', `WorkflowId="${workflowId}"`, '-o', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`temporal workflow list: ${r.stderr || r.error?.message}`);
  const text = r.stdout.trim();
  return text ? (JSON.parse(text) as unknown[]) : [];
}
