// End-to-end encryption of Temporal payloads (workflow inputs, results, signals, activity arguments): the
// Temporal server, its database and its Web UI only ever see ciphertext. AES-256-GCM (node:crypto), the whole
// Payload protobuf encrypted as in Temporal's encryption sample (samples-typescript/encryption), so the
// original encoding metadata is hidden too. Hand-written rather than a package: the sample's shape is the
// interoperable one (metadata `encoding: binary/encrypted` + `encryption-key-id`), and it is thirty lines.
//
// Keys rotate: TEMPORAL_CODEC_KEYS="id1:base64key,id0:base64key" — the first key encrypts, every listed key
// decrypts, so histories written under an older key stay readable while it is listed. Payloads that are not
// encrypted (histories recorded before encryption was turned on) pass through decode unchanged.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto'; // CommonJS: its namespace is the default export under ESM
import type { CodecKey } from './codec-keys';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const { Payload: ProtoPayload } = proto.temporal.api.common.v1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b).toString('utf8') : undefined);

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: CodecKey;

  constructor(keys: CodecKey[]) {
    if (!keys.length) throw new Error('EncryptionCodec needs at least one key');
    this.current = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      const plain = ProtoPayload.encode(p).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(this.current.id) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      if (utf8(p.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return p; // not ours: pass through
      const keyId = utf8(p.metadata?.[KEY_ID_METADATA]);
      if (!keyId) throw new ValueError('encrypted payload without an encryption-key-id');
      const key = this.byId.get(keyId);
      if (!key) throw new ValueError(`payload encrypted with key id "${keyId}", which is not in TEMPORAL_CODEC_KEYS`);
      const data = Buffer.from(p.data ?? []);
      if (data.length < IV_BYTES + TAG_BYTES) throw new ValueError('encrypted payload too short');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return ProtoPayload.decode(plain);
    });
  }
}

// The codec server's JSON form of a payload (proto3 JSON: bytes as base64), as the Web UI and CLI send it.
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

export function payloadFromJson(j: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(j.metadata ?? {})) metadata[k] = Buffer.from(v, 'base64');
  return { metadata, data: Buffer.from(j.data ?? '', 'base64') };
}

export function payloadToJson(p: Payload): JsonPayload {
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.metadata ?? {})) if (v) metadata[k] = Buffer.from(v).toString('base64');
  return { metadata, data: Buffer.from(p.data ?? []).toString('base64') };
}
