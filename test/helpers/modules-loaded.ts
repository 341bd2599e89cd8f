// The modules a child process loads when it imports the given entry points (test/helpers/module-recorder.mjs),
// in an environment where nothing needs to run: the API connects on first use to unreachable addresses, and the
// process exits once the imports are done. `env` adds variables (e.g. OTEL_EXPORTER_OTLP_ENDPOINT).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function modulesLoadedBy(imports: string[], env: Record<string, string> = {}): string[] {
  const script = `
    for (const m of ${JSON.stringify(imports)}) await import(m);
    process.stdout.write('MODULES ' + JSON.stringify(globalThis.loadedModules()) + '\\n');
    process.exit(0);`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--import', './test/helpers/module-recorder.mjs', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      API_KEY: 'layers-test-key-0123456789',
      API_HOST: '127.0.0.1',
      API_PORT: '0',
      // Unreachable on purpose: the API connects on first use, and this process exits before any request.
      DATABASE_URL: 'postgresql://minibot:minibot@127.0.0.1:1/minibot',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      ...env,
    },
  });
  const line = out.split('\n').find((l) => l.startsWith('MODULES '));
  assert.ok(line, `the child printed its modules:\n${out}`);
  return JSON.parse(line.slice('MODULES '.length)) as string[];
}
