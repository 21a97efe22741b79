/**
 * @fileoverview The primitive interface the bootstrap circuit is written against: a subset of ServerContext plus
 * `modRaise`, with plaintext diagonals passed as plain complex vectors (the interpreter encodes and may cache them).
 *
 * The circuit is written once (circuit.ts, evalmod.ts) and interpreted twice: on plain complex vectors (plain.ts,
 * with optional CKKS noise injection, to test the math and predict precision) and on a real backend (server.ts).
 */
import type { CkksParams } from '../../ir/params.ts';
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
  rotate(a: C, k: number): C;
  rotateHoisted(a: C, ks: readonly number[]): C[];
  conjugate(a: C): C;
  /** Level-0 ciphertext → top level; the slots now hold m + (q_0/scale)·I for an integer polynomial I. */
  modRaise(a: C): C;
  free(a: C): void;
}

/** Canonical scale Δ_ℓ = 2^logScale[ℓ] (ir/params.ts). */
export function canonical(params: CkksParams, level: number): number {
  return 2 ** params.logScale[level]!;
}

/** q_ℓ as a float (exact for primes < 2^53; within 2^-53 relative otherwise). */
export function qf(params: CkksParams, level: number): number {
  return Number(params.q[level]!);
}

/** a·b with a and b brought to the same (lower) level first, then rescaled: canonical in → canonical out. */
export function mulRescale<C>(P: Prim<C>, a: C, b: C): C {
  const la = P.level(a), lb = P.level(b);
  const a2 = la > lb ? P.levelDrop(a, lb) : a;
  const b2 = lb > la ? P.levelDrop(b, la) : b;
  const m = P.mul(a2, b2);
  if (a2 !== a) P.free(a2);
  if (b2 !== b) P.free(b2);
  const r = P.rescale(m);
  P.free(m);
  return r;
}

/** Bring a canonical ciphertext to `level` (a copy-free no-op when already there: returns the same object). */
export function dropTo<C>(P: Prim<C>, a: C, level: number): C {
  return P.level(a) > level ? P.levelDrop(a, level) : a;
}
