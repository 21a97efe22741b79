/**
 * @fileoverview The primitive interface the bootstrap circuit is written against: a subset of ServerContext plus
 * `modRaise`, with plaintext diagonals passed as plain complex vectors (the interpreter encodes and may cache them).
 *
 * The circuit is written once (circuit.ts, evalmod.ts) and interpreted twice: on plain complex vectors (plain.ts,
 * with optional CKKS noise injection, to test the math and predict precision) and on a real backend (server.ts).
 */
import type { CkksParams } from '../../ir/params.ts';
import type { LinearTransform } from './circuit.ts';
import type { CVec } from './linalg.ts';

export interface Prim<C> {
  readonly params: CkksParams;
  level(c: C): number;
  scale(c: C): number;
  add(a: C, b: C): C;
  sub(a: C, b: C): C;
  negate(a: C): C;
  addConst(a: C, c: number): C;
  /** Multiply by round(c·scale); result scale = a.scale·scale (backend.ts semantics). */
  mulConst(a: C, c: number, scale: number): C;
  /** Encode `d` at a's level and `scale`, multiply slot-wise (no rescale). `key` identifies d for plaintext caching. */
  mulDiag(a: C, d: CVec, scale: number, key: string): C;
  mul(a: C, b: C): C;
  rescale(a: C): C;
  /** Drop a canonical-scale ciphertext to a lower level (canonical scale there). */
  levelDrop(a: C, level: number): C;
  /** Optional: drop primes down to `level` keeping the scale (exact, no rounding; CpuServer.dropLevel). */
  dropLevel?(a: C, level: number): C;
  rotate(a: C, k: number): C;
  rotateHoisted(a: C, ks: readonly number[]): C[];
  conjugate(a: C): C;
  /** Level-0 ciphertext → top level; the slots now hold m + (q_0/scale)·I for an integer polynomial I. */
  modRaise(a: C): C;
  /**
   * Sparse-secret encapsulation (params.bootstrapSparseWeight > 0): key-switch a level-0 ciphertext to the ephemeral
   * sparse secret, and a (ModRaised, top-level) ciphertext back to the main secret. Level and scale unchanged.
   */
  toSparse?(a: C): C;
  fromSparse?(a: C): C;
  /**
   * Optional fused form of applyLinearTransform for one plaintext scale (the engine's hoisted baby-step giant-step
   * product): the same value as the generic mulDiag/add/rotate sequence, pre-rescale. `key` prefixes the diagonals'
   * cache keys as `${key}/${giant}/${term}`, matching mulDiag's.
   */
  linearTransform?(x: C, lt: LinearTransform, scale: number, key: string): C;
  /**
   * Optional fused Σ_t mulConst(x_t, c_t, scale_t) at `level` (default x_0's; terms above it are dropped exactly, as
   * dropLevel would; every scale(x_t)·scale_t equal): word for word the sum of the products, in one pass.
   */
  linComb?(terms: readonly { x: C; c: number; scale: number }[], level?: number): C;
  free(a: C): void;
}

/** Canonical scale Δ_ℓ = 2^logScale[ℓ] (ir/params.ts): used only at the circuit's entry and exit. */
export function canonical(params: CkksParams, level: number): number {
  return 2 ** params.logScale[level]!;
}

/** q_ℓ as a float (exact for primes < 2^53; within 2^-53 relative otherwise). */
export function qf(params: CkksParams, level: number): number {
  return Number(params.q[level]!);
}

const exactCache = new WeakMap<CkksParams, number[]>();

/**
 * The canonical chain recomputed the way engines compute labels: D_L = 2^scaleBits, D_{ℓ−1} = D_ℓ·D_ℓ / q_ℓ in
 * float64. Why not 2^logScale[ℓ]: the log-domain recurrence doubles its rounding error at every level (≈ 2^-38
 * relative a few levels down), while backends add operands whose scales agree within 1e-9 without correcting them;
 * EvalMod would amplify that mismatch by 2πK'. Inside EvalMod every label is an element of this chain.
 */
export function exactScale(params: CkksParams, level: number): number {
  let d = exactCache.get(params);
  if (d === undefined) {
    d = new Array<number>(params.levels + 1);
    d[params.levels] = 2 ** params.scaleBits;
    for (let l = params.levels; l > 0; l--) d[l - 1] = (d[l]! * d[l]!) / qf(params, l);
    exactCache.set(params, d);
  }
  return d[level]!;
}

/** `a` (any label) brought to `level` < level(a) with label exactly D_level: exact prime drops, one rescale. */
export function alignTo<C>(P: Prim<C>, a: C, level: number): C {
  if (P.level(a) === level) return a;
  const d = dropKeep(P, a, level + 1);
  const m = P.mulConst(d, 1, (exactScale(P.params, level) * qf(P.params, level + 1)) / P.scale(d));
  if (d !== a) P.free(d);
  const r = P.rescale(m);
  P.free(m);
  return r;
}

/** Drop primes to `level` keeping the scale label: the engine's exact dropLevel, else ×q_ℓ then rescale per level. */
export function dropKeep<C>(P: Prim<C>, a: C, level: number): C {
  if (P.level(a) === level) return a;
  if (P.dropLevel !== undefined) return P.dropLevel(a, level);
  let cur = a;
  while (P.level(cur) > level) {
    const m = P.mulConst(cur, 1, qf(P.params, P.level(cur)));
    if (cur !== a) P.free(cur);
    cur = P.rescale(m);
    P.free(m);
  }
  return cur;
}

/** Bring a canonical ciphertext to `level` with the backend's levelDrop (entry of the circuit only). */
export function dropTo<C>(P: Prim<C>, a: C, level: number): C {
  return P.level(a) > level ? P.levelDrop(a, level) : a;
}
