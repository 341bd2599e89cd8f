// `minibot asr install fr-small|fr`: download a Vosk model archive, check it against the publisher's size and MD5,
// unpack it, and move it into the models folder in one rename. Every step works in temporary names inside the
// models folder (same file system, so the final rename is atomic): a truncated, corrupt or interrupted download
// leaves nothing behind, and the model folder appears only complete.
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import { archiveUrl, modelListUrl, publishedChecksum, voskModel, VOSK_MODELS, type VoskModel } from '../../lib/vosk-models';

export class InstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstallError';
  }
}

export interface InstallResult {
  model: string;
  path: string;
  /** False when the model folder was already there (nothing downloaded). */
  installed: boolean;
  bytes: number;
  md5: string | null;
  sha256: string | null;
  files: number;
}

/** Files a Vosk model cannot load without (what vosk's Model constructor opens first). */
const REQUIRED = ['am/final.mdl', 'conf/mfcc.conf'];

async function expectedFigures(m: VoskModel, base: string): Promise<{ size: number; md5: string }> {
  if (m.size && m.md5) return { size: m.size, md5: m.md5 };
  const url = modelListUrl(base);
  let list: unknown;
  try {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    list = await res.json();
  } catch (e) {
    throw new InstallError(`cannot read the publisher's checksums at ${url}: ${(e as Error).message}`);
  }
  const c = publishedChecksum(list, m.name);
  if ('error' in c) throw new InstallError(`${url}: ${c.error}`);
  return c;
}

/** Streams the archive to `file`, hashing on the way; refuses a short, long or mismatching download. */
async function download(url: string, file: string, want: { size: number; md5: string }) {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new InstallError(`download of ${url} failed: ${(e as Error).message}`);
  }
  if (!res.ok || !res.body) throw new InstallError(`download of ${url} failed: HTTP ${res.status}`);
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  let bytes = 0;
  const hash = new Transform({
    transform(chunk: Buffer, _e, cb) {
      bytes += chunk.length;
      if (bytes > want.size) return cb(new InstallError(`download of ${url} is larger than the published ${want.size} bytes: refused`));
      md5.update(chunk);
      sha256.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), hash, createWriteStream(file));
  } catch (e) {
    if (e instanceof InstallError) throw e;
    throw new InstallError(`download of ${url} was interrupted after ${bytes} of ${want.size} bytes (${(e as Error).message}): nothing installed, run the command again`);
  }
  if (bytes !== want.size) {
    throw new InstallError(`download of ${url} is truncated: ${bytes} bytes received, the publisher's archive has ${want.size}: nothing installed, run the command again`);
  }
  const got = md5.digest('hex');
  if (got !== want.md5) {
    throw new InstallError(`checksum mismatch for ${url}: MD5 ${got}, the publisher's is ${want.md5} (corrupt download or altered archive): nothing installed`);
  }
  return { bytes, md5: got, sha256: sha256.digest('hex') };
}

const openZip = (file: string) => new Promise<yauzl.ZipFile>((ok, ko) =>
  yauzl.open(file, { lazyEntries: true, autoClose: true, strictFileNames: true, validateEntrySizes: true }, (e, z) => (e ? ko(e) : ok(z!))));

/**
 * Unpacks the archive into `into`. Every entry must sit under the model's own folder (no path escaping it;
 * yauzl already refuses absolute and `..` names). yauzl checks the sizes but not the CRC-32 of each entry, so it
 * is checked here: a damaged archive never yields a model with a silently corrupt file.
 */
async function unpack(file: string, into: string, top: string): Promise<number> {
  const zip = await openZip(file);
  let files = 0;
  await new Promise<void>((ok, ko) => {
    const fail = (e: Error) => {
      zip.close();
      ko(e);
    };
    zip.on('error', fail);
    zip.on('end', () => ok());
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = entry.fileName;
      if (name !== `${top}/` && !name.startsWith(`${top}/`)) return fail(new InstallError(`archive entry "${name}" is outside the model folder ${top}/`));
      const target = join(into, name);
      if (!resolve(target).startsWith(resolve(into) + sep)) return fail(new InstallError(`archive entry "${name}" escapes the models folder`));
      if (name.endsWith('/')) {
        mkdir(target, { recursive: true }).then(() => zip.readEntry(), fail);
        return;
      }
      zip.openReadStream(entry, (e, stream) => {
        if (e || !stream) return fail(e ?? new Error('no stream'));
        let crc = 0;
        const check = new Transform({
          transform(chunk: Buffer, _e, cb) {
            crc = crc32(chunk, crc);
            cb(null, chunk);
          },
          flush(cb) {
            cb(crc >>> 0 === entry.crc32 >>> 0 ? null : new InstallError(`archive entry "${name}" is corrupt (CRC-32 mismatch)`));
          },
        });
        mkdir(dirname(target), { recursive: true })
          .then(() => pipeline(stream, check, createWriteStream(target)))
          .then(() => {
            files += 1;
            zip.readEntry();
          }, fail);
      });
    });
    zip.readEntry();
  }).catch((e: Error) => {
    throw e instanceof InstallError ? e : new InstallError(`the archive is not a readable zip: ${e.message}`);
  });
  for (const f of REQUIRED) {
    if (!existsSync(join(into, top, f))) throw new InstallError(`the archive is not a Vosk model: ${top}/${f} is missing`);
  }
  return files;
}

export async function installModel(key: string, o: { base: string; dir: string; force?: boolean; log?: (line: string) => void }): Promise<InstallResult> {
  const m = voskModel(key);
  if (!m) throw new InstallError(`unknown model "${key}" (known: ${VOSK_MODELS.map((x) => x.key).join(', ')})`);
  const dir = resolve(o.dir);
  const path = join(dir, m.name);
  const complete = REQUIRED.every((f) => existsSync(join(path, f)));
  if (complete && !o.force) return { model: m.name, path, installed: false, bytes: 0, md5: null, sha256: null, files: 0 };
  const want = await expectedFigures(m, o.base);
  await mkdir(dir, { recursive: true });
  const id = randomUUID().slice(0, 8);
  const part = join(dir, `.${m.name}.zip.${id}.part`);
  const tmp = join(dir, `.${m.name}.${id}.tmp`);
  const old = join(dir, `.${m.name}.${id}.old`);
  const url = archiveUrl(o.base, m);
  try {
    o.log?.(`downloading ${url} (${(want.size / 1e6).toFixed(1)} MB)`);
    const got = await download(url, part, want);
    o.log?.(`checked: ${got.bytes} bytes, MD5 ${got.md5} as published; unpacking`);
    const files = await unpack(part, tmp, m.name);
    if (existsSync(path)) await rename(path, old); // --force, or an incomplete earlier folder
    await rename(join(tmp, m.name), path);
    return { model: m.name, path, installed: true, bytes: got.bytes, md5: got.md5, sha256: got.sha256, files };
  } finally {
    await Promise.all([part, tmp, old].map((p) => rm(p, { recursive: true, force: true })));
  }
}
