// The guide's log files: with LOG_FILE, STREAMING_LOG_FILE and AMD_LOG_FILE set, a process writes its JSON lines
// to stdout and to each component's files; on SIGHUP it reopens them, so after logrotate renamed a file the
// earlier lines stay in the renamed file and the later ones go to a new file at the path. Media and AMD lines
// carry their call id; phone numbers are masked in the files as on stdout.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { logFilesOf } from '../../runtime/logger';
import { parseConfig } from '../../runtime/config';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'minibot-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Line { msg: string; component?: string; callId?: string; phone?: string }
const lines = (path: string): Line[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line) : []);
const msgs = (path: string) => lines(path).map((l) => l.msg);

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('which files each component writes to', () => {
  const cfg = parseConfig({ LOG_FILE: 'logs/robot.log', STREAMING_LOG_FILE: 'logs/streaming.log', AMD_LOG_FILE: 'logs/amd.log' });
  assert.deepEqual(logFilesOf('worker', cfg), ['logs/robot.log']);
  assert.deepEqual(logFilesOf('media', cfg), ['logs/robot.log', 'logs/streaming.log']);
  assert.deepEqual(logFilesOf('amd', cfg), ['logs/robot.log', 'logs/amd.log']);
  assert.deepEqual(logFilesOf('media', parseConfig({ STREAMING_LOG_FILE: 'logs/streaming.log' })), ['logs/streaming.log']);
  assert.deepEqual(logFilesOf('media', parseConfig({})), [], 'unset: stdout only');
});

test('lines go to stdout and the component files; SIGHUP after a rename reopens them (logrotate)', async () => {
  const robot = join(dir, 'logs', 'robot.log');
  const streaming = join(dir, 'logs', 'streaming.log');
  const amd = join(dir, 'logs', 'amd.log');
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/log-writer.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', LOG_LEVEL: 'info', LOG_FILE: robot, STREAMING_LOG_FILE: streaming, AMD_LOG_FILE: amd },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let stdout = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const answers: string[] = [];
  child.on('message', (m: string) => answers.push(m));
  const write = async (tag: string) => {
    const n = answers.length;
    child.send({ write: tag });
    await until(`the child wrote ${tag}`, () => answers.length > n);
  };
  try {
    await until('the child is ready', () => answers.includes('ready'));
    await write('one');
    await until('the first lines in the files', () => msgs(robot).length === 3 && msgs(streaming).length === 1 && msgs(amd).length === 1);

    for (const f of [robot, streaming, amd]) renameSync(f, `${f}.1`);
    child.kill('SIGHUP');
    await until('the files reopened at their paths', () => msgs(robot).includes('log files reopened') && existsSync(streaming) && existsSync(amd));
    await write('two');
    child.send({ exit: true });
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }

  assert.deepEqual(msgs(`${robot}.1`), ['worker one', 'media one', 'amd one']);
  assert.deepEqual(msgs(robot), ['log files reopened', 'worker two', 'media two', 'amd two']);
  assert.deepEqual(msgs(`${streaming}.1`), ['media one']);
  assert.deepEqual(msgs(streaming), ['media two']);
  assert.deepEqual(msgs(`${amd}.1`), ['amd one']);
  assert.deepEqual(msgs(amd), ['amd two']);
  const all = [...lines(`${robot}.1`), ...lines(robot)];
  for (const l of all.filter((x) => x.component === 'media' || x.component === 'amd')) assert.equal(l.callId, 'call-c1-k1-1', `${l.msg} carries its call id`);
  assert.deepEqual(all.filter((l) => l.component === 'worker').map((l) => l.phone), ['+336****5678', '+336****5678'], 'phone numbers masked');
  assert.ok(!readFileSync(`${robot}.1`, 'utf8').includes('12345678') && !readFileSync(robot, 'utf8').includes('12345678'), 'no phone number in clear');
  // stdout has every line, the files' and the reopening's.
  assert.deepEqual(stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as Line).msg),
    ['worker one', 'media one', 'amd one', 'log files reopened', 'worker two', 'media two', 'amd two']);
});
