// The stream AMD on its test set (test/helpers/amd-set.ts): synthetic people answering (espeak-ng voices
// fr, fr+f1..f4, fr+m1, fr+m3, high steady pitches, speeds 130-200) and answering machines (voicemail greetings
// followed by beeps of 400-1000 Hz, short "leave a message" + beep, long greetings with no beep), plus the
// recorded test callees; each case through the WebRTC VAD and the stream AMD as in a call. Every machine must
// be caught; no person may be taken for a beep; at most 5 % of the people may be classed MACHINE (the long
// slow "Allô ? Oui, bonjour, c'est de la part de qui ?" is the known hard case: continuous speech as long as a
// recorded greeting). The figures are printed by `npm run bench:amd`.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { haveTools } from '../helpers/media-fixtures';
import { runAmdSet, type AmdCaseResult } from '../helpers/amd-set';

const tools = haveTools();

describe('stream AMD on the AMD test set', { skip: tools.ok ? false : `missing ${tools.missing.join(', ')} (apt-get install espeak-ng sox)` }, () => {
  let set: Awaited<ReturnType<typeof runAmdSet>>;
  const show = (c: AmdCaseResult) => `${c.name}: ${c.status} ${c.cause} @${c.afterMs} ms`;
  before(async () => {
    set = await runAmdSet();
    console.log(`# ${JSON.stringify(set.summary)}`);
  }, { timeout: 300_000 });

  it('has people and machines of every kind', () => {
    assert.ok(set.summary.humans >= 100 && set.summary.machines >= 60, JSON.stringify(set.summary));
    for (const hz of [400, 440, 600, 850, 1000]) assert.ok(set.cases.some((c) => c.name.includes(`beep ${hz} Hz`)), `${hz} Hz beeps`);
    assert.ok(set.cases.some((c) => c.name.includes('no beep')));
  });

  it('catches every machine: by its beep when it has one (at the beep frequency), else by its long greeting', () => {
    for (const c of set.cases.filter((x) => x.expected === 'MACHINE')) {
      assert.equal(c.status, 'MACHINE', show(c));
      if (c.name.includes('no beep')) assert.match(c.cause, /^LONGGREETING/, show(c));
      const hz = /short greeting beep (\d+) Hz/.exec(c.name)?.[1];
      // A short greeting is too short for the length rule: only the beep, at its own frequency (±10 Hz), catches it.
      if (hz) assert.ok(Math.abs(Number(/^BEEP-(\d+)Hz$/.exec(c.cause)?.[1] ?? NaN) - Number(hz)) <= 10, show(c));
    }
  });

  it('never hears a beep in a person\'s voice, and takes short answers for people', () => {
    for (const c of set.cases.filter((x) => x.expected === 'HUMAN')) {
      assert.doesNotMatch(c.cause, /^BEEP/, show(c));
      if (!c.name.includes('Allô ? Oui, bonjour')) assert.equal(c.status, 'HUMAN', show(c));
    }
  });

  it('classes at most 5 % of the people as machines', () => {
    const wrong = set.cases.filter((c) => c.expected === 'HUMAN' && c.status === 'MACHINE');
    assert.ok(wrong.length / set.summary.humans <= 0.05, `${wrong.length} of ${set.summary.humans}:\n${wrong.map(show).join('\n')}`);
  });
});
