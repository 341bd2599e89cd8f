// The prompt validator (scripts/audio-lib.ts, scripts/audio-validate.ts) on fixtures made here, in a temp dir.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzePcm16, checkWavBuffer, missingPrompts, parseWav, PROMPT_NAMES } from '../../lib/audio-files';
import { validateAudio } from '../../scripts/audio-validate';

const REPO = resolve(import.meta.dirname, '../..');

/** A RIFF/WAVE file from interleaved integer samples (16-bit PCM unless told otherwise). */
function wav(samples: number[] | Int16Array, o: { rate?: number; channels?: number; bits?: 8 | 16 | 24; tag?: number } = {}): Buffer {
  const rate = o.rate ?? 8000;
  const channels = o.channels ?? 1;
  const bits = o.bits ?? 16;
  const bytes = bits / 8;
  const data = Buffer.alloc(samples.length * bytes);
  samples.forEach((s, i) => {
    if (bits === 16) data.writeInt16LE(s, i * 2);
    else if (bits === 8) data.writeUInt8((s >> 8) + 128, i);
    else data.writeIntLE(s << 8, i * 3, 3);
  });
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(o.tag ?? 1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * channels * bytes, 28);
  h.writeUInt16LE(channels * bytes, 32);
  h.writeUInt16LE(bits, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** lead s of silence, speech s of a 440 Hz tone peaking at peakDbfs, tail s of silence. */
function prompt(o: { lead?: number; speech?: number; tail?: number; peakDbfs?: number; rate?: number } = {}): Int16Array {
  const rate = o.rate ?? 8000;
  const amp = Math.min(32767, Math.round(32768 * 10 ** ((o.peakDbfs ?? -12) / 20)));
  const lead = Math.round((o.lead ?? 0.5) * rate);
  const speech = Math.round((o.speech ?? 1.5) * rate);
  const tail = Math.round((o.tail ?? 0.5) * rate);
  const out = new Int16Array(lead + speech + tail);
  for (let i = 0; i < speech; i++) out[lead + i] = Math.round(amp * Math.sin((2 * Math.PI * 440 * i) / rate));
  return out;
}

const codes = (buf: Buffer) => checkWavBuffer('f.wav', buf).map((p) => p.code);

describe('audio validator rules', () => {
  it('accepts a conforming prompt: 8 kHz mono 16-bit, 0.5 s edges, -12 dBFS peak', () => {
    const buf = wav(prompt());
    assert.deepEqual(checkWavBuffer('ok.wav', buf), []);
    const a = analyzePcm16(parseWav(buf).samples!, 8000);
    assert.ok(Math.abs(a.peakDbfs + 12) < 0.1, `peak ${a.peakDbfs}`);
    assert.ok(Math.abs(a.leadingSilenceS - 0.5) < 0.01 && Math.abs(a.trailingSilenceS - 0.5) < 0.01);
    assert.equal(a.durationS, 2.5);
  });

  it('reports the wrong rate, channel count and bit depth in one format problem', () => {
    const stereo16k = wav(Array.from(prompt({ rate: 16000 })).flatMap((s) => [s, s]), { rate: 16000, channels: 2 });
    const [p, ...rest] = checkWavBuffer('s.wav', stereo16k);
    assert.equal(rest.length, 0);
    assert.equal(p!.code, 'format');
    assert.match(p!.message, /16000 Hz \(want 8000\)/);
    assert.match(p!.message, /2 channels \(want 1\)/);
    const eightBit = checkWavBuffer('b.wav', wav(Array.from(prompt()), { bits: 8 }));
    assert.match(eightBit[0]!.message, /8-bit \(want 16\)/);
    const alaw = checkWavBuffer('a.wav', wav(Array.from(prompt()), { tag: 6 }));
    assert.match(alaw[0]!.message, /encoding tag 6/);
  });

  it('flags files longer than 30 s and too short ones', () => {
    assert.deepEqual(codes(wav(prompt({ speech: 30 }))), ['duration']);
    const short = checkWavBuffer('s.wav', wav(prompt({ lead: 0.3, speech: 0.2, tail: 0.3 })));
    assert.deepEqual(short.map((p) => p.code), ['duration']);
    assert.match(short[0]!.message, /shorter than/);
  });

  it('flags clipping, too loud and too quiet levels', () => {
    const clipped = prompt({ peakDbfs: 0 }).map((s) => (s > 20000 ? 32767 : s < -20000 ? -32768 : s));
    assert.deepEqual(codes(wav(clipped)).sort(), ['clipping', 'level']);
    const loud = checkWavBuffer('l.wav', wav(prompt({ peakDbfs: -6 })));
    assert.match(loud[0]!.message, /too loud: peak -6\.0 dBFS/);
    const quiet = checkWavBuffer('q.wav', wav(prompt({ peakDbfs: -24 })));
    assert.match(quiet[0]!.message, /too quiet: peak -24\.0 dBFS/);
  });

  it('flags empty and all-silent files', () => {
    assert.deepEqual(codes(wav([])), ['empty']);
    assert.deepEqual(codes(wav(new Int16Array(16000))), ['empty']);
  });

  it('flags missing or excessive silence at each end', () => {
    const abrupt = checkWavBuffer('a.wav', wav(prompt({ lead: 0.02 })));
    assert.deepEqual(abrupt.map((p) => p.code), ['silence']);
    assert.match(abrupt[0]!.message, /at the start/);
    const deadAir = checkWavBuffer('d.wav', wav(prompt({ tail: 2 })));
    assert.match(deadAir[0]!.message, /2\.00 s of silence at the end/);
  });

  it('reports unreadable input instead of throwing', () => {
    assert.deepEqual(codes(Buffer.from('not audio at all')), ['unreadable']);
    const truncated = wav(prompt()).subarray(0, 30);
    assert.deepEqual(codes(truncated), ['unreadable']);
  });

  it('lists the prompts missing from a folder', () => {
    assert.deepEqual(missingPrompts(PROMPT_NAMES.map((n) => `${n}.wav`)), []);
    assert.deepEqual(missingPrompts(['hello.wav', 'Q1.WAV']).length, PROMPT_NAMES.length - 2);
  });
});

describe('audio:validate on files (sox conversion)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'minibot-audio-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('converts an operator recording in another format and keeps the original', async () => {
    const sub = join(dir, 'convert');
    mkdirSync(sub);
    // A "recording": 44.1 kHz stereo, loud, 2 s of silence before the speech, as FLAC.
    const src = join(sub, 'src.wav');
    writeFileSync(src, wav(Array.from(prompt({ rate: 44100, lead: 2, peakDbfs: -3 })).flatMap((s) => [s, s]), { rate: 44100, channels: 2 }));
    execFileSync('sox', [src, join(sub, 'hello.flac')]);
    rmSync(src);
    const res = await validateAudio([sub], { checkOnly: false, fix: false, requirePrompts: false });
    assert.deepEqual(res.problems, []);
    assert.deepEqual(res.converted.map((c) => [c.from.endsWith('hello.flac'), c.to.endsWith('hello.wav')]), [[true, true]]);
    const info = parseWav(readFileSync(join(sub, 'hello.wav')));
    assert.deepEqual([info.sampleRate, info.channels, info.bitsPerSample, info.formatTag], [8000, 1, 16, 1]);
    const a = analyzePcm16(info.samples!, 8000);
    assert.ok(Math.abs(a.leadingSilenceS - 0.5) < 0.05, `leading silence ${a.leadingSilenceS}`);
    assert.ok(existsSync(join(sub, 'originals', 'hello.flac')));
  });

  it('--check-only reports the format problem and writes nothing', async () => {
    const sub = join(dir, 'check');
    mkdirSync(sub);
    writeFileSync(join(sub, 'q1.wav'), wav(Array.from(prompt({ rate: 16000 })), { rate: 16000 }));
    const res = await validateAudio([sub], { checkOnly: true, fix: false, requirePrompts: true });
    assert.deepEqual(readdirSync(sub), ['q1.wav']);
    assert.ok(res.problems.some((p) => p.file.endsWith('q1.wav') && p.code === 'format'));
    assert.equal(res.problems.filter((p) => p.code === 'missing').length, PROMPT_NAMES.length - 1);
  });

  it('--fix re-conditions a right-format file with a level problem', async () => {
    const sub = join(dir, 'fix');
    mkdirSync(sub);
    writeFileSync(join(sub, 'q2.wav'), wav(prompt({ peakDbfs: -30 })));
    const plain = await validateAudio([sub], { checkOnly: false, fix: false, requirePrompts: false });
    assert.deepEqual(plain.problems.map((p) => p.code), ['level']);
    const fixed = await validateAudio([sub], { checkOnly: false, fix: true, requirePrompts: false });
    assert.deepEqual(fixed.problems, []);
    assert.equal(fixed.converted.length, 1);
  });

  it('the CLI prints each problem by file and exits non-zero', () => {
    const sub = join(dir, 'cli');
    mkdirSync(sub);
    writeFileSync(join(sub, 'bye_failed.wav'), wav(prompt({ peakDbfs: -6, lead: 0 })));
    writeFileSync(join(sub, 'confirm.wav'), wav(prompt()));
    const r = spawnSync(join(REPO, 'node_modules/.bin/tsx'), [join(REPO, 'scripts/audio-validate.ts'), '--check-only', sub], { encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /✗ .*bye_failed\.wav\n {4}level: too loud.*\n {4}silence: 0\.00 s of silence at the start/);
    assert.match(r.stdout, /✓ .*confirm\.wav/);
    assert.match(r.stdout, /2 file\(s\) checked, 2 problem\(s\) in 1 file\(s\)/);
  });

  it('the committed prompts in audio/ pass', async () => {
    const res = await validateAudio([join(REPO, 'audio')], { checkOnly: true, fix: false, requirePrompts: true });
    assert.deepEqual(res.problems, []);
    assert.equal(res.checked.length, PROMPT_NAMES.length);
  });
});
