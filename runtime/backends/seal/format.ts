/**
 * @fileoverview Byte containers of `seal`: SEAL's own serialisation wrapped in a small hec header.
 *
 * The header lets hec reject bytes from another backend or other parameters with a coded error before SEAL sees
 * them (SEAL would fail with an opaque wasm exception).
 * Ciphertext: "HECC" | u16 version | u16 0 | u32 param fingerprint | u32 0 | SEAL Ciphertext.saveArray bytes.
 * Evaluation keys: parts framed by runtime/key-parts.ts (tag "seal"): part 0 the manifest `{keys}`, then one part
 * per switching key named 'relin', 'rot:<k>' or 'conj' whose body is SEAL's seeded "Serializable" RelinKeys or
 * GaloisKeys (one Galois element each) bytes, about half the size of loaded keys.
 */
import { HecError } from '../../../ir/diagnostics.ts';
import type { CkksParams } from '../../../ir/params.ts';
import type { EvaluationKeys, KeyRequest } from '../../backend.ts';
import { KeyPartReader, framedKeySet } from '../../key-parts.ts';
import { E_BYTES, paramFingerprint } from '../checks.ts';

const CT_MAGIC = 0x43434548; // "HECC"
const KEY_TAG = 'seal';
const VERSION = 1;
const CT_HEADER = 16;

function fail(what: string, why: string): never {
  throw new HecError(E_BYTES, `seal: cannot read ${what}: ${why}`, { fix: 'pass bytes produced by the seal backend with the same parameters' });
}

export function wrapCiphertext(params: CkksParams, sealBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(CT_HEADER + sealBytes.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, CT_MAGIC, true);
  dv.setUint16(4, VERSION, true);
  dv.setUint32(8, paramFingerprint(params), true);
  out.set(sealBytes, CT_HEADER);
  return out;
}

export function unwrapCiphertext(params: CkksParams, bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength < CT_HEADER) fail('ciphertext', 'too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== CT_MAGIC) fail('ciphertext', 'bad magic (not a seal ciphertext)');
  if (dv.getUint16(4, true) !== VERSION) fail('ciphertext', `format version ${dv.getUint16(4, true)}`);
  if (dv.getUint32(8, true) !== paramFingerprint(params)) fail('ciphertext', `it was made for other parameters than '${params.name}'`);
  return bytes.subarray(CT_HEADER);
}

/** The rotation step of a key name 'rot:<k>'. */
export function galoisStep(key: string): number {
  const m = /^rot:(\d+)$/.exec(key);
  if (!m) throw new HecError(E_BYTES, `seal: unknown evaluation key '${key}'`, { fix: 'pass keys produced by the seal backend' });
  return Number(m[1]);
}

/**
 * Key parts of a request; `body(key)` makes one key's SEAL bytes when its part is asked for. byteLength is an
 * estimate: SEAL's seeded key per Galois element (or relinearisation) holds L+1 digits × one polynomial over the L+2
 * primes (Q and the special prime) in 8-byte words.
 */
export function encodeKeys(params: CkksParams, req: KeyRequest, body: (key: string) => Uint8Array): EvaluationKeys {
  const keys = [
    ...(req.relinearize ? ['relin'] : []),
    ...[...new Set(req.rotations)].sort((a, b) => a - b).map((k) => `rot:${k}`),
    ...(req.conjugate ? ['conj'] : []),
  ];
  const perKey = (params.levels + 1) * (params.levels + 1 + params.p.length) * 2 ** params.logN * 8;
  return framedKeySet(params, KEY_TAG, { keys }, body, keys.length * perKey);
}

/** Read every part in order (checking the sequence), handing each key's SEAL bytes to `load`. */
export async function readKeys(params: CkksParams, keys: EvaluationKeys, load: (key: string, body: Uint8Array) => void): Promise<void> {
  const reader = new KeyPartReader('seal', KEY_TAG, params);
  for await (const p of keys.parts()) {
    const part = reader.next(p);
    if (part.key === undefined) continue;
    if (part.key !== 'relin' && part.key !== 'conj') galoisStep(part.key);
    if (part.body.byteLength === 0) throw new HecError(E_BYTES, `seal: evaluation-key part ${part.index} ('${part.key}') is empty`, { fix: 'pass keys produced by the seal backend' });
    load(part.key, part.body);
  }
  reader.finish();
}
