/**
 * @fileoverview Evaluation of `ckks.poly` (a Chebyshev series) with backend primitives only.
 *
 * u = (2x − a − b)/(b − a)                       1 level (mulConst + rescale; addConst is free)
 * T_1 = u; T_{2m} = 2·T_m² − 1; T_{2^i + j} = 2·T_{2^i}·T_j − T_{2^i − j}
 *                                                T_k sits at level(u) − ⌈log2 k⌉
 * p = c_0 + Σ_k c_k·T_k                          all terms dropped to the lowest level, one shared rescale
 * Total depth 2 + ⌈log2 d⌉ for degree d ≥ 2, which is ir/ops.ts polyDepth. Every backend (sim included) runs this
 * same code, so a plan's level accounting is checked by `sim` exactly as a real engine will execute it.
 */
import { HecError } from '../ir/diagnostics.ts';
import type { Ciphertext, ServerContext } from './backend.ts';

function dropTo(s: ServerContext, c: Ciphertext, level: number, temps: Ciphertext[]): Ciphertext {
  if (c.level === level) return c;
  const d = s.levelDrop(c, level);
  temps.push(d);
  return d;
}

/** 2·a·b − sub (all rescaled), with level alignment. */
function twoProductMinus(s: ServerContext, a: Ciphertext, b: Ciphertext, sub: Ciphertext | null, temps: Ciphertext[]): Ciphertext {
  const level = Math.min(a.level, b.level);
  const prod = s.mul(dropTo(s, a, level, temps), dropTo(s, b, level, temps));
  const r = s.rescale(prod);
  s.free(prod);
  const doubled = s.add(r, r);
  s.free(r);
  if (sub === null) {
    const out = s.addConst(doubled, -1);
    s.free(doubled);
    return out;
  }
  const out = s.sub(doubled, dropTo(s, sub, doubled.level, temps));
  s.free(doubled);
  return out;
}

export function evalChebyshev(s: ServerContext, x: Ciphertext, coeffs: readonly number[], domain: readonly [number, number]): Ciphertext {
  const degree = coeffs.length - 1;
  const [a, b] = domain;
  if (degree < 1) throw new HecError('HEC5020', 'ckks.poly needs degree ≥ 1');
  const temps: Ciphertext[] = [];
  const scaled = s.mulConst(x, 2 / (b - a), x.scale);
  const r = s.rescale(scaled);
  s.free(scaled);
  const u = s.addConst(r, -(a + b) / (b - a));
  s.free(r);
  const T: Ciphertext[] = [];
  T[1] = u;
  for (let k = 2; k <= degree; k++) {
    const hi = 1 << Math.floor(Math.log2(k));
    if (hi === k) T[k] = twoProductMinus(s, T[k / 2]!, T[k / 2]!, null, temps);
    else T[k] = twoProductMinus(s, T[hi]!, T[k - hi]!, hi - (k - hi) === 0 ? null : T[hi - (k - hi)]!, temps);
  }
  const low = Math.min(...T.slice(1).map((t) => t.level));
  let acc: Ciphertext | null = null;
  for (let k = 1; k <= degree; k++) {
    // A coefficient that encodes to the integer 0 contributes nothing (and some engines reject the all-zero product).
    if (Math.round(coeffs[k]! * T[k]!.scale) === 0) continue;
    const t = dropTo(s, T[k]!, low, temps);
    const term = s.mulConst(t, coeffs[k]!, t.scale);
    if (acc === null) acc = term;
    else {
      const next = s.add(acc, term);
      s.free(acc);
      s.free(term);
      acc = next;
    }
  }
  if (acc === null) throw new HecError('HEC5020', 'ckks.poly: every non-constant coefficient encodes to 0 at this scale');
  const rescaled = s.rescale(acc);
  s.free(acc);
  const out = s.addConst(rescaled, coeffs[0]!);
  s.free(rescaled);
  for (let k = 1; k <= degree; k++) s.free(T[k]!);
  for (const t of temps) s.free(t);
  return out;
}
