// Hybrid AMD (media/amd.ts) on real audio: the test callees' French recordings (audio/test-callees, the same
// files Asterisk plays in the end-to-end tier) through the real WebRTC VAD, plus synthetic tones for the
// Goertzel beep detector, and the combination with Asterisk's AMDSTATUS.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { join, resolve } from 'node:path';
import { initVad } from '../../media/vad';
import { VadFramer } from '../../media/vad-framer';
import { MediaTap, Pipeline } from '../../media/pipeline';
import { readWavMono, rmsDbfs } from '../../media/audio';
import { BEEP_FREQUENCIES, StreamAmd, combineAmd, goertzelPurity, resolveStreamAmd, type StreamVerdict } from '../../media/amd';

const CALLEES = resolve(import.meta.dirname, '../../audio/test-callees');

before(async () => {
  await initVad();
});

/** Plays `names` one after the other (after `leadMs` of silence, then `tailMs`) through the VAD into a StreamAmd. */
async function listen(names: string[], leadMs = 400, tailMs = 4000, rate = 8000) {
  const parts = await Promise.all(names.map((n) => (n.startsWith('tone:') ? tone(Number(n.slice(5)), 600, rate) : readWavMono(join(CALLEES, `${n}.wav`)).then((w) => w.pcm))));
  const pcm = new Int16Array(parts.reduce((a, p) => a + p.length, 0) + ((leadMs + tailMs) * rate) / 1000);
  let off = (leadMs * rate) / 1000;
  for (const p of parts) {
    pcm.set(p, off);
    off += p.length;
  }
  // The AMD on the frame path, as in a call: VAD framer -> AMD tap (media/session.ts wires the same stages).
  const amd = new StreamAmd(0);
  const pipeline = new Pipeline([new VadFramer({ sampleRate: rate, frameMs: 20, vadMode: 2 }), new MediaTap((f) => amd.push(f))], () => {});
  pipeline.push({ kind: 'audio', t: 0, pcm, sampleRate: rate });
  pipeline.close();
  return { verdict: amd.verdict, amd };
}

function tone(hz: number, ms: number, rate: number, amp = 8000): Int16Array {
  return Int16Array.from({ length: (ms * rate) / 1000 }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate)));
}

describe('Goertzel beep detector', () => {
  it('measures tonal purity: ~1 on the bin, low for speech and noise', async () => {
    for (const hz of BEEP_FREQUENCIES) assert.ok(goertzelPurity(tone(hz, 20, 16000), 16000, hz) > 0.95, `${hz} Hz`);
    assert.ok(goertzelPurity(tone(1000, 20, 16000), 16000, 1400) < 0.05, 'another frequency');
    const noise = Int16Array.from({ length: 320 }, () => Math.round((Math.random() - 0.5) * 16000));
    assert.ok(Math.max(...BEEP_FREQUENCIES.map((hz) => goertzelPurity(noise, 16000, hz))) < 0.3);
    const { pcm } = await readWavMono(join(CALLEES, 'machine_greeting.wav'));
    let maxSpeech = 0;
    for (let i = 0; i + 160 <= pcm.length; i += 160) {
      const f = pcm.subarray(i, i + 160);
      if (rmsDbfs(f) > -40) maxSpeech = Math.max(maxSpeech, ...BEEP_FREQUENCIES.map((hz) => goertzelPurity(f, 8000, hz)));
    }
    assert.ok(maxSpeech < 0.9, `speech frames never look like a pure tone (max purity ${maxSpeech.toFixed(2)})`);
  });
});

describe('stream AMD on the test callees', () => {
  it('"Allô, oui ?" then silence: HUMAN (short greeting), as soon as the after-greeting silence has passed', async () => {
    const { verdict, amd } = await listen(['allo']);
    assert.equal(verdict?.status, 'HUMAN');
    assert.match(verdict!.cause, /^SHORTGREETING/);
    const e = amd.evidence();
    const sinceGreetingEnd = verdict!.afterMs - (e.speechOnsetMs! + e.greetingMs);
    assert.ok(sinceGreetingEnd >= 800 && sinceGreetingEnd <= 860, `decided ${sinceGreetingEnd} ms after the greeting ended`);
    // The first prompt may start once the greeting paused, long before the verdict.
    assert.equal(amd.gate?.reason, 'greeting-ended');
    assert.ok(amd.gate!.at < verdict!.at);
  });

  it('"Allô ? Oui, bonjour, c\'est de la part de qui ?" (the stock-AMD false machine) is not a MACHINE', async () => {
    const { verdict } = await listen(['allo_bonjour']);
    assert.equal(verdict?.status, 'HUMAN');
    assert.match(verdict!.cause, /^PAUSEDGREETING/);
  });

  it('a 13 s voicemail greeting is a MACHINE as soon as it has lasted the machine threshold; the gate stays shut', async () => {
    const { verdict, amd } = await listen(['machine_greeting', 'beep']);
    assert.equal(verdict?.status, 'MACHINE');
    assert.match(verdict!.cause, /^LONGGREETING/);
    const onset = amd.evidence().speechOnsetMs!;
    assert.ok(verdict!.afterMs - onset >= 2800 && verdict!.afterMs - onset < 3200, `decided ${verdict!.afterMs - onset} ms after the greeting began`);
    assert.equal(amd.gate, null, 'no prompt over a machine greeting');
    // Leave-a-message: the voicemail gate opens after the beep, not before.
    assert.equal(amd.evidence().beepHz, 1000);
    assert.ok(amd.voicemailGate !== null && amd.voicemailGate > amd.evidence().beepAtMs!, 'message after the beep');
  });

  it('a short "leave a message" then a beep is a MACHINE by the beep', async () => {
    const { verdict } = await listen(['allo', 'tone:1400'], 300, 2000);
    // The greeting is short, but the beep comes before the after-greeting silence ends.
    assert.equal(verdict?.status, 'MACHINE');
    assert.equal(verdict!.cause, 'BEEP-1400Hz');
  });

  it('a beep at any frequency of 300-2100 Hz is a beep; a steady voiced sound with the same strong harmonic is not', () => {
    const feed = (pcm: Int16Array) => {
      const amd = new StreamAmd(0);
      const all = new Int16Array(pcm.length + 8000);
      all.set(pcm, 2400); // 300 ms of silence first, then the sound, then silence
      for (let i = 0; i + 160 <= all.length; i += 160) {
        const f = all.subarray(i, i + 160);
        amd.push({ kind: 'media', t: i / 8, durMs: 20, pcm: f, sampleRate: 8000, speech: rmsDbfs(f) > -50, dbfs: rmsDbfs(f), echoRefDbfs: -Infinity, promptAudible: false, bargeInArmed: false });
      }
      return amd.evidence().beepHz;
    };
    for (const hz of [400, 700, 1000, 1800]) assert.ok(Math.abs((feed(tone(hz, 400, 8000)) ?? 0) - hz) <= 10, `${hz} Hz beep`);
    // A 220 Hz voice held steady with its 2nd harmonic (440 Hz) dominant: 60 % of the energy at 440 Hz, the
    // reading that made fixed 440 Hz filters call espeak-ng's fr+f2 a beep. Its other harmonics give it away.
    const vowel = Int16Array.from({ length: 3200 }, (_, i) => {
      const w = (k: number) => Math.sin((2 * Math.PI * 220 * k * i) / 8000);
      return Math.round(6000 * (0.5 * w(1) + 1.0 * w(2) + 0.45 * w(3) + 0.2 * w(4)));
    });
    assert.equal(feed(vowel), null, 'a voiced sound is not a beep');
    // Nor is a tone whose level moves like speech (syllable-rate modulation, ±6 dB at 5 Hz).
    const modulated = Int16Array.from({ length: 3200 }, (_, i) => Math.round(6000 * (1 + 0.5 * Math.sin((2 * Math.PI * 5 * i) / 8000)) * Math.sin((2 * Math.PI * 440 * i) / 8000)));
    assert.equal(feed(modulated), null, 'a level that moves at the syllable rate is not a beep');
  });

  it('nobody speaks: the first prompt starts after the configured silence; NOTSURE (INITIALSILENCE), never MACHINE', async () => {
    const { verdict, amd } = await listen([], 0, 6000);
    assert.equal(amd.gate?.reason, 'silence');
    assert.equal(amd.gate!.at, 1500);
    assert.equal(verdict?.status, 'NOTSURE');
    assert.match(verdict!.cause, /^INITIALSILENCE/);
  });

  it('our own prompt echoing back is not the callee speaking (echo guard)', () => {
    const amd = new StreamAmd(0);
    const echo = tone(300, 20, 8000, 2000);
    for (let t = 0; t < 4000; t += 20) {
      const v = amd.push({ kind: 'media', t, durMs: 20, pcm: echo, sampleRate: 8000, speech: true, dbfs: rmsDbfs(echo), echoRefDbfs: rmsDbfs(echo) + 10, promptAudible: true, bargeInArmed: true });
      assert.notEqual(v?.status, 'MACHINE', 'echo must not count as a long greeting');
    }
    assert.equal(amd.evidence().speechOnsetMs, null);
  });

  it('a media stall after the callee started speaking is not the end of the greeting; the decision deadline still fires', () => {
    const amd = new StreamAmd(0);
    const voice = tone(180, 20, 8000, 6000);
    for (let t = 300; t < 1300; t += 20) amd.push({ kind: 'media', t, durMs: 20, pcm: voice, sampleRate: 8000, speech: true, dbfs: rmsDbfs(voice), echoRefDbfs: -Infinity, promptAudible: false, bargeInArmed: false });
    assert.equal(amd.tick(2500), null, 'no frames for 1.2 s: no verdict from silence that was never heard');
    assert.equal(amd.verdict, null);
    const v = amd.tick(5000);
    assert.equal(v?.status, 'NOTSURE');
    assert.match(v!.cause, /^TIMEOUT/);
  });

  it('rejects inconsistent thresholds, naming them', () => {
    assert.throws(() => resolveStreamAmd({ humanSpeechMs: 3000, machineSpeechMs: 2000 }), /machineSpeechMs/);
    assert.throws(() => resolveStreamAmd({ beepPurity: 2 }), /amd.beepPurity/);
  });
});

describe('combining with Asterisk AMD()', () => {
  const stream = (status: StreamVerdict['status'], cause: string): StreamVerdict => ({
    status, cause, at: 0, afterMs: 2000, evidence: { speechOnsetMs: 0, greetingMs: 0, longestSpeechMs: 0, beepHz: null, beepAtMs: null },
  });
  it('MACHINE and HUMAN from Asterisk decide at once; a stream beep overrules HUMAN', () => {
    assert.equal(combineAmd({ status: 'MACHINE', cause: 'LONGGREETING-3000-1500' }, null)?.verdict, 'machine');
    assert.equal(combineAmd({ status: 'HUMAN', cause: 'HUMAN-500-800' }, null)?.verdict, 'human');
    assert.equal(combineAmd({ status: 'HUMAN', cause: 'HUMAN-500-800' }, stream('MACHINE', 'BEEP-1000Hz'))?.verdict, 'machine');
  });
  it('NOTSURE waits for the stream; a stream NOTSURE stays unknown (handled as a person), with both causes', () => {
    assert.equal(combineAmd({ status: 'NOTSURE', cause: 'TOOLONG-5000' }, null), null);
    const h = combineAmd({ status: 'NOTSURE', cause: 'TOOLONG-5000' }, stream('NOTSURE', 'INITIALSILENCE-2500ms'))!;
    assert.equal(h.verdict, 'unknown');
    assert.match(h.cause, /asterisk:NOTSURE-TOOLONG-5000 stream:NOTSURE-INITIALSILENCE/);
    assert.equal(combineAmd(null, stream('HUMAN', 'SHORTGREETING-600ms'))?.verdict, 'human');
  });
});
