/**
 * @fileoverview The one baby-step giant-step planner of hec: how to split the rotation indices of a diagonal linear
 * transform into hoisted baby rotations and giant rotations (Halevi–Shoup 2018; Lattigo `lintrans`; Bossuat et al.,
 * Eurocrypt 2021 §4). The replicated matrix–vector kernel (passes/kernels) and the bootstrap's CoeffsToSlots /
 * SlotsToCoeffs (runtime/bootstrap/circuit.ts) both ask it, so the cost model prices one rule. It lives in ir/
 * because both passes/ and runtime/ may import ir/.
 *
 * Index i = g·n1 + b (0 ≤ b < n1) is computed as rot(Σ_b rot(x, b) ⊙ diag', g·n1). Cost counted: a hoisted baby
 * rotation costs `babyCost` of a full rotation (it skips the key-switch decomposition), a giant one costs 1; the
 * zero rotations are free. n1 ranges over powers of two up to 2·(number of indices).
 */

/** Default relative cost of a hoisted baby rotation (measured on the N = 2^16 bootstrapping chain, see runtime/bootstrap/circuit.ts). */
export const DEFAULT_BABY_COST = 0.6;

export interface BabyGiantSplit {
  /** Baby-step count n1 (a power of two). */
  babySteps: number;
  /** Distinct nonzero baby rotations. */
  babyRotations: number;
  /** Distinct nonzero giant rotations. */
  giantRotations: number;
  /** babyCost·babyRotations + giantRotations. */
  cost: number;
}

/** The split of integer diagonal indices (in units of a common stride; may be negative) with the lowest cost. */
export function planBabyGiant(indices: readonly number[], babyCost = DEFAULT_BABY_COST): BabyGiantSplit {
  let best: BabyGiantSplit | undefined;
  for (let n1 = 1; n1 <= 2 * indices.length; n1 *= 2) {
    const babies = new Set<number>();
    const giants = new Set<number>();
    for (const i of indices) {
      const b = ((i % n1) + n1) % n1;
      babies.add(b);
      giants.add((i - b) / n1);
    }
    const babyRotations = [...babies].filter((b) => b !== 0).length;
    const giantRotations = [...giants].filter((g) => g !== 0).length;
    const cost = babyCost * babyRotations + giantRotations;
    if (best === undefined || cost < best.cost) best = { babySteps: n1, babyRotations, giantRotations, cost };
  }
  return best ?? { babySteps: 1, babyRotations: 0, giantRotations: 0, cost: 0 };
}

/** The split of the dense indices 0 … count−1 (every diagonal of a count-periodic matrix). */
export function planDenseBabyGiant(count: number, babyCost = DEFAULT_BABY_COST): BabyGiantSplit {
  return planBabyGiant(Array.from({ length: count }, (_, i) => i), babyCost);
}
