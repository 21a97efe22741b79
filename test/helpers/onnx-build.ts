/**
 * @fileoverview Build Llama decoder-with-past ONNX models of any shape, in the style of torch.onnx's legacy
 * (TorchScript) exporter, so the frontend can be tested on configurations no bundled model has.
 *
 * Mimicked from models/llama-py.decode.onnx: same input/output names and dynamic dims; Constant nodes for every
 * literal; shape soup (Shape → Gather → Unsqueeze → Concat) for head-split, repeat_kv and merge reshapes; causal mask
 * from Range/LessOrEqual/And/Where; rotary cos/sin from an inv_freq Constant Expand-ed and MatMul-ed with
 * position_ids; Pow/ReduceMean/Add/Sqrt/Div RMSNorm with Casts; MatMul with [in, out] weights; rotate-half via
 * Slice/Neg/Concat; GQA via Unsqueeze/Expand/Reshape of the cache; q and k each scaled by D^-1/4; the NaN guard after
 * Softmax; a tied LM head stored as a transposed copy of the embedding.
 */
import onnxProto from 'onnx-proto';
import { seededRandom } from './seeded.ts';

const { onnx } = onnxProto;
const F = 1;
const I64 = 7;
const BOOL = 9;

export interface BuildConfig {
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Defaults to numHeads · headDim. */
  hiddenSize?: number;
  intermediateSize: number;
  vocabSize: number;
  ropeTheta: number;
  rmsNormEps: number;
  tied: boolean;
  seed: number;
  /** Default 17. */
  opset?: number;
  /** Deliberate deviations, for negative tests. */
  variant?: 'erf-gelu-mlp' | 'tanh-gate' | 'no-attention-scale' | 'dead-unknown-op';
}

export interface BuiltModel {
  bytes: Uint8Array;
  /** Initializers as stored in the graph (MatMul weights [in, out]). */
  weights: Map<string, Float32Array>;
}

type Attr = number | number[] | string | { t: Float32Array | number[]; dims: number[]; dtype: number };

class Builder {
  nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  inits: InstanceType<typeof onnx.TensorProto>[] = [];
  weights = new Map<string, Float32Array>();
  private n = 0;

  tensor(name: string, dtype: number, dims: number[], data: ArrayLike<number>): InstanceType<typeof onnx.TensorProto> {
    let raw: Uint8Array;
    if (dtype === F) raw = new Uint8Array(Float32Array.from(data).buffer);
    else if (dtype === I64) raw = new Uint8Array(BigInt64Array.from(Array.from(data, (v) => BigInt(v))).buffer);
    else raw = Uint8Array.from(data);
    return onnx.TensorProto.create({ name, dataType: dtype, dims, rawData: raw });
  }

  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, scope = '', outName?: string): string {
    const name = `${scope}/${opType}_${this.n++}`;
    const out = outName ?? `${name}_output_0`;
    const attribute = Object.entries(attrs).map(([k, v]) => {
      const T = onnx.AttributeProto.AttributeType;
      if (typeof v === 'number') return Number.isInteger(v) && k !== 'value_float'
        ? onnx.AttributeProto.create({ name: k, type: T.INT, i: v })
        : onnx.AttributeProto.create({ name: k, type: T.FLOAT, f: v });
      if (typeof v === 'string') return onnx.AttributeProto.create({ name: k, type: T.STRING, s: new TextEncoder().encode(v) });
      if (Array.isArray(v)) return onnx.AttributeProto.create({ name: k, type: T.INTS, ints: v });
      return onnx.AttributeProto.create({ name: k, type: T.TENSOR, t: this.tensor('', v.dtype, v.dims, v.t) });
    });
    this.nodes.push(onnx.NodeProto.create({ name, opType, input: inputs, output: [out], attribute }));
    return out;
  }

  /** A Constant node, the way the legacy exporter materialises every literal. */
  c(dtype: number, dims: number[], data: number[], scope = ''): string {
    return this.op('Constant', [], { value: { t: data, dims, dtype } }, scope);
  }

  init(name: string, dims: number[], data: Float32Array): string {
    this.inits.push(this.tensor(name, F, dims, data));
    this.weights.set(name, data);
    return name;
  }

  /** Shape soup: dimension `i` of `x` as a 1-element int64 tensor. */
  dim(x: string, i: number, s: string): string {
    const g = this.op('Gather', [this.op('Shape', [x], {}, s), this.c(I64, [], [i], s)], { axis: 0 }, s);
    return this.op('Unsqueeze', [g, this.c(I64, [1], [0], s)], {}, s);
  }
}

function randn(r: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() + r() + r() - 1.5) * 2 * scale;
  return out;
}

export function buildLlamaOnnx(cfg: BuildConfig): BuiltModel {
  const { numLayers: L, numHeads: H, numKvHeads: KV, headDim: D, intermediateSize: FF, vocabSize: V } = cfg;
  const HD = cfg.hiddenSize ?? H * D;
  const rep = H / KV;
  const r = seededRandom(cfg.seed);
  const b = new Builder();
  const lin = (name: string, inp: number, out: number): string => b.init(name, [inp, out], randn(r, inp * out, 1 / Math.sqrt(inp)));

  const embData = randn(r, V * HD, 1);
  const emb = b.init('model.model.embed_tokens.weight', [V, HD], embData);
  let h = b.op('Gather', [emb, 'input_ids'], {}, '/model/model/embed_tokens');

  // Causal mask soup → bool [1, 1, 1, total] ("attend"), as the legacy export computes it from attention_mask.
  const ms = '/model/model';
  const pastLen = b.op('Gather', [b.op('Shape', ['past_key_values.0.key'], {}, ms), b.c(I64, [], [2], ms)], { axis: 0 }, ms);
  const seqLen = b.op('Gather', [b.op('Shape', ['input_ids'], {}, ms), b.c(I64, [], [1], ms)], { axis: 0 }, ms);
  const total = b.op('Add', [pastLen, seqLen], {}, ms);
  const cachePos = b.op('Range', [pastLen, total, b.c(I64, [], [1], ms)], {}, ms);
  const maskLen = b.op('Gather', [b.op('Shape', ['attention_mask'], {}, ms), b.c(I64, [], [1], ms)], { axis: 0 }, ms);
  const kvIdx = b.op('Range', [b.c(I64, [], [0], ms), maskLen, b.c(I64, [], [1], ms)], {}, ms);
  const causal = b.op('LessOrEqual', [
    b.op('Unsqueeze', [kvIdx, b.c(I64, [3], [0, 1, 2], ms)], {}, ms),
    b.op('Unsqueeze', [cachePos, b.c(I64, [3], [0, 1, 3], ms)], {}, ms),
  ], {}, ms);
  const pad = b.op('Cast', [b.op('Unsqueeze', ['attention_mask', b.c(I64, [2], [1, 2], ms)], {}, ms)], { to: BOOL }, ms);
  const mask = b.op('And', [causal, pad], {}, ms);

  // Rotary tables: cos/sin [1, seq, D] from inv_freq [1, D/2, 1] × position_ids.
  const rs = '/model/model/rotary_emb';
  const inv = Array.from({ length: D / 2 }, (_x, i) => 1 / cfg.ropeTheta ** ((2 * i) / D));
  const invC = b.c(F, [1, D / 2, 1], inv, rs);
  const bsz = b.dim('position_ids', 0, rs);
  // torch's expand(-1) becomes Where(Equal(shape, -1), 1, shape) before the ONNX Expand, exactly as exported.
  const want = b.op('Concat', [bsz, b.c(I64, [1], [-1], rs), b.c(I64, [1], [1], rs)], { axis: 0 }, rs);
  const onesS = b.op('ConstantOfShape', [b.op('Shape', [want], {}, rs)], { value: { t: [1], dims: [1], dtype: I64 } }, rs);
  const isNeg = b.op('Equal', [want, b.op('Mul', [onesS, b.c(I64, [], [-1], rs)], {}, rs)], {}, rs);
  const expShape = b.op('Where', [isNeg, onesS, want], {}, rs);
  const invE = b.op('Cast', [b.op('Expand', [invC, expShape], {}, rs)], { to: F }, rs);
  const pos = b.op('Cast', [b.op('Unsqueeze', ['position_ids', b.c(I64, [1], [1], rs)], {}, rs)], { to: F }, rs);
  const fr = b.op('Transpose', [b.op('MatMul', [invE, pos], {}, rs)], { perm: [0, 2, 1] }, rs);
  const embT = b.op('Concat', [fr, fr], { axis: -1 }, rs);
  const one = (s: string) => b.c(F, [], [1], s);
  const cos = b.op('Cast', [b.op('Mul', [b.op('Cos', [embT], {}, rs), one(rs)], {}, rs)], { to: F }, rs);
  // A dead op without shape rules (its result is unused), as exporters sometimes leave behind.
  if (cfg.variant === 'dead-unknown-op') b.op('Erf', [embT], {}, rs);
  const sin = b.op('Cast', [b.op('Mul', [b.op('Sin', [embT], {}, rs), one(rs)], {}, rs)], { to: F }, rs);

  const norm = (x: string, w: string, s: string): { xc: string; out: string } => {
    const xc = b.op('Cast', [x], { to: F }, s);
    const p = b.op('Pow', [xc, b.c(F, [], [2], s)], {}, s);
    const mean = (cfg.opset ?? 17) >= 18
      ? b.op('ReduceMean', [p, b.c(I64, [1], [-1], s)], { keepdims: 1 }, s)
      : b.op('ReduceMean', [p], { axes: [-1], keepdims: 1 }, s);
    const sq = b.op('Sqrt', [b.op('Add', [mean, b.c(F, [], [cfg.rmsNormEps], s)], {}, s)], {}, s);
    const rn = b.op('Mul', [xc, b.op('Div', [b.c(F, [], [1], s), sq], {}, s)], {}, s);
    return { xc, out: b.op('Mul', [w, b.op('Cast', [rn], { to: F }, s)], {}, s) };
  };
  const ones = () => Float32Array.from({ length: HD }, () => 1 + (r() - 0.5) * 0.2);

  for (let l = 0; l < L; l++) {
    const ls = `/model/model/layers.${l}`;
    const sa = `${ls}/self_attn`;
    const n1 = norm(h, b.init(`model.model.layers.${l}.input_layernorm.weight`, [HD], ones()), `${ls}/input_layernorm`);
    const heads = (x: string): string => {
      const shp = b.op('Concat', [b.dim(n1.out, 0, sa), b.dim(n1.out, 1, sa), b.c(I64, [1], [-1], sa), b.c(I64, [1], [D], sa)], { axis: 0 }, sa);
      return b.op('Transpose', [b.op('Reshape', [x, shp], {}, sa)], { perm: [0, 2, 1, 3] }, sa);
    };
    const q = heads(b.op('MatMul', [n1.out, lin(`onnx::MatMul_q${l}`, HD, H * D)], {}, `${sa}/q_proj`));
    const k = heads(b.op('MatMul', [n1.out, lin(`onnx::MatMul_k${l}`, HD, KV * D)], {}, `${sa}/k_proj`));
    const v = heads(b.op('MatMul', [n1.out, lin(`onnx::MatMul_v${l}`, HD, KV * D)], {}, `${sa}/v_proj`));
    const cosU = b.op('Unsqueeze', [cos, b.c(I64, [1], [1], sa)], {}, sa);
    const sinU = b.op('Unsqueeze', [sin, b.c(I64, [1], [1], sa)], {}, sa);
    const rope = (x: string): string => {
      const ax = b.c(I64, [1], [3], sa);
      const st = b.c(I64, [1], [1], sa);
      const lo = b.op('Slice', [x, b.c(I64, [1], [0], sa), b.c(I64, [1], [D / 2], sa), ax, st], {}, sa);
      const hi = b.op('Slice', [x, b.c(I64, [1], [D / 2], sa), b.c(I64, [1], [Number.MAX_SAFE_INTEGER], sa), ax, st], {}, sa);
      const rot = b.op('Concat', [b.op('Neg', [hi], {}, sa), lo], { axis: -1 }, sa);
      return b.op('Add', [b.op('Mul', [x, cosU], {}, sa), b.op('Mul', [rot, sinU], {}, sa)], {}, sa);
    };
    const qr = rope(q);
    const kr = rope(k);
    const pk = b.op('Concat', [`past_key_values.${l}.key`, kr], { axis: -2 }, sa, `present.${l}.key`);
    const pv = b.op('Concat', [`past_key_values.${l}.value`, v], { axis: -2 }, sa, `present.${l}.value`);
    const repeatKv = (x: string): string => {
      const u = b.op('Unsqueeze', [x, b.c(I64, [1], [2], sa)], {}, sa);
      const ex = b.op('Concat', [b.dim(x, 0, sa), b.dim(x, 1, sa), b.c(I64, [1], [rep], sa), b.dim(x, 2, sa), b.dim(x, 3, sa)], { axis: 0 }, sa);
      const nh = b.op('Mul', [b.dim(x, 1, sa), b.c(I64, [1], [rep], sa)], {}, sa);
      const shp = b.op('Concat', [b.dim(x, 0, sa), nh, b.dim(x, 2, sa), b.dim(x, 3, sa)], { axis: 0 }, sa);
      return b.op('Reshape', [b.op('Expand', [u, ex], {}, sa), shp], {}, sa);
    };
    const kT = b.op('Transpose', [repeatKv(pk)], { perm: [0, 1, 3, 2] }, sa);
    const sc = cfg.variant === 'no-attention-scale' ? 1 : D ** -0.25;
    const scores = b.op('MatMul', [b.op('Mul', [qr, b.c(F, [], [sc], sa)], {}, sa), b.op('Mul', [kT, b.c(F, [], [sc], sa)], {}, sa)], {}, sa);
    const bias = b.op('Where', [mask, b.c(F, [1], [0], sa), b.c(F, [1], [-Infinity], sa)], {}, sa);
    const sm = b.op('Softmax', [b.op('Add', [scores, bias], {}, sa)], { axis: -1 }, sa);
    const p = b.op('Where', [b.op('IsNaN', [sm], {}, sa), b.c(F, [1], [0], sa), sm], {}, sa);
    const ctx = b.op('Transpose', [b.op('MatMul', [p, repeatKv(pv)], {}, sa)], { perm: [0, 2, 1, 3] }, sa);
    const merged = b.op('Reshape', [ctx, b.op('Concat', [b.dim(n1.out, 0, sa), b.dim(n1.out, 1, sa), b.c(I64, [1], [-1], sa)], { axis: 0 }, sa)], {}, sa);
    const o = b.op('MatMul', [merged, lin(`onnx::MatMul_o${l}`, H * D, HD)], {}, `${sa}/o_proj`);
    const h1 = b.op('Add', [n1.xc, o], {}, ls);
    const n2 = norm(h1, b.init(`model.model.layers.${l}.post_attention_layernorm.weight`, [HD], ones()), `${ls}/post_attention_layernorm`);
    const mlp = `${ls}/mlp`;
    const g = b.op('MatMul', [n2.out, lin(`onnx::MatMul_gate${l}`, HD, FF)], {}, `${mlp}/gate_proj`);
    let act: string;
    if (cfg.variant === 'erf-gelu-mlp') {
      const e = b.op('Erf', [b.op('Div', [g, b.c(F, [], [Math.SQRT2], mlp)], {}, mlp)], {}, mlp);
      act = b.op('Mul', [b.op('Mul', [g, b.op('Add', [e, b.c(F, [], [1], mlp)], {}, mlp)], {}, mlp), b.c(F, [], [0.5], mlp)], {}, mlp);
    } else {
      act = b.op('Mul', [g, b.op(cfg.variant === 'tanh-gate' ? 'Tanh' : 'Sigmoid', [g], {}, `${mlp}/act_fn`)], {}, `${mlp}/act_fn`);
    }
    const up = b.op('MatMul', [n2.out, lin(`onnx::MatMul_up${l}`, HD, FF)], {}, `${mlp}/up_proj`);
    const down = b.op('MatMul', [b.op('Mul', [act, up], {}, mlp), lin(`onnx::MatMul_down${l}`, FF, HD)], {}, `${mlp}/down_proj`);
    h = b.op('Add', [n2.xc, down], {}, ls);
  }
  const nf = norm(h, b.init('model.model.norm.weight', [HD], ones()), '/model/model/norm');
  // The legacy exporter stores even a tied LM head as its own [hidden, vocab] initializer (a transposed copy).
  const head = cfg.tied ? transpose(embData, V, HD) : randn(r, HD * V, 1 / Math.sqrt(HD));
  b.op('MatMul', [nf.out, b.init('onnx::MatMul_lm_head', [HD, V], head)], {}, '/model/lm_head', 'logits');

  const vi = (name: string, dtype: number, dims: (number | string)[]) => onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: dtype, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const kvNames = (pre: string, len: string) => Array.from({ length: L }, (_x, l) => ['key', 'value'].map((k) => vi(`${pre}.${l}.${k}`, F, ['batch', KV, len, D]))).flat();
  const graph = onnx.GraphProto.create({
    name: 'main_graph',
    node: b.nodes,
    initializer: b.inits,
    input: [vi('input_ids', I64, ['batch', 'seq']), vi('attention_mask', I64, ['batch', 'total']), vi('position_ids', I64, ['batch', 'seq']), ...kvNames('past_key_values', 'past')],
    output: [vi('logits', F, ['batch', 'seq', V]), ...kvNames('present', 'total')],
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'hec onnx-build',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: cfg.opset ?? 17 }],
    graph,
  });
  return { bytes: onnx.ModelProto.encode(model).finish(), weights: b.weights };
}

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j]!;
  return out;
}
