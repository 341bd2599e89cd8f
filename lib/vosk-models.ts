// The French Vosk models `minibot asr install` knows, with what their publisher says about each archive. Pure data.
//
// Source of the checksums: alphacephei publishes, beside the archives, https://alphacephei.com/vosk/models/model-list.json
// (the list the official `vosk` Python package downloads from: name, url, size in bytes, md5). MD5 is what the
// publisher gives; it is checked together with the exact size, and the SHA-256 of what was installed is printed
// so an operator can record it. Verify by hand:
//   curl -sO https://alphacephei.com/vosk/models/model-list.json
//   jq '.[] | select(.name=="vosk-model-small-fr-0.22")' model-list.json     # size 42233323, md5 8873b123…
//   md5sum vosk-model-small-fr-0.22.zip; stat -c %s vosk-model-small-fr-0.22.zip
// The big model's figures are not pinned here (not found in a copy we could check): `fr` reads them from that
// same official list at install time and refuses to install when the list does not name the archive.

export interface VoskModel {
  /** What the operator types: `minibot asr install fr-small`. */
  key: string;
  /** The archive's name on the models site, and the folder inside it. */
  name: string;
  description: string;
  /** Pinned publisher figures; absent: read from model-list.json at install time. */
  size?: number;
  md5?: string;
}

export const VOSK_MODELS: readonly VoskModel[] = [
  {
    key: 'fr-small', name: 'vosk-model-small-fr-0.22', size: 42_233_323, md5: '8873b1234503f6edd55f54bfff31cf3e',
    description: 'small French model (41 MB): 8 kHz telephone speech, low memory; what the media worker is tuned for',
  },
  {
    key: 'fr', name: 'vosk-model-fr-0.22',
    description: 'big French model (1.4 GB on the site): more accurate, needs several GB of RAM per process',
  },
];

export function voskModel(key: string): VoskModel | undefined {
  return VOSK_MODELS.find((m) => m.key === key);
}

/** The archive URL under a models site base URL (the official one or a mirror). */
export function archiveUrl(base: string, m: Pick<VoskModel, 'name'>): string {
  return `${base.replace(/\/+$/, '')}/${m.name}.zip`;
}

export function modelListUrl(base: string): string {
  return `${base.replace(/\/+$/, '')}/model-list.json`;
}

/** Size and MD5 of `name` in the publisher's model-list.json (its entries: { name, url, size, md5, … }). */
export function publishedChecksum(list: unknown, name: string): { size: number; md5: string } | { error: string } {
  if (!Array.isArray(list)) return { error: 'model-list.json is not a JSON array' };
  const e = list.find((x) => x && typeof x === 'object' && (x as { name?: unknown }).name === name) as { size?: unknown; md5?: unknown } | undefined;
  if (!e) return { error: `model-list.json does not list ${name}` };
  const size = Number(e.size);
  if (!Number.isSafeInteger(size) || size <= 0) return { error: `model-list.json: ${name}.size is not a byte count` };
  if (typeof e.md5 !== 'string' || !/^[0-9a-f]{32}$/i.test(e.md5)) return { error: `model-list.json: ${name}.md5 is not an MD5 digest` };
  return { size, md5: e.md5.toLowerCase() };
}
