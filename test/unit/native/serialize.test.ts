/**
 * Byte formats: round trips of ciphertexts, plaintexts, secret keys and evaluation keys, and HEC5108 (never a crash)
 * for corrupt, truncated, mistyped or foreign-parameter input — including payloads whose checksum was recomputed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CpuClient, cpuBackend, type CpuServer } from '../../../runtime/backends/cpu/index.ts';
import { evaluationKeysFromParts } from '../../../runtime/key-parts.ts';
import { precision, skipReason, smallParams, vec } from './helpers.ts';

const params = smallParams();
const other = smallParams({ levels: 4 });
const n = params.slots;
const HDR = 40;

// Same hash as runtime/native/src/ckks/serialize.cpp, so tests can forge well-formed but invalid payloads.
function checksum(p: Uint8Array): bigint {
  const M = (1n << 64n) - 1n;
  let h = 0x9e3779b97f4a7c15n ^ BigInt(p.length);
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  let i = 0;
  for (; i + 8 <= p.length; i += 8) {
    h = ((h ^ dv.getBigUint64(i, true)) * 0xff51afd7ed558ccdn) & M;
    h ^= h >> 32n;
  }
  for (; i < p.length; i++) h = ((h ^ BigInt(p[i]!)) * 0xc4ceb9fe1a85ec53n) & M;
  return h ^ (h >> 29n);
}
function reseal(b: Uint8Array): Uint8Array {
  const c = Uint8Array.from(b);
  new DataView(c.buffer).setBigUint64(24, checksum(c.subarray(HDR)), true);
  return c;
}

describe.skipIf(skipReason !== undefined)('cpu serialization', () => {
  let client: CpuClient;
  let server: CpuServer;
  let ctBytes: Uint8Array;
  const a = { re: vec(n, 7), im: vec(n, 8) };

  beforeAll(async () => {
    client = await cpuBackend.createClient(params);
    server = await cpuBackend.createServer(params, await client.evaluationKeys({ relinearize: true, conjugate: false, rotations: [1], bootstrap: false }));
    ctBytes = client.encrypt(a, params.levels);
  });
  afterAll(() => {
    server.dispose();
    client.dispose();
  });

  it('round-trips ciphertexts, plaintexts, secret keys and evaluation keys', async () => {
    const ct = server.deserialize(ctBytes);
    const again = server.serialize(ct);
    expect(Buffer.from(again).equals(Buffer.from(ctBytes))).toBe(true);
    const pt = server.encode(a, 3, 2 ** 40);
    const pt2 = server.deserializePlain(server.serializePlain(pt));
    expect(pt2.level).toBe(3);
    expect(pt2.scale).toBe(2 ** 40);
    // A client restored from its secret-key file decrypts what the first one encrypted.
    const restored = CpuClient.fromSecretKey(params, client.secretKeyBytes());
    const d = restored.decrypt(server.serialize(server.rotate(ct, 1)));
    expect(precision(d.re, a.re.map((_, i) => a.re[(i + 1) % n]!)).worstBits).toBeGreaterThan(20);
    restored.dispose();
  });

  it('rejects corrupt, truncated and mistyped bytes with HEC5108', async () => {
    const flip = Uint8Array.from(ctBytes);
    flip[HDR + 1000] = flip[HDR + 1000]! ^ 0x10;
    expect(() => server.deserialize(flip)).toThrow(/HEC5108.*checksum/);
    expect(() => server.deserialize(ctBytes.subarray(0, ctBytes.length - 8))).toThrow(/HEC5108/);
    expect(() => server.deserialize(ctBytes.subarray(0, 10))).toThrow(/HEC5108/);
    expect(() => server.deserialize(new Uint8Array(0))).toThrow(/HEC5108/);
    const magic = Uint8Array.from(ctBytes);
    magic[0] = 0x41;
    expect(() => server.deserialize(magic)).toThrow(/HEC5108.*magic/);
    const version = Uint8Array.from(ctBytes);
    version[4] = 9;
    expect(() => server.deserialize(version)).toThrow(/HEC5108.*version/);
    // The secret key has its own type: a server refuses it as ciphertext or evaluation keys.
    const sk = client.secretKeyBytes();
    expect(() => server.deserialize(sk)).toThrow(/HEC5108.*secret key/);
    await expect(cpuBackend.createServer(params, evaluationKeysFromParts([sk]))).rejects.toThrow(/HEC5108.*secret key/);
  });

  it('rejects well-formed payloads with invalid contents (checksum recomputed)', () => {
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
    const bigLevel = Uint8Array.from(ctBytes);
    dv(bigLevel).setUint32(HDR, 99, true);
    expect(() => server.deserialize(reseal(bigLevel))).toThrow(/HEC5108.*level/);
    const parts = Uint8Array.from(ctBytes);
    dv(parts).setUint32(HDR + 4, 7, true);
    expect(() => server.deserialize(reseal(parts))).toThrow(/HEC5108.*parts/);
    const nanScale = Uint8Array.from(ctBytes);
    dv(nanScale).setFloat64(HDR + 8, Number.NaN, true);
    expect(() => server.deserialize(reseal(nanScale))).toThrow(/HEC5108.*scale/);
    const residue = Uint8Array.from(ctBytes);
    dv(residue).setBigUint64(HDR + 24 + 8 * 5, 0xffffffffffffffffn, true);
    expect(() => server.deserialize(reseal(residue))).toThrow(/HEC5108.*range/);
  });

  it('random corruption never crashes (200 mutations)', () => {
    let s = 12345;
    const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let t = 0; t < 200; t++) {
      const b = Uint8Array.from(ctBytes);
      const k = 1 + Math.floor(rnd() * 4);
      for (let j = 0; j < k; j++) b[Math.floor(rnd() * Math.min(b.length, HDR + 64))] = Math.floor(rnd() * 256);
      const forged = rnd() < 0.5 ? reseal(b) : b;
      try {
        server.free(server.deserialize(forged));
      } catch (e) {
        expect(String(e)).toMatch(/HEC5108/);
      }
    }
  });

  it('rejects objects made for other parameters', async () => {
    const c2 = await cpuBackend.createClient(other);
    expect(() => server.deserialize(c2.encrypt({ re: new Float64Array(n) }, 0))).toThrow(/HEC5108.*fingerprint/);
    const k2 = await c2.evaluationKeys({ relinearize: true, conjugate: false, rotations: [], bootstrap: false });
    await expect(cpuBackend.createServer(params, k2)).rejects.toThrow(/HEC5108.*fingerprint/);
    expect(() => CpuClient.fromSecretKey(params, c2.secretKeyBytes())).toThrow(/HEC5108/);
    c2.dispose();
  });
});
