/**
 * @fileoverview Proven input ranges: bounds on the attention scores and the SiLU inputs that hold for every input,
 * derived from the weights alone, replacing their calibrated intervals (issue #13).
 *
 * After RMSNorm, x̂ = x/√(mean(x²) + ε) has ‖x̂‖₂ < √d whatever x is; γ is folded into the next weights. So
 * - a gate projection row j gives |g_j| = |Σ_i W_ji γ_i x̂_i| ≤ ‖W_j ⊙ γ‖₂ · √d (Cauchy–Schwarz);
 * - a query (key) head is M·x̂ with M = W_head·diag(γ), so ‖q_h‖₂ ≤ σ_max(M)·√d; RoPE rotates pairs and keeps the
 *   norm; a score q·k/√D is at most σ_max(Q_h)·σ_max(K)·d/√D.
 * σ_max comes from trace((MMᵀ)^(2^j))^(1/2^j), an upper bound (the trace sums every eigenvalue's power) within a
 * factor D^(1/2^j) of the truth: 6 squarings leave ≤ 6 % at head dim 32. Bounds on the residual stream (the
 * RMSNorm mean squares) would grow through every layer; those stay calibrated.
 */
import type { LlamaModel, WeightTensor } from '../ir/model.ts';
import type { Interval, ModelRanges } from './lower/ranges.ts';

const TRACE_SQUARINGS = 6;

function dataOf(w: WeightTensor): Float32Array | null {
  return w.data;
}

/** An upper bound on the largest singular value of rows [r0, r0 + n) of W (row-major, `cols` wide) times diag(γ). */
export function spectralUpperBound(w: Float32Array, cols: number, r0: number, n: number, gamma: Float32Array): number {
  // A = M·Mᵀ (n × n, symmetric PSD); λ_max(A) ≤ trace(A^(2^j))^(1/2^j). Normalise by the trace at every squaring.
  let a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += w[(r0 + i) * cols + c]! * w[(r0 + k) * cols + c]! * gamma[c]! * gamma[c]!;
      a[i * n + k] = s;
      a[k * n + i] = s;
    }
  }
  // A^(2^J) = A_J · Π_i t_i^(2^(J−i)) with t_i the trace divided out before squaring i: log λ_max ≤ (log trace(A_J) + Σ …) / 2^J.
  let logScale = 0;
  let power = 1;
  for (let j = 0; j < TRACE_SQUARINGS; j++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += a[i * n + i]!;
    if (!(t > 0)) return 0;
    for (let i = 0; i < a.length; i++) a[i]! /= t;
    logScale = 2 * (logScale + Math.log(t));
    const sq = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) {
      let s = 0;
      for (let m = 0; m < n; m++) s += a[i * n + m]! * a[m * n + k]!;
      sq[i * n + k] = s;
    }
    a = sq;
    power *= 2;
  }
  let tr = 0;
  for (let i = 0; i < n; i++) tr += a[i * n + i]!;
  const logLambda = (Math.log(tr) + logScale) / power;
  return Math.sqrt(Math.exp(logLambda));
}

/** max_j ‖W_j ⊙ γ‖₂ over the rows of W. */
function maxRowNorm(w: Float32Array, cols: number, rows: number, gamma: Float32Array): number {
  let worst = 0;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += (w[r * cols + c]! * gamma[c]!) ** 2;
    worst = Math.max(worst, Math.sqrt(s));
  }
  return worst;
}

function symmetric(b: number): Interval {
  return { lo: -b, hi: b };
}

/**
 * The model's ranges with scores and SiLU inputs replaced by their proven bounds (unchanged for graph-only models,
 * which have no weights to bound with). The result says which ranges are proven in `provenance`.
 */
export function proveRanges(model: LlamaModel, calibrated: ModelRanges): ModelRanges {
  const c = model.config;
  const d = c.hiddenSize;
  const D = c.headDim;
  const layers = calibrated.layers.map((r, l) => {
    const L = model.layers[l]!;
    const [wq, wk, wg, g1, g2] = [dataOf(L.q.weight), dataOf(L.k.weight), dataOf(L.gate.weight), dataOf(L.inputNorm), dataOf(L.postAttentionNorm)];
    if (wq === null || wk === null || wg === null || g1 === null || g2 === null) return r;
    let q = 0;
    for (let h = 0; h < c.numHeads; h++) q = Math.max(q, spectralUpperBound(wq, d, h * D, D, g1));
    let k = 0;
    for (let h = 0; h < c.numKvHeads; h++) k = Math.max(k, spectralUpperBound(wk, d, h * D, D, g1));
    return { ...r, scores: symmetric((q * k * d) / Math.sqrt(D)), siluInput: symmetric(maxRowNorm(wg, d, c.intermediateSize, g2) * Math.sqrt(d)) };
  });
  const proven = layers.some((l, i) => l !== calibrated.layers[i]);
  return {
    ...calibrated,
    layers,
    provenance: proven
      ? `attention scores and SiLU inputs: proven for every input (RMSNorm output norm ≤ √d, weights' spectral and row norms: compiler/calibrate-bounds.ts); RMSNorm mean squares: ${calibrated.provenance}`
      : calibrated.provenance,
  };
}
