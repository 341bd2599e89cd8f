// Generates the Prisma client into prisma/generated (run by `npm install` and `npm run db:generate`).
// `prisma generate` needs no engine binary for the client we use (driver adapter, no Rust query engine), but
// the Prisma CLI still looks for a schema-engine binary at start and tries to download one when missing.
// Where binaries.prisma.sh cannot be reached (air-gapped CI, this project's build machines), pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file lets generation proceed; migrations do not use the CLI
// there (see scripts/migrate.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let prismaCli;
try {
  prismaCli = require.resolve('prisma/build/index.js');
} catch {
  console.error('prisma-generate: the prisma package is not installed (run npm install)');
  process.exit(1);
}
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
env.DATABASE_URL ??= 'postgresql://localhost:5432/minibot';
const r = spawnSync(process.execPath, [prismaCli, 'generate'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
