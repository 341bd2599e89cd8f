// npm run db:migrate — brings DATABASE_URL (or the dev stack's database) to the latest migration.
import { applyDevEnv } from './services/dev-stack';
import { migrate } from './services/migrations';
import { ensureDatabase } from './services/postgres';

applyDevEnv();
const url = process.env.DATABASE_URL;
if (!url) {
  console.error('db:migrate: DATABASE_URL is not set and no dev stack runs (npm run dev:up)');
  process.exit(1);
}
try {
  await ensureDatabase(url);
  const r = await migrate(url);
  console.log(`migrations (${r.method}): ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'nothing to apply'}`);
} catch (err) {
  console.error(`db:migrate: ${(err as Error).message}`);
  process.exit(1);
}
