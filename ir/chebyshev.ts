/**
 * @fileoverview Chebyshev interpolation on an interval, Clenshaw evaluation, and degree selection by a measured error
 * target: the one Chebyshev module of hec, used by poly-approx (passes/), the magnitude analysis and the bootstrap's
 * EvalMod polynomial (runtime/bootstrap/evalmod.ts). It lives in ir/ because both passes/ and runtime/ may import ir/.
 *
 * The series p(x) = Σ c_k T_k(u), u = (2x − a − b)/(b − a), interpolates f at the Chebyshev nodes of the first kind
 * (near-minimax for smooth f: Trefethen, "Approximation Theory and Approximation Practice", ch. 4–8). Errors are
 * measured on a dense grid, never assumed.
 */
export interface ChebyshevSeries {
  coeffs: number[];
  domain: [number, number];
}

export function chebyshevInterpolate(f: (x: number) => number, a: number, b: number, degree: number): ChebyshevSeries {
  const n = degree + 1;
  const fx: number[] = [];
  const us: number[] = [];
  for (let j = 0; j < n; j++) {
    const u = Math.cos((Math.PI * (j + 0.5)) / n);
    us.push(u);
    fx.push(f(((b - a) * u + a + b) / 2));
  }
  const coeffs: number[] = [];
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += fx[j]! * Math.cos((Math.PI * k * (j + 0.5)) / n);
    coeffs.push(((k === 0 ? 1 : 2) / n) * s);
  }
  return { coeffs, domain: [a, b] };
}

/** Evaluate a Chebyshev series with Clenshaw's recurrence (the plaintext reference). */
export function chebyshevEval(s: ChebyshevSeries, x: number): number {
  const [a, b] = s.domain;
  return clenshaw(s.coeffs, (2 * x - a - b) / (b - a));
}

/** Σ_k c_k T_k(u) by Clenshaw's recurrence, for u in [−1, 1]. */
export function clenshaw(coeffs: ArrayLike<number>, u: number): number {
  let b1 = 0;
  let b2 = 0;
  for (let k = coeffs.length - 1; k >= 1; k--) {
    const t = 2 * u * b1 - b2 + coeffs[k]!;
    b2 = b1;
    b1 = t;
  }
  return u * b1 - b2 + coeffs[0]!;
}

/** Largest error |p − f| (or relative, |p/f − 1|) on a uniform grid of samples + 1 points of the domain. */
export function maxError(s: ChebyshevSeries, f: (x: number) => number, relative = false, samples = 2000): number {
  const [a, b] = s.domain;
  let worst = 0;
  for (let i = 0; i <= samples; i++) {
    const x = a + ((b - a) * i) / samples;
    const fx = f(x);
    const e = relative ? Math.abs(chebyshevEval(s, x) / fx - 1) : Math.abs(chebyshevEval(s, x) - fx);
    if (e > worst) worst = e;
  }
  return worst;
}

/**
 * The lowest odd-or-even degree of the form 2^k − 1 (depth-optimal for hec's evaluation) whose error meets `tol`,
 * up to `maxDegree`; returns the best found with its error when none meets it.
 */
export function fitToTolerance(
  f: (x: number) => number,
  a: number,
  b: number,
  tol: number,
  maxDegree: number,
  relative = false,
): { series: ChebyshevSeries; error: number } {
  let best: { series: ChebyshevSeries; error: number } | null = null;
  for (let d = 1; d <= maxDegree; d = 2 * d + 1) {
    const series = chebyshevInterpolate(f, a, b, d);
    const error = maxError(series, f, relative);
    if (best === null || error < best.error) best = { series, error };
    if (error <= tol) return { series, error };
  }
  return best!;
}
