/**
 * @fileoverview Cachemir's interleaved replicated packing (IRP) for a square d×d vector × matrix product
 * (arXiv 2602.11470 §4.1, Algorithm 1; rebuilt from the authors' code in ../shared/CACHEMIR-NOTES.md §3.3, whose
 * square formulas check out against naive products — the rectangular ones do not and are not used here).
 *
 * Layout (interleaved, t = S/d): x_i at slot i·t, the other slots zero. S = 32, d = 8, t = 4:
 *   in   [x0 0 0 0 | x1 0 0 0 | … | x7 0 0 0]
 *   rep  [x0 x1 x2 x3 | x1 x2 x3 x4 | … | x7 x0 x1 x2]      slot k·t + r holds x_{(k+r) mod d}
 *   out  [y0 * * * | y1 * * * | … | y7 * * *]                slot b·t holds y_b = Σ_m W[b][m]·x_m; * = partial sums
 * Steps: replicate (x ← x + rot(x, s·(t−1)), s = 1, 2, … < t), baby copies c_j = rot(x_rep, j·t²) (j < M, hoisted),
 * P_g = Σ_j c_j ⊙ pt_{g,j} (one shared rescale), acc = Σ_g rot(P_g, g·M·t²), reduce (acc ← acc + rot(acc, s),
 * s = 1, 2, … < t), with pt_{g,j}[b·t + k] = W[(b − g·M·t) mod d][(b + k + j·t) mod d] (source kind `irp_diag`).
 * M·G = d²/S, M = ⌊√(d²/(2S))⌋ (at least 1), G = d²/(S·M).
 * Cost: d²/S plaintexts and plaintext multiplications; 2·log2 t + (M − 1) + (G − 1) rotations; 1 level.
 * Requires d and S powers of two with d ≤ S ≤ d² (t ≤ d); d² < S needs stacking (issue #8 §2, not done here).
 * The junk slots are NOT masked: a consumer must mask or fuse a mask (notes §3.6).
 */
import { HecError } from '../../ir/diagnostics.ts';
import type { AttrDict } from '../../ir/types.ts';
import type { KernelTarget } from './target.ts';

export interface IrpShape {
  /** The vector length d (a power of two). */
  d: number;
}

export interface IrpSplit {
  /** Interleave factor t = S/d. */
  t: number;
  /** Baby steps M. */
  baby: number;
  /** Giant steps G. */
  giant: number;
}

const isPow2 = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;

/** The IRP split for a d×d matrix in `slots` slots; HEC4002 where the square IRP cannot hold the shape. */
export function irpSplit(d: number, slots: number): IrpSplit {
  if (!isPow2(d) || !isPow2(slots) || slots < d || slots > d * d) {
    throw new HecError('HEC4002', `the square IRP kernel needs powers of two with d ≤ S ≤ d², got d = ${d}, S = ${slots}`, {
      fix: 'pad d to a power of two; for d² < S stack matrices that read the same input (not implemented yet)',
    });
  }
  const t = slots / d;
  const plaintexts = (d * d) / slots;
  const baby = Math.max(1, 2 ** Math.floor(Math.log2(Math.sqrt(plaintexts / 2))));
  return { t, baby, giant: plaintexts / baby };
}

/** y = W·x, x and y in the interleaved layout (slot i·t); `matrix` is a matrix source spec (weight [out, in]). */
export function emitIrpMatvec<V>(b: KernelTarget<V>, x: V, matrix: AttrDict, shape: IrpShape, hint: string): V {
  const { d } = shape;
  const { t, baby, giant } = irpSplit(d, b.slots);
  let rep = x;
  for (let s = 1; s < t; s *= 2) rep = b.add(rep, b.rotate(rep, s * (t - 1)), { kind: 'junk' });
  const copies = b.rotateMany(rep, Array.from({ length: baby }, (_, j) => j * t * t));
  let acc: V | null = null;
  for (let g = 0; g < giant; g++) {
    let partial: V | null = null;
    for (let j = 0; j < baby; j++) {
      const pt = b.encode({ kind: 'irp_diag', matrix, d, t, g, j, baby }, { kind: 'junk' });
      const prod = b.mulPlainRaw(copies[j]!, pt, { kind: 'junk' });
      partial = partial === null ? prod : b.add(partial, prod, { kind: 'junk' });
    }
    if (partial === null) throw new Error('internal error: IRP with no baby steps');
    const moved = b.rotate(b.rescale(partial, { kind: 'junk' }), g * baby * t * t);
    acc = acc === null ? moved : b.add(acc, moved, { kind: 'junk' });
  }
  if (acc === null) throw new Error('internal error: IRP with no giant steps');
  for (let s = 1; s < t; s *= 2) acc = b.add(acc, b.rotate(acc, s), { kind: 'junk' }, s * 2 >= t ? hint : undefined);
  return acc;
}
