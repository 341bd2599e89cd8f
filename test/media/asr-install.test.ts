// `minibot asr install` against a local HTTP server (loopback) standing in for the Vosk models site. The archive is
// the Korean test model (scripts/setup-media-deps.sh) zipped here the way alphacephei packs its models (one top
// folder named after the model). Cases: good (installed, files identical, VOSK_MODEL_PATH printed, a re-run
// downloads nothing), connection cut mid-download, a short file, a wrong MD5, a pinned model whose published size
// does not match, and an archive whose MD5 matches but whose content is damaged (CRC-32). Every refusal leaves the
// models folder exactly as it was.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import yazl from 'yazl';
import { ensureKoreanModel } from '../helpers/media-fixtures';
import { runMinibot } from '../helpers/minibot-cli';
import { checkModelDir } from '../../media/vosk';

const NAME = 'vosk-model-fr-0.22'; // `fr` reads its figures from model-list.json, so the test can publish its own
const ko = ensureKoreanModel();
const skip = 'error' in ko ? `Korean test model unavailable: ${ko.error}` : false;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

async function zipOf(dir: string, top: string): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const f of walk(dir).sort()) zip.addFile(f, `${top}/${relative(dir, f)}`, { compress: false }); // stored: fast, and a damaged byte stays a damaged byte
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
let server: Server;
let base = '';
let work = '';
let archive: Buffer;
let downloads = 0;

/** Per path prefix, what the fake site publishes (model-list.json) and serves (the zip). */
const sites: Record<string, () => { list: unknown; body: Buffer; cutAt?: number }> = {};

before(async () => {
  if (skip) return;
  archive = await zipOf((ko as { dir: string }).dir, NAME);
  const corrupt = Buffer.from(archive);
  const at = corrupt.indexOf(Buffer.from(`${NAME}/graph/`)) + 4096; // inside a stored file's data, far from its header
  corrupt[at] = corrupt[at]! ^ 0xff;
  const entry = (body: Buffer, sum = md5(body)) => [{ name: NAME, lang: 'fr', size: archive.length, md5: sum, url: `${NAME}.zip` }].map((e) => ({ ...e, size: body.length }));
  sites.good = () => ({ list: entry(archive), body: archive });
  sites.cut = () => ({ list: entry(archive), body: archive, cutAt: Math.floor(archive.length / 2) });
  sites.short = () => ({ list: [{ name: NAME, size: archive.length, md5: md5(archive) }], body: archive.subarray(0, archive.length - 1000) });
  sites.badsum = () => ({ list: entry(archive, md5(Buffer.from('something else'))), body: archive });
  sites.corrupt = () => ({ list: entry(corrupt), body: corrupt });
  server = createServer((req, res) => {
    const [, site, file] = (req.url ?? '').split('/');
    const s = sites[site ?? '']?.();
    if (!s) return res.writeHead(404).end();
    if (file === 'model-list.json') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(s.list));
    if (file !== `${NAME}.zip` && file !== 'vosk-model-small-fr-0.22.zip') return res.writeHead(404).end();
    downloads += 1;
    res.writeHead(200, { 'content-type': 'application/zip', 'content-length': s.body.length });
    if (s.cutAt === undefined) return res.end(s.body);
    res.write(s.body.subarray(0, s.cutAt), () => setTimeout(() => res.socket?.destroy(), 200)); // the connection drops mid-file
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  work = mkdtempSync(join(tmpdir(), 'minibot-asr-'));
});

after(() => {
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const minibot = (args: string[]) => runMinibot(args, { VOSK_MODELS_URL: '' });

test('refused downloads leave the models folder untouched, with a message saying why', { skip }, async () => {
  const dir = join(work, 'refused');
  const cases: [string, string[], RegExp][] = [
    ['cut', ['fr'], /download of .*vosk-model-fr-0\.22\.zip was interrupted after \d+ of \d+ bytes .*nothing installed/],
    ['short', ['fr'], new RegExp(`is truncated: ${archive.length - 1000} bytes received, the publisher's archive has ${archive.length}: nothing installed`)],
    ['badsum', ['fr'], new RegExp(`checksum mismatch for .*: MD5 ${md5(archive)}, the publisher's is ${md5(Buffer.from('something else'))}`)],
    ['corrupt', ['fr'], /archive entry "vosk-model-fr-0\.22\/graph\/[^"]+" is corrupt \(CRC-32 mismatch\)/],
    // fr-small's figures are pinned in code (the real archive's): the test archive is not it.
    ['good', ['fr-small'], /download of .*vosk-model-small-fr-0\.22\.zip is larger than the published 42233323 bytes: refused/],
  ];
  for (const [site, model, message] of cases) {
    const before = downloads;
    const r = await minibot(['asr', 'install', ...model, '--from', `${base}/${site}`, '--dir', dir]);
    assert.equal(r.code, 1, `${site}: ${r.err}`);
    assert.match(r.err, message, site);
    assert.equal(r.out, '', `${site}: no VOSK_MODEL_PATH line`);
    assert.equal(downloads, before + 1, `${site}: the archive was requested`);
    assert.deepEqual(readdirSync(dir), [], `${site}: nothing half-written in the models folder`);
  }
  const unknown = await minibot(['asr', 'install', 'de', '--dir', dir]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /value 'de' is invalid for argument 'model'\. Allowed choices are fr-small, fr/);
});

test('a good archive is installed whole, prints VOSK_MODEL_PATH, and a re-run downloads nothing', { skip }, async () => {
  const dir = join(work, 'good');
  const r = await minibot(['asr', 'install', 'fr', '--from', `${base}/good/`, '--dir', dir]);
  assert.equal(r.code, 0, r.err);
  const path = join(dir, NAME);
  assert.equal(r.out, `VOSK_MODEL_PATH=${path}\n`);
  assert.match(r.err, new RegExp(`checked: ${archive.length} bytes, MD5 ${md5(archive)} as published`));
  assert.deepEqual(readdirSync(dir), [NAME], 'only the model folder: no archive, no temporary folder left');
  const src = (ko as { dir: string }).dir;
  const want = walk(src).map((f) => [relative(src, f), statSync(f).size]).sort();
  assert.deepEqual(walk(path).map((f) => [relative(path, f), statSync(f).size]).sort(), want);
  assert.equal(createHash('sha256').update(readFileSync(join(path, 'am/final.mdl'))).digest('hex'), createHash('sha256').update(readFileSync(join(src, 'am/final.mdl'))).digest('hex'));
  assert.equal(checkModelDir(path), null, 'the media worker accepts it');

  const before = downloads;
  const again = await minibot(['asr', 'install', 'fr', '--from', `${base}/good`, '--dir', dir, '--json']);
  assert.equal(again.code, 0, again.err);
  assert.deepEqual(JSON.parse(again.out), { model: NAME, path, installed: false, bytes: 0, md5: null, sha256: null, files: 0 });
  assert.equal(downloads, before, 'already installed: nothing downloaded');

  // --force replaces it atomically (the old folder goes only once the new one is complete).
  const forced = await minibot(['asr', 'install', 'fr', '--from', `${base}/good`, '--dir', dir, '--force', '--json']);
  assert.equal(forced.code, 0, forced.err);
  const f = JSON.parse(forced.out);
  assert.equal(f.installed, true);
  assert.equal(f.bytes, archive.length);
  assert.equal(f.sha256, createHash('sha256').update(archive).digest('hex'));
  assert.equal(f.files, want.length);
  assert.deepEqual(readdirSync(dir), [NAME]);
});
