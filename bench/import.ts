// npm run bench:import [-- --rows N --batch-size N] — contact import throughput: writes an N-row CSV
// (default 100 000; French spellings, 5 % bad rows), imports it into the database (DATABASE_URL or the dev
// stack), re-imports it (idempotent path), reports rows/second and peak memory, then deletes its contacts.
// The last line of output is one JSON object with the figures.
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyDevEnv } from '../scripts/services/dev-stack';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, 'batch-size': { type: 'string', default: '1000' } } });
const rows = Number(values.rows);
const batchSize = Number(values['batch-size']);
if (!(Number.isInteger(rows) && rows > 0 && rows <= 1_000_000)) throw new Error('--rows: 1..1000000');

applyDevEnv();
const { config } = await import('../runtime/config');
const { createPrisma } = await import('../prisma/client');
const { importContacts } = await import('../cli/import/contacts');
const cfg = config();
if (!cfg.DATABASE_URL) throw new Error('DATABASE_URL is not set and no dev stack runs (npm run dev:up)');
const prisma = createPrisma(cfg.DATABASE_URL, { max: 4 });

const dir = mkdtempSync(join(tmpdir(), 'minibot-bench-import-'));
const file = join(dir, 'contacts.csv');
const source = `bench-import-${Date.now()}`;
const out = createWriteStream(file);
out.write('\uFEFFnom;prenom;telephone;email;code_postal;date_consentement\r\n');
for (let i = 0; i < rows; i++) {
  const n = String(i).padStart(6, '0');
  const phone = i % 20 === 0 ? `12 ${n}` : i % 3 === 0 ? `+33 6 44 ${n.slice(0, 2)} ${n.slice(2, 4)} ${n.slice(4)}` : `06.44.${n.slice(0, 2)}.${n.slice(2, 4)}.${n.slice(4)}`;
  const line = `Nom${i};Prénom${i};${phone};p${i}@exemple.fr;${String(1 + (i % 95)).padStart(2, '0')}000;${1 + (i % 28)}/0${1 + (i % 9)}/2025\r\n`;
  if (!out.write(line)) await once(out, 'drain');
}
out.end();
await once(out, 'finish');

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const run = async () => importContacts(prisma, file, { validate: true, dedupe: false, batchSize, columns: {}, source });
const first = await run();
const second = await run();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
await prisma.contact.deleteMany({ where: { source } });
await prisma.$disconnect();
rmSync(dir, { recursive: true, force: true });

const table: [string, string][] = [
  ['rows', String(rows)],
  ['batch size', String(batchSize)],
  ['first import: created / rejected', `${first.created} / ${first.rejected}`],
  ['first import', `${(first.durationMs / 1000).toFixed(2)} s, ${first.rowsPerSecond} rows/s`],
  ['re-import: unchanged / created / updated', `${second.unchanged} / ${second.created} / ${second.updated}`],
  ['re-import', `${(second.durationMs / 1000).toFixed(2)} s, ${second.rowsPerSecond} rows/s`],
  ['peak RSS', `${Math.round(peakRss / 1048576)} MB`],
];
const w = Math.max(...table.map((r) => r[0].length));
for (const [k, v] of table) console.log(`  ${k.padEnd(w)}  ${v}`);
console.log(JSON.stringify({
  rows, batchSize, created: first.created, rejected: first.rejected, importRowsPerSecond: first.rowsPerSecond, importMs: first.durationMs,
  reimportUnchanged: second.unchanged, reimportRowsPerSecond: second.rowsPerSecond, reimportMs: second.durationMs, peakRssMb: Math.round(peakRss / 1048576),
}));
