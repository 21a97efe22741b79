/**
 * Plaintext source kinds as an explicit registry (issue #8): each kind is one object, kinds are unique, an unknown
 * kind is HEC5010 naming the known ones, and the evaluations match plain arithmetic on a small weight.
 */
import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import { evaluateSource, isPositional, SOURCE_KINDS, type WeightStore } from '../../../ir/plaintext-sources.ts';

const W: WeightStore = {
  get(name) {
    if (name !== 'w') throw new Error(`no weight ${name}`);
    return { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) };
  },
};

describe('plaintext source registry', () => {
  it('kinds are unique; position-dependence is declared per kind', () => {
    const kinds = SOURCE_KINDS.map((k) => k.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(kinds.filter((k) => isPositional({ kind: k })).sort()).toEqual(['head_mask', 'rope', 'token_mask']);
  });

  it('an unknown kind is HEC5010 with the known kinds in the fix', () => {
    let err: HecError | undefined;
    try {
      evaluateSource({ kind: 'no_such_kind' }, 8, W, 0);
    } catch (e) {
      if (e instanceof HecError) err = e;
    }
    expect(err?.code).toBe('HEC5010');
    expect(err?.diagnostic.fix).toContain('diag, vector, rope');
  });

  it('diag: out[i] = M(i mod P_out, (i + k) mod P_in) pre-rotated by shift; vector: replicated with its period', () => {
    const slots = 8;
    const src = { kind: 'diag', matrix: { weight: 'w', transpose: false, scale: 1 }, k: 1, in_n: 3, in_period: 4, out_m: 2, out_period: 2, shift: 0 };
    const got = evaluateSource(src, slots, W, 0);
    const want = Array.from({ length: slots }, (_, i) => {
      const r = i % 2;
      const c = (i + 1) % 4;
      return c < 3 ? [1, 2, 3, 4, 5, 6][r * 3 + c]! : 0;
    });
    expect([...got]).toEqual(want);
    expect([...evaluateSource({ kind: 'vector', weight: 'w', n: 3, period: 4, scale: 2 }, slots, W, 0)]).toEqual([2, 4, 6, 0, 2, 4, 6, 0]);
    expect([...evaluateSource({ kind: 'token_mask', base: 0, block: 2, width: 1, capacity: 4 }, slots, W, 2)]).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
  });
});
