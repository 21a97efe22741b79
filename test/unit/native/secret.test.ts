/**
 * The secrets the cpu engine generates have the distribution the parameters were judged secure for
 * (ir/security.ts): a sparse secret exactly h non-zero ±1 coefficients, a dense one balanced uniform ternary. The
 * coefficients are read from the secret-key file (payload: u32 weight, u32 N, N × int8 after the 40-byte header),
 * not through the engine's own accessors. A key file whose coefficients contradict its declared weight, or whose
 * weight differs from the parameters', is refused.
 */
import { describe, expect, it } from 'vitest';

import { HecError } from '../../../ir/diagnostics.ts';
import { CpuClient, cpuBackend } from '../../../runtime/backends/cpu/index.ts';
import { skipReason, smallParams } from './helpers.ts';

const HEADER = 40;

interface SecretFile {
  declared: number;
  coeffs: Int8Array;
}

function readSecretFile(bytes: Uint8Array): SecretFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getUint32(HEADER, true);
  const n = view.getUint32(HEADER + 4, true);
  return { declared, coeffs: new Int8Array(bytes.buffer, bytes.byteOffset + HEADER + 8, n) };
}

/** The file checksum (serialize.cpp), recomputed as an attacker who edits a key file would: it is not keyed. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const payload = out.subarray(HEADER);
  const M = (1n << 64n) - 1n;
  let h = 0x9e3779b97f4a7c15n ^ BigInt(payload.length);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let i = 0;
  for (; i + 8 <= payload.length; i += 8) {
    h = ((h ^ view.getBigUint64(i, true)) * 0xff51afd7ed558ccdn) & M;
    h ^= h >> 32n;
  }
  for (; i < payload.length; i++) h = ((h ^ BigInt(payload[i]!)) * 0xc4ceb9fe1a85ec53n) & M;
  h ^= h >> 29n;
  new DataView(out.buffer, out.byteOffset).setBigUint64(24, h, true);
  return out;
}

function counts(c: Int8Array): { minus: number; zero: number; plus: number } {
  let minus = 0, zero = 0, plus = 0;
  for (const x of c) {
    if (x === -1) minus++;
    else if (x === 0) zero++;
    else if (x === 1) plus++;
    else throw new Error(`non-ternary coefficient ${x}`);
  }
  return { minus, zero, plus };
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof HecError) return e.code;
    throw e;
  }
  return undefined;
}

describe.skipIf(skipReason !== undefined)(`secret-key distribution on the cpu engine${skipReason !== undefined ? ` [skipped: ${skipReason}]` : ''}`, () => {
  it('a sparse secret has exactly h non-zero coefficients, each ±1 (h = 1, 32, 64, 192)', async () => {
    for (const h of [1, 32, 64, 192]) {
      const params = smallParams({ secretHammingWeight: h });
      const client = await cpuBackend.createClient(params);
      const file = readSecretFile(client.secretKeyBytes());
      client.dispose();
      expect(file.declared).toBe(h);
      expect(file.coeffs.length).toBe(2 ** params.logN);
      const c = counts(file.coeffs);
      expect(c.minus + c.plus).toBe(h);
    }
  });

  it('a dense secret is balanced uniform ternary (χ² over 8 keys × 4096 coefficients, false alarm < 1e-6)', async () => {
    const params = smallParams();
    const total = { minus: 0, zero: 0, plus: 0 };
    const seen = new Set<string>();
    for (let k = 0; k < 8; k++) {
      const client = await cpuBackend.createClient(params);
      const file = readSecretFile(client.secretKeyBytes());
      client.dispose();
      expect(file.declared).toBe(0);
      const c = counts(file.coeffs);
      total.minus += c.minus;
      total.zero += c.zero;
      total.plus += c.plus;
      seen.add(Buffer.from(file.coeffs.buffer, file.coeffs.byteOffset, file.coeffs.length).toString('base64'));
    }
    expect(seen.size).toBe(8); // fresh OS randomness for every key
    const n = total.minus + total.zero + total.plus;
    const e = n / 3;
    const chi2 = [total.minus, total.zero, total.plus].reduce((s, o) => s + (o - e) ** 2 / e, 0);
    console.log(`[secret] dense ternary over ${n} coefficients: −1 ${total.minus}, 0 ${total.zero}, +1 ${total.plus}; χ² = ${chi2.toFixed(2)}`);
    // χ² with 2 degrees of freedom: P(χ² > x) = e^(−x/2), so x = 2·ln(1e6) ≈ 27.6 fails a fair sampler once in 10^6 runs.
    expect(chi2).toBeLessThan(2 * Math.log(1e6));
  });

  it('a key file is refused when its coefficients contradict its weight, or its weight the parameters (HEC5108, HEC6007)', async () => {
    const sparse = smallParams({ secretHammingWeight: 32 });
    const dense = smallParams();
    const client = await cpuBackend.createClient(sparse);
    const bytes = client.secretKeyBytes();
    client.dispose();
    // The right parameters load it.
    CpuClient.fromSecretKey(sparse, bytes).dispose();
    // A sparse key offered for dense parameters: refused before any use.
    expect(codeOf(() => CpuClient.fromSecretKey(dense, bytes))).toBe('HEC6007');
    // One more non-zero coefficient than declared (checksum recomputed): refused by the loader.
    const edited = bytes.slice();
    const coeffs = readSecretFile(edited).coeffs;
    coeffs[coeffs.indexOf(0)] = 1;
    expect(() => CpuClient.fromSecretKey(sparse, resealed(edited))).toThrow(/HEC5108.*declares Hamming weight 32 but has 33/);
    // A "dense" key that is really h = 1: refused by the loader.
    const weak = bytes.slice();
    const view = new DataView(weak.buffer, weak.byteOffset);
    view.setUint32(HEADER, 0, true);
    const wc = readSecretFile(weak).coeffs;
    wc.fill(0);
    wc[7] = 1;
    expect(() => CpuClient.fromSecretKey(dense, resealed(weak))).toThrow(/HEC5108.*declares a dense ternary secret but has 1 of 4096/);
  });
});
