/**
 * @fileoverview Byte containers of `seal`: SEAL's own serialisation wrapped in a small hec header.
 *
 * The header lets hec reject bytes from another backend or other parameters with a coded error before SEAL sees
 * them (SEAL would fail with an opaque wasm exception).
 * Ciphertext: "HECC" | u16 version | u16 0 | u32 param fingerprint | u32 0 | SEAL Ciphertext.saveArray bytes.
 * Keys: "HECE" | u16 version | u16 0 | u32 fingerprint | u32 jsonLen | u32 relinLen | u32 galoisLen | JSON KeyRequest
 *       | RelinKeys bytes | GaloisKeys bytes (SEAL's seeded "Serializable" form, about half the size of loaded keys).
 */
import { HecError } from '../../../ir/diagnostics.ts';
import type { CkksParams } from '../../../ir/params.ts';
import type { KeyRequest } from '../../backend.ts';
import { E_BYTES, paramFingerprint } from '../sim/checks.ts';

const CT_MAGIC = 0x43434548; // "HECC"
const KEY_MAGIC = 0x45434548; // "HECE"
const VERSION = 1;
const CT_HEADER = 16;
const KEY_HEADER = 24;

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

export function encodeKeys(params: CkksParams, req: KeyRequest, relin: Uint8Array, galois: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(req));
  const out = new Uint8Array(KEY_HEADER + json.byteLength + relin.byteLength + galois.byteLength);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, KEY_MAGIC, true);
  dv.setUint16(4, VERSION, true);
  dv.setUint32(8, paramFingerprint(params), true);
  dv.setUint32(12, json.byteLength, true);
  dv.setUint32(16, relin.byteLength, true);
  dv.setUint32(20, galois.byteLength, true);
  out.set(json, KEY_HEADER);
  out.set(relin, KEY_HEADER + json.byteLength);
  out.set(galois, KEY_HEADER + json.byteLength + relin.byteLength);
  return out;
}

export function decodeKeys(params: CkksParams, bytes: Uint8Array): { request: KeyRequest; relin: Uint8Array; galois: Uint8Array } {
  if (bytes.byteLength < KEY_HEADER) fail('evaluation keys', 'too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== KEY_MAGIC) fail('evaluation keys', 'bad magic (not seal keys)');
  if (dv.getUint16(4, true) !== VERSION) fail('evaluation keys', `format version ${dv.getUint16(4, true)}`);
  if (dv.getUint32(8, true) !== paramFingerprint(params)) fail('evaluation keys', `they were made for other parameters than '${params.name}'`);
  const jl = dv.getUint32(12, true);
  const rl = dv.getUint32(16, true);
  const gl = dv.getUint32(20, true);
  if (KEY_HEADER + jl + rl + gl !== bytes.byteLength) fail('evaluation keys', 'section lengths do not add up');
  let request: KeyRequest;
  try {
    request = JSON.parse(new TextDecoder().decode(bytes.subarray(KEY_HEADER, KEY_HEADER + jl))) as KeyRequest;
  } catch (e) {
    return fail('evaluation keys', `bad JSON: ${(e as Error).message}`);
  }
  const o = KEY_HEADER + jl;
  return { request, relin: bytes.subarray(o, o + rl), galois: bytes.subarray(o + rl, o + rl + gl) };
}
