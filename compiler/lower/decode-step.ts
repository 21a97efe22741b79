/**
 * @fileoverview Lowering: LlamaModel → HE IR for one decoding step, with the KV cache as encrypted state.
 *
 * This file walks the recognised model and describes each step as a tensor-level op (passes/packings/packing.ts:
 * embedding, linear, rms-norm, rope, kv-append, attention-scores, softmax, attention-mix); the packings chosen for
 * the compile (`--packing`, registry in passes/packings/registry.ts) say which accept each op, and the cheapest one
 * lowers it, fixing its layouts. Residual additions and SwiGLU's elementwise product need no layout decision.
 * Non-linear functions are `ckks.nonlinear` ops carrying their calibrated domain; passes/poly-approx.ts replaces them.
 *
 * Grouped-query attention is walked as the replicated packing needs it: for each of the G = heads/kv_heads query
 * heads sharing a KV head, a projection produces a kv-width query aligned with the KV features (rows group map),
 * so one ct×ct product scores every KV head; each member's attention output goes through its share of W_o.
 */
import { HecError } from '../../ir/diagnostics.ts';
import type { LlamaModel } from '../../ir/model.ts';
import { IR_VERSION, type Func, type Module, type Value } from '../../ir/module.ts';
import type { AttrDict } from '../../ir/types.ts';
import { IrBuilder } from '../../passes/kernels/builder.ts';
import { selectPacking, widen, type PackedModel, type TensorOp } from '../../passes/packings/packing.ts';
import type { ModelRanges } from './ranges.ts';

export interface DecodeLoweringOptions {
  slots: number;
  /** Largest number of positions (prompt + generated) the KV cache holds. */
  maxContext: number;
  ranges: ModelRanges;
  /** The packings this compile may use, instantiated for the model (passes/packings/registry.ts). */
  packings: readonly PackedModel[];
}

/** The lowered step and the packings that lowered at least one of its ops (for the plan header). */
export interface LoweredStep {
  module: Module;
  used: PackedModel[];
}

class DecodeLowering {
  private readonly b: IrBuilder;
  private readonly stateOut = new Map<string, Value>();
  readonly used = new Set<PackedModel>();

  constructor(
    private readonly model: LlamaModel,
    private readonly opts: DecodeLoweringOptions,
    func: Func,
  ) {
    this.b = new IrBuilder(func, opts.slots);
  }

  /** Lower one tensor op with the packing selected for it; returns its outputs. */
  private tensor(op: TensorOp): Value[] {
    const packed = selectPacking(op, this.opts.packings, this.opts.slots);
    this.used.add(packed);
    const r = packed.lower(this.b, op);
    for (const [name, v] of r.stateOut ?? []) this.stateOut.set(name, v);
    return r.outputs;
  }

  private one(op: TensorOp): Value {
    const [v] = this.tensor(op);
    if (v === undefined) throw new Error(`internal error: tensor op ${op.kind} produced no value`);
    return v;
  }

  private matrix(weight: string, extra: AttrDict = {}): AttrDict {
    return { weight, transpose: false, scale: 1, ...extra };
  }

  private layer(x: Value, l: number): Value {
    const c = this.model.config;
    const L = this.model.layers[l]!;
    const r = this.opts.ranges.layers[l]!;
    const b = this.b;
    const group = c.numHeads / c.numKvHeads;
    const kvWidth = c.numKvHeads * c.headDim;
    const linear = (x: Value, matrix: AttrDict, inN: number, outM: number, hint: string) => this.one({ kind: 'linear', x, matrix, inN, outM, hint });

    b.loc = L.q.weight.onnxNode;
    const h = this.one({ kind: 'rms-norm', x, meanSquare: r.attnNormMeanSquare, hint: `l${l}_attn_norm` });
    const colScale = L.inputNorm.name;
    const qs: Value[] = [];
    for (let g = 0; g < group; g++) {
      const m = this.matrix(L.q.weight.name, { rows: { group, index: g, head_dim: c.headDim }, col_scale: colScale, scale: 1 / Math.sqrt(c.headDim) });
      qs.push(this.one({ kind: 'rope', x: linear(h, m, c.hiddenSize, kvWidth, `l${l}_q${g}`) }));
    }
    b.loc = L.k.weight.onnxNode;
    const k = this.one({ kind: 'rope', x: linear(h, this.matrix(L.k.weight.name, { col_scale: colScale }), c.hiddenSize, kvWidth, `l${l}_k`) });
    b.loc = L.v.weight.onnxNode;
    const v = linear(h, this.matrix(L.v.weight.name, { col_scale: colScale }), c.hiddenSize, kvWidth, `l${l}_v`);

    const caches = this.tensor({ kind: 'kv-append', layer: l, k, v });
    const kCache = caches.slice(0, caches.length / 2);
    const vCache = caches.slice(caches.length / 2);

    // Attention for each query group member g (heads g, g+G, … share KV head ⌊h/G⌋).
    let attn: Value | null = null;
    for (let g = 0; g < group; g++) {
      const bound = Math.max(Math.abs(r.scores.lo), Math.abs(r.scores.hi));
      const scores = this.tensor({ kind: 'attention-scores', q: qs[g]!, kCache, bound });
      const probs = this.tensor({ kind: 'softmax', scores, range: r.scores, hint: `l${l}_g${g}` });
      const og = this.one({ kind: 'attention-mix', probs, vCache });
      b.loc = L.o.weight.onnxNode;
      const m = this.matrix(L.o.weight.name, { cols: { group, index: g, head_dim: c.headDim } });
      const part = linear(og, m, kvWidth, c.hiddenSize, `l${l}_o${g}`);
      attn = attn === null ? part : b.add(attn, part);
    }
    if (attn === null) throw new Error('internal error: a layer without attention heads');
    const x1 = b.add(x, attn, x.type.layout, `l${l}_resid_attn`);

    b.loc = L.gate.weight.onnxNode;
    const h2 = this.one({ kind: 'rms-norm', x: x1, meanSquare: r.mlpNormMeanSquare, hint: `l${l}_mlp_norm` });
    const gate = linear(h2, this.matrix(L.gate.weight.name, { col_scale: L.postAttentionNorm.name }), c.hiddenSize, c.intermediateSize, `l${l}_gate`);
    b.loc = L.up.weight.onnxNode;
    const up = linear(h2, this.matrix(L.up.weight.name, { col_scale: L.postAttentionNorm.name }), c.hiddenSize, c.intermediateSize, `l${l}_up`);
    const [slo, shi] = widen(r.siluInput);
    const act = b.mul(b.nonlinear(gate, { fn: 'silu', domain: [slo, shi] }, `l${l}_silu`), up, up.type.layout, `l${l}_swiglu`);
    b.loc = L.down.weight.onnxNode;
    const down = linear(act, this.matrix(L.down.weight.name), c.intermediateSize, c.hiddenSize, `l${l}_down`);
    return b.add(x1, down, x1.type.layout, `l${l}_out`);
  }

  lower(): void {
    const c = this.model.config;
    const b = this.b;
    this.requireLinearsWithoutBias();
    const embedLoc = this.model.embedding.onnxNode;
    let x = this.one({ kind: 'embedding', weight: this.model.embedding.name, loc: embedLoc, hint: 'embed' });
    for (let l = 0; l < c.numLayers; l++) x = this.layer(x, l);
    b.loc = this.model.lmHead.weight.onnxNode;
    const hf = this.one({ kind: 'rms-norm', x, meanSquare: this.opts.ranges.finalNormMeanSquare, hint: 'final_norm' });
    const logits = this.one({ kind: 'linear', x: hf, matrix: this.matrix(this.model.lmHead.weight.name, { col_scale: this.model.finalNorm.name }), inN: c.hiddenSize, outM: c.vocabSize, hint: 'logits' });
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
export function lowerDecodeStep(model: LlamaModel, opts: DecodeLoweringOptions): LoweredStep {
  const func: Func = { name: 'decode_step', args: [], ops: [] };
  const lowering = new DecodeLowering(model, opts, func);
  lowering.lower();
  return { module: { version: IR_VERSION, attrs: {}, funcs: [func] }, used: [...lowering.used] };
}
