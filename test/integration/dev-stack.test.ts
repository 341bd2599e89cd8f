// npm run dev:up / dev:status / dev:down on a data folder and ports of the test's own: up starts Temporal (Web
// UI answering 200) and a migrated Postgres, a second up starts nothing twice, down leaves nothing running.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, isAlive } from '../../scripts/services/process';
import { ROOT as ROOT_DIR } from '../../scripts/services/paths';

const dataDir = mkdtempSync(join(tmpdir(), 'minibot-devstack-'));
chmodSync(dataDir, 0o755); // like a project folder: the cluster's owner (postgres, when we are root) must reach it
after(() => {
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/dev-services.ts', 'down'], { env: envFor() });
  rmSync(dataDir, { recursive: true, force: true });
});

let ports: Record<string, string> = {};
function envFor(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MINIBOT_DATA_DIR: dataDir, ...ports };
  delete env.DATABASE_URL; // the embedded default: a project-local cluster
  delete env.TEMPORAL_ADDRESS;
  return env;
}
function dev(cmd: string) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/dev-services.ts', cmd], { env: envFor(), encoding: 'utf8', timeout: 120_000 });
}

test('dev:up, dev:status, dev:up again, dev:down', async () => {
  ports = { MINIBOT_TEMPORAL_PORT: String(await freePort()), MINIBOT_TEMPORAL_UI_PORT: String(await freePort()), MINIBOT_PG_PORT: String(await freePort()) };
  const up = dev('up');
  assert.equal(up.status, 0, up.stderr);
  assert.match(up.stdout, new RegExp(`Temporal Web UI http://127.0.0.1:${ports.MINIBOT_TEMPORAL_UI_PORT}`));
  const state = JSON.parse(readFileSync(join(dataDir, 'dev-services.json'), 'utf8'));
  const temporalPid = Number(readFileSync(join(dataDir, 'temporal.pid'), 'utf8'));
  const pgPid = Number(readFileSync(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

  const status = dev('status');
  assert.equal(status.status, 0, status.stdout + status.stderr);
  assert.match(status.stdout, /up\s+temporal Web UI .*HTTP 200/);
  // Every migration folder of the repository, applied.
  const migrations = readdirSync(join(ROOT_DIR, 'prisma', 'migrations'), { withFileTypes: true }).filter((d) => d.isDirectory()).length;
  assert.ok(migrations >= 2);
  assert.match(status.stdout, new RegExp(`up\\s+postgres .*\\(${migrations} migrations applied\\)`));
  const ui = await fetch(`http://127.0.0.1:${ports.MINIBOT_TEMPORAL_UI_PORT}`);
  assert.equal(ui.status, 200);
  const c = new pg.Client({ connectionString: state.postgres.url });
  await c.connect();
  const t = await c.query(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('contacts','campaigns','calls','call_interactions','dnc_entries','campaign_contacts')`);
  await c.end();
  assert.equal(t.rows[0].n, 6);

  const again = dev('up');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /temporal: already running/);
  assert.match(again.stderr, /postgres: already running/);
  assert.equal(Number(readFileSync(join(dataDir, 'temporal.pid'), 'utf8')), temporalPid, 'Temporal was not started twice');

  const down = dev('down');
  assert.equal(down.status, 0, down.stderr);
  assert.equal(isAlive(temporalPid), false, 'Temporal stopped');
  assert.equal(isAlive(pgPid), false, 'Postgres stopped');
  const after = dev('status');
  assert.notEqual(after.status, 0);
});
