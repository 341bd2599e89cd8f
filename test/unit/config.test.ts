import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../runtime/config';

test('defaults follow the seed guide', () => {
  const c = parseConfig({});
  assert.equal(c.AUDIOFORK_PORT, 8765);
  assert.equal(c.OLLAMA_MODEL, 'phi3:mini');
  assert.equal(c.TARGET_BARGE_IN_LATENCY, 150);
  assert.equal(c.BARGE_IN_ENABLED, true);
  assert.equal(c.VOSK_SAMPLE_RATE, 16000);
});

test('a bad variable is named with its reason', () => {
  assert.throws(() => parseConfig({ VAD_MODE: '7', AUDIOFORK_PORT: 'abc' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    const vars = err.issues.map((i) => i.variable);
    assert.ok(vars.includes('VAD_MODE') && vars.includes('AUDIOFORK_PORT'), err.message);
    return true;
  });
  assert.throws(() => parseConfig({ BARGE_IN_ENABLED: 'maybe' }), /BARGE_IN_ENABLED/);
  assert.throws(() => parseConfig({ VOSK_SAMPLE_RATE: '44100' }), /VOSK_SAMPLE_RATE/);
  assert.throws(() => parseConfig({ ASTERISK_MEDIA_WORKERS: 'mw2=127.0.0.1:9000,mw3:9001' }), /ASTERISK_MEDIA_WORKERS.*"mw3:9001"/);
  assert.throws(() => parseConfig({ ASTERISK_MEDIA_WORKERS: 'minibot-media=127.0.0.1:9000' }), /ASTERISK_MEDIA_WORKERS/);
  assert.throws(() => parseConfig({ ARI_APP: 'mini bot' }), /ARI_APP/);
});

test('several media workers on one Asterisk: their connections parsed', () => {
  assert.deepEqual(parseConfig({ ASTERISK_MEDIA_WORKERS: ' mw2=10.0.0.5:8766 ,mw3=media-3.lan:8767' }).ASTERISK_MEDIA_WORKERS, [
    { connection: 'mw2', host: '10.0.0.5', port: 8766 },
    { connection: 'mw3', host: 'media-3.lan', port: 8767 },
  ]);
  assert.equal(parseConfig({}).ASTERISK_MEDIA_CONNECTION, 'minibot-media');
});

test('production refuses to start without its secrets', () => {
  assert.throws(() => parseConfig({ NODE_ENV: 'production' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.issues.map((i) => i.variable).sort(), ['API_KEY', 'DATABASE_URL', 'TEMPORAL_CODEC_KEYS']);
    return true;
  });
  assert.throws(() => parseConfig({ NODE_ENV: 'production', API_KEY: 'short', DATABASE_URL: 'postgresql://x@h/db' }), /API_KEY/);
});
