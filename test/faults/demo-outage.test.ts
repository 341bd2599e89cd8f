// `npm run demo` rides out the outages of its services: the demo runs on a Postgres and a Temporal of this
// test's own; mid-run Postgres is stopped (pg_ctl stop -m immediate) for about 20 s and started again, then the
// Temporal server is SIGKILLed for about 20 s and restarted on its SQLite file. The demo says what was down,
// finishes, exits 0, nobody dialed twice, every contact settled.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createPrisma, type PrismaClient } from '../../prisma/client';
import { waitUntil } from '../helpers/stack';
import { withTimeout } from '../../lib/timeout';
import { ownPostgres, ownTemporal, type OwnPostgres, type OwnTemporal } from '../helpers/own-services';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONTACTS = 40;
let pgs: OwnPostgres;
let temporal: OwnTemporal;
let prisma: PrismaClient;
let demo: ChildProcess | undefined;

before(async () => {
  pgs = await ownPostgres('demo');
  temporal = await ownTemporal('demo');
  prisma = createPrisma(pgs.url);
});
after(async () => {
  if (demo && demo.exitCode === null) demo.kill('SIGKILL');
  await prisma?.$disconnect().catch(() => undefined);
  await temporal?.stop();
  pgs?.remove();
});

test('the demo waits out a 20 s Postgres outage and a 20 s Temporal outage, says so, and completes: exit 0, no double dial, every contact settled', async () => {
  demo = spawn(process.execPath, ['--import', 'tsx', 'cli/demo.ts', '--contacts', String(CONTACTS), '--concurrent', '4', '--speed', '40', '--retry-delay', '5', '--seed', 'outage', '--no-progress'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: pgs.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: `demo-${randomUUID().slice(0, 8)}`, LOG_LEVEL: 'error' },
  });
  let out = '';
  let err = '';
  demo.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  demo.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => demo!.once('exit', (c) => r(c)));

  // Mid-run: some calls ended, the campaign far from done.
  await waitUntil('the demo campaign to be mid-run', async () => {
    if (demo!.exitCode !== null) throw new Error(`the demo exited early (${demo!.exitCode}): ${out}\n${err}`);
    const ended = await prisma.call.count({ where: { endedAt: { not: null } } }).catch(() => 0);
    return ended >= 4;
  }, 180_000);
  const endedAtStop = await prisma.call.count({ where: { endedAt: { not: null } } });
  pgs.kill();
  await new Promise((r) => setTimeout(r, 20_000));
  assert.equal(demo.exitCode, null, `the demo is still running during the outage:\n${out}\n${err}`);
  await pgs.start();

  // Then Temporal, once more calls have ended after Postgres came back.
  await waitUntil('more calls after the Postgres outage', async () => {
    if (demo!.exitCode !== null) throw new Error(`the demo exited early (${demo!.exitCode}): ${out}\n${err}`);
    return (await prisma.call.count({ where: { endedAt: { not: null } } })) >= endedAtStop + 4;
  }, 180_000);
  const endedAtKill = await prisma.call.count({ where: { endedAt: { not: null } } });
  await temporal.kill();
  await new Promise((r) => setTimeout(r, 20_000));
  assert.equal(demo.exitCode, null, `the demo is still running during the Temporal outage:\n${out}\n${err}`);
  await temporal.start();

  const code = await withTimeout(exited, 300_000, 'the demo to exit').catch((e: Error) => e.message);
  assert.equal(code, 0, `demo exit code\n${out}\n${err}`);
  assert.match(err, new RegExp(`Postgres \\(the database\\) is unreachable at 127\\.0\\.0\\.1:${pgs.port}: waiting for it to come back`));
  assert.match(err, /Postgres \(the database\) is back after \d+ s/);
  assert.match(err, new RegExp(`Temporal is unreachable at 127\\.0\\.0\\.1:${temporal.address.split(':')[1]}: waiting for it to come back`));
  assert.match(err, /Temporal is back after \d+ s/);
  const last = JSON.parse(out.trim().split('\n').pop()!) as { contacts: number; doubleDials: number; open: number; dialed: number };
  assert.equal(last.doubleDials, 0);
  assert.equal(last.open, 0, 'every contact settled');
  assert.equal(last.contacts, CONTACTS);
  assert.ok(last.dialed > endedAtKill, 'calls went on after the outages');
  const open = await prisma.campaignContact.count({ where: { state: { notIn: ['done', 'skipped'] } } });
  assert.equal(open, 0, 'no contact left queued or in a call');
});
