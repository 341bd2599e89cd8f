// Applies prisma/migrations to a database.
// Where Prisma's schema engine is available, `prisma migrate deploy` does it. Where it cannot be obtained
// (no access to binaries.prisma.sh, as on our build machines), the same files are applied here, in order,
// each in its own transaction, and recorded in `_prisma_migrations` exactly as Prisma records them
// (same table, SHA-256 checksum of the file, applied_steps_count = 1), so that a later `prisma migrate deploy`
// on a normal machine sees them as applied and carries on from there.
import { createHash, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import pg from 'pg';
import { ROOT } from './paths';

export const MIGRATIONS_DIR = join(ROOT, 'prisma', 'migrations');

/** The lock id Prisma's migrate engine takes on Postgres, so both never run at once. */
const PRISMA_ADVISORY_LOCK = 72707369;

// Prisma's own definition of its history table on Postgres.
const CREATE_HISTORY = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function listMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const bytes = readFileSync(join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') };
    });
}

export interface MigrateResult {
  method: 'prisma' | 'builtin';
  applied: string[];
  alreadyApplied: string[];
}

/** Applies pending migrations with the built-in applier. */
export async function applyMigrations(url: string, dir = MIGRATIONS_DIR): Promise<MigrateResult> {
  const migrations = listMigrations(dir);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const applied: string[] = [];
  const alreadyApplied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await client.query(CREATE_HISTORY);
    const rows = (
      await client.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
      )
    ).rows;
    for (const m of migrations) {
      const records = rows.filter((r) => r.migration_name === m.name && r.rolled_back_at === null);
      if (records.some((r) => r.finished_at === null)) {
        throw new Error(`migration ${m.name} is recorded as failed in _prisma_migrations; resolve it (prisma migrate resolve) before going on`);
      }
      const done = records.find((r) => r.finished_at !== null);
      if (done) {
        if (done.checksum !== m.checksum) {
          throw new Error(`migration ${m.name} was modified after it was applied (checksum ${done.checksum} in the database, ${m.checksum} on disk)`);
        }
        alreadyApplied.push(m.name);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), now(), 1)`,
          [randomUUID(), m.checksum, m.name],
        );
        await client.query('COMMIT');
        applied.push(m.name);
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.name} failed and was rolled back: ${(err as Error).message}`);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => undefined);
    await client.end();
  }
  return { method: 'builtin', applied, alreadyApplied };
}

/** Tries `prisma migrate deploy`; returns false when Prisma's schema engine is not available here. */
function prismaMigrateDeploy(url: string): boolean {
  const require = createRequire(import.meta.url);
  const cli = require.resolve('prisma/build/index.js');
  const r = spawnSync(process.execPath, [cli, 'migrate', 'deploy'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    timeout: 120_000,
  });
  if (r.status === 0) return true;
  const out = `${r.stdout}\n${r.stderr}`;
  if (/binaries\.prisma\.sh|ENOTFOUND|EAI_AGAIN|schema-engine|ECONNREFUSED.*prisma/i.test(out)) return false;
  throw new Error(`prisma migrate deploy failed:\n${out}`);
}

/**
 * Brings the database to the latest migration. MINIBOT_MIGRATOR=prisma|builtin forces one way; by default
 * Prisma is tried first and the built-in applier is used when its engine cannot be had.
 */
export async function migrate(url: string): Promise<MigrateResult> {
  const mode = process.env.MINIBOT_MIGRATOR ?? 'auto';
  if (mode !== 'builtin') {
    const before = listMigrations().map((m) => m.name);
    if (prismaMigrateDeploy(url)) return { method: 'prisma', applied: before, alreadyApplied: [] };
    if (mode === 'prisma') throw new Error("MINIBOT_MIGRATOR=prisma but Prisma's schema engine is not available");
  }
  return applyMigrations(url);
}
