/**
 * @fileoverview The "replicated" packing, hec's first: every fact about its layouts and kernels lives in this file.
 *
 * - A vector of length n lives in `#rep<n, period=P>`, P = the next power of two ≥ n: slot i holds x[i mod P]
 *   (zero above n). Every linear layer is the replicated diagonal product of passes/kernels/matvec-diagonal.ts, so
 *   layers chain with no masks and no re-encoding. RMSNorm's γ and 1/√head_dim are folded into the next weights.
 * - KV cache: ciphertext c of a layer holds tokens c·cap … c·cap+cap−1, token t in slots [t·B, t·B + kv_width)
 *   (`#tokens`, B = P(kv_width)); the new token is written with a position mask (1 level), no rotation per position.
 * - Scores land at slot t·B + g·head_dim (`#heads`); softmax by scaled exponentials and normalised squaring (below);
 *   probabilities are spread over each head's slots (`#bcast`) and multiplied by V, then summed over tokens.
 * Cost line (one linear layer, P_in = P(in)): P_in plaintext multiplications, ≈ 2√P_in rotations, 1 level.
 */
import { HecError } from '../../ir/diagnostics.ts';
import type { Layout } from '../../ir/layout.ts';
import type { LlamaModel } from '../../ir/model.ts';
import type { Value } from '../../ir/module.ts';
import type { IrBuilder } from '../kernels/builder.ts';
import { emitMatvec } from '../kernels/matvec-diagonal.ts';
import { widen, type Interval, type Lowered, type PackedModel, type Packing, type TensorOp } from './packing.ts';

export interface ReplicatedGeometry {
  hiddenPeriod: number;
  ffnPeriod: number;
  vocabPeriod: number;
  kvWidth: number;
  /** Slots per cached token. */
  block: number;
  /** Tokens per cache ciphertext. */
  capacity: number;
  /** Cache ciphertexts per layer for K (and for V). */
  cacheCiphertexts: number;
  group: number;
}

export function pow2ceil(n: number): number {
  return 1 << Math.ceil(Math.log2(Math.max(1, n)));
}

export function replicatedGeometry(model: Pick<LlamaModel, 'config'>, slots: number, maxContext: number): ReplicatedGeometry {
  const c = model.config;
  const kvWidth = c.numKvHeads * c.headDim;
  const block = pow2ceil(kvWidth);
  const g: ReplicatedGeometry = {
    hiddenPeriod: pow2ceil(c.hiddenSize),
    ffnPeriod: pow2ceil(c.intermediateSize),
    vocabPeriod: pow2ceil(c.vocabSize),
    kvWidth,
    block,
    capacity: Math.floor(slots / block),
    cacheCiphertexts: 0,
    group: c.numHeads / c.numKvHeads,
  };
  for (const [what, p] of [['hidden size', g.hiddenPeriod], ['intermediate size', g.ffnPeriod], ['vocabulary', g.vocabPeriod], ['kv width', block]] as const) {
    if (p > slots) {
      throw new HecError('HEC4001', `${what} needs ${p} slots but the parameters have ${slots}`, { fix: 'choose a preset with a larger ring degree (e.g. N16_BOOT_DENSE)' });
    }
  }
  if (!Number.isInteger(g.group)) throw new HecError('HEC4002', `${c.numHeads} heads are not a multiple of ${c.numKvHeads} KV heads`);
  if (c.headDim % 2 !== 0) throw new HecError('HEC4002', `head dim ${c.headDim} is odd; rotary embedding pairs features`);
  g.cacheCiphertexts = Math.ceil(maxContext / g.capacity);
  return g;
}

/** Width of σ·(hi − lo) the scaled exponential covers (sets the number of squarings). */
const SOFTMAX_WIDTH = 4;

function rep(n: number): Layout {
  return { kind: 'rep', n, period: pow2ceil(n) };
}

class ReplicatedModel implements PackedModel {
  readonly packing = replicatedPacking;
  readonly geo: ReplicatedGeometry;

  constructor(
    private readonly model: LlamaModel,
    private readonly maxContext: number,
    slots: number,
  ) {
    this.geo = replicatedGeometry(model, slots, maxContext);
  }

  accepts(): boolean {
    return true;
  }

  layouts(op: TensorOp): { inputs: Layout[]; outputs: Layout[] } {
    const c = this.model.config;
    const geo = this.geo;
    const heads = (ci: number, clean: boolean): Layout => ({ kind: 'heads', heads: c.numKvHeads, headDim: c.headDim, block: geo.block, base: ci * geo.capacity, capacity: geo.capacity, clean });
    const tokens = (ci: number): Layout => ({ kind: 'tokens', width: geo.kvWidth, block: geo.block, base: ci * geo.capacity, capacity: geo.capacity });
    const cache = Array.from({ length: geo.cacheCiphertexts }, (_, ci) => ci);
    switch (op.kind) {
      case 'embedding':
        return { inputs: [rep(c.vocabSize)], outputs: [rep(c.hiddenSize)] };
      case 'linear':
        return { inputs: [rep(op.inN)], outputs: [rep(op.outM)] };
      case 'rms-norm':
        return { inputs: [rep(c.hiddenSize)], outputs: [rep(c.hiddenSize)] };
      case 'rope':
        return { inputs: [rep(geo.kvWidth)], outputs: [rep(geo.kvWidth)] };
      case 'kv-append':
        return { inputs: [rep(geo.kvWidth), rep(geo.kvWidth)], outputs: [...cache.map(tokens), ...cache.map(tokens)] };
      case 'attention-scores':
        return { inputs: [rep(geo.kvWidth), ...cache.map(tokens)], outputs: cache.map((ci) => heads(ci, false)) };
      case 'softmax':
        return { inputs: cache.map((ci) => heads(ci, false)), outputs: cache.map((ci) => heads(ci, true)) };
      case 'attention-mix':
        return { inputs: [...cache.map((ci) => heads(ci, true)), ...cache.map(tokens)], outputs: [rep(geo.kvWidth)] };
    }
  }

  lower(b: IrBuilder, op: TensorOp): Lowered {
    const c = this.model.config;
    switch (op.kind) {
      case 'embedding': {
        const token = b.arg('token', rep(c.vocabSize), { role: 'input' });
        b.loc = op.loc;
        return { outputs: [emitMatvec(b, token, { weight: op.weight, transpose: true, scale: 1 }, { inN: c.vocabSize, inPeriod: this.geo.vocabPeriod, outM: c.hiddenSize, outPeriod: this.geo.hiddenPeriod }, op.hint)] };
      }
      case 'linear':
        return { outputs: [emitMatvec(b, op.x, op.matrix, { inN: op.inN, inPeriod: pow2ceil(op.inN), outM: op.outM, outPeriod: pow2ceil(op.outM) }, op.hint)] };
      case 'rms-norm':
        return { outputs: [this.rmsNorm(b, op.x, op.meanSquare, op.hint)] };
      case 'rope':
        return { outputs: [this.rope(b, op.x)] };
      case 'kv-append':
        return this.kvAppend(b, op.layer, op.k, op.v);
      case 'attention-scores':
        return { outputs: this.scores(b, op.q, op.kCache, op.bound) };
      case 'softmax':
        return { outputs: this.softmax(b, op.scores, op.range, op.hint) };
      case 'attention-mix':
        return { outputs: [this.mix(b, op.probs, op.vCache)] };
    }
  }

  header() {
    const geo = this.geo;
    return {
      strategy: 'replicated',
      hidden_period: geo.hiddenPeriod,
      ffn_period: geo.ffnPeriod,
      vocab_period: geo.vocabPeriod,
      kv_block: geo.block,
      tokens_per_cache_ciphertext: geo.capacity,
      cache_ciphertexts_per_layer: geo.cacheCiphertexts,
    };
  }

  private rmsNorm(b: IrBuilder, x: Value, meanSquare: Interval, hint: string): Value {
    const c = this.model.config;
    const d = c.hiddenSize;
    const sq = b.mul(x, x, { kind: 'junk' });
    const sum = b.rotateSum(sq, 1, this.geo.hiddenPeriod, { kind: 'rep', n: 1, period: 1 });
    const [lo, hi] = widen(meanSquare);
    const inv = b.nonlinear(sum, { fn: 'inv_sqrt', domain: [lo * d, hi * d], pre_scale: 1 / d, pre_shift: c.rmsNormEps }, `${hint}_rsqrt`);
    return b.mul(x, inv, x.type.layout, hint);
  }

  private rope(b: IrBuilder, x: Value): Value {
    const c = this.model.config;
    const style = c.ropeStyle;
    const off = style === 'rotate_half' ? c.headDim / 2 : 1;
    const table = (part: string) =>
      b.encode({ kind: 'rope', part, head_dim: c.headDim, heads: c.numKvHeads, period: this.geo.block, theta: c.ropeTheta, style }, x.type.layout);
    const up = b.rotate(x, off, { kind: 'junk' });
    const down = b.rotate(x, -off, { kind: 'junk' });
    const t0 = b.mulPlainRaw(x, table('cos'));
    const t1 = b.mulPlainRaw(up, table('sin_lo'), x.type.layout);
    const t2 = b.mulPlainRaw(down, table('sin_hi'), x.type.layout);
    return b.rescale(b.add(b.add(t0, t1), t2));
  }

  /** Write the new token into every cache ciphertext of the layer with a position mask (state in, state out). */
  private kvAppend(b: IrBuilder, l: number, k: Value, v: Value): Lowered {
    const geo = this.geo;
    const kCache: Value[] = [];
    const vCache: Value[] = [];
    const stateOut: [string, Value][] = [];
    for (let ci = 0; ci < geo.cacheCiphertexts; ci++) {
      const tokens: Layout = { kind: 'tokens', width: geo.kvWidth, block: geo.block, base: ci * geo.capacity, capacity: geo.capacity };
      const mask = b.encode({ kind: 'token_mask', block: geo.block, width: geo.kvWidth, base: ci * geo.capacity, capacity: geo.capacity }, tokens);
      for (const [which, val, out] of [['k', k, kCache], ['v', v, vCache]] as const) {
        const name = `kv.l${l}.${which}.c${ci}`;
        const state = b.arg(name, tokens, { role: 'state', state: name });
        const next = b.add(state, b.mulPlain(val, mask, tokens), tokens, `${name}.next`);
        stateOut.push([name, next]);
        out.push(next);
      }
    }
    return { outputs: [...kCache, ...vCache], stateOut };
  }

  private scores(b: IrBuilder, q: Value, kCache: Value[], bound: number): Value[] {
    const c = this.model.config;
    const geo = this.geo;
    return kCache.map((kc, ci) => {
      const heads: Layout = { kind: 'heads', heads: c.numKvHeads, headDim: c.headDim, block: geo.block, base: ci * geo.capacity, capacity: geo.capacity, clean: false };
      const prod = b.mul(q, kc, { kind: 'junk' });
      return b.bound(b.rotateSum(prod, 1, c.headDim, heads), bound);
    });
  }

  /**
   * Softmax over the cached tokens of every head, by scaled exponentials and normalised squaring.
   *
   * A fixed shift cannot replace the max here: calibrated scores span ~100 units while one row's maximum may sit
   * far below the global one, so Σ exp(s − shift) would range over e^-60…n, beyond any polynomial inverse. Instead
   * (after HETAL, Lee et al., ICML 2023, "normalise and square"): z = exp(σ·(s − hi)) with σ = 2^-k chosen so
   * σ·(hi − lo) ≤ WIDTH; then k times z ← (z·g(Σz))² with g a rough inverse (relative error ≤ ρ = 0.5) that only
   * keeps Σz within [1 − ρ, 1 + ρ]: its error is a per-row factor that the final, accurate normalisation cancels.
   * After k squarings z ∝ exp(s − c_row), so p = z / Σz is the softmax. Every inverse sees a domain fixed by
   * analysis, not by data: [e^-WIDTH, n] first, then [(1 − ρ)²/n, (1 + ρ)²], n = the KV capacity.
   */
  private softmax(b: IrBuilder, scores: Value[], range: Interval, hint: string): Value[] {
    const c = this.model.config;
    const geo = this.geo;
    const n = this.maxContext;
    const lo = Math.min(range.lo, 0);
    const hi = Math.max(range.hi, 0);
    const squarings = Math.max(0, Math.ceil(Math.log2((hi - lo) / SOFTMAX_WIDTH)));
    const sigma = Math.pow(2, -squarings);
    const rho = 0.5;
    const firstDomain: [number, number] = [Math.exp(-sigma * (hi - lo)), n];
    const laterDomain: [number, number] = [(1 - rho) ** 2 / n, (1 + rho) ** 2];
    const clean = (ci: number): Layout => ({ kind: 'heads', heads: c.numKvHeads, headDim: c.headDim, block: geo.block, base: ci * geo.capacity, capacity: geo.capacity, clean: true });
    const allTokens: Layout = { kind: 'heads', heads: c.numKvHeads, headDim: c.headDim, block: geo.block, base: 0, capacity: geo.capacity, clean: true };
    // The mask is applied before the exponential too: junk slots (partial sums of other features) may lie far outside
    // the polynomial's domain, where it explodes and would wrap the ciphertext modulus, corrupting every slot.
    let z = scores.map((s, ci) => {
      const valid = b.encode({ kind: 'head_mask', block: geo.block, head_dim: c.headDim, heads: c.numKvHeads, base: ci * geo.capacity, capacity: geo.capacity }, clean(ci));
      const inDomain = b.mulPlain(s, valid, clean(ci));
      const e = b.nonlinear(inDomain, { fn: 'exp', domain: [lo, hi], pre_scale: sigma, pre_shift: -sigma * hi });
      return b.mulPlain(e, valid, clean(ci), `${hint}_exp${ci}`);
    });
    const total = (vals: Value[]) => {
      let acc = vals[0]!;
      for (const v of vals.slice(1)) acc = b.add(acc, v, { kind: 'junk' });
      return b.rotateSum(acc, geo.block, geo.capacity, allTokens);
    };
    // Bounds that hold for any input (magnitude analysis, bootstrap ranges): Σ z·g ≤ 1 + ρ, so each z·g ≤ 1 + ρ.
    for (let i = 0; i < squarings; i++) {
      const g = b.nonlinear(b.bound(total(z), i === 0 ? n : (1 + rho) ** 2), { fn: 'inv', domain: i === 0 ? firstDomain : laterDomain, rel_tol: rho });
      z = z.map((zc, ci) => {
        const scaled = b.bound(b.mul(zc, g, clean(ci)), 1 + rho);
        return b.bound(b.mul(scaled, scaled, clean(ci)), (1 + rho) ** 2);
      });
    }
    const total0 = total(z);
    if (squarings > 0) b.bound(total0, (1 + rho) ** 2);
    const inv = b.nonlinear(total0, { fn: 'inv', domain: squarings === 0 ? firstDomain : laterDomain, rel_tol: 1e-6 }, `${hint}_inv`);
    return z.map((zc, ci) => b.bound(b.mul(zc, inv, clean(ci), `${hint}_prob${ci}`), 1 + 1e-4));
  }

  /** Σ_t p_t·v_t: probabilities spread over each head's features, times V, summed over the cache's tokens. */
  private mix(b: IrBuilder, probs: Value[], vCache: Value[]): Value {
    const c = this.model.config;
    const geo = this.geo;
    let o: Value | null = null;
    for (let ci = 0; ci < vCache.length; ci++) {
      const bcast: Layout = { kind: 'bcast', heads: c.numKvHeads, headDim: c.headDim, block: geo.block, base: ci * geo.capacity, capacity: geo.capacity };
      const spread = b.spreadRight(probs[ci]!, 1, c.headDim, bcast);
      const pv = b.mul(spread, vCache[ci]!, { kind: 'junk' });
      o = o === null ? pv : b.add(o, pv);
    }
    if (o === null) throw new Error('internal error: attention over an empty cache');
    return b.rotateSum(o, geo.block, geo.capacity, { kind: 'rep', n: geo.kvWidth, period: geo.block });
  }
}

export const replicatedPacking: Packing = {
  name: 'replicated',
  summary: 'vectors replicated with a power-of-two period; diagonal BSGS matrix–vector products; token-major KV cache',
  instantiate(model, slots, maxContext) {
    return new ReplicatedModel(model, maxContext, slots);
  },
};
