/**
 * @fileoverview Lowering: LlamaModel → HE IR for one decoding step, with the KV cache as encrypted state.
 *
 * Packing ("replicated", the first and simple strategy; Cachemir's packings plug in as other strategies):
 * - hidden vectors live in `#rep<n=d, period=P_d>`; every linear layer is the replicated diagonal product of
 *   passes/kernels/matvec-diagonal.ts, so layers chain with no masks and no re-encoding;
 * - RMSNorm's γ and the attention scale 1/√head_dim are folded into the next weight matrix;
 * - grouped-query attention: for each of the G = heads/kv_heads query heads sharing a KV head, a projection
 *   produces a kv-width query q_r aligned with the KV features, so one ct×ct product serves every KV head;
 * - the KV cache: ciphertext c of layer l holds tokens c·cap … c·cap+cap−1, token t in slots
 *   [t·B, t·B + kv_width) (`#tokens`); the new token is written with a position mask (1 level), no rotation keys
 *   per position;
 * - scores land at slot t·B + g·head_dim (`#heads`); softmax uses a fixed shift by the calibrated maximum score
 *   instead of a max (which CKKS cannot compute cheaply), a validity mask for tokens ≤ position, a rotate-and-sum
 *   denominator and an approximate inverse; probabilities are spread over each head's slots and multiplied by V.
 * Non-linear functions are `ckks.nonlinear` ops carrying their calibrated domain; passes/poly-approx.ts replaces them.
 */
import { HecError } from '../../ir/diagnostics.ts';
import type { Layout } from '../../ir/layout.ts';
import type { LlamaModel } from '../../ir/model.ts';
import { IR_VERSION, type Func, type Module, type Value } from '../../ir/module.ts';
import type { AttrDict } from '../../ir/types.ts';
import { IrBuilder } from '../../passes/kernels/builder.ts';
import { emitMatvec } from '../../passes/kernels/matvec-diagonal.ts';
import type { Interval, ModelRanges } from './ranges.ts';

export interface DecodeLoweringOptions {
  slots: number;
  /** Largest number of positions (prompt + generated) the KV cache holds. */
  maxContext: number;
  ranges: ModelRanges;
}

export interface DecodeGeometry {
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

export function decodeGeometry(model: LlamaModel, slots: number, maxContext: number): DecodeGeometry {
  const c = model.config;
  const kvWidth = c.numKvHeads * c.headDim;
  const block = pow2ceil(kvWidth);
  const g: DecodeGeometry = {
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

function rep(n: number, period: number): Layout {
  return { kind: 'rep', n, period };
}

function widen(r: Interval): [number, number] {
  return [r.lo, r.hi > r.lo ? r.hi : r.lo + 1e-6];
}

class DecodeLowering {
  private readonly b: IrBuilder;
  private readonly geo: DecodeGeometry;
  private readonly stateOut = new Map<string, Value>();

  constructor(
    private readonly model: LlamaModel,
    private readonly opts: DecodeLoweringOptions,
    func: Func,
  ) {
    this.b = new IrBuilder(func, opts.slots);
    this.geo = decodeGeometry(model, opts.slots, opts.maxContext);
  }

  private matrix(weight: string, extra: AttrDict = {}): AttrDict {
    return { weight, transpose: false, scale: 1, ...extra };
  }

  private rmsNorm(x: Value, meanSquare: Interval, hint: string): Value {
    const c = this.model.config;
    const d = c.hiddenSize;
    const sq = this.b.mul(x, x, { kind: 'junk' });
    const sum = this.b.rotateSum(sq, 1, this.geo.hiddenPeriod, rep(1, 1));
    const [lo, hi] = widen(meanSquare);
    const inv = this.b.nonlinear(sum, { fn: 'inv_sqrt', domain: [lo * d, hi * d], pre_scale: 1 / d, pre_shift: c.rmsNormEps }, `${hint}_rsqrt`);
    return this.b.mul(x, inv, x.type.layout, hint);
  }

  private rope(x: Value): Value {
    const c = this.model.config;
    const style = c.ropeStyle;
    const off = style === 'rotate_half' ? c.headDim / 2 : 1;
    const table = (part: string) =>
      this.b.encode({ kind: 'rope', part, head_dim: c.headDim, heads: c.numKvHeads, period: this.geo.block, theta: c.ropeTheta, style }, x.type.layout);
    const up = this.b.rotate(x, off, { kind: 'junk' });
    const down = this.b.rotate(x, -off, { kind: 'junk' });
    const t0 = this.b.mulPlainRaw(x, table('cos'));
    const t1 = this.b.mulPlainRaw(up, table('sin_lo'), x.type.layout);
    const t2 = this.b.mulPlainRaw(down, table('sin_hi'), x.type.layout);
    return this.b.rescale(this.b.add(this.b.add(t0, t1), t2));
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
  private softmax(scores: Value[], range: Interval, hint: string): Value[] {
    const c = this.model.config;
    const geo = this.geo;
    const b = this.b;
    const n = this.opts.maxContext;
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

  private layer(x: Value, l: number): Value {
    const c = this.model.config;
    const L = this.model.layers[l]!;
    const r = this.opts.ranges.layers[l]!;
    const geo = this.geo;
    const b = this.b;
    const hidden = { inN: c.hiddenSize, inPeriod: geo.hiddenPeriod };
    const kvOut = { outM: geo.kvWidth, outPeriod: geo.block };

    b.loc = L.q.weight.onnxNode;
    const h = this.rmsNorm(x, r.attnNormMeanSquare, `l${l}_attn_norm`);
    const colScale = L.inputNorm.name;
    const qs: Value[] = [];
    for (let g = 0; g < geo.group; g++) {
      const m = this.matrix(L.q.weight.name, { rows: { group: geo.group, index: g, head_dim: c.headDim }, col_scale: colScale, scale: 1 / Math.sqrt(c.headDim) });
      qs.push(this.rope(emitMatvec(b, h, m, { ...hidden, ...kvOut }, `l${l}_q${g}`)));
    }
    b.loc = L.k.weight.onnxNode;
    const k = this.rope(emitMatvec(b, h, this.matrix(L.k.weight.name, { col_scale: colScale }), { ...hidden, ...kvOut }, `l${l}_k`));
    b.loc = L.v.weight.onnxNode;
    const v = emitMatvec(b, h, this.matrix(L.v.weight.name, { col_scale: colScale }), { ...hidden, ...kvOut }, `l${l}_v`);

    // Append the new token to the cache (state in, state out).
    const kCache: Value[] = [];
    const vCache: Value[] = [];
    for (let ci = 0; ci < geo.cacheCiphertexts; ci++) {
      const tokens: Layout = { kind: 'tokens', width: geo.kvWidth, block: geo.block, base: ci * geo.capacity, capacity: geo.capacity };
      const mask = b.encode({ kind: 'token_mask', block: geo.block, width: geo.kvWidth, base: ci * geo.capacity, capacity: geo.capacity }, tokens);
      for (const [which, val, out] of [['k', k, kCache], ['v', v, vCache]] as const) {
        const name = `kv.l${l}.${which}.c${ci}`;
        const state = b.arg(name, tokens, { role: 'state', state: name });
        const next = b.add(state, b.mulPlain(val, mask, tokens), tokens, `${name}.next`);
        this.stateOut.set(name, next);
        out.push(next);
      }
    }

    // Attention for each query group member g (heads g, g+G, … share KV head ⌊h/G⌋).
    let attn: Value | null = null;
    for (let g = 0; g < geo.group; g++) {
      const scores: Value[] = [];
      for (let ci = 0; ci < geo.cacheCiphertexts; ci++) {
        const heads: Layout = { kind: 'heads', heads: c.numKvHeads, headDim: c.headDim, block: geo.block, base: ci * geo.capacity, capacity: geo.capacity, clean: false };
        const prod = b.mul(qs[g]!, kCache[ci]!, { kind: 'junk' });
        scores.push(b.bound(b.rotateSum(prod, 1, c.headDim, heads), Math.max(Math.abs(r.scores.lo), Math.abs(r.scores.hi))));
      }
      const probs = this.softmax(scores, r.scores, `l${l}_g${g}`);
      let o: Value | null = null;
      for (let ci = 0; ci < geo.cacheCiphertexts; ci++) {
        const bcast: Layout = { kind: 'bcast', heads: c.numKvHeads, headDim: c.headDim, block: geo.block, base: ci * geo.capacity, capacity: geo.capacity };
        const spread = b.spreadRight(probs[ci]!, 1, c.headDim, bcast);
        const pv = b.mul(spread, vCache[ci]!, { kind: 'junk' });
        o = o === null ? pv : b.add(o, pv);
      }
      const og = b.rotateSum(o!, geo.block, geo.capacity, rep(geo.kvWidth, geo.block));
      b.loc = L.o.weight.onnxNode;
      const m = this.matrix(L.o.weight.name, { cols: { group: geo.group, index: g, head_dim: c.headDim } });
      const part = emitMatvec(b, og, m, { inN: geo.kvWidth, inPeriod: geo.block, outM: c.hiddenSize, outPeriod: geo.hiddenPeriod }, `l${l}_o${g}`);
      attn = attn === null ? part : b.add(attn, part);
    }
    const x1 = b.add(x, attn!, x.type.layout, `l${l}_resid_attn`);

    b.loc = L.gate.weight.onnxNode;
    const h2 = this.rmsNorm(x1, r.mlpNormMeanSquare, `l${l}_mlp_norm`);
    const ffnOut = { outM: c.intermediateSize, outPeriod: geo.ffnPeriod };
    const gate = emitMatvec(b, h2, this.matrix(L.gate.weight.name, { col_scale: L.postAttentionNorm.name }), { ...hidden, ...ffnOut }, `l${l}_gate`);
    b.loc = L.up.weight.onnxNode;
    const up = emitMatvec(b, h2, this.matrix(L.up.weight.name, { col_scale: L.postAttentionNorm.name }), { ...hidden, ...ffnOut }, `l${l}_up`);
    const [slo, shi] = widen(r.siluInput);
    const act = b.mul(b.nonlinear(gate, { fn: 'silu', domain: [slo, shi] }, `l${l}_silu`), up, up.type.layout, `l${l}_swiglu`);
    b.loc = L.down.weight.onnxNode;
    const down = emitMatvec(b, act, this.matrix(L.down.weight.name), { inN: c.intermediateSize, inPeriod: geo.ffnPeriod, outM: c.hiddenSize, outPeriod: geo.hiddenPeriod }, `l${l}_down`);
    return b.add(x1, down, x1.type.layout, `l${l}_out`);
  }

  lower(): void {
    const c = this.model.config;
    const geo = this.geo;
    const b = this.b;
    this.requireLinearsWithoutBias();
    const token = b.arg('token', rep(c.vocabSize, geo.vocabPeriod), { role: 'input' });
    b.loc = this.model.embedding.onnxNode;
    let x = emitMatvec(b, token, { weight: this.model.embedding.name, transpose: true, scale: 1 }, { inN: c.vocabSize, inPeriod: geo.vocabPeriod, outM: c.hiddenSize, outPeriod: geo.hiddenPeriod }, 'embed');
    for (let l = 0; l < c.numLayers; l++) x = this.layer(x, l);
    b.loc = this.model.lmHead.weight.onnxNode;
    const hf = this.rmsNorm(x, this.opts.ranges.finalNormMeanSquare, 'final_norm');
    const logits = emitMatvec(b, hf, this.matrix(this.model.lmHead.weight.name, { col_scale: this.model.finalNorm.name }), { inN: c.hiddenSize, inPeriod: geo.hiddenPeriod, outM: c.vocabSize, outPeriod: geo.vocabPeriod }, 'logits');
    b.loc = undefined;
    const names = ['logits', ...this.stateOut.keys()];
    b.ret([logits, ...this.stateOut.values()], names);
  }

  private requireLinearsWithoutBias(): void {
    for (const [i, L] of this.model.layers.entries()) {
      for (const [n, lin] of Object.entries({ q: L.q, k: L.k, v: L.v, o: L.o, gate: L.gate, up: L.up, down: L.down })) {
        if (lin.bias !== null) {
          throw new HecError('HEC4003', `layer ${i} ${n}_proj has a bias; biased projections are not lowered yet`, {
            location: { onnxNode: lin.weight.onnxNode },
            fix: 'export the model without attention/MLP bias (Llama has none), or follow the issue adding bias support',
          });
        }
      }
    }
  }
}

/** Lower a recognised Llama model into an HE IR module with one function, `@decode_step`. */
export function lowerDecodeStep(model: LlamaModel, opts: DecodeLoweringOptions): Module {
  const func: Func = { name: 'decode_step', args: [], ops: [] };
  new DecodeLowering(model, opts, func).lower();
  return { version: IR_VERSION, attrs: {}, funcs: [func] };
}
