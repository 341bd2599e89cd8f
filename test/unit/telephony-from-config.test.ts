// The telephony backend comes from the configuration (TELEPHONY_BACKEND), whichever process asks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CallEventSink } from '../../lib/call-events';
import { parseConfig } from '../../runtime/config';
import { AsteriskTelephony } from '../../telephony/asterisk';
import { telephonyFromConfig } from '../../telephony/from-config';
import { SimulatedTelephony } from '../../telephony/simulated';

const sink: CallEventSink = {
  answered: async () => undefined, amdResult: async () => undefined, speechStarted: async () => undefined, utterance: async () => undefined,
  playbackFinished: async () => undefined, hungUp: async () => undefined, dtmf: async () => undefined,
};

test('TELEPHONY_BACKEND=simulated gives the simulated backend, with SIM_SPEED', () => {
  const t = telephonyFromConfig(parseConfig({ TELEPHONY_BACKEND: 'simulated', SIM_SPEED: '20' }), { sink });
  assert.equal(t.backend, 'simulated');
  assert.ok(t.port instanceof SimulatedTelephony);
  assert.deepEqual(t.port.activeCalls(), []);
});

test('TELEPHONY_BACKEND=asterisk gives the Asterisk backend on ARI_URL (nothing started, nothing connected)', () => {
  const cfg = parseConfig({
    TELEPHONY_BACKEND: 'asterisk', ARI_URL: 'http://127.0.0.1:1', ARI_PASSWORD: 'x'.repeat(24),
  });
  const t = telephonyFromConfig(cfg, { sink });
  assert.equal(t.backend, 'asterisk');
  assert.ok(t.port instanceof AsteriskTelephony);
  assert.equal(t.port.ari.creds.url, 'http://127.0.0.1:1');
  assert.deepEqual(t.port.health(), { ari: 'connecting', activeCalls: 0, reconnections: 0 });
});
