// scripts/asterisk-render.ts: templates from asterisk-configs/ rendered from a configuration (no Asterisk needed).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../../runtime/config';
import { renderAll, renderTemplate, renderVars, RenderError, TEMPLATES_DIR } from '../../scripts/asterisk-render';

const creds = { url: 'http://127.0.0.1:8088', username: 'robot', password: 'pw-from-test', app: 'minibot' };
const MODDIR = '/usr/lib/x86_64-linux-gnu/asterisk/modules';

describe('asterisk-render', () => {
  it('converts the AMD thresholds from seconds to milliseconds and raises the word limit', () => {
    const v = renderVars(parseConfig({ AMD_MACHINE_SPEECH_THRESHOLD: '3.5', AMD_SILENCE_THRESHOLD: '0.9', AMD_HUMAN_SPEECH_THRESHOLD: '1.1' }), creds, MODDIR);
    assert.equal(v.AMD_GREETING_MS, '3500');
    assert.equal(v.AMD_MAX_WORD_LENGTH_MS, '3500');
    assert.equal(v.AMD_AFTER_GREETING_SILENCE_MS, '900');
    assert.equal(v.AMD_TOTAL_ANALYSIS_MS, String(3500 + 900 + 500));
    assert.ok(Number(v.AMD_MAX_WORDS) > 2, 'the stock limit of 2 words calls humans machines');
  });

  it('takes the HTTP bind address and port from ARI_URL', () => {
    const v = renderVars(parseConfig({ ARI_URL: 'http://localhost:18088' }), creds, MODDIR);
    assert.equal(v.ASTERISK_HTTP_BIND, '127.0.0.1');
    assert.equal(v.ASTERISK_HTTP_PORT, '18088');
  });

  it('refuses inconsistent or unsafe settings, naming the variable', () => {
    const err = (env: Record<string, string>, c = creds) => {
      try {
        renderVars(parseConfig(env), c, MODDIR);
      } catch (e) {
        assert.ok(e instanceof RenderError);
        return e.variable;
      }
      assert.fail('expected a RenderError');
    };
    assert.equal(err({ AMD_HUMAN_SPEECH_THRESHOLD: '3', AMD_MACHINE_SPEECH_THRESHOLD: '2.8' }), 'AMD_HUMAN_SPEECH_THRESHOLD');
    assert.equal(err({ ASTERISK_SIP_BIND: '0.0.0.0' }), 'ASTERISK_TEST_ENDPOINTS');
    assert.equal(err({ SIP_TRUNK_HOST: 'sip.carrier.example', SIP_TRUNK_USERNAME: 'u' }), 'SIP_TRUNK_PASSWORD');
    assert.equal(err({}, { ...creds, password: 'a;b' }), 'ARI_PASSWORD');
    assert.equal(err({ ASTERISK_RTP_START: '20000', ASTERISK_RTP_END: '10000' }), 'ASTERISK_RTP_START');
  });

  it('keeps ;@if blocks only when their name is set, and leaves Asterisk variables alone', () => {
    const t = 'a=${ARI_APP}\n;@if SIP_TRUNK_HOST\nhost=${SIP_TRUNK_HOST}\n;@endif\nx=${AMDSTATUS}';
    assert.equal(renderTemplate(t, { ARI_APP: 'minibot', SIP_TRUNK_HOST: '' }), 'a=minibot\nx=${AMDSTATUS}');
    assert.equal(renderTemplate(t, { ARI_APP: 'm', SIP_TRUNK_HOST: 'h' }), 'a=m\nhost=h\nx=${AMDSTATUS}');
    assert.throws(() => renderTemplate(';@if NOPE\n;@endif', {}), /NOPE/);
    assert.throws(() => renderTemplate(';@if A\n', { A: 'x' }), /without ;@endif/);
  });

  it('renders every template: credentials, media connection, carrier trunk only when configured', () => {
    const out = mkdtempSync(join(tmpdir(), 'minibot-render-'));
    try {
      const env = { ARI_PASSWORD: 'secret-from-env', AUDIOFORK_HOST: '127.0.0.2', AUDIOFORK_PORT: '9999', ASTERISK_SIP_PORT: '5070' };
      const files = renderAll(out, MODDIR, parseConfig(env));
      assert.deepEqual(files.sort(), readdirSync(TEMPLATES_DIR).filter((f) => f.endsWith('.conf')).sort());
      const read = (f: string) => readFileSync(join(out, f), 'utf8');
      assert.match(read('ari.conf'), /^\[robot\]\ntype = user[\s\S]*password = secret-from-env$/m);
      assert.match(read('websocket_client.conf'), /^uri = ws:\/\/127\.0\.0\.2:9999$/m);
      assert.match(read('websocket_client.conf'), /^connection_type = per_call_config$/m);
      assert.match(read('chan_websocket.conf'), /^control_message_format = json$/m);
      assert.match(read('pjsip.conf'), /^bind = 127\.0\.0\.1:5070$/m);
      assert.doesNotMatch(read('pjsip.conf'), /\[carrier\]/);
      assert.match(read('extensions.conf'), /^MINIBOT_APP = minibot$/m);
      assert.match(read('extensions.conf'), /Stasis\(\$\{MINIBOT_APP\},\$\{AMDSTATUS\},\$\{AMDCAUSE\}\)/);
      for (const f of files) assert.doesNotMatch(read(f), /\$\{(ARI_|ASTERISK_|AMD_[A-Z_]+_MS|SIP_TRUNK_|AUDIOFORK_)/, `${f} has an unrendered name`);

      const trunk = renderAll(out, MODDIR, parseConfig({ ...env, SIP_TRUNK_HOST: 'sip.carrier.example', SIP_TRUNK_USERNAME: 'acct', SIP_TRUNK_PASSWORD: 'pw', SIP_TRUNK_REGISTER: 'true' }));
      assert.ok(trunk.length);
      assert.match(read('pjsip.conf'), /^contact = sip:sip\.carrier\.example:5060$/m);
      assert.match(read('pjsip.conf'), /^\[carrier-reg\]\ntype = registration/m);
      assert.match(read('pjsip.conf'), /^from_domain = sip\.carrier\.example$/m);

      // Further media workers on this Asterisk: a connection each, the same options as minibot-media.
      renderAll(out, MODDIR, parseConfig({ ...env, ASTERISK_MEDIA_WORKERS: 'minibot-media-2=127.0.0.3:9001, media-c=[::1]:9002' }));
      const ws = read('websocket_client.conf');
      const sections = ws.split(/^(?=\[)/m).filter((s) => s.startsWith('['));
      assert.deepEqual(sections.map((s) => /^\[(.*)\]/.exec(s)![1]), ['minibot-media', 'minibot-media-2', 'media-c']);
      assert.deepEqual(sections.map((s) => /^uri = (.*)$/m.exec(s)![1]), ['ws://127.0.0.2:9999', 'ws://127.0.0.3:9001', 'ws://[::1]:9002']);
      const options = (s: string) => s.split('\n').filter((l) => /^[a-z_]+ = /.test(l) && !l.startsWith('uri ')).join('\n');
      assert.deepEqual(sections.map(options), sections.map(() => options(sections[0]!)));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
