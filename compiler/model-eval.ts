/**
 * @fileoverview Float64 reference evaluator of a LlamaModel: one decoding step with a KV cache.
 *
 * This is the plaintext ground truth the HE pipeline is compared with, and the calibration source: an optional
 * observer sees every intermediate whose range matters for polynomial approximations (RMSNorm mean squares, attention
 * scores, softmax denominators, SiLU inputs, the residual stream). Functions are exact (Math.exp, 1/Math.sqrt), and
 * softmax subtracts the per-head maximum score, as every float implementation does.
 * `createState(model, {layers: K})` evaluates only the first K decoder layers (then the final norm and LM head): the
 * reference of plans compiled with `--layers K`, checked against onnxruntime on a rewired graph in the tests.
 */
import { HecError } from '../ir/diagnostics.ts';
import type { Linear, LlamaModel, WeightTensor } from '../ir/model.ts';

/** Names of the intermediates reported to an observer. */
export type ObservedKind =
  /** mean(x²) of an RMSNorm input, before eps is added; one value. layer = -1 for the final norm. */
  | 'rms_mean_square'
  /** 1/sqrt(mean(x²) + eps); one value per RMSNorm, same layers as rms_mean_square. */
  | 'rms_inv_sqrt'
  /** Scaled scores q·k/√D for every head over all cached positions incl. the current token: [heads × (past + 1)]. */
  | 'attention_scores'
  /** Σ_t exp(score_t − c) per head with c = the head's maximum score (max subtraction): [heads]. */
  | 'softmax_denominator'
  /** The gate projection output (the SiLU input): [intermediate]. */
  | 'silu_input'
  /** The hidden state after each block's residual Add; emitted twice per layer (after attention, after MLP). */
  | 'residual'
  /** The final logits: [vocab]; layer = -1. */
  | 'logits';

export const OBSERVED_KINDS: readonly ObservedKind[] = [
  'rms_mean_square', 'rms_inv_sqrt', 'attention_scores', 'softmax_denominator', 'silu_input', 'residual', 'logits',
];

export type Observer = (kind: ObservedKind, layer: number, values: Float64Array) => void;

/**
 * Which cached positions a head attends to (a KV-cache policy's mask, compiler/kv-policy/). Called once per layer and
 * query head at every step, after the step's own key is cached; `query` is that head's rotated query (length
 * headDim). Return ascending positions in [0, cacheLength), or null for all of them. Scores are still computed for
 * every position (the observer's `attention_scores` stay the full row); softmax and the value sum use only the kept.
 */
export interface AttentionSelector {
  select(layer: number, head: number, query: Float64Array, cacheLength: number): ArrayLike<number> | null;
}

export interface DecodeState {
  /** keys[layer][position] = rotated key of that position, [numKvHeads × headDim]. */
  keys: Float64Array[][];
  values: Float64Array[][];
  /** Number of cached positions. */
  length: number;
  /** Decoder layers evaluated: the first `layers` of the model's (all of them unless createState was told fewer). */
  layers: number;
}

export interface StateOptions {
  /**
   * Evaluate only the first `layers` decoder layers, then the final RMSNorm and the LM head: the reference of a plan
   * compiled with `--layers K`. Implemented here on the full model, independently of compiler/truncate.ts.
   */
  layers?: number;
}

export function createState(model: LlamaModel, opts: StateOptions = {}): DecodeState {
  const all = model.layers.length;
  const n = opts.layers ?? all;
  if (!Number.isInteger(n) || n < 1 || n > all) {
    throw new HecError('HEC0006', `cannot evaluate the first ${n} decoder layers of ${model.source.path}, which has ${all}`, {
      fix: `ask for 1 to ${all} layers`,
    });
  }
  return { keys: Array.from({ length: n }, () => []), values: Array.from({ length: n }, () => []), length: 0, layers: n };
}

function data(w: WeightTensor): Float32Array {
  if (w.data === null) {
    throw new HecError('HEC1030', `weight ${w.name} has no data (graph-only model): cannot evaluate`, {
      fix: 'keep the external weight file (.onnx.data) next to the model to run it',
    });
  }
  return w.data;
}

/** y = W·x (+ b), W row-major [out, in]. */
export function applyLinear(lin: Linear, x: Float64Array): Float64Array {
  const w = data(lin.weight);
  const [out, inp] = [lin.weight.shape[0]!, lin.weight.shape[1]!];
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = 0;
    const row = o * inp;
    for (let i = 0; i < inp; i++) s += w[row + i]! * x[i]!;
    y[o] = s;
  }
  if (lin.bias) {
    const b = data(lin.bias);
    for (let o = 0; o < out; o++) y[o]! += b[o]!;
  }
  return y;
}

function rmsNorm(x: Float64Array, w: WeightTensor, eps: number, layer: number, obs?: Observer): Float64Array {
  let ms = 0;
  for (const v of x) ms += v * v;
  ms /= x.length;
  const inv = 1 / Math.sqrt(ms + eps);
  obs?.('rms_mean_square', layer, Float64Array.of(ms));
  obs?.('rms_inv_sqrt', layer, Float64Array.of(inv));
  const g = data(w);
  return x.map((v, i) => v * inv * g[i]!);
}

/** Rotate-half RoPE of one head in place: pairs (j, j + D/2) rotated by position·θ^(−2j/D). */
function rope(v: Float64Array, off: number, d: number, pos: number, theta: number, style: 'rotate_half' | 'interleaved'): void {
  const half = d / 2;
  for (let j = 0; j < half; j++) {
    const ang = pos * theta ** ((-2 * j) / d);
    const c = Math.cos(ang);
    const s = Math.sin(ang);
    const [a, b] = style === 'rotate_half' ? [off + j, off + j + half] : [off + 2 * j, off + 2 * j + 1];
    const x0 = v[a]!;
    const x1 = v[b]!;
    v[a] = x0 * c - x1 * s;
    v[b] = x1 * c + x0 * s;
  }
}

/**
 * Run one decoding step: append token `tokenId` at `position` (normally state.length) to the cache and return the
 * next-token logits. With a `selector`, each head attends only to the positions it returns.
 */
export function decodeStep(model: LlamaModel, state: DecodeState, tokenId: number, position: number, observer?: Observer, selector?: AttentionSelector): Float64Array {
  const c = model.config;
  const { hiddenSize: hd, numHeads: H, numKvHeads: KV, headDim: D } = c;
  if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId >= c.vocabSize) {
    throw new HecError('HEC1031', `token id ${tokenId} is outside the vocabulary [0, ${c.vocabSize})`);
  }
  const emb = data(model.embedding);
  let h = Float64Array.from(emb.subarray(tokenId * hd, (tokenId + 1) * hd));
  const group = H / KV;
  const scale = 1 / Math.sqrt(D);
  model.layers.slice(0, state.layers).forEach((L, li) => {
    const x = rmsNorm(h, L.inputNorm, c.rmsNormEps, li, observer);
    const q = applyLinear(L.q, x);
    const k = applyLinear(L.k, x);
    const v = applyLinear(L.v, x);
    for (let hh = 0; hh < H; hh++) rope(q, hh * D, D, position, c.ropeTheta, c.ropeStyle);
    for (let hh = 0; hh < KV; hh++) rope(k, hh * D, D, position, c.ropeTheta, c.ropeStyle);
    state.keys[li]!.push(k);
    state.values[li]!.push(v);
    const keys = state.keys[li]!;
    const vals = state.values[li]!;
    const T = keys.length;
    const scores = new Float64Array(H * T);
    const denom = new Float64Array(H);
    const ctx = new Float64Array(H * D);
    for (let hh = 0; hh < H; hh++) {
      const kvh = Math.floor(hh / group);
      let mx = -Infinity;
      for (let t = 0; t < T; t++) {
        let s = 0;
        for (let j = 0; j < D; j++) s += q[hh * D + j]! * keys[t]![kvh * D + j]!;
        s *= scale;
        scores[hh * T + t] = s;
        if (s > mx) mx = s;
      }
      const kept = selector?.select(li, hh, q.subarray(hh * D, (hh + 1) * D), T) ?? null;
      if (kept !== null) mx = maxAt(scores, hh * T, kept);
      const n = kept === null ? T : kept.length;
      let sum = 0;
      const p = new Float64Array(n);
      for (let i = 0; i < n; i++) sum += p[i] = Math.exp(scores[hh * T + (kept === null ? i : kept[i]!)]! - mx);
      denom[hh] = sum;
      for (let i = 0; i < n; i++) {
        const w = p[i]! / sum;
        const val = vals[kept === null ? i : kept[i]!]!;
        for (let j = 0; j < D; j++) ctx[hh * D + j]! += w * val[kvh * D + j]!;
      }
    }
    observer?.('attention_scores', li, scores);
    observer?.('softmax_denominator', li, denom);
    const o = applyLinear(L.o, ctx);
    h = h.map((val, i) => val + o[i]!);
    observer?.('residual', li, h);
    const x2 = rmsNorm(h, L.postAttentionNorm, c.rmsNormEps, li, observer);
    const g = applyLinear(L.gate, x2);
    observer?.('silu_input', li, g);
    const u = applyLinear(L.up, x2);
    const act = g.map((z, i) => (z / (1 + Math.exp(-z))) * u[i]!);
    const d = applyLinear(L.down, act);
    h = h.map((val, i) => val + d[i]!);
    observer?.('residual', li, h);
  });
  state.length = state.keys[0]?.length ?? state.length + 1;
  const xf = rmsNorm(h, model.finalNorm, c.rmsNormEps, -1, observer);
  const logits = applyLinear(model.lmHead, xf);
  observer?.('logits', -1, logits);
  return logits;
}

function maxAt(v: Float64Array, offset: number, at: ArrayLike<number>): number {
  let mx = -Infinity;
  for (let i = 0; i < at.length; i++) mx = Math.max(mx, v[offset + at[i]!]!);
  return mx;
}

/** Index of the largest logit (first on ties), the greedy next token. */
export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** Teacher-force `prompt`, then greedily generate `n` tokens. Returns the generated tokens and every step's logits. */
export function greedyGenerate(model: LlamaModel, prompt: number[], n: number, observer?: Observer, opts: StateOptions = {}): { tokens: number[]; logits: Float64Array[] } {
  const state = createState(model, opts);
  const logits: Float64Array[] = [];
  let last: Float64Array | undefined;
  prompt.forEach((t, i) => {
    last = decodeStep(model, state, t, i, observer);
    logits.push(last);
  });
  const tokens: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = argmax(last!);
    tokens.push(t);
    if (i + 1 < n) {
      last = decodeStep(model, state, t, state.length, observer);
      logits.push(last);
    }
  }
  return { tokens, logits };
}
