// The media server driven by a peer that speaks chan_websocket the way Asterisk does (test/helpers/
// asterisk-peer.ts): real sockets on loopback, real VAD/resampler/codecs, real Vosk for the ASR cases.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { MediaServer } from '../../media/server';
import type { SpeechSegmenter } from '../../media/barge-in';
import { workerVoskEngine } from '../../media/vosk-engine';
import { AsteriskPeer, type PeerOptions } from '../helpers/asterisk-peer';
import { RecordingSink } from '../helpers/recording-sink';
import * as fx from '../helpers/media-fixtures';
import { koreanSimilarity } from '../helpers/korean';

const tools = fx.haveTools();
if (!tools.ok) throw new Error(`missing ${tools.missing.join(', ')}: run scripts/setup-media-deps.sh`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROMPT_TEXT =
  "Bonjour, je suis l'assistante virtuelle de votre fournisseur d'énergie. Je vous appelle au sujet de votre contrat, " +
  'qui arrive bientôt à échéance. Avez-vous quelques minutes à me consacrer ?';

let sink: RecordingSink;
let server: MediaServer;
let port: number;
let prompt: Int16Array; // 16 kHz

async function openCall(callId: string, opts: Partial<PeerOptions> = {}, srv = server, p = port): Promise<AsteriskPeer> {
  const { uriParams } = srv.expectCall(callId);
  const peer = new AsteriskPeer({ url: `ws://127.0.0.1:${p}/media?${uriParams.replaceAll(',', '&')}`, ...opts });
  await peer.connect();
  for (let i = 0; i < 100 && !srv.hasCall(callId); i++) await sleep(10);
  assert.ok(srv.hasCall(callId), 'media started');
  return peer;
}

/** What the call's echo guard has learnt (test diagnostics: the segmenter is the session's own). */
function echoGuard(srv: MediaServer, callId: string): unknown {
  const g = (srv as unknown as { sessions: Map<string, { segmenter: SpeechSegmenter }> }).sessions.get(callId)?.segmenter;
  return g ? { delayMs: g.echoDelayMs, marginDb: g.echoMargin(), counts: g.counts } : null;
}

before(async () => {
  sink = new RecordingSink();
  server = new MediaServer({ host: '127.0.0.1', port: 0, sink, asr: null, vadMode: 3, frameMs: 20 });
  ({ port } = await server.start());
  prompt = fx.speech(PROMPT_TEXT, 16000, 'fr', 'prompt-long');
  assert.ok(prompt.length / 16000 > 6, 'prompt long enough to talk over');
});

after(async () => {
  await server.stop();
});

describe('barge-in', () => {
  test('callee speech over a prompt flushes it at once, then signals speechStarted and the interrupted prompt', async () => {
    const peer = await openCall('bi-1', { echo: { delayMs: 60, gainDb: -14 } });
    server.setTurn('bi-1', 3);
    await server.play('bi-1', { promptId: 'intro', turn: 3, pcm: prompt, sampleRate: 16000 });
    await sleep(1200);
    const speech = fx.speech('Non non, attendez, je ne suis pas intéressé du tout', 8000);
    const { sentAt, dueAt } = await peer.sayTimed(speech);
    // The frame sent at sentAt carries the 20 ms of audio before it (as Asterisk sends what it received).
    const onset = (fx.onsetSample(speech, 8000) / 8000) * 1000 - peer.ptime;
    const onsetAt = sentAt + onset;
    // Where the speech starts on the peer's clock (the same as onsetAt unless this process was starved).
    const spokenAt = dueAt + onset;
    const flush = await peer.waitForCommand('FLUSH_MEDIA', 3000);
    const latency = flush.at - onsetAt;
    console.log(`barge-in: FLUSH_MEDIA ${latency.toFixed(0)} ms after the speech onset`);
    assert.ok(latency > 0 && latency < 400, `flush latency ${latency}`);
    assert.equal(peer.queueLength, 0, 'Asterisk queue flushed');
    const started = await sink.wait('speechStarted', 'bi-1', 3000);
    assert.equal(started.e.turn, 3);
    assert.equal(started.e.promptId, 'intro');
    const delivery = flush.at - started.e.flushedAt;
    assert.ok(delivery >= -2 && delivery < 150, `flushedAt is when FLUSH_MEDIA went out (delivered ${delivery} ms later)`);
    // Between where the speech starts on the peer's clock and when it was sent (they differ if this process was
    // starved and the peer caught up late), within 80 ms.
    const at = started.e.speechStartAt;
    assert.ok(at > spokenAt - 80 && at < onsetAt + 80, `speechStartAt ${at - spokenAt} ms from spoken (sent ${onsetAt - spokenAt} ms later)`);
    const fin = await sink.wait('playbackFinished', 'bi-1', 1000);
    assert.equal(fin.e.interrupted, true);
    // ~1.2 s of the prompt had been heard (plus the ~60-100 ms it took to detect the speech).
    assert.ok(fin.e.playedMs > 1100 && fin.e.playedMs < 1600, `playedMs ${fin.e.playedMs}`);
    assert.equal(started.e.promptPlayedMs, fin.e.playedMs);
    // Nothing of the prompt is queued again.
    const framesAfter = peer.playedFrames;
    await sleep(600);
    assert.ok(peer.playedFrames - framesAfter <= 1, 'prompt stays stopped');
    peer.close();
  });

  test('noise bursts, clicks, a cough, back-channels and the line echo never interrupt the prompt', async () => {
    const peer = await openCall('bi-noise', { echo: { delayMs: 80, gainDb: -12 } });
    await server.play('bi-noise', { promptId: 'long', turn: 1, pcm: prompt, sampleRate: 16000 });
    const events: Int16Array[] = [
      fx.noiseBurst(150, 8000, -12),
      fx.click(8000),
      fx.cough(220, 8000, -8),
      fx.speech('hum', 8000),
      fx.click(8000),
      fx.speech('oui', 8000),
      fx.noiseBurst(250, 8000, -15, 'whitenoise'),
      fx.speech('ah', 8000),
    ];
    const names = ['noise 150 ms', 'click', 'cough', 'hum', 'click', 'oui', 'white noise 250 ms', 'ah'];
    await sleep(500);
    const due: number[] = [];
    for (const e of events) due.push((await peer.sayTimed(fx.concat(e, fx.silence(600, 8000)))).dueAt);
    const fin = await sink.wait('playbackFinished', 'bi-noise', 15000);
    // What to look at when it fails: which event each barge-in or flush came in (ms after that event was due on
    // the peer's clock), and what the echo guard had learnt of the line.
    const during = (t: number) => {
      const i = due.findLastIndex((d) => d <= t);
      return i < 0 ? `${Math.round(t - due[0]!)} ms before the first event` : `${names[i]} +${Math.round(t - due[i]!)} ms`;
    };
    const why = JSON.stringify({
      bargeIns: sink.of('speechStarted', 'bi-noise').map((r) => during(r.e.speechStartAt)),
      flushes: peer.commands.filter((c) => c.command === 'FLUSH_MEDIA').map((c) => during(c.at)),
      echo: echoGuard(server, 'bi-noise'),
    });
    assert.equal(fin.e.interrupted, false, `prompt played to the end: ${why}`);
    assert.equal(sink.of('speechStarted', 'bi-noise').length, 0, `no barge-in signalled: ${why}`);
    const flushes = peer.commands.filter((c) => c.command === 'FLUSH_MEDIA').length;
    console.log(`noise/back-channel: ${events.length} events, ${flushes} tentative flushes (resumed), 0 barge-ins: ${why}`);
    assert.ok(peer.commands.some((c) => c.command === 'REPORT_QUEUE_DRAINED'));
    peer.close();
  });

  test('the echo of our own prompt alone never flushes it, even loud', async () => {
    const peer = await openCall('bi-echo', { echo: { delayMs: 150, gainDb: -8 } });
    const short = prompt.subarray(0, 16000 * 3);
    await server.play('bi-echo', { promptId: 'echo', turn: 1, pcm: short, sampleRate: 16000 });
    const fin = await sink.wait('playbackFinished', 'bi-echo', 8000);
    assert.equal(fin.e.interrupted, false);
    assert.equal(peer.commands.filter((c) => c.command === 'FLUSH_MEDIA').length, 0);
    assert.ok(Math.abs(fin.e.playedMs - 3000) < 40);
    peer.close();
  });

  test('a prompt played with bargeIn:false is not flushed by speech; speechStarted still reports it', async () => {
    const peer = await openCall('bi-off');
    await server.play('bi-off', { promptId: 'legal', turn: 2, pcm: prompt.subarray(0, 16000 * 3), sampleRate: 16000, bargeIn: false });
    await sleep(500);
    await peer.say(fx.speech('Non non, attendez, je ne suis pas intéressé', 8000));
    const started = await sink.wait('speechStarted', 'bi-off', 3000);
    assert.equal(started.e.flushedAt, undefined);
    assert.equal(started.e.promptId, 'legal');
    const fin = await sink.wait('playbackFinished', 'bi-off', 6000);
    assert.equal(fin.e.interrupted, false);
    assert.equal(peer.commands.filter((c) => c.command === 'FLUSH_MEDIA').length, 0);
    peer.close();
  });

  test('stopPlayback flushes and reports how much was heard', async () => {
    const peer = await openCall('stop-1');
    await server.play('stop-1', { promptId: 'p', turn: 1, pcm: prompt, sampleRate: 16000 });
    await sleep(700);
    const r = await server.stopPlayback('stop-1');
    assert.ok(r && r.playedMs > 600 && r.playedMs < 900, `playedMs ${r?.playedMs}`);
    await peer.waitForCommand('FLUSH_MEDIA', 500);
    const fin = await sink.wait('playbackFinished', 'stop-1', 1000);
    assert.deepEqual([fin.e.interrupted, fin.e.playedMs], [true, r!.playedMs]);
    assert.equal(await server.stopPlayback('stop-1'), null, 'nothing left to stop');
    peer.close();
  });
});

describe('protocol', () => {
  test('plain-text control format; XOFF stops our sending until XON; QUEUE_DRAINED ends the prompt', async () => {
    const peer = await openCall('plain-1', { control: 'plain-text' });
    peer.sendText('MEDIA_XOFF');
    await sleep(50);
    await server.play('plain-1', { promptId: 'p', turn: 1, pcm: prompt.subarray(0, 16000), sampleRate: 16000 });
    await sleep(300);
    assert.equal(peer.playedFrames + peer.queueLength, 0, 'no media sent while XOFF');
    peer.sendText('MEDIA_XON');
    const fin = await sink.wait('playbackFinished', 'plain-1', 4000);
    assert.equal(fin.e.interrupted, false);
    assert.equal(peer.playedFrames, 50, '1 s of prompt = 50 frames of 160 bytes, all played');
    const drain = peer.commands.find((c) => c.command === 'REPORT_QUEUE_DRAINED')!;
    assert.equal(drain.raw, 'REPORT_QUEUE_DRAINED', 'plain-text command, not JSON');
    peer.close();
  });

  test('binary media goes out in whole optimal_frame_size frames (slin16: 640 bytes)', async () => {
    const peer = await openCall('slin-1', { format: 'slin16' });
    const sizes: number[] = [];
    peer.ws!.on('message', (d, bin) => bin && sizes.push((d as Buffer).length));
    await server.play('slin-1', { promptId: 'p', turn: 1, pcm: prompt.subarray(0, 16000 + 123), sampleRate: 16000 });
    await sink.wait('playbackFinished', 'slin-1', 4000);
    assert.ok(sizes.length > 0);
    for (const s of sizes) assert.equal(s % 640, 0);
    assert.ok(sizes.every((s) => s <= 65500));
    assert.equal(peer.playedFrames, 51, 'partial last frame padded, not dropped');
    peer.close();
  });

  test('DTMF_END is reported as a dtmf event', async () => {
    const peer = await openCall('dtmf-1');
    peer.sendDtmf('7');
    const d = await sink.wait('dtmf', 'dtmf-1', 2000);
    assert.equal(d.e.digit, '7');
    peer.close();
  });

  test('hangup sends HANGUP and reports a normal hang-up when the socket closes', async () => {
    const peer = await openCall('hup-1');
    await server.hangup('hup-1');
    await peer.waitForCommand('HANGUP', 1000);
    const h = await sink.wait('hungUp', 'hup-1', 3000);
    assert.equal(h.e.cause, 'normal');
  });
});

describe('robustness', () => {
  test('tokens are enforced: missing, wrong, unknown call and reused tokens are refused', async () => {
    const refusedBefore = server.stats().refusedConnections;
    const tryConnect = (q: string) =>
      new Promise<number | 'open'>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/media${q}`);
        ws.on('unexpected-response', (_r, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('error', () => {});
      });
    const { token } = server.expectCall('tok-1');
    assert.equal(await tryConnect(''), 401);
    assert.equal(await tryConnect(`?call=tok-1&token=${'A'.repeat(token.length)}`), 403);
    assert.equal(await tryConnect(`?call=tok-1&token=short`), 403);
    assert.equal(await tryConnect(`?call=nobody&token=${token}`), 403);
    assert.equal(await tryConnect(`?call=tok-1&token=${token}`), 'open');
    assert.equal(await tryConnect(`?call=tok-1&token=${token}`), 403, 'a token is good for one connection');
    // A token issued for one call does not open another call.
    const other = server.expectCall('tok-2');
    assert.equal(await tryConnect(`?call=tok-2&token=${token}`), 403);
    assert.equal(await tryConnect(`?call=tok-2&token=${other.token}`), 'open');
    assert.equal(server.stats().refusedConnections - refusedBefore, 6);
  });

  test('malformed frames and oversized or garbage text are rejected; the call and other calls carry on', async () => {
    const bad = await openCall('bad-1', { format: 'slin16' });
    const good = await openCall('good-1', { echo: { delayMs: 60, gainDb: -14 } });
    await server.play('good-1', { promptId: 'g', turn: 1, pcm: prompt, sampleRate: 16000 });
    // Garbage on bad-1.
    bad.sendBinary(new Uint8Array(641)); // odd length for 16-bit audio
    bad.sendBinary(new Uint8Array(0));
    bad.sendText('x'.repeat(20_000));
    bad.sendText('{"event": "MEDIA_START", "format": ');
    bad.sendText('NOT_AN_EVENT foo:bar');
    bad.sendText(JSON.stringify({ event: 'MEDIA_START', connection_id: 'x', format: 'ulaw', optimal_frame_size: 160, ptime: 20 })); // duplicate
    bad.sendText('\u0000\u0001\u0002');
    // A raw socket that never sends MEDIA_START but sends media.
    const { uriParams } = server.expectCall('nostart-1');
    const raw = new AsteriskPeer({ url: `ws://127.0.0.1:${port}/media?${uriParams.replaceAll(',', '&')}` });
    await raw.connect({ sendMediaStart: false });
    raw.sendBinary(new Uint8Array(160));
    await sleep(300);
    // good-1 still barges in normally.
    await peerSays(good, 'Non non, attendez, je ne suis pas intéressé');
    await good.waitForCommand('FLUSH_MEDIA', 3000);
    await sink.wait('speechStarted', 'good-1', 3000);
    // bad-1 is still alive and usable.
    assert.ok(server.hasCall('bad-1'));
    await server.play('bad-1', { promptId: 'b', turn: 1, pcm: prompt.subarray(0, 8000), sampleRate: 16000 });
    const fin = await sink.wait('playbackFinished', 'bad-1', 4000);
    assert.equal(fin.e.interrupted, false);
    assert.equal(bad.closedAt, null, 'bad input did not close the call');
    for (const p of [bad, good, raw]) p.close();
  });

  test('a socket dropping mid-call signals hungUp(media_lost), ends the prompt and frees the call', async () => {
    const peer = await openCall('drop-1');
    const active = server.stats().activeCalls;
    await server.play('drop-1', { promptId: 'p', turn: 1, pcm: prompt, sampleRate: 16000 });
    await sleep(500);
    peer.drop();
    const h = await sink.wait('hungUp', 'drop-1', 3000);
    assert.equal(h.e.cause, 'media_lost');
    const fin = await sink.wait('playbackFinished', 'drop-1', 1000);
    assert.equal(fin.e.interrupted, true);
    assert.equal(server.stats().activeCalls, active - 1);
    assert.equal(server.hasCall('drop-1'), false);
    await assert.rejects(server.play('drop-1', { promptId: 'q', turn: 1, pcm: prompt, sampleRate: 16000 }), /no live media connection/);
  });

  test('bad play() input names the field', async () => {
    const peer = await openCall('args-1');
    await assert.rejects(server.play('args-1', { promptId: '', turn: 1, pcm: prompt, sampleRate: 16000 }), /promptId/);
    await assert.rejects(server.play('args-1', { promptId: 'x', turn: 1 }), /wavPath or pcm/);
    await assert.rejects(server.play('args-1', { promptId: 'x', turn: 1, pcm: prompt }), /sampleRate/);
    await assert.rejects(server.play('args-1', { promptId: 'x', turn: 1, wavPath: '/nonexistent.wav' }), /nonexistent\.wav/);
    assert.throws(() => server.expectCall('args-2', { bargeIn: { minSpeechMs: -5 } }), /bargeIn\.minSpeechMs/);
    peer.close();
  });
});

async function peerSays(peer: AsteriskPeer, text: string): Promise<number> {
  return peer.say(fx.speech(text, 8000));
}

describe('speech recognition through the pipeline (Vosk, Korean model)', () => {
  const setup = fx.ensureKoreanModel();
  const skip = 'error' in setup ? `SKIPPED: Vosk model could not be installed (${setup.error})` : false;
  if (skip) console.error(`\n!!!!!!!! ${skip} !!!!!!!!\n`);
  let asrServer: MediaServer;
  let asrPort: number;
  const asrSink = new RecordingSink();
  before(async () => {
    if (skip) return;
    asrServer = new MediaServer({ host: '127.0.0.1', port: 0, sink: asrSink, asr: workerVoskEngine(fx.KO_MODEL_DIR, { threads: 1, prewarm: 2 }), sampleRate: 16000 });
    ({ port: asrPort } = await asrServer.start());
  });
  after(async () => {
    if (!skip) await asrServer.stop();
  });

  test('two simultaneous calls: each gets its own utterance with text, confidence and timings', { skip }, async () => {
    const phrases = ['안녕하세요', '내일 오후에 시간이 있어요'];
    // slin16 keeps the small Korean model's accuracy on espeak's voice (G.711 costs it a lot; see vosk.test.ts).
    const peers = await Promise.all(['asr-a', 'asr-b'].map((id) => openCall(id, { format: 'slin16' }, asrServer, asrPort)));
    asrServer.setTurn('asr-a', 5);
    const pcms = phrases.map((p) => fx.speech(p, 16000, 'ko'));
    // When each first frame was due on the peer's clock, and when it was sent: the two differ when this process
    // is starved (the peer catches up late), and the server, timing audio by its samples, lands between them.
    const said = await Promise.all(peers.map((p, i) => p.sayTimed(fx.concat(pcms[i]!, fx.silence(1000, 16000)))));
    await Promise.all([asrSink.wait('utterance', 'asr-a', 20000), asrSink.wait('utterance', 'asr-b', 20000)]);
    await sleep(1500); // in case the VAD split a phrase in two
    const [ua, ub] = ['asr-a', 'asr-b'].map((id) => {
      const us = asrSink.of('utterance', id);
      const last = us.at(-1)!;
      return { ...us[0]!, e: { ...us[0]!.e, text: us.map((u) => u.e.text).join(' '), speechEndAt: last.e.speechEndAt, last: last.e } };
    }) as [ReturnType<typeof asrSink.of>[number], ReturnType<typeof asrSink.of>[number]];
    for (const [i, u] of [ua, ub].entries()) {
      const own = koreanSimilarity(phrases[i]!, u.e.text);
      const other = koreanSimilarity(phrases[1 - i]!, u.e.text);
      console.log(`${u.callId}: "${u.e.text}" (own ${own.toFixed(2)}, other ${other.toFixed(2)}), asr ${u.e.last.asrLatencyMs} ms, conf ${u.e.confidence.toFixed(2)}, ${asrSink.of('utterance', u.callId).length} utterance(s)`);
      assert.ok(own > other, 'a call only hears its own audio');
      const onset = (fx.onsetSample(pcms[i]!, 16000) / 16000) * 1000 - 20;
      const end = (fx.endSample(pcms[i]!, 16000) / 16000) * 1000 - 20;
      const { dueAt, sentAt } = said[i]!;
      const startAt = u.e.speechStartAt;
      assert.ok(startAt > dueAt + onset - 100 && startAt < sentAt + onset + 100, `start ${startAt - dueAt - onset} ms from due (${sentAt - dueAt} ms late sent)`);
      // WebRTC VAD (mode 3) tends to drop the decaying tail of the last vowel: the end may come early.
      const endAt = u.e.speechEndAt;
      assert.ok(endAt > dueAt + end - 350 && endAt < sentAt + end + 150, `end ${endAt - dueAt - end} ms from due (${sentAt - dueAt} ms late sent)`);
      assert.equal(u.e.last.asrLatencyMs, u.e.last.finalAt - u.e.last.speechEndAt);
      assert.ok(u.e.confidence > 0 && u.e.confidence <= 1);
      assert.equal(u.e.bargeIn, false);
      assert.equal(u.e.metadata.processing_method, 'vosk-worker');
    }
    assert.equal(ua.e.turn, 5);
    assert.equal(ub.e.turn, 0);
    const s = asrServer.stats();
    assert.ok(s.asrLatencyMs.count >= 2);
    assert.equal(s.processingMethod, 'vosk-worker');
    for (const p of peers) p.close();
  });

  test('a server whose model is missing fails at start, saying so', async () => {
    const bad = new MediaServer({ host: '127.0.0.1', port: 0, sink: asrSink, asr: workerVoskEngine('/nonexistent/vosk-model') });
    await assert.rejects(bad.start(), /Vosk model unavailable: VOSK_MODEL_PATH=\/nonexistent\/vosk-model is not a directory/);
  });
});
