// schema.prisma and the migrated database agree: every model and field of Prisma's DMMF exists in
// information_schema with the right type and nullability, every enum has the same values, the migration
// history is recorded as Prisma records it, and a Prisma Client create/read round trip works on every model.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import pg from 'pg';
import { createPrisma, type PrismaClient } from '../../prisma/client';
import { listMigrations } from '../../scripts/services/migrations';
import { requireServices } from '../helpers/stack';

interface DmmfField { name: string; dbName?: string | null; kind: string; type: string; isList: boolean; isRequired: boolean; nativeType?: [string, string[]] | null }
interface DmmfModel { name: string; dbName: string | null; fields: DmmfField[] }
interface DmmfEnum { name: string; dbName?: string | null; values: { name: string; dbName?: string | null }[] }

// Prisma's own schema parser (the WebAssembly build its CLI uses) gives the DMMF.
const wasm = createRequire(import.meta.url)('@prisma/prisma-schema-wasm') as { get_dmmf(params: string): string };
const dmmf = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: readFileSync('prisma/schema.prisma', 'utf8') }))) as {
  datamodel: { models: DmmfModel[]; enums: DmmfEnum[] };
};

let db: pg.Client;
let prisma: PrismaClient;
before(async () => {
  requireServices();
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  prisma = createPrisma(process.env.DATABASE_URL!);
});
after(async () => {
  await db?.end();
  await prisma?.$disconnect();
});

function expectedType(f: DmmfField, enums: Map<string, string>): { data_type: string; udt_name?: string } {
  if (f.isList) return { data_type: 'ARRAY', udt_name: { Int: '_int4', String: '_text' }[f.type] };
  if (f.kind === 'enum') return { data_type: 'USER-DEFINED', udt_name: enums.get(f.type) };
  const native = f.nativeType?.[0];
  switch (f.type) {
    case 'String':
      return { data_type: native === 'Uuid' ? 'uuid' : native === 'VarChar' ? 'character varying' : 'text' };
    case 'Int':
      return { data_type: 'integer' };
    case 'BigInt':
      return { data_type: 'bigint' };
    case 'Boolean':
      return { data_type: 'boolean' };
    case 'Float':
      return { data_type: 'double precision' };
    case 'Json':
      return { data_type: 'jsonb' };
    case 'DateTime':
      return { data_type: native === 'Timestamptz' ? 'timestamp with time zone' : 'timestamp without time zone' };
    default:
      throw new Error(`no mapping for ${f.type}`);
  }
}

test('every DMMF model and field exists with the right type and nullability', async () => {
  const enums = new Map(dmmf.datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
  const cols = await db.query<{ table_name: string; column_name: string; data_type: string; udt_name: string; is_nullable: string }>(
    `SELECT table_name, column_name, data_type, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
  );
  const byKey = new Map(cols.rows.map((c) => [`${c.table_name}.${c.column_name}`, c]));
  let checked = 0;
  for (const m of dmmf.datamodel.models) {
    const table = m.dbName ?? m.name;
    for (const f of m.fields.filter((x) => x.kind === 'scalar' || x.kind === 'enum')) {
      const key = `${table}.${f.dbName ?? f.name}`;
      const col = byKey.get(key);
      assert.ok(col, `${m.name}.${f.name}: column ${key} is missing`);
      const want = expectedType(f, enums);
      assert.equal(col.data_type, want.data_type, `${key}: type`);
      if (want.udt_name) assert.equal(col.udt_name, want.udt_name, `${key}: udt`);
      // Prisma keeps list columns nullable in the database; every other required field is NOT NULL.
      if (!f.isList) assert.equal(col.is_nullable, f.isRequired ? 'NO' : 'YES', `${key}: nullability`);
      checked++;
    }
  }
  assert.ok(checked > 60, `checked ${checked} columns`);
});

test('every DMMF enum exists with the same values', async () => {
  for (const e of dmmf.datamodel.enums) {
    const r = await db.query<{ v: string }>(
      `SELECT e.enumlabel AS v FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = $1 ORDER BY e.enumsortorder`,
      [e.dbName ?? e.name],
    );
    assert.deepEqual(r.rows.map((x) => x.v), e.values.map((v) => v.dbName ?? v.name), e.name);
  }
});

test('the migration history is recorded exactly as Prisma records it', async () => {
  const rows = (await db.query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
    'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
  )).rows;
  const files = listMigrations();
  assert.deepEqual(rows.map((r) => r.migration_name), files.map((f) => f.name));
  for (const f of files) {
    const r = rows.find((x) => x.migration_name === f.name)!;
    const sha = createHash('sha256').update(readFileSync(`prisma/migrations/${f.name}/migration.sql`)).digest('hex');
    assert.equal(r.checksum, sha, `${f.name}: checksum is the SHA-256 of migration.sql`);
    assert.ok(r.finished_at);
    assert.equal(r.applied_steps_count, 1);
  }
});

test('Prisma Client create/read round trip on every model', async () => {
  const phone = `+3361${String(Date.now() % 1e7).padStart(7, '0')}`;
  const contact = await prisma.contact.create({ data: { phone, firstName: 'Zoé', lastName: "L'Hôte", consentGivenAt: new Date(), consentSource: 'web', consentProof: 'form-1', departement: '2A' } });
  const campaign = await prisma.campaign.create({ data: { name: 'round trip', allowedDays: [1, 3, 5], settings: { a: 1 } } });
  const cc = await prisma.campaignContact.create({ data: { campaignId: campaign.id, contactId: contact.id } });
  const call = await prisma.call.create({ data: { campaignId: campaign.id, contactId: contact.id, attempt: 1, workflowId: `rt-${contact.id}`, phone } });
  const turn = await prisma.callInteraction.create({ data: { callId: call.id, turn: 1, step: 'hello', transcript: 'oui', intent: 'affirm', intentConfidence: 0.9, streamingMetadata: { k: [1, 2] } } });
  const dnc = await prisma.dncEntry.create({ data: { phone, source: 'manual' } });

  const back = await prisma.contact.findUniqueOrThrow({ where: { phone }, include: { calls: { include: { interactions: true } }, campaignContacts: true } });
  assert.equal(back.lastName, "L'Hôte");
  assert.equal(back.departement, '2A');
  assert.equal(back.campaignContacts[0]!.id, cc.id);
  assert.equal(typeof cc.id, 'bigint');
  assert.equal(back.calls[0]!.interactions[0]!.id, turn.id);
  assert.deepEqual(back.calls[0]!.interactions[0]!.streamingMetadata, { k: [1, 2] });
  assert.deepEqual((await prisma.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).allowedDays, [1, 3, 5]);
  assert.equal((await prisma.dncEntry.findUniqueOrThrow({ where: { phone } })).id, dnc.id);
  // Cascades: deleting the contact removes its memberships, calls and their turns.
  await prisma.contact.delete({ where: { id: contact.id } });
  assert.equal(await prisma.call.count({ where: { id: call.id } }), 0);
  assert.equal(await prisma.callInteraction.count({ where: { id: turn.id } }), 0);
  await prisma.campaign.delete({ where: { id: campaign.id } });
  await prisma.dncEntry.delete({ where: { id: dnc.id } });
});

test('the built-in migrator is idempotent and refuses a modified migration', async () => {
  const { applyMigrations } = await import('../../scripts/services/migrations');
  const again = await applyMigrations(process.env.DATABASE_URL!);
  assert.deepEqual(again.applied, []);
  assert.equal(again.alreadyApplied.length, listMigrations().length);
  const first = listMigrations()[0]!;
  await db.query(`UPDATE _prisma_migrations SET checksum = 'x' WHERE migration_name = $1`, [first.name]);
  try {
    await assert.rejects(applyMigrations(process.env.DATABASE_URL!), /was modified after it was applied/);
  } finally {
    await db.query(`UPDATE _prisma_migrations SET checksum = $2 WHERE migration_name = $1`, [first.name, first.checksum]);
  }
});
