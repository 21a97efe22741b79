/**
 * The Chebyshev machinery poly-approx relies on, checked against Math functions: geometric convergence and exact
 * interpolation at the nodes. (The end-to-end tests check the approximations' effect on logits against onnxruntime.)
 */
import { describe, expect, it } from 'vitest';
import { chebyshevEval, chebyshevInterpolate, maxError } from '../../../ir/chebyshev.ts';

describe('Chebyshev interpolation', () => {
  it('converges geometrically for analytic functions', () => {
    const errs = [7, 15, 31].map((d) => maxError(chebyshevInterpolate(Math.exp, -4, 0, d), Math.exp));
    console.log(`exp on [-4, 0]: degree 7/15/31 errors ${errs.map((e) => e.toExponential(2)).join(', ')}`);
    expect(errs[1]!).toBeLessThan(errs[0]! / 1e3);
    expect(errs[2]!).toBeLessThan(1e-13);
  });
  it('evaluates exactly the interpolated values at the nodes', () => {
    const n = 9;
    const s = chebyshevInterpolate((x) => 1 / (1 + x * x), -2, 5, n - 1);
    for (let j = 0; j < n; j++) {
      const u = Math.cos((Math.PI * (j + 0.5)) / n);
      const x = (7 * u + 3) / 2;
      expect(chebyshevEval(s, x)).toBeCloseTo(1 / (1 + x * x), 12);
    }
  });
});
