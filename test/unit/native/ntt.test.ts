/**
 * The negacyclic NTT against naive BigInt arithmetic: products match the schoolbook negacyclic convolution, the
 * forward transform evaluates at ψ^(2·brv(i)+1), inverse∘forward = id, and the IFMA and portable paths agree bit
 * for bit. Covers 40-bit primes (IFMA path when the CPU has it) and 60-bit primes (portable path).
 */
import { describe, expect, it } from 'vitest';

import { nativeContext } from '../../../runtime/backends/cpu/index.ts';
import { native, skipReason, smallParams } from './helpers.ts';

function modpow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

function randomPoly(N: number, q: bigint, seed: number): BigUint64Array {
  const out = new BigUint64Array(N);
  let s = BigInt(seed) | 1n;
  for (let i = 0; i < N; i++) {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    out[i] = s % q;
  }
  return out;
}

function negacyclic(a: BigUint64Array, b: BigUint64Array, q: bigint): bigint[] {
  const N = a.length;
  const out = new Array<bigint>(N).fill(0n);
  for (let i = 0; i < N; i++) {
    const ai = a[i]!;
    if (ai === 0n) continue;
    for (let j = 0; j < N; j++) {
      const k = i + j;
      const p = ai * b[j]!;
      if (k < N) out[k] = (out[k]! + p) % q;
      else out[k - N] = (out[k - N]! - p % q + q) % q;
    }
  }
  return out;
}

function bitrev(x: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) {
    r = (r << 1) | (x & 1);
    x >>= 1;
  }
  return r;
}

describe.skipIf(skipReason !== undefined)('negacyclic NTT', () => {
  for (const logN of [4, 5, 6, 8]) {
    it(`matches the schoolbook negacyclic convolution (logN=${logN}, 40- and 60-bit primes)`, () => {
      const params = smallParams({ logN, levels: 2, dnum: 1, specialPrimeBits: [60] });
      const cx = nativeContext(params);
      const primes = [...params.q, ...params.p];
      primes.forEach((q, limb) => {
        const N = 1 << logN;
        const a = randomPoly(N, q, 11 + limb), b = randomPoly(N, q, 97 + limb);
        const fa = cx.nttForward(limb, a), fb = cx.nttForward(limb, b);
        const prod = new BigUint64Array(N);
        for (let i = 0; i < N; i++) prod[i] = (fa[i]! * fb[i]!) % q;
        const got = cx.nttInverse(limb, prod);
        const want = negacyclic(a, b, q);
        for (let i = 0; i < N; i++) expect(got[i]).toBe(want[i]);
      });
    });
  }

  it('forward evaluates at ψ^(2·brv(i)+1) and inverse∘forward = id (logN=12)', () => {
    const params = smallParams({ logN: 12, levels: 2, dnum: 1, specialPrimeBits: [60] });
    const cx = nativeContext(params);
    const N = 1 << 12;
    [...params.q, ...params.p].forEach((q, limb) => {
      const psi = BigInt(cx.nttPsi(limb));
      expect(modpow(psi, BigInt(N), q)).toBe(q - 1n); // primitive 2N-th root
      const a = randomPoly(N, q, 5 + limb);
      const fa = cx.nttForward(limb, a);
      for (const i of [0, 1, 2, 77, 1000, N - 1]) {
        const x = modpow(psi, BigInt(2 * bitrev(i, 12) + 1), q);
        let acc = 0n;
        for (let k = N - 1; k >= 0; k--) acc = (acc * x + a[k]!) % q;
        expect(fa[i]).toBe(acc);
      }
      const back = cx.nttInverse(limb, fa);
      for (let i = 0; i < N; i++) expect(back[i]).toBe(a[i]);
    });
  });

  // Skipped, with the reason in its name, where only the portable kernels exist: nothing to compare there.
  const noIfma = native?.ifmaAvailable() !== true;
  it.skipIf(noIfma)(`AVX-512 (IFMA and 64-bit) and portable kernels agree bit for bit${noIfma ? ' [skipped: no AVX-512 IFMA on this CPU]' : ''}`, () => {
    const params = smallParams({ logN: 13, levels: 2, dnum: 1, specialPrimeBits: [60] });
    const cx = nativeContext(params);
    const N = 1 << 13;
    const primes = [...params.q, ...params.p]; // 40-bit (IFMA) and 60-bit (AVX-512 64-bit Shoup) kernels
    for (let limb = 0; limb < primes.length; limb++) {
      const q = primes[limb]!;
      const a = randomPoly(N, q, 3 + limb);
      native!.setIfma(true);
      const f1 = cx.nttForward(limb, a), i1 = cx.nttInverse(limb, a);
      native!.setIfma(false);
      const f2 = cx.nttForward(limb, a), i2 = cx.nttInverse(limb, a);
      native!.setIfma(true);
      expect(Buffer.from(f1.buffer).equals(Buffer.from(f2.buffer))).toBe(true);
      expect(Buffer.from(i1.buffer).equals(Buffer.from(i2.buffer))).toBe(true);
    }
  });
});
