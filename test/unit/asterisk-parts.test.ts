// The pure parts of the Asterisk backend: the dial plan, the hangup causes, the call's phases, the owner of a
// channel or bridge id (what reconcile removes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agentDialPlan, dialPlan, maskEndpoint, ringCause } from '../../telephony/asterisk/dial-plan';
import { keyPressed } from '../../telephony/asterisk/dtmf';
import type { AdapterContext } from '../../telephony/asterisk/context';
import { RecordingSink } from '../helpers/recording-sink';
import { newCall, transition, type CallPhase } from '../../telephony/asterisk/call';
import { ownerOf, reconcilePlan } from '../../telephony/asterisk/reconcile';

test('dial plan: template placeholders, exact overrides, refusal of what is not a number', () => {
  const d = dialPlan('PJSIP/{national}@carrier', { '+33612345678': 'Local/human@minibot-test-callees' });
  assert.equal(d('+33612345679'), 'PJSIP/0612345679@carrier');
  assert.equal(d('+33612345678'), 'Local/human@minibot-test-callees');
  assert.equal(dialPlan('PJSIP/{number}@t')('+33612345679'), 'PJSIP/33612345679@t');
  assert.equal(dialPlan('SIP/{e164}')('33612345679'), 'SIP/+33612345679');
  assert.throws(() => d('06 12'), /phone: "06 12" is not a dialable number/);
  assert.throws(() => dialPlan('PJSIP/carrier'), /ASTERISK_DIAL_TEMPLATE: must contain/);
  assert.equal(maskEndpoint('PJSIP/0612345679@carrier'), 'PJSIP/0612****79@carrier');
});

test('ring causes: the Dial status first, then the Q.850 cause', () => {
  assert.equal(ringCause(16, 'BUSY'), 'busy');
  assert.equal(ringCause(null, 'NOANSWER'), 'no_answer');
  assert.equal(ringCause(null, 'CONGESTION'), 'congestion');
  assert.equal(ringCause(17, 'CHANUNAVAIL'), 'failed');
  assert.equal(ringCause(17, ''), 'busy');
  assert.equal(ringCause(19, ''), 'no_answer');
  assert.equal(ringCause(21, ''), 'rejected');
  assert.equal(ringCause(34, ''), 'congestion');
  assert.equal(ringCause(16, ''), 'failed');
  assert.equal(ringCause(null, ''), 'failed');
});

test('call phases: dialing → amd → up → ending; ending is final; no way back', () => {
  const c = newCall('call-1', false, 0);
  assert.equal(c.phase, 'dialing');
  assert.equal(c.mediaId, 'call-1-m');
  assert.equal(c.bridgeId, 'call-1-b');
  assert.equal(transition(c, 'amd'), true);
  assert.equal(transition(c, 'dialing'), false);
  assert.equal(transition(c, 'up'), true);
  assert.equal(transition(c, 'amd'), false);
  assert.equal(c.phase, 'up');
  assert.equal(transition(c, 'ending'), true);
  for (const p of ['dialing', 'amd', 'up', 'ending'] as CallPhase[]) assert.equal(transition(c, p), false, `ending → ${p}`);
  const d = newCall('call-2', false, 0);
  assert.equal(transition(d, 'up'), true, 'stream AMD: straight to up');
  const e = newCall('call-3', false, 0);
  assert.equal(transition(e, 'ending'), true, 'a call may end while dialing');
});

test('reconcile: the call a channel or bridge id belongs to', () => {
  assert.equal(ownerOf('call-1'), 'call-1');
  assert.equal(ownerOf('call-1-m'), 'call-1');
  assert.equal(ownerOf('call-1-c'), 'call-1');
  assert.equal(ownerOf('call-1-b'), 'call-1');
  assert.equal(ownerOf('call-1-a'), 'call-1', 'a transfer\'s agent leg');
  assert.equal(ownerOf('call-1-d'), 'call-1', 'its Local other half');
});

test('reconcile: a held call is ended only when a list asked for after its channel existed lacks it; leftovers of ended calls go', () => {
  const listedAt = 1000;
  const held = [
    { id: 'cut', createdAt: 400 }, // up before the list, absent from it: gone while we could not hear
    { id: 'up', createdAt: 500 }, // up before the list and in it
    { id: 'newer', createdAt: 1000 }, // its originate answered as the list was asked for: the list may predate it
    { id: 'later', createdAt: 1300 }, // answered after: the list says nothing about it
    { id: 'dialing', createdAt: null }, // originate under way
  ];
  const ended = (id: string) => ['done', 'cut-before'].includes(id);
  const plan = reconcilePlan(held, ended, listedAt,
    [{ id: 'up' }, { id: 'done' }, { id: 'done-m' }, { id: 'done-c' }, { id: 'stranger' }],
    [{ id: 'up-b' }, { id: 'done-b' }, { id: 'cut-before-b' }, { id: 'someone-elses' }]);
  assert.deepEqual(plan, {
    end: ['cut'],
    hangup: ['done', 'done-m', 'done-c'],
    destroy: ['done-b', 'cut-before-b'],
  });
});

test('agent dial plan: {agent} in the template, agent names that cannot inject a dial string refused', () => {
  assert.equal(agentDialPlan('PJSIP/{agent}@agents')('1001'), 'PJSIP/1001@agents');
  assert.equal(agentDialPlan('Local/{agent}@agents')('ventes'), 'Local/ventes@agents');
  assert.throws(() => agentDialPlan('PJSIP/1001@agents'), /AGENT_DIAL_TEMPLATE: must contain \{agent\}/);
  assert.throws(() => agentDialPlan('PJSIP/{agent}@agents')('1001&PJSIP/evil'), /agent: "1001&PJSIP\/evil" is not a dialable agent name/);
});

test('DTMF from ARI and from chan_websocket: each press reaches the workflow once, repeated presses stay presses', () => {
  const sink = new RecordingSink();
  const ctx = { o: { sink }, report: (_w: string, _id: string, fn: () => Promise<void>) => void fn() } as unknown as AdapterContext;
  const c = newCall('call-k', false, 0);
  keyPressed(ctx, c, 'ari', '1'); // first press of 1, ARI first
  keyPressed(ctx, c, 'media', '1'); // the same press through chan_websocket
  keyPressed(ctx, c, 'media', '1'); // a second press of 1, media first this time
  keyPressed(ctx, c, 'ari', '1');
  keyPressed(ctx, c, 'media', '9'); // only one path heard this one: it still counts
  assert.deepEqual(sink.of('dtmf', 'call-k').map((r) => r.e.digit), ['1', '1', '9']);
  assert.deepEqual(c.metrics.dtmf, { ari: 2, media: 3, delivered: 3 });
});
