/**
 * The engine's ChaCha20 (runtime/native/src/ring/random.cpp), which expands key seeds into the uniform `a` halves of
 * keys: against the published RFC 8439 test vectors, against OpenSSL's chacha20 (node:crypto) on random inputs, and
 * the seeded uniform sampler against an independent TypeScript implementation of its rejection rule on OpenSSL's
 * keystream (so the expansion a server performs is exactly the documented function of the seed).
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { native, skipReason } from './helpers.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/[\s:]/g, ''), 'hex');
const KEY_0_31 = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

/** OpenSSL's ChaCha20 keystream: its 16-byte IV is the 32-bit little-endian block counter, then the 96-bit nonce. */
function opensslKeystream(key: Uint8Array, nonce: Uint8Array, counter: number, n: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(counter, 0);
  Buffer.from(nonce).copy(iv, 4);
  return createCipheriv('chacha20', key, iv).update(Buffer.alloc(n));
}

/** The rejection rule of random.h, written independently: little-endian u64 words, low bit_length(q) bits, keep < q. */
function referenceUniform(seed: Uint8Array, nonceWords: [number, number, number], q: bigint, n: number): bigint[] {
  const nonce = Buffer.alloc(12);
  nonceWords.forEach((w, i) => nonce.writeUInt32LE(w, 4 * i));
  const mask = (1n << BigInt(q.toString(2).length)) - 1n;
  const out: bigint[] = [];
  let stream = opensslKeystream(seed, nonce, 0, 8 * 2 * n + 4096);
  for (let i = 0; out.length < n; i++) {
    if (8 * i + 8 > stream.length) stream = opensslKeystream(seed, nonce, 0, 2 * stream.length);
    const v = stream.readBigUInt64LE(8 * i) & mask;
    if (v < q) out.push(v);
  }
  return out;
}

describe.skipIf(skipReason !== undefined)('ChaCha20 PRG for seed-compressed keys', () => {
  const N = native!;

  it('matches RFC 8439 §2.3.2 (block function test vector)', () => {
    const out = N.chacha20(KEY_0_31, hex('00:00:00:09:00:00:00:4a:00:00:00:00'), 1, 64);
    expect(Buffer.from(out).toString('hex')).toBe(
      hex(`10 f1 e7 e4 d1 3b 59 15 50 0f dd 1f a3 20 71 c4 c7 d1 f4 c7 33 c0 68 03 04 22 aa 9a c3 d4 6c 4e
           d2 82 64 46 07 9f aa 09 14 c2 d7 05 d9 8b 02 a2 b5 12 9c d1 de 16 4e b9 cb d0 83 e8 a2 50 3c 4e`).toString('hex'),
    );
  });

  it('matches RFC 8439 §2.4.2 (encryption of the sunscreen text, 114 bytes over two blocks)', () => {
    const plain = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    expect(plain.length).toBe(114);
    const ks = N.chacha20(KEY_0_31, hex('00:00:00:00:00:00:00:4a:00:00:00:00'), 1, plain.length);
    const cipher = Buffer.from(plain.map((b, i) => b ^ ks[i]!));
    expect(cipher.toString('hex')).toBe(
      hex(`6e 2e 35 9a 25 68 f9 80 41 ba 07 28 dd 0d 69 81 e9 7e 7a ec 1d 43 60 c2 0a 27 af cc fd 9f ae 0b
           f9 1b 65 c5 52 47 33 ab 8f 59 3d ab cd 62 b3 57 16 39 d6 24 e6 51 52 ab 8f 53 0c 35 9f 08 61 d8
           07 ca 0d bf 50 0d 6a 61 56 a3 8e 08 8a 22 b6 5e 52 bc 51 4d 16 cc f8 06 81 8c e9 1a b7 79 37 36
           5a f9 0b bf 74 a3 5b e6 b4 0b 8e ed f2 78 5e 42 87 4d`).toString('hex'),
    );
  });

  it('matches RFC 8439 Appendix A.1 vectors #1 and #2 (all-zero key and nonce, counters 0 and 1)', () => {
    const zero32 = new Uint8Array(32), zero12 = new Uint8Array(12);
    expect(Buffer.from(N.chacha20(zero32, zero12, 0, 64)).toString('hex')).toBe(
      '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586',
    );
    expect(Buffer.from(N.chacha20(zero32, zero12, 1, 64)).toString('hex')).toBe(
      '9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f',
    );
  });

  it('equals OpenSSL chacha20 on 40 random keys, nonces, counters and lengths', () => {
    for (let t = 0; t < 40; t++) {
      const key = randomBytes(32), nonce = randomBytes(12);
      const counter = t < 5 ? 2 ** 32 - 8 + t : randomBytes(3).readUIntLE(0, 3);
      const len = t < 5 ? 64 * (8 - t) - t : 1 + randomBytes(2).readUInt16LE(0) % 3000;
      expect(Buffer.from(N.chacha20(key, nonce, counter, len)).equals(opensslKeystream(key, nonce, counter, len)), `case ${t}`).toBe(true);
    }
  });

  it('seeded uniform sampling is the documented function of (seed, nonce, q): equal to the reference, deterministic', () => {
    // q just above a power of two rejects ~half the draws; the 40/60-bit primes of real chains reject few. Both the
    // AVX-512 (16-lane) and the portable (2 × 8-lane) keystream paths must give the reference's values.
    try {
      for (const simd of [true, false]) {
        N.setIfma(simd);
        for (const q of [2n ** 39n + 1n, 1099511922689n, 1152921504606584833n, 3n]) {
          for (const nonce of [[1, 0, 0], [1, 4, 17], [2, 0, 3]] as [number, number, number][]) {
            const seed = randomBytes(32);
            const n = 3000; // several 1 KiB (16-block) refills of the engine's buffer
            const got = N.expandUniform(seed, nonce, [q.toString()], n);
            expect([...got], `simd=${simd} q=${q}`).toEqual(referenceUniform(seed, nonce, q, n));
            expect([...N.expandUniform(seed, nonce, [q.toString()], n)]).toEqual([...got]);
          }
        }
      }
    } finally {
      N.setIfma(true);
    }
    const s = randomBytes(32);
    const a = N.expandUniform(s, [1, 0, 0], ['1099511922689'], 64);
    const b = N.expandUniform(s, [1, 0, 1], ['1099511922689'], 64);
    const c = N.expandUniform(randomBytes(32), [1, 0, 0], ['1099511922689'], 64);
    expect([...a]).not.toEqual([...b]); // another limb, another stream
    expect([...a]).not.toEqual([...c]); // another seed
  });

  it('seeded residues look uniform mod q (16-bucket χ² and mean, 2^16 samples)', () => {
    const q = 2n ** 39n + 1n;
    const n = 1 << 16;
    // A fixed seed keeps the statistical check deterministic (a random one would fail ~1 run in 10^4).
    const v = N.expandUniform(Buffer.alloc(32, 7), [1, 2, 3], [q.toString()], n);
    const buckets = new Array<number>(16).fill(0);
    let mean = 0;
    for (const x of v) {
      expect(x < q).toBe(true);
      buckets[Number((x * 16n) / q)]!++;
      mean += Number(x) / Number(q);
    }
    mean /= n;
    const e = n / 16;
    const chi2 = buckets.reduce((s, o) => s + (o - e) ** 2 / e, 0);
    // 15 degrees of freedom: P(χ² > 44) ≈ 1e-4. The mean of 2^16 uniforms has σ ≈ 0.0011: allow 5σ.
    expect(chi2).toBeLessThan(44);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.0057);
  });

  it('rejects malformed arguments with HEC5110', () => {
    expect(() => N.chacha20(new Uint8Array(31), new Uint8Array(12), 0, 64)).toThrow(/HEC5110/);
    expect(() => N.chacha20(new Uint8Array(32), new Uint8Array(8), 0, 64)).toThrow(/HEC5110/);
    expect(() => N.chacha20(new Uint8Array(32), new Uint8Array(12), 2 ** 32 - 1, 65)).toThrow(/HEC5110.*wrap/);
    expect(() => N.expandUniform(new Uint8Array(32), [1, 0, 0], ['1'], 4)).toThrow(/HEC5110/);
  });
});
