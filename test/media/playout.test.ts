// The outgoing half alone (media/playout.ts): pacing into Asterisk's queue, XOFF/XON, the playout estimate
// (spans), the echo reference, barge-in hold/resume/drop, stop and close — on a fake clock, with no socket.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PlayoutQueue } from '../../media/playout';
import { encodePrompt, type Prompt } from '../../media/prompt';
import { codecInfo } from '../../media/protocol';
import { FakeClock } from '../helpers/fake-clock';

const ULAW = codecInfo('ulaw')!;
const T0 = 1_000_000; // FakeClock's start
const TONE_DBFS = 20 * Math.log10(0.5 / Math.SQRT2); // RMS of a sine at half scale: -9.03 dBFS

/** `ms` of prompt at 8 kHz: a half-scale 400 Hz tone for the first `toneMs`, then digital silence. */
function prompt(id: string, ms: number, toneMs = 0): Prompt {
  const pcm = new Int16Array((ms * 8000) / 1000);
  for (let i = 0; i < (toneMs * 8000) / 1000; i++) pcm[i] = Math.round(16384 * Math.sin((2 * Math.PI * 400 * i) / 8000));
  return encodePrompt({ promptId: id, turn: 1 }, { pcm, sampleRate: 8000 }, ULAW, 160);
}

function rig() {
  const clock = new FakeClock(T0);
  const sent: { at: number; chunk: Uint8Array }[] = [];
  const commands: string[] = [];
  const finished: { id: string; interrupted: boolean; playedMs: number }[] = [];
  const warnings: string[] = [];
  const q = new PlayoutQueue({
    clock, bytesPerMs: 8, frameBytes: 160, maxMessageBytes: 65500,
    open: () => true,
    sendAudio: (chunk) => sent.push({ at: clock.now() - T0, chunk: chunk.slice() }),
    sendCommand: (c) => commands.push(c),
    finished: (p, interrupted, playedMs) => finished.push({ id: p.promptId, interrupted, playedMs }),
    warn: (m) => warnings.push(m),
  });
  return { clock, q, sent, commands, finished, warnings };
}

describe('playout queue (fake clock)', () => {
  test('paces a prompt in 1 s chunks at most 15 s ahead of playout; a stale QUEUE_DRAINED is asked again; the real one ends it', () => {
    const { clock, q, sent, commands, finished } = rig();
    const p = prompt('long', 20_000);
    q.enqueue(p);
    assert.equal(sent.length, 15);
    assert.ok(sent.every((s) => s.chunk.length === 8000 && s.at === 0));
    clock.advance(500); // 14.5 s ahead: room for one more second
    assert.equal(sent.length, 16);
    clock.advance(500); // 15 s ahead: none
    assert.equal(sent.length, 16);
    clock.advance(4000);
    assert.deepEqual(sent.map((s) => s.at), [...Array(15).fill(0), 500, 1500, 2500, 3500, 4500]);
    assert.deepEqual(Buffer.concat(sent.map((s) => s.chunk)), Buffer.from(p.bytes));
    assert.deepEqual(commands, ['REPORT_QUEUE_DRAINED']);

    clock.advance(5000); // T0 + 10 s
    assert.equal(q.audible(clock.now()), p);
    assert.equal(q.position(p, clock.now()), 10_000);
    q.drained(); // 10 s still to play: stale
    assert.deepEqual(finished, []);
    assert.deepEqual(commands, ['REPORT_QUEUE_DRAINED', 'REPORT_QUEUE_DRAINED']);
    clock.advance(9900);
    q.drained();
    assert.deepEqual(finished, [{ id: 'long', interrupted: false, playedMs: 20_000 }]);
    assert.equal(clock.pendingTimers, 0);
    assert.ok(q.idle);
  });

  test('XOFF stops sending until XON; playout starts when the audio is sent', () => {
    const { clock, q, sent, commands } = rig();
    const p = prompt('p', 3000);
    q.pause();
    q.enqueue(p);
    clock.advance(2000);
    assert.equal(sent.length, 0);
    assert.deepEqual(commands, []);
    q.resume();
    assert.deepEqual(sent.map((s) => [s.at, s.chunk.length]), [[2000, 8000], [2000, 8000], [2000, 8000]]);
    assert.deepEqual(commands, ['REPORT_QUEUE_DRAINED']);
    assert.equal(q.audible(T0 + 1900), null);
    assert.equal(q.audible(T0 + 2100), p);
    assert.equal(q.audible(T0 + 5100), null);
  });

  test('without QUEUE_DRAINED the prompt counts as played 1.5 s after its estimated end (with a warning)', () => {
    const { clock, q, finished, warnings } = rig();
    q.enqueue(prompt('p', 1000));
    clock.advance(2900);
    assert.deepEqual(finished, []);
    clock.advance(200);
    assert.deepEqual(finished, [{ id: 'p', interrupted: false, playedMs: 1000 }]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /no QUEUE_DRAINED/);
  });

  test('echo reference: the loudest level we play within the window, and nothing after a flush', () => {
    const { clock, q } = rig();
    // The loudest of the candidate delays -20..300 ms for a 20 ms frame at t: the window t - 300 .. t + 40.
    const lv = new Float32Array(33);
    const windowMax = (t: number) => (q.echoLevels(t, 20, 20, lv), lv.reduce((a, b) => Math.max(a, b), -Infinity));
    q.enqueue(prompt('p', 3000, 1000));
    assert.equal(windowMax(T0 - 1000), -Infinity);
    assert.equal(windowMax(T0 - 100), -Infinity); // starts beyond the 40 ms the playout estimate may be early
    assert.ok(Math.abs(windowMax(T0 - 30) - TONE_DBFS) < 0.1);
    assert.ok(Math.abs(windowMax(T0 + 500) - TONE_DBFS) < 0.1, String(windowMax(T0 + 500)));
    assert.ok(Math.abs(windowMax(T0 + 1200) - TONE_DBFS) < 0.1); // the tone's end is 200 ms back
    assert.equal(windowMax(T0 + 1500), -100); // digital silence
    clock.advance(500);
    q.stop();
    assert.ok(Math.abs(windowMax(T0 + 600) - TONE_DBFS) < 0.1); // what was heard before the flush
    assert.equal(windowMax(T0 + 900), -Infinity);
  });

  test('echo levels per candidate delay: the tone heard one delay earlier, its band levels around a delay', () => {
    const { q } = rig();
    q.enqueue(prompt('p', 3000, 1000)); // tone T0..T0+1000, then silence
    const lv = new Float32Array(33); // delays -20..300 ms, 10 ms apart
    // Inbound frame at T0 + 1100: with a delay of up to 100 ms its echo comes from after the tone; from 110 ms on,
    // from the tone (T0 + 990..1010 holds its last block).
    q.echoLevels(T0 + 1100, 20, 20, lv);
    for (let i = 0; i <= 12; i++) assert.equal(lv[i], -100, `delay ${i * 10 - 20} ms: digital silence`);
    for (let i = 13; i < 33; i++) assert.ok(Math.abs(lv[i]! - TONE_DBFS) < 0.1, `delay ${i * 10 - 20} ms: the tone (${lv[i]})`);
    q.echoLevels(T0 - 500, 20, 20, lv);
    assert.ok(lv.every((x) => x === -Infinity), 'before the prompt: nothing played');
    const bands = new Float32Array(4);
    q.echoBands(T0 + 1200, 20, 30, 32, bands); // delays 280-300 ms: T0 + 900..920, inside the 400 Hz tone
    assert.ok(Math.abs(bands[0]! - TONE_DBFS) < 1.5, `400 Hz lies in the 300-700 Hz band (${bands[0]})`);
    assert.ok(bands[2]! < TONE_DBFS - 30 && bands[3]! < TONE_DBFS - 30, `nothing in the upper bands (${[...bands]})`);
  });

  test('barge-in: hold flushes and keeps the place; prompts queued meanwhile wait; resume replays from 200 ms before the cut', () => {
    const { clock, q, sent, commands, finished } = rig();
    const p1 = prompt('p1', 3000);
    const p2 = prompt('p2', 1000);
    q.enqueue(p1);
    q.enqueue(p2);
    clock.advance(1234);
    const held = q.holdAudible()!;
    assert.deepEqual([held.prompt.promptId, held.posMs, held.flushedAt, held.rest.map((p) => p.promptId)], ['p1', 1234, T0 + 1234, ['p2']]);
    assert.equal(commands.at(-1), 'FLUSH_MEDIA');
    assert.equal(q.audible(clock.now()), null);
    assert.equal(q.holdAudible(), null); // already held
    const before = sent.length;
    q.enqueue(prompt('p3', 500));
    assert.equal(sent.length, before);
    assert.deepEqual(q.resumeHeld(200), { promptId: 'p1', fromMs: 1034 });
    const offset = Math.floor((1034 * 8) / 160) * 160; // whole frames: 1020 ms
    assert.deepEqual(Buffer.from(sent[before]!.chunk), Buffer.from(p1.bytes.subarray(offset, offset + 8000)));
    const after = Buffer.concat(sent.slice(before).map((s) => s.chunk));
    assert.deepEqual(after, Buffer.concat([p1.bytes.subarray(offset), p2.bytes, prompt('p3', 500).bytes]));
    assert.equal(q.audible(clock.now() + 10), p1);
    assert.equal(q.position(p1, clock.now() + 100), 1020 + 100);
    assert.deepEqual(finished, []);
  });

  test('barge-in confirmed: the held prompt ends interrupted where it was cut, those behind it unheard', () => {
    const { clock, q, sent, finished } = rig();
    q.enqueue(prompt('p1', 3000));
    q.enqueue(prompt('p2', 1000));
    clock.advance(800);
    q.holdAudible();
    const before = sent.length;
    assert.equal(q.dropHeld()!.posMs, 800);
    assert.deepEqual(finished, [{ id: 'p1', interrupted: true, playedMs: 800 }, { id: 'p2', interrupted: true, playedMs: 0 }]);
    clock.advance(5000);
    assert.equal(sent.length, before);
    assert.equal(q.stop(), null);
    assert.ok(q.idle);
  });

  test('stop flushes for good and reports how much was heard; close ends what is left, timers included', () => {
    const a = rig();
    a.q.enqueue(prompt('p1', 3000));
    a.q.enqueue(prompt('p2', 1000));
    a.clock.advance(700);
    assert.deepEqual(a.q.stop(), { playedMs: 700 });
    assert.equal(a.commands.at(-1), 'FLUSH_MEDIA');
    assert.deepEqual(a.finished, [{ id: 'p1', interrupted: true, playedMs: 700 }, { id: 'p2', interrupted: true, playedMs: 0 }]);

    const b = rig();
    b.q.enqueue(prompt('long', 20_000));
    b.q.enqueue(prompt('next', 1000));
    b.clock.advance(300);
    assert.ok(b.clock.pendingTimers > 0);
    b.q.close();
    assert.deepEqual(b.finished, [{ id: 'long', interrupted: true, playedMs: 300 }, { id: 'next', interrupted: true, playedMs: 0 }]);
    assert.equal(b.clock.pendingTimers, 0);
    const sentAtClose = b.sent.length;
    b.clock.advance(60_000);
    assert.equal(b.sent.length, sentAtClose);
    assert.equal(b.finished.length, 2);
  });
});
