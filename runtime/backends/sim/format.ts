/**
 * @fileoverview Byte formats of `sim`: ciphertexts and evaluation keys.
 *
 * Ciphertext: a 32-byte little-endian header, then re[slots] and im[slots] as float64.
 *   0 magic "HECS" | 4 u16 version | 6 u16 flags (0) | 8 u32 param fingerprint | 12 u32 level | 16 u32 slots
 *   20 u32 reserved | 24 f64 scale
 * The header is 32 bytes so the float64 payload stays 8-byte aligned inside the buffer.
 * Evaluation keys: "HECK" | u16 version | u16 0 | u32 fingerprint | JSON of the KeyRequest (sim has no real keys,
 * but it enforces which keys exist so plans that forget a rotation key fail in `sim` exactly as on a real engine).
 */
import { HecError } from '../../../ir/diagnostics.ts';
import type { CkksParams } from '../../../ir/params.ts';
import type { KeyRequest } from '../../backend.ts';
import { E_BYTES, paramFingerprint } from './checks.ts';

const CT_MAGIC = 0x53434548; // "HECS" read as little-endian u32
const KEY_MAGIC = 0x4b434548; // "HECK"
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

export function encodeKeys(params: CkksParams, req: KeyRequest): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify({
    relinearize: req.relinearize,
    conjugate: req.conjugate,
    rotations: [...new Set(req.rotations)].sort((a, b) => a - b),
    bootstrap: req.bootstrap,
  }));
  const out = new Uint8Array(12 + json.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, KEY_MAGIC, true);
  dv.setUint16(4, VERSION, true);
  dv.setUint32(8, paramFingerprint(params), true);
  out.set(json, 12);
  return out;
}

export function decodeKeys(params: CkksParams, bytes: Uint8Array): KeyRequest {
  const fail = (why: string): never => {
    throw new HecError(E_BYTES, `sim: cannot read evaluation keys: ${why}`, { fix: 'generate keys with the sim backend client for the same parameters' });
  };
  if (bytes.byteLength < 12) fail('too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== KEY_MAGIC) fail('bad magic (not sim keys)');
  if (dv.getUint16(4, true) !== VERSION) fail(`version ${dv.getUint16(4, true)}`);
  if (dv.getUint32(8, true) !== paramFingerprint(params)) fail(`keys were made for other parameters than '${params.name}'`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes.subarray(12))) as KeyRequest;
  } catch (e) {
    return fail(`bad JSON: ${(e as Error).message}`);
  }
}
