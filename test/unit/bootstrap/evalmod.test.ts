import { describe, expect, it } from 'vitest';

import { presetParams } from '../../../ir/presets.ts';
import { clenshaw } from '../../../ir/chebyshev.ts';
import { ChebEvaluator, kFromHammingWeight, planEvalMod } from '../../../runtime/bootstrap/evalmod.ts';
import { cvec } from '../../../runtime/bootstrap/linalg.ts';
import { PlainPrim } from '../../../runtime/bootstrap/plain.ts';

describe('EvalMod polynomial', () => {
  it('K grows like the square root of the Hamming weight (failure ≤ 2^-20 per bootstrap)', () => {
    expect(kFromHammingWeight(192, 16)).toBe(28);
    expect(kFromHammingWeight(64, 12)).toBe(15);
    expect(kFromHammingWeight(32, 10)).toBeLessThan(kFromHammingWeight(64, 10));
  });

  for (const [kPrime, levels, cubic] of [[12, 9, true], [29, 9, true], [16, 8, false]] as const) {
    it(`K'=${kPrime}, ${levels} levels, cubic=${cubic}: interpolant within 2^-40 of its target, (t − I) recovered`, () => {
      const em = planEvalMod(kPrime, levels, cubic);
      expect(em.depth).toBe(levels);
      expect(em.degree).toBeLessThan(2 ** levels);
      // Stated error: max |p − target| on [−1, 1].
      expect(em.approxError).toBeLessThan(2 ** -40);
      for (let j = 0; j < em.coeffs.length; j += 2) expect(em.coeffs[j]).toBe(0);
      // Near every integer I the output is 2π(t − I) up to the sine's Taylor remainder.
      const R = 64;
      let worst = 0;
      for (let I = -kPrime + 1; I < kPrime; I += 3) {
        for (const m of [-1, -0.3, 0.01, 0.5, 1]) {
          const t = I + m / R;
          const y = clenshaw(em.coeffs, t / kPrime) / (2 * Math.PI);
          worst = Math.max(worst, Math.abs(y - m / R) / (1 / R));
        }
      }
      const theta = (2 * Math.PI) / R;
      const bound = cubic ? theta ** 4 / 30 : theta ** 2 / 6;
      expect(worst).toBeLessThan(1.05 * bound + 2 ** -30);
    });
  }
});

describe('Chebyshev evaluation over primitives (plain)', () => {
  const params = presetParams('TEST_INSECURE_BOOT_N10', { allowInsecure: true });

  for (const imaginary of [false, true]) {
    it(`matches Clenshaw, uses exactly ⌈log2(d+1)⌉ levels (imaginary input: ${imaginary})`, () => {
      const em = planEvalMod(3, 7, false);
      const P = new PlainPrim(params);
      const n = params.slots;
      const v = cvec(n);
      for (let i = 0; i < n; i++) {
        const x = -1 + (2 * i) / (n - 1);
        if (imaginary) v.im[i] = x;
        else v.re[i] = x;
      }
      const top = 12;
      const out = new ChebEvaluator(P, P.fromSlots(v, top), imaginary, 16).evaluate(em.coeffs, em.depth);
      expect(out.level).toBe(top - em.depth);
      // Labels follow the backend's own arithmetic (see ChebEvaluator) and stay within a hair of the canonical scale.
      expect(Math.abs(Math.log2(out.scale) - params.logScale[top - em.depth]!)).toBeLessThan(1e-3);
      let e = 0;
      for (let i = 0; i < n; i++) {
        const x = -1 + (2 * i) / (n - 1);
        const want = clenshaw(em.coeffs, x);
        // Imaginary input i·x gives i·p(x) for odd p.
        const got = imaginary ? out.v.im[i]! : out.v.re[i]!;
        const other = imaginary ? out.v.re[i]! : out.v.im[i]!;
        e = Math.max(e, Math.abs(got - want), Math.abs(other));
      }
      expect(e).toBeLessThan(1e-9);
    });
  }
});
