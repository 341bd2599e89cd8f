// Entry point of `npm run demo` and `npm test` on a fresh clone: installs the npm dependencies (and so the
// generated Prisma client) when they are missing, then runs the given TypeScript entry point with tsx.
// Plain JavaScript with no dependencies, because it runs before anything is installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/bootstrap.mjs <entry.ts> [args…]');
  process.exit(2);
}

const ready = () =>
  existsSync(join(root, 'node_modules', 'tsx', 'package.json')) && existsSync(join(root, 'prisma', 'generated', 'client.ts'));

if (!ready()) {
  console.error('[bootstrap] installing npm dependencies (first run)…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0 || !ready()) {
    console.error('[bootstrap] npm ci failed');
    process.exit(r.status || 1);
  }
}

const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, entry), ...args], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
