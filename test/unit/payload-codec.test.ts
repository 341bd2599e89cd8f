// The payload codec (AES-256-GCM with key ids) and its keys: real encryption with node:crypto, real Temporal
// payloads from the SDK's default converter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY } from '@temporalio/common';
import { parseCodecKeys } from '../../lib/codec-keys';
import { EncryptionCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, payloadFromJson, payloadToJson } from '../../lib/payload-codec';
import { ConfigError, parseConfig } from '../../runtime/config';

const k = () => randomBytes(32).toString('base64');
const input = { contactId: 'c1', phone: '+33612345678', firstName: 'Amélie' };

test('encode hides the payload; decode gives it back; every encoding is fresh (random IV)', async () => {
  const codec = new EncryptionCodec(parseCodecKeys(`k1:${k()}`));
  const plain = defaultPayloadConverter.toPayload(input);
  const [a] = await codec.encode([plain]);
  const [b] = await codec.encode([plain]);
  assert.equal(Buffer.from(a!.metadata![METADATA_ENCODING_KEY]!).toString(), ENCRYPTED_ENCODING);
  assert.equal(Buffer.from(a!.metadata![KEY_ID_METADATA]!).toString(), 'k1');
  assert.ok(!Buffer.from(a!.data!).includes('33612345678'), 'no phone in clear');
  assert.ok(!Buffer.from(a!.data!).includes('json/plain'), 'the inner encoding is hidden too');
  assert.notDeepEqual(Buffer.from(a!.data!), Buffer.from(b!.data!));
  const [back] = await codec.decode([a!]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(back!), input);
});

test('rotation: a payload written under the old key decodes once a new key encrypts; an unknown key id is refused', async () => {
  const old = `k0:${k()}`;
  const [sealed] = await new EncryptionCodec(parseCodecKeys(old)).encode([defaultPayloadConverter.toPayload(input)]);
  const rotated = new EncryptionCodec(parseCodecKeys(`k1:${k()},${old}`));
  assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([sealed!]))[0]!), input);
  const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload(1)]);
  assert.equal(Buffer.from(fresh!.metadata![KEY_ID_METADATA]!).toString(), 'k1', 'the first key encrypts');
  await assert.rejects(new EncryptionCodec(parseCodecKeys(`k1:${k()}`)).decode([sealed!]), /key id "k0".*not in TEMPORAL_CODEC_KEYS/);
});

test('tampered ciphertext is refused (GCM tag); payloads that are not encrypted pass through decode', async () => {
  const codec = new EncryptionCodec(parseCodecKeys(`k1:${k()}`));
  const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(input)]);
  const data = Buffer.from(sealed!.data!);
  data[20] = data[20]! ^ 1;
  await assert.rejects(codec.decode([{ ...sealed!, data }]), /unable to authenticate|auth/i);
  const plain = defaultPayloadConverter.toPayload(input);
  assert.deepEqual(await codec.decode([plain]), [plain]);
});

test('the codec server JSON form round-trips a payload', async () => {
  const p = (await new EncryptionCodec(parseCodecKeys(`k1:${k()}`)).encode([defaultPayloadConverter.toPayload(input)]))[0]!;
  const j = payloadToJson(p);
  assert.equal(j.metadata!.encoding, Buffer.from(ENCRYPTED_ENCODING).toString('base64'));
  assert.deepEqual(payloadFromJson(j), { metadata: { encoding: Buffer.from(p.metadata!.encoding!), [KEY_ID_METADATA]: Buffer.from('k1') }, data: Buffer.from(p.data!) });
});

test('TEMPORAL_CODEC_KEYS: bad entries are named; production requires it', () => {
  const reason = (v: string) => {
    try {
      parseConfig({ TEMPORAL_CODEC_KEYS: v });
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.issues[0]!.variable, 'TEMPORAL_CODEC_KEYS');
      return err.issues[0]!.reason;
    }
    return 'accepted';
  };
  assert.match(reason(`k1:${randomBytes(16).toString('base64')}`), /key "k1" must be 32 bytes.*got 16/);
  assert.match(reason('nokey'), /entry 1 must be <key id>:<base64 key>/);
  const key = k();
  assert.match(reason(`a:${key},a:${k()}`), /key id "a" is listed twice/);
  assert.match(reason(`a:${key},b c:${key}`), /entry 2/);
  assert.equal(reason(`a:${key}, b:${k()}`), 'accepted');
  assert.deepEqual(parseCodecKeys(`a:${key}`), [{ id: 'a', key: Buffer.from(key, 'base64') }]);
});
