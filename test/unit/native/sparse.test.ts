/**
 * Bootstrapping-facing primitives: a client with a sparse secret (Hamming weight h), modRaise, complex encodes at
 * arbitrary level/scale, conjugation; and the portable (non-AVX-512) kernels end to end.
 */
import { describe, expect, it } from 'vitest';

import { cpuBackend } from '../../../runtime/backends/cpu/index.ts';
import { canonicalScale } from '../../../runtime/backends/checks.ts';
import { native, precision, report, skipReason, smallParams, vec } from './helpers.ts';

describe.skipIf(skipReason !== undefined)('cpu engine: sparse secret and bootstrapping primitives', () => {
  it('sparse secret (h = params.secretHammingWeight): encrypt, mul, rotate, conjugate, modRaise', async () => {
    const params = smallParams({ secretHammingWeight: 64 });
    const n = params.slots;
    const client = await cpuBackend.createClient(params);
    const server = await cpuBackend.createServer(params, await client.evaluationKeys({ relinearize: true, conjugate: true, rotations: [4], bootstrap: false }));
    const a = { re: vec(n, 21), im: vec(n, 22) };
    const x = server.deserialize(client.encrypt(a, params.levels));
    const dec = (c: Parameters<typeof server.serialize>[0]) => client.decrypt(server.serialize(c));
    let d = dec(server.rotate(x, 4));
    let p = precision(d.re, a.re.map((_, i) => a.re[(i + 4) % n]!), d.im!, a.im.map((_, i) => a.im[(i + 4) % n]!));
    report('sparse rotate 4', p);
    expect(p.worstBits).toBeGreaterThan(24);
    d = dec(server.conjugate(x));
    p = precision(d.re, a.re, d.im!, a.im.map((v) => -v));
    report('sparse conjugate', p);
    expect(p.worstBits).toBeGreaterThan(24);
    const m = server.rescale(server.mul(x, x));
    d = dec(m);
    p = precision(d.re, a.re.map((v, i) => v * v - a.im[i]! * a.im[i]!), d.im!, a.re.map((v, i) => 2 * v * a.im[i]!));
    report('sparse mul', p);
    expect(p.worstBits).toBeGreaterThan(24);
    // modRaise: m + q_0·I with |I| ≲ h/2; dropping back to level 0 recovers m exactly.
    const low = server.levelDrop(x, 0);
    const raised = server.modRaise(low);
    expect(raised.level).toBe(params.levels);
    d = dec(server.dropLevel(raised, 0));
    p = precision(d.re, a.re, d.im!, a.im);
    report('sparse modRaise', p);
    expect(p.worstBits).toBeGreaterThan(24);
    // Complex encode at any level and scale; complex constant multiply.
    const pt = server.encode({ re: vec(n, 5), im: vec(n, 6) }, 3, 2 ** 45);
    expect(pt.level).toBe(3);
    expect(pt.scale).toBe(2 ** 45);
    const y = server.levelDrop(x, 3);
    const prod = server.mulPlain(y, pt);
    expect(prod.scale).toBeCloseTo(canonicalScale(params, 3) * 2 ** 45, -30);
    server.dispose();
    client.dispose();
  });

  it('portable kernels (AVX-512 disabled) give the same results', async () => {
    const params = smallParams();
    const n = params.slots;
    const client = await cpuBackend.createClient(params);
    const server = await cpuBackend.createServer(params, await client.evaluationKeys({ relinearize: true, conjugate: false, rotations: [3], bootstrap: false }));
    const a = { re: vec(n, 31), im: vec(n, 32) };
    native!.setIfma(false);
    try {
      const x = server.deserialize(client.encrypt(a, params.levels));
      const r = server.rotate(server.rescale(server.mul(x, x)), 3);
      const d = client.decrypt(server.serialize(r));
      const sq = { re: a.re.map((v, i) => v * v - a.im[i]! * a.im[i]!), im: a.re.map((v, i) => 2 * v * a.im[i]!) };
      const p = precision(d.re, sq.re.map((_, i) => sq.re[(i + 3) % n]!), d.im!, sq.im.map((_, i) => sq.im[(i + 3) % n]!));
      report('portable mul+rotate', p);
      expect(p.worstBits).toBeGreaterThan(24);
    } finally {
      native!.setIfma(true);
    }
    server.dispose();
    client.dispose();
  });
  // Skipped, with the reason in its name, where only the portable kernels exist: nothing to compare there.
  const noIfma = native?.ifmaAvailable() !== true;
  it.skipIf(noIfma)(`SIMD and portable kernels produce the same words (40-bit and 55-bit chains, every key-switching op)${noIfma ? ' [skipped: no AVX-512 IFMA on this CPU]' : ''}`, async () => {
    // Key switching, basis conversion, NTTs and products are exact modular arithmetic, so the AVX-512 kernels must
    // agree with the portable loops bit for bit; decryption would hide a wrong-but-small difference.
    for (const params of [smallParams(), smallParams({ scalePrimeBits: 55, scaleBits: 55, firstPrimeBits: 61 })]) {
      const n = params.slots;
      const client = await cpuBackend.createClient(params);
      const server = await cpuBackend.createServer(params, await client.evaluationKeys({ relinearize: true, conjugate: true, rotations: [3, 5], bootstrap: false }));
      const bytes = client.encrypt({ re: vec(n, 41), im: vec(n, 42) }, params.levels);
      const run = (): Uint8Array[] => {
        const x = server.deserialize(bytes);
        const outs = [server.mul(x, x), server.rescale(server.mul(x, x)), server.rotate(x, 3), server.conjugate(x),
          ...server.rotateHoisted(x, [3, 5]), server.modRaise(server.levelDrop(x, 0)), server.mulConst(x, -0.375, 2 ** 30),
          server.linearCombination([{ ct: x, c: 0.5, scale: 2 ** 20 }, { ct: server.rotate(x, 5), c: -3, scale: 2 ** 20 }])];
        return outs.map((c) => server.serialize(c));
      };
      const simd = run();
      native!.setIfma(false);
      let portable: Uint8Array[];
      try {
        portable = run();
      } finally {
        native!.setIfma(true);
      }
      simd.forEach((b, i) => expect(Buffer.from(b).equals(Buffer.from(portable[i]!)), `op ${i} at ${params.scalePrimeBits}-bit primes`).toBe(true));
      server.dispose();
      client.dispose();
    }
  });
});
