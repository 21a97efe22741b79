/**
 * The one baby-step giant-step planner (ir/bsgs.ts, issue #8): its split is the cheapest over all powers of two
 * (checked by brute force), and for dense diagonals it reproduces the √P rule the replicated kernel used before the
 * planners were merged, so plans did not change.
 */
import { describe, expect, it } from 'vitest';
import { planBabyGiant, planDenseBabyGiant } from '../../../ir/bsgs.ts';
import { babySteps } from '../../../passes/kernels/matvec-diagonal.ts';
import { mulberry32 } from '../../../ir/seeded-random.ts';

function costOf(indices: number[], n1: number, babyCost: number): number {
  const babies = new Set(indices.map((i) => ((i % n1) + n1) % n1));
  const giants = new Set(indices.map((i) => (i - (((i % n1) + n1) % n1)) / n1));
  babies.delete(0);
  giants.delete(0);
  return babyCost * babies.size + giants.size;
}

describe('baby-step giant-step planner', () => {
  it('dense diagonals: n1 = the power of two nearest √P from above, P = 1 … 2^16', () => {
    for (let logP = 0; logP <= 16; logP++) {
      const P = 2 ** logP;
      expect(planDenseBabyGiant(P).babySteps, `P = ${P}`).toBe(Math.min(P, 1 << Math.ceil(logP / 2)));
      expect(babySteps(P)).toBe(planDenseBabyGiant(P).babySteps);
    }
  });

  it('sparse signed indices: the chosen split costs no more than any power-of-two split up to twice the index count (brute force)', () => {
    const r = mulberry32(11);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(r() * 40);
      const idx = [...new Set(Array.from({ length: n }, () => Math.floor(r() * 200) - 100))];
      const babyCost = [0.3, 0.6, 1][trial % 3]!;
      const plan = planBabyGiant(idx, babyCost);
      expect(plan.cost).toBeCloseTo(costOf(idx, plan.babySteps, babyCost), 12);
      for (let n1 = 1; n1 <= 2 * idx.length; n1 *= 2) expect(plan.cost).toBeLessThanOrEqual(costOf(idx, n1, babyCost) + 1e-12);
    }
  });
});
