import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractCallbackTime } from '../../lib/intent';

const now = new Date('2025-03-12T15:20:00+01:00'); // Wednesday, Paris
const at = (t: string, tz = 'Europe/Paris', n = now) => extractCallbackTime(t, n, tz);

test('absolute times: day anchors, parts of day, hours in words and digits', () => {
  assert.deepEqual(at('rappelez moi demain'), { kind: 'absolute', at: '2025-03-13T10:00:00+01:00', text: 'demain' });
  assert.equal(at('ce soir')?.at, '2025-03-12T18:00:00+01:00');
  assert.equal(at('lundi')?.at, '2025-03-17T10:00:00+01:00');
  assert.equal(at('mercredi')?.at, '2025-03-19T10:00:00+01:00', 'same weekday means next week');
  assert.equal(at('après dix-huit heures')?.at, '2025-03-12T18:00:00+01:00');
  assert.equal(at('apres dix huit heures trente')?.at, '2025-03-12T18:30:00+01:00');
  assert.equal(at('demain à 14h')?.at, '2025-03-13T14:00:00+01:00');
  assert.equal(at('jeudi vers deux heures')?.at, '2025-03-13T14:00:00+01:00', 'afternoon reading on a business call');
  assert.equal(at('samedi matin')?.at, '2025-03-15T10:00:00+01:00');
  assert.equal(at('à midi')?.at, '2025-03-13T12:00:00+01:00', 'noon already passed today: tomorrow');
  assert.equal(at('la semaine prochaine')?.at, '2025-03-17T10:00:00+01:00');
});

test('relative times', () => {
  assert.deepEqual(at('dans une heure'), { kind: 'relative', at: '2025-03-12T16:20:00+01:00', text: 'dans une heure' });
  assert.equal(at('dans une demi-heure')?.at, '2025-03-12T15:50:00+01:00');
  assert.equal(at('rappelez dans dix minutes')?.at, '2025-03-12T15:30:00+01:00');
  assert.equal(at('dans deux jours')?.at, '2025-03-14T15:20:00+01:00');
});

test('vague requests and no time', () => {
  assert.deepEqual(at('rappelez plus tard'), { kind: 'vague', text: 'plus tard' });
  assert.equal(at('oui ça m intéresse'), undefined);
  assert.equal(at(''), undefined);
});

test('time zone of the callee is honoured, across a DST change', () => {
  assert.equal(at('demain à 9h', 'America/Montreal')?.at, '2025-03-13T09:00:00-04:00');
  // Paris switches to summer time on 2025-03-30
  assert.equal(at('demain', 'Europe/Paris', new Date('2025-03-29T12:00:00+01:00'))?.at, '2025-03-30T10:00:00+02:00');
});
