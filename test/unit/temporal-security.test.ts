// Secure connections to Temporal: the config's cross-checks and the TLS / API key options every client and
// worker is built with (services/temporal.ts), from real PEM files on disk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../runtime/config';
import { connectionSecurity } from '../../services/temporal';

const dir = mkdtempSync(join(tmpdir(), 'minibot-tls-'));
const pem = (name: string, body: string) => {
  const p = join(dir, name);
  writeFileSync(p, body);
  return p;
};
const cert = pem('client.pem', '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
const key = pem('client.key', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
const ca = pem('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');

function issues(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => `${i.variable}: ${i.reason}`);
  }
}

test('a client certificate without its key (or the reverse) is refused, naming the missing variable', () => {
  assert.deepEqual(issues({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert }), ['TEMPORAL_TLS_CLIENT_KEY_PATH: required with TEMPORAL_TLS_CLIENT_CERT_PATH (mTLS needs the certificate and its key)']);
  assert.deepEqual(issues({ TEMPORAL_TLS_CLIENT_KEY_PATH: key }), ['TEMPORAL_TLS_CLIENT_CERT_PATH: required with TEMPORAL_TLS_CLIENT_KEY_PATH (mTLS needs the certificate and its key)']);
  assert.deepEqual(issues({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'cloud-key-123' }), ['TEMPORAL_TLS: false contradicts the TLS files, server name or API key that are set']);
  assert.match(issues({ TEMPORAL_API_KEY: 'short' })[0]!, /^TEMPORAL_API_KEY: must be at least 8 characters/);
});

test('mTLS options: certificate pair, server CA and server name, read from the files', () => {
  const cfg = parseConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: key, TEMPORAL_TLS_SERVER_CA_CERT_PATH: ca, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' });
  const o = connectionSecurity(cfg);
  assert.deepEqual(o, {
    tls: {
      serverNameOverride: 'temporal.internal',
      serverRootCACertificate: Buffer.from('-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n'),
      clientCertPair: { crt: Buffer.from('-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n'), key: Buffer.from('-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n') },
    },
  });
});

test('an API key (Temporal Cloud) implies TLS with the system roots; TEMPORAL_TLS alone too; nothing set = plaintext', () => {
  assert.deepEqual(connectionSecurity(parseConfig({ TEMPORAL_API_KEY: 'cloud-key-123' })), { tls: {}, apiKey: 'cloud-key-123' });
  assert.deepEqual(connectionSecurity(parseConfig({ TEMPORAL_TLS: 'true' })), { tls: {} });
  assert.deepEqual(connectionSecurity(parseConfig({})), {});
});

test('an unreadable or empty file stops start-up, naming the variable and the path', () => {
  const missing = join(dir, 'nope.pem');
  assert.throws(() => connectionSecurity(parseConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing })), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.issues[0]!.variable, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH');
    assert.match(err.issues[0]!.reason, new RegExp(`cannot read ${missing}: ENOENT`));
    return true;
  });
  const empty = pem('empty.key', '');
  assert.throws(() => connectionSecurity(parseConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: cert, TEMPORAL_TLS_CLIENT_KEY_PATH: empty })), /TEMPORAL_TLS_CLIENT_KEY_PATH: cannot read .*empty\.key: the file is empty/);
});
