/**
 * @fileoverview Replicated diagonal matrix–vector product with baby-step giant-step (Halevi–Shoup diagonals,
 * BSGS as in Halevi–Shoup 2018 / Lattigo's `lintrans`), the first and simple packing of hec's linear layers.
 *
 * Input: x in `#rep<n=in_n, period=P_in>` (every slot i holds x[i mod P_in], zero padding above in_n).
 * Output: y = M·x in `#rep<n=out_m, period=P_out>`, so layers chain with no re-encoding and no masks.
 *
 *   y[i] = Σ_{k<P_in} diag_k[i] · x[(i + k) mod P_in],   diag_k[i] = M(i mod P_out, (i + k) mod P_in)
 *
 * With k = g·b + j (j < b baby steps, g < G giant steps, b·G = P_in):
 *   y = Σ_g rot( Σ_j rot(x, j) ⊙ diag'_{g,j}, g·b ),   diag'_{g,j}[i] = diag_{g·b+j}[i − g·b]
 *
 * Cost: P_in plaintext multiplications, (b − 1) hoisted baby rotations + (G − 1) giant rotations, 1 level.
 * Requires P_in | slots and P_out | slots (both powers of two).
 */
import { planDenseBabyGiant } from '../../ir/bsgs.ts';
import type { AttrDict } from '../../ir/types.ts';
import type { KernelTarget } from './target.ts';

export interface MatvecShape {
  inN: number;
  inPeriod: number;
  outM: number;
  outPeriod: number;
}

/**
 * Baby-step count for the dense diagonals 0 … P_in−1, from the one BSGS planner (ir/bsgs.ts). For every power of two
 * up to 2^16 it equals the power of two nearest √P_in from above (test/unit/passes/bsgs.test.ts), so rotations ≈ 2√P_in.
 */
export function babySteps(inPeriod: number): number {
  return planDenseBabyGiant(inPeriod).babySteps;
}

/** y = M·x as a kernel: emitted as IR, counted or evaluated on slots depending on `b` (target.ts). */
export function emitMatvec<V>(b: KernelTarget<V>, x: V, matrix: AttrDict, shape: MatvecShape, hint: string): V {
  const P = shape.inPeriod;
  const baby = Math.min(babySteps(P), P);
  const giant = P / baby;
  const outLayout = { kind: 'rep', n: shape.outM, period: shape.outPeriod } as const;
  const babies = b.rotateMany(x, Array.from({ length: baby }, (_, j) => j));
  let acc: V | null = null;
  for (let g = 0; g < giant; g++) {
    let partial: V | null = null;
    for (let j = 0; j < baby; j++) {
      const k = g * baby + j;
      const pt = b.encode(
        { kind: 'diag', matrix, k, in_n: shape.inN, in_period: P, out_m: shape.outM, out_period: shape.outPeriod, shift: g * baby },
        { kind: 'junk' },
      );
      const prod = b.mulPlainRaw(babies[j]!, pt, { kind: 'junk' });
      partial = partial === null ? prod : b.add(partial, prod, { kind: 'junk' });
    }
    const rescaled = b.rescale(partial!, { kind: 'junk' });
    const moved = b.rotate(rescaled, g * baby);
    acc = acc === null ? moved : b.add(acc, moved, { kind: 'junk' }, g === giant - 1 ? hint : undefined);
  }
  return b.retype(acc!, outLayout);
}
