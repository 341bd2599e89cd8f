// Entry point of `npm run demo`, `npm test` and the benchmarks on a fresh clone: installs the npm dependencies
// (and so the generated Prisma client) when they are missing, runs the idempotent setup scripts given with
// `--setup <script.sh>` (e.g. the media fixtures' tools and Vosk model, the Asterisk chroot), then runs the
// given TypeScript entry point with tsx. Plain JavaScript with no dependencies: it runs before anything is
// installed.
//   node scripts/bootstrap.mjs [--setup scripts/x.sh]… <entry.ts> [args…]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const setups = [];
while (argv[0] === '--setup' && argv[1]) {
  setups.push(argv[1]);
  argv.splice(0, 2);
}
const [entry, ...args] = argv;
if (!entry) {
  console.error('usage: node scripts/bootstrap.mjs [--setup scripts/x.sh]… <entry.ts> [args…]');
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

// The setup scripts are idempotent (quick when everything is there), and run after npm ci: the media one
// checks the vosk npm package's libvosk.so.
for (const script of setups) {
  const s = spawnSync('bash', [join(root, script)], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (s.status !== 0) {
    console.error(`[bootstrap] ${script} failed (exit ${s.status ?? s.signal})`);
    process.exit(s.status || 1);
  }
}

const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, entry), ...args], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
