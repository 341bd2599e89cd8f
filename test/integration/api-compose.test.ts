// docker-compose.yml and the Dockerfile, checked with the real `docker compose config` (the Compose plugin
// alone: no Docker engine runs here; scripts/setup-compose.sh provides the plugin). Checks what the stack
// promises: every part, health checks, restart policies, volumes, secrets only from the env file, and the
// same variable names and ports as the dev scripts (runtime/config.ts).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envSchema } from '../../runtime/config';
import { workerLaunch } from '../../workers/launch';

const ROOT = join(import.meta.dirname, '..', '..');
let envFile: string;

function compose(args: string[], env: Record<string, string> = {}) {
  const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  return spawnSync('docker', ['compose', '-f', join(ROOT, 'docker-compose.yml'), '--project-directory', ROOT, ...args], { encoding: 'utf8', env: clean });
}

before(() => {
  const r = spawnSync('bash', [join(ROOT, 'scripts/setup-compose.sh')], { stdio: 'inherit' });
  assert.equal(r.status, 0, 'scripts/setup-compose.sh (docker compose plugin)');
  const dir = mkdtempSync(join(tmpdir(), 'minibot-compose-'));
  envFile = join(dir, 'prod.env');
  writeFileSync(envFile, 'POSTGRES_PASSWORD=pg-secret-123\nAPI_KEY=api-key-0123456789abcdef\nARI_PASSWORD=ari-secret-123\nLOG_LEVEL=info\n');
});

test('docker compose config accepts the stack and it has every part, health checks, restarts and volumes', () => {
  const r = compose(['--env-file', envFile, '--profile', 'simulation', 'config', '--format', 'json'], { MINIBOT_ENV_FILE: envFile });
  assert.equal(r.status, 0, r.stderr);
  const c = JSON.parse(r.stdout) as { services: Record<string, any>; volumes: Record<string, unknown> };
  const services = Object.keys(c.services).sort();
  assert.deepEqual(services, ['api', 'asterisk', 'asterisk-config', 'media-worker', 'migrate', 'ollama', 'postgres', 'temporal', 'temporal-setup', 'temporal-ui', 'worker'].sort());
  const oneShot = ['migrate', 'asterisk-config', 'temporal-setup'];
  for (const [name, s] of Object.entries(c.services)) {
    if (oneShot.includes(name)) {
      assert.equal(s.restart, 'no', `${name} runs once`);
      continue;
    }
    assert.equal(s.restart, 'unless-stopped', `${name} restart policy`);
    assert.ok(s.healthcheck && !s.healthcheck.disable && s.healthcheck.test, `${name} health check`);
  }
  // Our processes come from the one Dockerfile.
  for (const name of ['api', 'worker', 'media-worker', 'migrate', 'asterisk-config']) {
    assert.equal(c.services[name].build.target, 'app', name);
    assert.equal(c.services[name].image, 'minibot:latest', name);
  }
  assert.equal(c.services.asterisk.build.target, 'asterisk');
  // The simulated worker starts as `npm run worker` does: its node flags and environment defaults.
  const launch = workerLaunch({});
  assert.deepEqual(c.services.worker.command, ['node', ...launch.args]);
  for (const [k, v] of Object.entries(launch.env)) assert.equal(c.services.worker.environment[k], v, `worker ${k}`);
  // Temporal persists in Postgres; start order follows health.
  assert.equal(c.services.temporal.environment.DB, 'postgres12');
  assert.equal(c.services.temporal.environment.POSTGRES_SEEDS, 'postgres');
  assert.equal(c.services.temporal.depends_on.postgres.condition, 'service_healthy');
  assert.equal(c.services.api.depends_on.migrate.condition, 'service_completed_successfully');
  assert.equal(c.services['media-worker'].depends_on.asterisk.condition, 'service_healthy');
  // Volumes: database, Ollama models, recordings, Asterisk configs rendered from our templates.
  for (const v of ['pgdata', 'ollama', 'recordings', 'asterisk-etc']) assert.ok(v in c.volumes, v);
  assert.ok(c.services.asterisk.volumes.some((v: any) => v.source === 'asterisk-etc' && v.target === '/etc/asterisk'));
  assert.ok(c.services['asterisk-config'].volumes.some((v: any) => v.target === '/app/asterisk-configs' && v.source.endsWith('asterisk-configs')));
  assert.ok(c.services.postgres.volumes.some((v: any) => v.source === 'pgdata'));
  // Ports as in the dev scripts.
  const published = (s: string) => (c.services[s].ports ?? []).map((p: any) => `${p.published}:${p.target}`);
  assert.deepEqual(published('api'), ['8000:8000']);
  assert.deepEqual(published('temporal'), ['7233:7233']);
  assert.deepEqual(published('temporal-ui'), ['8233:8080']);
  // Temporal's gRPC and its Web UI have no authentication of their own: published on loopback only.
  const hostIps = (s: string) => (c.services[s].ports ?? []).map((p: any) => p.host_ip);
  assert.deepEqual(hostIps('temporal'), ['127.0.0.1']);
  assert.deepEqual(hostIps('temporal-ui'), ['127.0.0.1']);
  assert.equal(c.services['temporal-ui'].environment.TEMPORAL_CODEC_ENDPOINT, 'http://localhost:8000/codec', 'the UI decodes through MiniBot');
  assert.ok(published('asterisk').includes('5060:5060'));
});

test('secrets come from the env file, and every variable given to our processes is one runtime/config.ts knows', () => {
  const r = compose(['--env-file', envFile, 'config', '--format', 'json'], { MINIBOT_ENV_FILE: envFile });
  assert.equal(r.status, 0, r.stderr);
  const c = JSON.parse(r.stdout) as { services: Record<string, any> };
  const api = c.services.api.environment;
  assert.equal(api.API_KEY, 'api-key-0123456789abcdef', 'API_KEY from the env file');
  assert.equal(api.DATABASE_URL, 'postgresql://minibot:pg-secret-123@postgres:5432/minibot');
  assert.equal(api.ARI_PASSWORD, 'ari-secret-123');
  assert.equal(api.NODE_ENV, 'production');
  const known = new Set(Object.keys(envSchema.shape));
  for (const name of ['api', 'media-worker', 'migrate', 'asterisk-config']) {
    const unknown = Object.keys(c.services[name].environment).filter((k) => !known.has(k) && !['POSTGRES_PASSWORD', 'MINIBOT_ENV_FILE'].includes(k));
    assert.deepEqual(unknown, [], `${name}: variables unknown to runtime/config.ts`);
  }
  // No secret is written in the compose file itself.
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  assert.doesNotMatch(text, /^\s+\w*(PASSWORD|PWD|SECRET):\s+(?!\$\{)\S/m);
  assert.doesNotMatch(text, /^\s+API_KEY:/m);
});

test('without the secrets, docker compose config refuses and names the missing variable', () => {
  const empty = join(mkdtempSync(join(tmpdir(), 'minibot-compose-')), 'empty.env');
  writeFileSync(empty, 'LOG_LEVEL=info\n');
  const r = compose(['--env-file', empty, 'config'], { MINIBOT_ENV_FILE: empty });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /POSTGRES_PASSWORD|ARI_PASSWORD/);
});

test('Dockerfile: app and asterisk targets, non-root app user, health check; .dockerignore keeps secrets out', () => {
  const d = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(d, /^FROM node:20[^\n]* AS app$/m);
  assert.match(d, /^FROM debian:sid-slim AS asterisk$/m);
  assert.match(d, /^USER node$/m);
  assert.match(d, /^HEALTHCHECK /m);
  assert.match(d, /npm ci/);
  // Production dependencies only in the image, with the Prisma client generated while the CLI was there.
  assert.match(d, /npm prune --omit=dev && node scripts\/prune-dev-optional\.mjs/);
  assert.match(d, /^COPY --from=deps \/app\/prisma\/generated prisma\/generated$/m);
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const p of ['.env', 'node_modules', '.git', 'data', '.cache']) assert.ok(ignore.includes(p), p);
});
