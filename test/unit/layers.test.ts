// Layers point one way: the API process (and the application services the CLI loads) must not load the
// worker SDK (@temporalio/worker and its native core, @temporalio/activity), the activities or the Ollama
// client. Checked in a child process that really starts the API entry point (lazy connections: nothing needs to run) and then
// imports every application service, and lists the modules it loaded.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { modulesLoadedBy } from '../helpers/modules-loaded';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// The API repairs a call whose workflow closed without finalising with the call activity's own database
// transaction (abandonCall, api/routes/calls.ts): activities/call.ts and errors.ts load only Prisma and lib/.
// That transaction belongs with the application services (a later move); no other activity may be loaded.
const SHARED_WITH_API = new Set(['call.ts', 'errors.ts']);

const forbidden = (mods: string[]) => ({
  worker: mods.filter((m) => /node_modules\/@temporalio\/(worker|core-bridge|activity)\//.test(m)),
  activities: mods.filter((m) => /\/activities\/[^/]+\.ts$/.test(m) && !SHARED_WITH_API.has(m.slice(m.lastIndexOf('/') + 1))),
  ollama: mods.filter((m) => /node_modules\/ollama\//.test(m)),
});

test('the API entry point and the application services load no worker SDK, activity or Ollama client', () => {
  const services = readdirSync(new URL('../../services', import.meta.url)).filter((f) => f.endsWith('.ts')).map((f) => `./services/${f}`);
  const cli = ['./cli/import/contacts.ts', './cli/import/dnc.ts', './cli/import/validate.ts', './cli/compliance.ts'];
  const mods = modulesLoadedBy(['./api/server.ts', ...services, ...cli]);
  assert.ok(mods.some((m) => m.endsWith('/api/app.ts')), 'the API app was loaded');
  assert.ok(mods.some((m) => m.endsWith('/services/campaigns.ts')), 'the campaign service was loaded');
  assert.ok(mods.some((m) => /node_modules\/@temporalio\/client\//.test(m)), 'the Temporal client was loaded');
  assert.deepEqual(forbidden(mods), { worker: [], activities: [], ollama: [] });
});

test('the check sees them when they are loaded (the worker set imports all three)', () => {
  const f = forbidden(modulesLoadedBy(['./workers/workers.ts']));
  assert.ok(f.worker.some((m) => m.includes('@temporalio/worker/')), `worker SDK seen: ${f.worker.length}`);
  assert.ok(f.worker.some((m) => m.includes('@temporalio/activity/')), 'activity SDK seen');
  assert.ok(f.activities.some((m) => m.endsWith('/activities/intent.ts')), `activities seen: ${f.activities.join(', ')}`);
  assert.ok(f.ollama.length > 0, 'Ollama client seen');
});

test('no production module imports scripts/ or test/ (cli/demo.ts, a dev tool that starts the dev stack, excepted)', () => {
  const PRODUCTION = ['api', 'activities', 'cli', 'intent', 'lib', 'media', 'runtime', 'services', 'telephony', 'workers', 'workflows'];
  const EXCEPTED = new Set(['cli/demo.ts']);
  const offenders: string[] = [];
  let files = 0;
  for (const dir of PRODUCTION) {
    for (const f of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      const rel = `${dir}/${f}`;
      if (!/\.(ts|mjs)$/.test(rel) || EXCEPTED.has(rel)) continue;
      files++;
      const src = readFileSync(join(ROOT, rel), 'utf8');
      for (const m of src.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)) {
        const target = resolve(dirname(join(ROOT, rel)), m[1]!);
        if (m[1]!.startsWith('.') && /^(scripts|test)(\/|$)/.test(relative(ROOT, target))) offenders.push(`${rel} imports ${m[1]}`);
      }
    }
  }
  assert.ok(files > 100, `production files read: ${files}`);
  assert.deepEqual(offenders, []);
});

test('lib/ is pure: no environment, no files, no clock reads (time is a parameter)', () => {
  const RULES: [RegExp, string][] = [
    [/process\.env|process\.argv|process\.cwd/, 'reads the process environment'],
    [/from\s+['"](?:node:)?(?:fs|fs\/promises|child_process|net|http|https)['"]/, 'does I/O'],
    [/Date\.now\(|performance\.now\(|new Date\(\)/, 'reads the clock'],
  ];
  const offenders: string[] = [];
  let files = 0;
  for (const f of readdirSync(join(ROOT, 'lib'), { recursive: true, encoding: 'utf8' })) {
    if (!f.endsWith('.ts')) continue;
    files++;
    readFileSync(join(ROOT, 'lib', f), 'utf8').split('\n').forEach((line, i) => {
      if (/^\s*(\/\/|\*)/.test(line)) return; // comments may name what the code must not do
      for (const [re, why] of RULES) if (re.test(line)) offenders.push(`lib/${f}:${i + 1} ${why}: ${line.trim()}`);
    });
  }
  assert.ok(files > 20, `lib files read: ${files}`);
  assert.deepEqual(offenders, []);
});
