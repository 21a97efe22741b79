/**
 * @fileoverview EvalMod: the homomorphic reduction t ↦ t − round(t), approximated by y = sin(2πt) (so that
 * (1/2π)·y ≈ t − I for |t − I| ≪ 1; Cheon–Kim–Kim–Song, "Bootstrapping for approximate HE", Eurocrypt 2018).
 *
 * Input x = t/K' ∈ [−1, 1] where |I| ≤ K follows from the secret's Hamming weight h: the coefficient I_k of
 * round((b + a·s)/q_0) is a sum of h uniform terms, variance ≈ (h + 1)/12, and K is its z-sigma tail bound with the
 * failure probability per bootstrap chosen below (Bossuat–Mouchet–Troncoso-Pastoriza–Hubaux, Eurocrypt 2021, §5.1).
 *
 * Why an ODD polynomial, interpolated directly over [−1, 1] with no double-angle steps: the full-slot variant must
 * feed EvalMod the imaginary part of the CtS output, and the only exact way to get it without an i-multiplication
 * primitive is b = w − conj(w) = 2i·Im(w), a purely imaginary ciphertext. For an odd p with real Chebyshev
 * coefficients, keeping C_j = i·T_j(v) for odd j and C_j = T_j(v) for even j gives the same recurrences except that a
 * product of two odd-index terms changes sign, and Σ c_j C_j = i·p(v): the imaginary branch needs no i at all.
 * Cosine + double angle (Han–Ki) is not odd; it also amplifies rounding errors by ≈ 2.8 per step.
 *
 * Evaluation: Chebyshev basis, baby-step giant-step with a depth-optimal split (Bossuat et al. §4.2; Lee et al.,
 * "High-precision bootstrapping", Eurocrypt 2021): p = lo + hi·T_{2^j}; the chain of "hi" parts must stay within
 * the optimal depth ⌈log2(d+1)⌉ and is split further, every other part is a baby-step sum with one spare level.
 * Scales: see ChebEvaluator (every sum is formed before its single rescale, addends joined at exactly its label).
 */
import { chebyshevInterpolate, maxError } from '../../ir/chebyshev.ts';
import { alignTo, dropKeep, exactScale, type Prim } from './prim.ts';

/** erfc via Numerical Recipes' Chebyshev fit (relative error < 1.2e-7, enough for a tail bound). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/**
 * K such that P(any |I_k| > K over the N coefficients) ≤ 2^-failLog2, Gaussian model of I_k with variance (h+1)/12
 * (conservative: the true sum of h uniforms has lighter tails).
 */
export function kFromHammingWeight(h: number, logN: number, failLog2 = 20): number {
  const sd = Math.sqrt((h + 1) / 12);
  const target = 2 ** -failLog2 / 2 ** logN;
  let z = 1;
  while (erfc(z / Math.SQRT2) > target) z += 0.01;
  return Math.ceil(z * sd);
}

export interface EvalModPlan {
  /** Interval half-width in t: x = t/kPrime. */
  kPrime: number;
  /**
   * Odd Chebyshev coefficients (even ones exactly 0) of x ↦ sin θ, θ = 2πK'x, or with the cubic correction of
   * (4/3)·sin θ − (1/6)·sin 2θ = θ − θ⁵/30 + … near integers t, which cancels the θ³/6 error of plain sin θ.
   */
  coeffs: Float64Array;
  degree: number;
  /** Levels consumed: ⌈log2(degree + 1)⌉. */
  depth: number;
  /** Max |p(x) − target(x)| on a fine grid of [−1, 1]. */
  approxError: number;
  /** Levels consumed by EvalMod as a whole (= depth). */
  totalDepth: number;
}

/** Smallest odd degree within `maxDepth` whose interpolant reaches `targetError` (or the best one that fits). */
export function planEvalMod(kPrime: number, levels: number, cubicCorrection: boolean, targetError = 2 ** -42): EvalModPlan {
  const w = 2 * Math.PI * kPrime;
  // With the correction, (4/3)·sin θ − (1/6)·sin 2θ is itself an odd polynomial target of twice the frequency: one
  // evaluation at depth ⌈log2(d+1)⌉ (one level more than sin alone) instead of sin and cos and a product.
  const f = cubicCorrection
    ? (x: number): number => (4 / 3) * Math.sin(w * x) - (1 / 6) * Math.sin(2 * w * x)
    : (x: number): number => Math.sin(w * x);
  const p = planOdd(kPrime, f, cubicCorrection ? 2 * w : w, levels, targetError);
  // Consume exactly `levels` (the caller's level accounting relies on it), even when a lower degree suffices.
  p.depth = levels;
  p.totalDepth = levels;
  return p;
}

function planOdd(kPrime: number, f: (x: number) => number, omega: number, maxDepth: number, targetError: number): EvalModPlan {
  const maxDeg = 2 ** maxDepth - 1;
  // The Chebyshev coefficients of sin(ωx) are 2·J_j(ω): negligible beyond j ≈ ω + 15·ω^{1/3}; start near ω.
  let best: EvalModPlan | undefined;
  for (let d = Math.min(maxDeg, Math.max(3, Math.floor(omega) | 1)); d <= maxDeg; d += 2) {
    const series = chebyshevInterpolate(f, -1, 1, d);
    for (let j = 0; j < series.coeffs.length; j += 2) series.coeffs[j] = 0;
    const e = maxError(series, f, false, Math.max(4000, 40 * d));
    const c = Float64Array.from(series.coeffs);
    best = { kPrime, coeffs: c, degree: d, depth: Math.ceil(Math.log2(d + 1)), approxError: e, totalDepth: Math.ceil(Math.log2(d + 1)) };
    if (e <= targetError) break;
    d += 6; // coarse steps: the error falls super-exponentially, a few extra degrees are cheap
  }
  if (best === undefined) throw new Error(`EvalMod: depth ${maxDepth} too small for K'=${kPrime}`);
  return best;
}

/**
 * Evaluate Σ c_j T_j(x) homomorphically; the result lands at level(x) − depth.
 *
 * Scale discipline: every sum is formed BEFORE its rescale, in an accumulator whose label S is that of its ct×ct
 * product (or free for pure baby sums); each other addend y joins as mulConst(dropLevel(y), c, S/scale(y)), an
 * integer ≈ 2^logΔ, so all addends carry S exactly and a single rescale rounds the whole sum. Operands of ct×ct
 * products and results that meet after their rescales carry the exact float chain label D_ℓ (prim.ts exactScale:
 * backends require equal scales for mul and add scales within 1e-9 without correcting them; params.logScale drifts
 * by ≈ 2^-38, which EvalMod would amplify by 2πK').
 */
export class ChebEvaluator<C> {
  private readonly T = new Map<number, C>();
  private readonly dropped = new Map<string, C>();
  private readonly top: number;

  /** `imaginary`: x holds i·v; odd-index terms are then i·T_j(v) (see file comment). */
  constructor(private readonly P: Prim<C>, x: C, private readonly imaginary: boolean, private readonly baby: number) {
    this.T.set(1, x);
    this.top = P.level(x);
  }

  static depthOf(j: number): number {
    return j <= 1 ? 0 : Math.ceil(Math.log2(j));
  }

  /** T_j at `level` with label D_level (alignTo: exact drops, one rescale); cached, owned by the evaluator. */
  private at(key: string, v: C, level: number): C {
    if (this.P.level(v) === level) return v;
    const k = `${key}@${level}`;
    let d = this.dropped.get(k);
    if (d === undefined) this.dropped.set(k, (d = alignTo(this.P, v, level)));
    return d;
  }

  /** T_j dropped to `level` keeping its label (cached; owned by the evaluator). */
  private keepAt(j: number, level: number): C {
    const y = this.t(j);
    if (this.P.level(y) === level) return y;
    const k = `keep${j}@${level}`;
    let d = this.dropped.get(k);
    if (d === undefined) this.dropped.set(k, (d = dropKeep(this.P, y, level)));
    return d;
  }

  /**
   * acc (label S, consumed; may be absent) + Σ c_j·T_j at `level`, each term joined to label S by a constant product
   * with the integer-sized S/scale(T_j): one fused pass when the backend has linComb, else products and sums.
   */
  private sumTerms(acc: C | undefined, js: readonly number[], cs: readonly number[], level: number, S: number): C {
    const P = this.P;
    if (P.linComb !== undefined) {
      // The fused sum reads each T_j's lower limbs in place: no dropped copies (their labels are T_j's own).
      const terms = js.map((j, i) => {
        const x = this.t(j);
        return { x, c: cs[i]!, scale: S / P.scale(x) };
      });
      const all = acc === undefined ? terms : [{ x: acc, c: 1, scale: 1 }, ...terms];
      const r = P.linComb(all, level);
      if (acc !== undefined) P.free(acc);
      return r;
    }
    const terms = js.map((j, i) => {
      const x = this.keepAt(j, level);
      return { x, c: cs[i]!, scale: S / P.scale(x) };
    });
    for (const t of terms) {
      const term = P.mulConst(t.x, t.c, t.scale);
      if (acc === undefined) acc = term;
      else { const nx = P.add(acc, term); P.free(acc); P.free(term); acc = nx; }
    }
    return acc!;
  }

  /** T_j: powers of two by squaring, others as T_{a+b} = 2·T_a·T_b − T_{a−b} with a the largest power of two < j. */
  t(j: number): C {
    const hit = this.T.get(j);
    if (hit !== undefined) return hit;
    const P = this.P;
    let a: number, b: number;
    if ((j & (j - 1)) === 0) { a = j / 2; b = j / 2; }
    else { a = 2 ** Math.floor(Math.log2(j)); b = j - a; }
    const ta = this.t(a), tb = this.t(b);
    const l = Math.min(P.level(ta), P.level(tb));
    const pre = P.mul(this.at(`T${a}`, ta, l), this.at(`T${b}`, tb, l));
    // Both odd with an imaginary input: (i·T_a)(i·T_b) = −T_a·T_b.
    const sign = this.imaginary && (a & 1) === 1 && (b & 1) === 1 ? -1 : 1;
    let acc = P.add(pre, pre);
    P.free(pre);
    if (sign < 0) { const ng = P.negate(acc); P.free(acc); acc = ng; }
    if (a !== b) {
      const x = this.keepAt(a - b, l);
      const low = P.mulConst(x, 1, P.scale(acc) / P.scale(x));
      const d = P.sub(acc, low);
      P.free(acc);
      P.free(low);
      acc = d;
    }
    let out = P.rescale(acc);
    P.free(acc);
    if (a === b) { const o2 = P.addConst(out, -1); P.free(out); out = o2; }
    this.T.set(j, out);
    return out;
  }

  private levelT(j: number): number {
    return this.top - ChebEvaluator.depthOf(j);
  }

  private minLevel(c: Float64Array): number {
    let l = Infinity;
    for (let j = 1; j < c.length; j++) if (c[j] !== 0) l = Math.min(l, this.levelT(j));
    return l;
  }

  /** How ev() splits c: undefined for a baby-step sum (or a constant), else the split point and the two parts. */
  private split(c: Float64Array, budget: number): { g: number; hi: Float64Array; lo: Float64Array } | undefined {
    let d = c.length - 1;
    while (d > 0 && c[d] === 0) d--;
    if (d === 0) return undefined;
    let need = -1;
    for (let j = 1; j <= d; j++) if (c[j] !== 0) need = Math.max(need, ChebEvaluator.depthOf(j));
    if (d < this.baby && need + 1 <= budget) return undefined;
    const g = 2 ** Math.floor(Math.log2(d));
    if (g === 1 || ChebEvaluator.depthOf(g) > budget - 1) throw new Error(`EvalMod: degree ${d} does not fit in ${budget} levels`);
    // p = lo + hi·T_g, using T_j = 2·T_{j−g}·T_g − T_{2g−j} for g < j ≤ d < 2g.
    const hi = new Float64Array(d - g + 1);
    const lo = Float64Array.from(c.subarray(0, g));
    hi[0] = c[g]!;
    for (let j = g + 1; j <= d; j++) {
      hi[j - g] = 2 * c[j]!;
      lo[2 * g - j]! -= c[j]!;
    }
    return { g, hi, lo };
  }

  /** p at level ≥ top − budget with label D_level (so results meeting at one level add exactly). */
  private ev(c: Float64Array, budget: number): C | number {
    const P = this.P;
    const sp = this.split(c, budget);
    if (sp === undefined) {
      const lvl = this.minLevel(c);
      if (lvl === Infinity) return c[0] ?? 0;
      const S = exactScale(P.params, lvl) ** 2;
      const js: number[] = [], cs: number[] = [];
      for (let j = 1; j < c.length; j++) if (c[j] !== 0) { js.push(j); cs.push(c[j]!); }
      return this.finish(this.sumTerms(undefined, js, cs, lvl, S), c[0] ?? 0);
    }
    const { g, hi, lo } = sp;
    const inline = lo.length <= this.baby;
    const h = this.ev(hi, budget - 1);
    let lv = this.levelT(g);
    if (typeof h !== 'number') lv = Math.min(lv, P.level(h));
    if (inline) lv = Math.min(lv, this.minLevel(lo));
    const tg = this.at(`T${g}`, this.t(g), lv);
    const S = exactScale(P.params, lv) ** 2;
    let acc: C;
    if (typeof h === 'number') acc = P.mulConst(tg, h, exactScale(P.params, lv));
    else {
      const hd = alignTo(P, h, lv);
      acc = P.mul(hd, tg);
      if (hd !== h) P.free(hd);
      P.free(h);
    }
    let c0 = 0;
    if (inline) {
      c0 = lo[0]!;
      const js: number[] = [], cs: number[] = [];
      for (let j = 1; j < lo.length; j++) if (lo[j] !== 0) { js.push(j); cs.push(lo[j]!); }
      if (js.length > 0) acc = this.sumTerms(acc, js, cs, lv, S);
    }
    const r = this.finish(acc, c0);
    if (inline) return r;
    const l = this.ev(lo, budget);
    if (typeof l === 'number') {
      if (l === 0) return r;
      const r2 = P.addConst(r, l);
      P.free(r);
      return r2;
    }
    const m = Math.min(P.level(r), P.level(l));
    const a2 = alignTo(P, r, m), b2 = alignTo(P, l, m);
    const out = P.add(a2, b2);
    for (const v of new Set([r, l, a2, b2])) P.free(v);
    return out;
  }

  /** Rescale an accumulator and add the constant term. */
  private finish(acc: C, c0: number): C {
    const P = this.P;
    const r = P.rescale(acc);
    P.free(acc);
    if (c0 === 0) return r;
    const r2 = P.addConst(r, c0);
    P.free(r);
    return r2;
  }

  /** Evaluate several polynomials on the shared basis; each result at exactly level top − depth. Frees every T_j ≠ x. */
  evaluateMany(cs: readonly Float64Array[], depth: number): C[] {
    const P = this.P;
    const outs = cs.map((c) => {
      const r = this.ev(c, depth);
      if (typeof r === 'number') throw new Error('EvalMod: constant polynomial');
      const out = alignTo(P, r, this.top - depth);
      if (out !== r) P.free(r);
      return out;
    });
    for (const v of this.dropped.values()) P.free(v);
    this.dropped.clear();
    for (const [j, v] of this.T) if (j !== 1) P.free(v);
    this.T.clear();
    return outs;
  }

  evaluate(c: Float64Array, depth: number): C {
    return this.evaluateMany([c], depth)[0]!;
  }
}
