// TEMPORAL_CODEC_KEYS, parsed: the keys of the payload codec (lib/payload-codec.ts), the encrypting one first.
// Kept apart from the codec so that runtime/config.ts validates keys without loading Temporal's protobufs.

export interface CodecKey {
  id: string;
  key: Buffer;
}

/** Parses TEMPORAL_CODEC_KEYS; throws an Error saying which entry is wrong (runtime/config.ts reports the variable). */
export function parseCodecKeys(value: string): CodecKey[] {
  const keys: CodecKey[] = [];
  value.split(',').map((s) => s.trim()).forEach((entry, i) => {
    const m = /^([A-Za-z0-9._-]{1,64}):([A-Za-z0-9+/=_-]+)$/.exec(entry);
    if (!m) throw new Error(`entry ${i + 1} must be <key id>:<base64 key> (id: letters, digits, . _ -)`);
    const key = Buffer.from(m[2]!, 'base64');
    if (key.length !== 32) throw new Error(`key "${m[1]}" must be 32 bytes (AES-256) in base64, got ${key.length} bytes`);
    if (keys.some((k) => k.id === m[1])) throw new Error(`key id "${m[1]}" is listed twice`);
    keys.push({ id: m[1]!, key });
  });
  if (!keys.length) throw new Error('no key given');
  return keys;
}
