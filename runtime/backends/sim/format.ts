/**
 * @fileoverview Byte formats of `sim`: ciphertexts and evaluation keys.
 *
 * Ciphertext: a 32-byte little-endian header, then re[slots] and im[slots] as float64.
 *   0 magic "HECS" | 4 u16 version | 6 u16 flags (0) | 8 u32 param fingerprint | 12 u32 level | 16 u32 slots
 *   20 u32 reserved | 24 f64 scale
 * The header is 32 bytes so the float64 payload stays 8-byte aligned inside the buffer.
 * Evaluation keys: parts framed by runtime/key-parts.ts (tag "sim "), one per key as on a real engine — part 0 the
 * manifest `{keys, bootstrap}`, then one part per key named 'relin', 'rot:<k>' or 'conj' with an empty body. sim has
 * no real keys, but it enforces which keys exist (plans that forget a rotation key fail in `sim` exactly as on a real
 * engine) and how parts travel (missing, repeated or reordered parts fail as they do on `cpu`).
 */
import { HecError } from '../../../ir/diagnostics.ts';
import type { CkksParams } from '../../../ir/params.ts';
import type { EvaluationKeys, KeyRequest } from '../../backend.ts';
import { KeyPartReader, framedKeySet } from '../../key-parts.ts';
import { E_BYTES, paramFingerprint } from '../checks.ts';

const CT_MAGIC = 0x53434548; // "HECS" read as little-endian u32
const KEY_TAG = 'sim ';
const VERSION = 1;
const HEADER = 32;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // The payload is copied as raw Float64Array memory; a big-endian host would need byte swapping.
  throw new Error('sim backend: big-endian hosts are not supported');
}

export interface RawCiphertext {
  re: Float64Array;
  im: Float64Array;
  level: number;
  scale: number;
}

export function encodeCiphertext(params: CkksParams, ct: RawCiphertext): Uint8Array {
  const slots = params.slots;
  const out = new Uint8Array(HEADER + 16 * slots);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, CT_MAGIC, true);
  dv.setUint16(4, VERSION, true);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, paramFingerprint(params), true);
  dv.setUint32(12, ct.level, true);
  dv.setUint32(16, slots, true);
  dv.setFloat64(24, ct.scale, true);
  const body = new Float64Array(out.buffer, HEADER, 2 * slots);
  body.set(ct.re, 0);
  body.set(ct.im, slots);
  return out;
}

function bad(why: string): never {
  throw new HecError(E_BYTES, `sim: cannot read ciphertext: ${why}`, { fix: 'pass bytes produced by the sim backend with the same parameters' });
}

export function decodeCiphertext(params: CkksParams, bytes: Uint8Array): RawCiphertext {
  if (bytes.byteLength < HEADER) bad(`${bytes.byteLength} bytes is shorter than the header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== CT_MAGIC) bad('bad magic (not a sim ciphertext)');
  const version = dv.getUint16(4, true);
  if (version !== VERSION) bad(`format version ${version}, expected ${VERSION}`);
  const fp = dv.getUint32(8, true);
  if (fp !== paramFingerprint(params)) bad(`parameter fingerprint ${fp.toString(16)} does not match '${params.name}' (${paramFingerprint(params).toString(16)})`);
  const level = dv.getUint32(12, true);
  const slots = dv.getUint32(16, true);
  const scale = dv.getFloat64(24, true);
  if (slots !== params.slots) bad(`${slots} slots, parameters have ${params.slots}`);
  if (level > params.levels) bad(`level ${level} > ${params.levels}`);
  if (!(scale > 0) || !Number.isFinite(scale)) bad(`scale ${scale}`);
  if (bytes.byteLength !== HEADER + 16 * slots) bad(`${bytes.byteLength} bytes, expected ${HEADER + 16 * slots}`);
  // Copy (slice) so the result owns aligned memory regardless of the input's byteOffset.
  const body = new Float64Array(bytes.buffer.slice(bytes.byteOffset + HEADER, bytes.byteOffset + bytes.byteLength));
  return { re: body.subarray(0, slots), im: body.subarray(slots, 2 * slots), level, scale };
}

/** Key names of a request, in part order (rotations normalised to 0 < k < slots by the caller, deduplicated here). */
export function keyNames(req: KeyRequest): string[] {
  return [
    ...(req.relinearize ? ['relin'] : []),
    ...[...new Set(req.rotations)].sort((a, b) => a - b).map((k) => `rot:${k}`),
    ...(req.conjugate ? ['conj'] : []),
  ];
}

export function encodeKeys(params: CkksParams, req: KeyRequest): EvaluationKeys {
  return framedKeySet(params, KEY_TAG, { keys: keyNames(req), bootstrap: req.bootstrap }, () => undefined);
}

/** Read every part (checking the sequence) and return the keys the server has. */
export async function decodeKeys(params: CkksParams, keys: EvaluationKeys): Promise<KeyRequest> {
  const reader = new KeyPartReader('sim', KEY_TAG, params);
  for await (const p of keys.parts()) reader.next(p);
  const m = reader.finish();
  if (typeof m.bootstrap !== 'boolean') {
    throw new HecError(E_BYTES, 'sim: evaluation-key manifest has no bootstrap flag', { fix: 'generate keys with the sim backend client' });
  }
  const rotations: number[] = [];
  for (const k of m.keys) {
    const r = /^rot:(\d+)$/.exec(k);
    if (r) rotations.push(Number(r[1]));
    else if (k !== 'relin' && k !== 'conj') throw new HecError(E_BYTES, `sim: unknown evaluation key '${k}'`, { fix: 'generate keys with the sim backend client' });
  }
  return { relinearize: m.keys.includes('relin'), conjugate: m.keys.includes('conj'), bootstrap: m.bootstrap, rotations };
}

const SECRET_MAGIC = 0x4b434548; // "HECK"

/**
 * sim's "secret key" file: sim encrypts nothing and has no secret, so the file only records the backend and the
 * parameter fingerprint (16 bytes), so that `hec keygen` / `hec run --keys` behave as on a real engine and mixing
 * parameters or backends fails loudly.
 */
export function encodeSecretKey(params: CkksParams): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, SECRET_MAGIC, true);
  dv.setUint16(4, VERSION, true);
  dv.setUint32(8, paramFingerprint(params), true);
  for (let i = 0; i < 4; i++) out[12 + i] = KEY_TAG.charCodeAt(i);
  return out;
}

export function checkSecretKey(params: CkksParams, bytes: Uint8Array): void {
  const why = (w: string): never => {
    throw new HecError(E_BYTES, `sim: cannot read the secret-key file: ${w}`, { fix: 'use a secret key written by hec keygen with the sim backend for these parameters' });
  };
  if (bytes.byteLength !== 16) why(`${bytes.byteLength} bytes, expected 16`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== SECRET_MAGIC || dv.getUint16(4, true) !== VERSION) why('bad magic or version');
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== KEY_TAG) why('made by another backend');
  if (dv.getUint32(8, true) !== paramFingerprint(params)) why(`made for other parameters than '${params.name}'`);
}
