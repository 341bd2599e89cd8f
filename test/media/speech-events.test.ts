// Where the two halves of a call meet (media/speech-events.ts), alone: speech frames act on a real playout
// queue (fake clock, no socket) and become the call's events, recorded by an in-process sink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlayoutQueue } from '../../media/playout';
import { encodePrompt } from '../../media/prompt';
import { codecInfo } from '../../media/protocol';
import { SpeechEvents, type SpeechStats } from '../../media/speech-events';
import type { Frame, SpeechEvent } from '../../media/frames';
import { FakeClock } from '../helpers/fake-clock';
import { RecordingSink } from '../helpers/recording-sink';

const T0 = 1_000_000;
const ULAW = codecInfo('ulaw')!;
const prompt = (id: string, ms: number, bargeIn = true) =>
  encodePrompt({ promptId: id, turn: 1, bargeIn }, { pcm: new Int16Array((ms * 8000) / 1000).fill(3000), sampleRate: 8000 }, ULAW, 160);

function rig(asrMethod: string | null = 'vosk-inline') {
  const clock = new FakeClock(T0);
  const sink = new RecordingSink();
  const commands: string[] = [];
  let sentChunks = 0;
  const playout = new PlayoutQueue({
    clock, bytesPerMs: 8, frameBytes: 160, maxMessageBytes: 65500, open: () => true,
    sendAudio: () => void sentChunks++,
    sendCommand: (c) => commands.push(c),
    finished: (p, interrupted, playedMs) => void sink.playbackFinished('c1', { promptId: p.promptId, turn: p.turn, interrupted, playedMs }),
    warn: () => {},
  });
  const stats: SpeechStats = { bargeInLatencyMs: [], asrLatencyMs: [], signalLatencyMs: [], tentativeFlushes: 0, resumes: 0, confirmedBargeIns: 0 };
  const recorded: [string, number][] = [];
  let turn = 3;
  const stage = new SpeechEvents({
    callId: 'c1', sink, playout, clock, stats, asrMethod,
    turn: () => turn,
    resumeRewindMs: () => 200,
    record: (name, ms) => recorded.push([name, ms]),
    deliver: (_name, fn) => void fn(),
    debug: () => {},
  });
  const passed: Frame[] = [];
  const push = (f: Frame) => stage.process(f, (x) => passed.push(x));
  const speech = (e: SpeechEvent, segment: number, bargeInArmed: boolean) => push({ ...e, kind: 'speech', t: clock.now(), segment, bargeInArmed });
  return { clock, sink, commands, playout, stats, recorded, push, speech, passed, setTurn: (t: number) => (turn = t), sent: () => sentChunks };
}

test('barge-in confirmed: onset flushes the prompt, confirm ends it and signals speechStarted; the utterance keeps the turn it ended in', async () => {
  const r = rig();
  r.playout.enqueue(prompt('p1', 3000));
  r.clock.advance(1000);
  r.speech({ type: 'onset', speechStartAt: T0 + 960 }, 1, true);
  assert.deepEqual(r.commands, ['REPORT_QUEUE_DRAINED', 'FLUSH_MEDIA']);
  assert.deepEqual([r.stats.tentativeFlushes, r.stats.bargeInLatencyMs], [1, [40]]);
  assert.deepEqual(r.sink.events, []); // nothing signalled until confirmed
  r.clock.advance(300);
  r.speech({ type: 'confirm', speechStartAt: T0 + 960, duringPrompt: true }, 1, true);
  assert.deepEqual(r.sink.of('speechStarted').map((x) => x.e), [{ turn: 3, speechStartAt: T0 + 960, flushedAt: T0 + 1000, promptId: 'p1', promptPlayedMs: 1000 }]);
  assert.deepEqual(r.sink.of('playbackFinished').map((x) => x.e), [{ promptId: 'p1', turn: 1, interrupted: true, playedMs: 1000 }]);
  assert.equal(r.stats.confirmedBargeIns, 1);
  r.setTurn(4);
  r.clock.advance(700);
  r.speech({ type: 'end', speechStartAt: T0 + 960, speechEndAt: T0 + 1990 }, 1, false);
  r.setTurn(5); // the workflow moved on before the transcript came
  r.clock.advance(400);
  const words = [{ word: '네', start: 0.1, end: 0.4, conf: 0.9 }];
  r.push({ kind: 'transcript', t: r.clock.now(), segment: 1, speechStartAt: T0 + 960, speechEndAt: T0 + 1990, text: '네', confidence: 0.9, words, decodeMs: 12.4 });
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.sink.of('utterance').map((x) => x.e), [{
    turn: 4, text: '네', confidence: 0.9, speechStartAt: T0 + 960, speechEndAt: T0 + 1990, finalAt: T0 + 2400, asrLatencyMs: 410, bargeIn: true,
    metadata: { processing_method: 'vosk-inline', asr_latency_ms: 410, asr_decode_ms: 12, barge_in_latency_ms: 40, words },
  }]);
  assert.deepEqual(r.recorded, [['bargeIn', 40], ['asr', 410], ['signal', 410]]);
  assert.equal(r.passed.length, 4); // every frame passes on
});

test('a released onset resumes the prompt from 200 ms before the cut; nothing is signalled', () => {
  const r = rig();
  r.playout.enqueue(prompt('p1', 3000));
  r.clock.advance(500);
  r.speech({ type: 'onset', speechStartAt: T0 + 460 }, 1, true);
  const sentBefore = r.sent();
  r.clock.advance(250);
  r.speech({ type: 'release', speechStartAt: T0 + 460 }, 1, true);
  assert.equal(r.stats.resumes, 1);
  assert.ok(r.sent() > sentBefore, 'the prompt is sent again');
  assert.equal(r.playout.audible(r.clock.now() + 10)?.promptId, 'p1');
  assert.equal(r.playout.position(r.playout.audible(r.clock.now() + 10)!, r.clock.now() + 10), 300 + 10);
  assert.deepEqual(r.sink.events, []);
});

test('speech over a prompt that opted out of barge-in, or over silence, flushes nothing; empty transcripts are dropped', async () => {
  const r = rig();
  r.playout.enqueue(prompt('p1', 3000, false));
  r.clock.advance(500);
  r.speech({ type: 'onset', speechStartAt: T0 + 460 }, 1, false);
  r.speech({ type: 'confirm', speechStartAt: T0 + 460, duringPrompt: false }, 1, false);
  assert.deepEqual(r.commands, ['REPORT_QUEUE_DRAINED']);
  assert.deepEqual(r.sink.of('speechStarted').map((x) => x.e), [{ turn: 3, speechStartAt: T0 + 460, flushedAt: undefined, promptId: 'p1', promptPlayedMs: 500 }]);
  assert.deepEqual(r.sink.of('playbackFinished'), []);
  r.speech({ type: 'end', speechStartAt: T0 + 460, speechEndAt: T0 + 900 }, 1, false);
  r.push({ kind: 'transcript', t: r.clock.now(), segment: 1, speechStartAt: T0 + 460, speechEndAt: T0 + 900, text: '', confidence: 0, words: [], decodeMs: 3 });
  await new Promise((res) => setImmediate(res));
  assert.deepEqual(r.sink.of('utterance'), []);
  assert.equal(r.stats.asrLatencyMs.length, 0);
});
