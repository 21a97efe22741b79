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
  /** Optional: drop primes down to `level` keeping the scale (exact, no rounding; CpuServer.dropLevel). */
  dropLevel?(a: C, level: number): C;
  rotate(a: C, k: number): C;
  rotateHoisted(a: C, ks: readonly number[]): C[];
  conjugate(a: C): C;
  /** Level-0 ciphertext → top level; the slots now hold m + (q_0/scale)·I for an integer polynomial I. */
  modRaise(a: C): C;
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
