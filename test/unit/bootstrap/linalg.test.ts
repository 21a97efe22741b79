import { describe, expect, it } from 'vitest';

import { makeParams } from '../../../ir/params.ts';
import { presetParams } from '../../../ir/presets.ts';
import { bootstrapPlan, bootstrapRotations } from '../../../runtime/bootstrap/index.ts';
import {
  coeffsToSlots,
  cvec,
  fastDecode,
  fastEncode,
  fftGroups,
  matApply,
  naiveDecode,
  permuteBR,
  slotsToCoeffs,
  type CVec,
} from '../../../runtime/bootstrap/linalg.ts';

function rand(n: number, seed: number): CVec {
  let s = seed;
  const r = (): number => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const v = cvec(n);
  for (let i = 0; i < n; i++) { v.re[i] = r(); v.im[i] = r(); }
  return v;
}

function maxDiff(a: CVec, b: CVec): number {
  let e = 0;
  for (let i = 0; i < a.re.length; i++) e = Math.max(e, Math.abs(a.re[i]! - b.re[i]!), Math.abs(a.im[i]! - b.im[i]!));
  return e;
}

describe('special DFT factorisation', () => {
  for (const n of [4, 64, 512]) {
    it(`U·w via butterflies matches the naive special DFT (n=${n}) to ~1e-12`, () => {
      const w = rand(n, n);
      expect(maxDiff(fastDecode(w), naiveDecode(w))).toBeLessThan(1e-12);
      expect(maxDiff(fastEncode(naiveDecode(w)), w)).toBeLessThan(1e-12);
    });
    for (const groups of [2, 3, 4]) {
      it(`merged into ${groups} levels: StC = U, CtS = U⁻¹ up to the bit reversal (n=${n})`, () => {
        const w = rand(n, 7 * n + groups);
        let v = permuteBR(w);
        for (const m of fftGroups(n, groups, false)) v = matApply(m, v);
        expect(maxDiff(v, naiveDecode(w))).toBeLessThan(1e-12);
        let u = naiveDecode(w);
        for (const m of fftGroups(n, groups, true)) u = matApply(m, u);
        expect(maxDiff(permuteBR(u), w)).toBeLessThan(1e-12);
      });
    }
  }

  it('merged stages have at most 2^(g+1) − 1 diagonals', () => {
    const n = 1024; // 10 stages into 3 groups: 3, 3, 4 (CtS gives the larger group to the end)
    const sizes = fftGroups(n, 3, true).map((m) => m.size);
    expect(sizes[0]).toBeLessThanOrEqual(8);
    expect(sizes[2]).toBeLessThanOrEqual(31);
  });

  it('real coefficients round-trip through slots (N = 2n)', () => {
    const m = Float64Array.from({ length: 128 }, (_, i) => Math.sin(i));
    const back = slotsToCoeffs(coeffsToSlots(m));
    for (let i = 0; i < m.length; i++) expect(back[i]).toBeCloseTo(m[i]!, 12);
  });
});

describe('bootstrap rotations', () => {
  it('are exactly those of the planned linear transforms, normalised and sorted', () => {
    const params = presetParams('TEST_INSECURE_BOOT_N10', { allowInsecure: true });
    const rots = bootstrapRotations(params, 'full');
    expect(rots).toEqual([...new Set(rots)].sort((a, b) => a - b));
    for (const k of rots) expect(k > 0 && k < params.slots).toBe(true);
    const plan = bootstrapPlan(params, 'full');
    const used = new Set<number>();
    for (const lt of [...plan.cts, ...plan.stc]) {
      for (const b of lt.babies) if (b !== 0) used.add(b);
      for (const g of lt.giants) if (g.rot !== 0) used.add(g.rot);
    }
    expect(rots).toEqual([...used].sort((a, b) => a - b));
    expect(bootstrapRotations(params, 'real')).toEqual(rots);
  });

  it('N16_BOOT_DENSE keeps 128-bit security and ≥ 9 levels after bootstrapping', () => {
    const p = presetParams('N16_BOOT_DENSE');
    expect(p.secure).toBe(true);
    expect(p.bootstrapOutputLevel).toBeGreaterThanOrEqual(9);
    const plan = bootstrapPlan(p, 'full');
    expect(plan.ctsLevels + plan.evalMod.totalDepth + plan.stcLevels).toBe(p.bootstrapLevels);
  });

  it('a preset without bootstrap levels is refused', () => {
    const p = makeParams({ name: 'X', logN: 10, firstPrimeBits: 60, scalePrimeBits: 40, levels: 3, specialPrimeBits: [60], dnum: 4, scaleBits: 40, secretHammingWeight: 0, bootstrapLevels: 0, insecure: true });
    expect(() => bootstrapPlan(p, 'full')).toThrow();
  });
});
