/**
 * Parameter literals: sparse-secret encapsulation (bootstrapSparseWeight) is validated, survives the plan header, and
 * shrinks the bootstrap's K and EvalMod polynomial.
 */
import { describe, expect, it } from 'vitest';

import { makeParams } from '../../../ir/params.ts';
import { presetParams } from '../../../ir/presets.ts';
import { paramsFromAttr, paramsToAttr } from '../../../runtime/plan.ts';
import { bootstrapPlan } from '../../../runtime/bootstrap/index.ts';

describe('sparse-secret encapsulation parameters', () => {
  const base = presetParams('N16_BOOT_H192_INSECURE', { allowInsecure: true });

  it('N16_BOOT_DENSE: the same chain as the h=192 preset, secure, ephemeral weight 32, K 28 → 12, degree 429 → 211', () => {
    const sp = presetParams('N16_BOOT_DENSE');
    expect(sp.q).toEqual(base.q);
    expect(sp.secure).toBe(true);
    expect(sp.secretHammingWeight).toBe(0);
    expect(sp.bootstrapSparseWeight).toBe(32);
    const a = bootstrapPlan(base, 'real'), b = bootstrapPlan(sp, 'real');
    expect([a.K, b.K]).toEqual([28, 12]);
    expect([a.evalMod.coeffs.length - 1, b.evalMod.coeffs.length - 1]).toEqual([429, 211]);
  });

  it('round-trips through the plan header; absent means off', () => {
    const sp = presetParams('N16_BOOT_DENSE');
    expect(paramsFromAttr(paramsToAttr(sp)).bootstrapSparseWeight).toBe(32);
    expect(paramsToAttr(base).bootstrap_sparse_weight).toBeUndefined();
    expect(paramsFromAttr(paramsToAttr(base)).bootstrapSparseWeight ?? 0).toBe(0);
  });

  it('refuses weights that cannot help or cannot work (HEC6001 with a fix)', () => {
    const bad = (over: object) => () => makeParams({ ...base, name: 'X', ...over });
    // (insecure-flagged base: these are validity checks, security has its own tests in security.test.ts)
    expect(bad({ bootstrapSparseWeight: 192 })).toThrow(/HEC6001.*not below the secret's Hamming weight/);
    expect(bad({ bootstrapSparseWeight: 1.5 })).toThrow(/HEC6001/);
    expect(bad({ bootstrapSparseWeight: 16, bootstrapLevels: 0 })).toThrow(/cannot bootstrap/);
    expect(() => makeParams({ ...base, name: 'X', bootstrapSparseWeight: 16 })).not.toThrow();
  });
});
