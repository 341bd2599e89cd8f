import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initAudio, Resampler, resampleAll, decode, encode, rmsDbfs } from '../../media/audio';
import { wavToMono16 } from '../../lib/audio-files';
import { initVad, Vad } from '../../media/vad';
import { codecInfo } from '../../media/protocol';
import * as fx from '../helpers/media-fixtures';

before(async () => {
  await initAudio();
  await initVad();
});

function sine(freq: number, rate: number, ms: number, amp = 10000): Int16Array {
  const n = Math.round((rate * ms) / 1000);
  return Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * freq * i) / rate)));
}

/** Power of `freq` in x relative to total power (Goertzel), 0..1. */
function tonePurity(x: Int16Array, freq: number, rate: number): number {
  const k = (2 * Math.PI * freq) / rate;
  let s1 = 0;
  let s2 = 0;
  let total = 0;
  for (const v of x) {
    const s = v + 2 * Math.cos(k) * s1 - s2;
    s2 = s1;
    s1 = s;
    total += v * v;
  }
  const p = s1 * s1 + s2 * s2 - 2 * Math.cos(k) * s1 * s2;
  return (2 * p) / x.length / total;
}

test('streaming 8 -> 16 kHz resampling keeps a 1 kHz tone clean across 20 ms chunks', () => {
  const r = new Resampler(8000, 16000, 4);
  const input = sine(1000, 8000, 1000);
  const chunks: Int16Array[] = [];
  for (let i = 0; i < input.length; i += 160) chunks.push(r.process(input.subarray(i, i + 160)));
  r.destroy();
  const out = fx.concat(...chunks);
  assert.ok(Math.abs(out.length - 16000) <= 32, `length ${out.length}`);
  const steady = out.subarray(800, 15000);
  assert.ok(tonePurity(steady, 1000, 16000) > 0.98, `purity ${tonePurity(steady, 1000, 16000)}`);
  assert.ok(Math.abs(rmsDbfs(steady) - rmsDbfs(input)) < 0.5, 'level preserved');
  // An image at 7 kHz (what a naive zero-stuffing upsampler produces) must be filtered out.
  assert.ok(tonePurity(steady, 7000, 16000) < 0.001);
});

test('whole-buffer resampling (prompts) has the right length and no delay', () => {
  const x = sine(440, 22050, 500);
  const y = resampleAll(x, 22050, 8000);
  assert.equal(y.length, Math.round((x.length * 8000) / 22050));
  assert.ok(tonePurity(y.subarray(100, y.length - 100), 440, 8000) > 0.98);
  // Zero delay: the first positive zero-crossing stays near the start.
  const firstPeak = y.findIndex((v) => v > 9000);
  assert.ok(firstPeak >= 3 && firstPeak <= 8, `first peak at ${firstPeak}`);
});

test('G.711 and slin round trips', () => {
  const x = sine(300, 8000, 100);
  for (const f of ['ulaw', 'alaw']) {
    const c = codecInfo(f)!;
    const y = decode(c, encode(c, x));
    const err = x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
    assert.ok(err < 400, `${f} max error ${err}`);
  }
  const s = codecInfo('slin16')!;
  assert.deepEqual(decode(s, encode(s, x)), x);
});

test('WebRTC VAD: synthesized speech is speech, silence is not (after the VAD hangover)', () => {
  const rate = 16000;
  const vad = new Vad(rate, 20, 3);
  const frames = (pcm: Int16Array) => {
    let yes = 0;
    let n = 0;
    for (let i = 0; i + 320 <= pcm.length; i += 320, n++) if (vad.isSpeech(pcm.subarray(i, i + 320))) yes++;
    return yes / n;
  };
  const sp = fx.speech('Bonjour, je vous appelle au sujet de votre contrat.', rate);
  assert.ok(frames(sp) > 0.6, `speech ratio ${frames(sp)}`);
  // Right after speech the WebRTC VAD keeps saying "speech" for a few frames (its hangover)...
  const after = frames(fx.silence(200, rate));
  assert.ok(after > 0 && after < 1, `hangover ratio ${after}`);
  // ...then silence is silence.
  assert.equal(frames(fx.silence(1000, rate)), 0);
  assert.throws(() => vad.isSpeech(new Int16Array(100)), /expected 320/);
  vad.free();
  assert.throws(() => new Vad(16000, 25 as 20, 2), /VAD_FRAME_DURATION/);
  assert.throws(() => new Vad(16000, 20, 7), /VAD_MODE/);
});

test('WAV parsing mixes stereo down and names the file on bad input', () => {
  const header = (dataBytes: number, ch: number, rate: number) => {
    const b = Buffer.alloc(44);
    b.write('RIFF', 0);
    b.writeUInt32LE(36 + dataBytes, 4);
    b.write('WAVEfmt ', 8);
    b.writeUInt32LE(16, 16);
    b.writeUInt16LE(1, 20);
    b.writeUInt16LE(ch, 22);
    b.writeUInt32LE(rate, 24);
    b.writeUInt32LE(rate * ch * 2, 28);
    b.writeUInt16LE(ch * 2, 32);
    b.writeUInt16LE(16, 34);
    b.write('data', 36);
    b.writeUInt32LE(dataBytes, 40);
    return b;
  };
  const data = Buffer.alloc(8);
  data.writeInt16LE(1000, 0);
  data.writeInt16LE(3000, 2);
  data.writeInt16LE(-2000, 4);
  data.writeInt16LE(0, 6);
  const { pcm, sampleRate } = wavToMono16(Buffer.concat([header(8, 2, 8000), data]), 'x.wav');
  assert.equal(sampleRate, 8000);
  assert.deepEqual([...pcm], [2000, -1000]);
  assert.throws(() => wavToMono16(Buffer.from('not a wav at all'), 'prompts/bad.wav'), /prompts\/bad\.wav/);
});
