/**
 * @fileoverview Static shape inference and constant evaluation for the ONNX ops a Llama decoder export contains.
 *
 * Each op gets the input shapes (always known once the dynamic dims are bound) and, where known, input values. It
 * returns output shapes, and output values when every input value is known and the op is cheap to fold. This is what
 * lets graph.ts collapse the exporters' shape/mask "soup" (Shape → Gather → Unsqueeze → Concat → Reshape, causal-mask
 * Range/LessOrEqual/Where chains) into constants for one past length.
 */
import { HecError } from '../../ir/diagnostics.ts';
import { DT, type AttrValue, type OnnxNode, type TensorValue } from './load.ts';

export interface SymTensor {
  dtype: number;
  shape: number[];
  /** Known contents (constants, folded shape arithmetic); undefined for run-time values. */
  value?: TensorValue;
}

type Out = SymTensor[];
type OpImpl = (ins: (SymTensor | undefined)[], attrs: Record<string, AttrValue>, node: OnnxNode) => Out;

export const numel = (s: number[]): number => s.reduce((a, b) => a * b, 1);

function strides(s: number[]): number[] {
  const st = new Array<number>(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) st[i] = st[i + 1]! * s[i + 1]!;
  return st;
}

function fail(node: OnnxNode, msg: string): never {
  throw new HecError('HEC1011', `cannot infer shapes: ${msg}`, {
    location: { onnxNode: node.name, onnxOp: node.opType },
    fix: 'the graph is not a torch.onnx Llama decoder export hec understands; re-export with static head sizes',
  });
}

function broadcast(node: OnnxNode, shapes: number[][]): number[] {
  const r = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - r + i] ?? 1;
      if (v !== 1) {
        if (d !== 1 && d !== v) fail(node, `shapes [${shapes.map((x) => `[${x}]`).join(', ')}] do not broadcast`);
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}

/** Index into a broadcast input for every output element. */
function bcastIndex(inShape: number[], outShape: number[]): Int32Array {
  const n = numel(outShape);
  const idx = new Int32Array(n);
  const os = strides(outShape);
  const pad = outShape.length - inShape.length;
  const is = strides(inShape);
  for (let k = 0; k < n; k++) {
    let rem = k;
    let src = 0;
    for (let a = 0; a < outShape.length; a++) {
      const c = Math.floor(rem / os[a]!);
      rem -= c * os[a]!;
      const ia = a - pad;
      if (ia >= 0 && inShape[ia] !== 1) src += c * is[ia]!;
    }
    idx[k] = src;
  }
  return idx;
}

const isFloat = (dt: number): boolean => dt === DT.FLOAT || dt === DT.DOUBLE || dt === DT.FLOAT16;

function mk(dtype: number, shape: number[], data: ArrayLike<number>): SymTensor {
  const d = new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) d[i] = isFloat(dtype) ? Math.fround(data[i]!) : data[i]!;
  return { dtype, shape, value: { dtype, shape, data: d } };
}

const allKnown = (ins: (SymTensor | undefined)[]): boolean => ins.every((t) => t === undefined || t.value !== undefined);
const vals = (t: SymTensor | undefined): ArrayLike<number> => t?.value?.data ?? [];
const ints = (t: SymTensor | undefined): number[] => Array.from(vals(t));
const need = (node: OnnxNode, t: SymTensor | undefined, what: string): number[] => {
  if (!t?.value) fail(node, `${what} is not a constant after folding`);
  return ints(t);
};

function elementwise(fn: (...x: number[]) => number, outType?: number): OpImpl {
  return (ins, _a, node) => {
    const shapes = ins.map((t) => t!.shape);
    const shape = broadcast(node, shapes);
    const dtype = outType ?? ins[ins.length > 2 ? 1 : 0]!.dtype;
    if (!allKnown(ins)) return [{ dtype, shape }];
    const idx = ins.map((t) => bcastIndex(t!.shape, shape));
    const n = numel(shape);
    const out = new Float64Array(n);
    const args = new Array<number>(ins.length);
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < ins.length; j++) args[j] = ins[j]!.value!.data[idx[j]![k]!]!;
      out[k] = fn(...args);
    }
    return [mk(dtype, shape, out)];
  };
}

function unary(fn: (x: number) => number, outType?: number): OpImpl {
  return (ins) => {
    const x = ins[0]!;
    const dtype = outType ?? x.dtype;
    if (!x.value) return [{ dtype, shape: x.shape }];
    return [mk(dtype, x.shape, Array.from(x.value.data, fn))];
  };
}

const normAxis = (a: number, r: number): number => (a < 0 ? a + r : a);
const truncDiv = (a: number, b: number): number => Math.trunc(a / b);

function attrInts(a: Record<string, AttrValue>, k: string): number[] | undefined {
  const v = a[k];
  return Array.isArray(v) ? v : undefined;
}
function attrInt(a: Record<string, AttrValue>, k: string, d: number): number {
  const v = a[k];
  return typeof v === 'number' ? v : d;
}

function gatherAxis(data: SymTensor, idx: SymTensor, axis: number): SymTensor {
  const r = data.shape.length;
  const ax = normAxis(axis, r);
  const shape = [...data.shape.slice(0, ax), ...idx.shape, ...data.shape.slice(ax + 1)];
  if (!data.value || !idx.value) return { dtype: data.dtype, shape };
  const outer = numel(data.shape.slice(0, ax));
  const inner = numel(data.shape.slice(ax + 1));
  const dim = data.shape[ax]!;
  const iv = ints(idx).map((i) => (i < 0 ? i + dim : i));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (const i of iv) for (let k = 0; k < inner; k++) out.push(data.value.data[(o * dim + i) * inner + k]!);
  return mk(data.dtype, shape, out);
}

/**
 * A strided view of x copied out: out[coords] = x.data[offset + Σ coords[a]·srcStrides[a]]. Transpose and Slice are
 * both such views.
 */
function stridedCopy(x: SymTensor, shape: number[], srcStrides: number[], offset: number): SymTensor {
  if (!x.value) return { dtype: x.dtype, shape };
  const os = strides(shape);
  const out = new Float64Array(numel(shape));
  for (let k = 0; k < out.length; k++) {
    let rem = k;
    let src = offset;
    for (let a = 0; a < shape.length; a++) {
      const c = Math.floor(rem / os[a]!);
      rem -= c * os[a]!;
      src += c * srcStrides[a]!;
    }
    out[k] = x.value.data[src]!;
  }
  return mk(x.dtype, shape, out);
}

function transpose(x: SymTensor, perm: number[]): SymTensor {
  const is = strides(x.shape);
  return stridedCopy(x, perm.map((p) => x.shape[p]!), perm.map((p) => is[p]!), 0);
}

const cmp = (f: (a: number, b: number) => boolean) => elementwise((a, b) => (f(a, b) ? 1 : 0), DT.BOOL);

export const OPS: Record<string, OpImpl> = {
  Identity: (ins) => [ins[0]!],
  Add: elementwise((a, b) => a + b),
  Sub: elementwise((a, b) => a - b),
  Mul: elementwise((a, b) => a * b),
  Div: (ins, a, node) => elementwise(isFloat(ins[0]!.dtype) ? (x, y) => x / y : truncDiv)(ins, a, node),
  Pow: elementwise((a, b) => a ** b),
  Max: elementwise((...x) => Math.max(...x)),
  Min: elementwise((...x) => Math.min(...x)),
  Mod: elementwise((a, b) => a - Math.floor(a / b) * b),
  Equal: cmp((a, b) => a === b),
  Less: cmp((a, b) => a < b),
  LessOrEqual: cmp((a, b) => a <= b),
  Greater: cmp((a, b) => a > b),
  GreaterOrEqual: cmp((a, b) => a >= b),
  And: cmp((a, b) => a !== 0 && b !== 0),
  Or: cmp((a, b) => a !== 0 || b !== 0),
  Where: elementwise((c, x, y) => (c !== 0 ? x : y)),
  Neg: unary((x) => -x),
  Not: unary((x) => (x ? 0 : 1)),
  Abs: unary(Math.abs),
  Sqrt: unary(Math.sqrt),
  Reciprocal: unary((x) => 1 / x),
  Exp: unary(Math.exp),
  Sigmoid: unary((x) => 1 / (1 + Math.exp(-x))),
  Tanh: unary(Math.tanh),
  Cos: unary(Math.cos),
  Sin: unary(Math.sin),
  IsNaN: unary((x) => (Number.isNaN(x) ? 1 : 0), DT.BOOL),
  Softmax: (ins) => [{ dtype: ins[0]!.dtype, shape: ins[0]!.shape }],
  Cast: (ins, a) => {
    const to = attrInt(a, 'to', DT.FLOAT);
    const conv = to === DT.BOOL ? (x: number) => (x !== 0 ? 1 : 0) : isFloat(to) ? (x: number) => x : Math.trunc;
    return unary(conv, to === DT.DOUBLE || to === DT.FLOAT16 ? DT.FLOAT : to)(ins, a, undefined as never);
  },
  Constant: (_i, a, node) => {
    const v = a.value;
    if (v && typeof v === 'object' && !Array.isArray(v)) return [mk(v.dtype, v.shape, v.data)];
    if (typeof a.value_float === 'number') return [mk(DT.FLOAT, [], [a.value_float])];
    if (typeof a.value_int === 'number') return [mk(DT.INT64, [], [a.value_int])];
    const vi = attrInts(a, 'value_ints');
    if (vi) return [mk(DT.INT64, [vi.length], vi)];
    const vf = a.value_floats;
    if (Array.isArray(vf)) return [mk(DT.FLOAT, [vf.length], vf)];
    return fail(node, 'Constant without a tensor, float or int value');
  },
  Shape: (ins, a) => {
    const s = ins[0]!.shape;
    const r = s.length;
    const clamp = (v: number) => Math.min(Math.max(normAxis(v, r), 0), r);
    const start = clamp(attrInt(a, 'start', 0));
    const end = clamp(attrInt(a, 'end', r));
    const d = s.slice(start, end);
    return [mk(DT.INT64, [d.length], d)];
  },
  Size: (ins) => [mk(DT.INT64, [], [numel(ins[0]!.shape)])],
  Gather: (ins, a) => [gatherAxis(ins[0]!, ins[1]!, attrInt(a, 'axis', 0))],
  GatherND: (ins, a, node) => {
    const [data, idx] = [ins[0]!, ins[1]!];
    if (attrInt(a, 'batch_dims', 0) !== 0) fail(node, 'GatherND with batch_dims ≠ 0');
    const k = idx.shape[idx.shape.length - 1]!;
    const shape = [...idx.shape.slice(0, -1), ...data.shape.slice(k)];
    if (!data.value || !idx.value) return [{ dtype: data.dtype, shape }];
    const ds = strides(data.shape);
    const inner = numel(data.shape.slice(k));
    const out: number[] = [];
    const iv = ints(idx);
    for (let t = 0; t < iv.length / k; t++) {
      let off = 0;
      for (let j = 0; j < k; j++) {
        const i = iv[t * k + j]!;
        off += (i < 0 ? i + data.shape[j]! : i) * ds[j]!;
      }
      for (let q = 0; q < inner; q++) out.push(data.value.data[off + q]!);
    }
    return [mk(data.dtype, shape, out)];
  },
  Unsqueeze: (ins, a, node) => {
    const x = ins[0]!;
    const axes = ins[1] ? need(node, ins[1], 'Unsqueeze axes') : attrInts(a, 'axes') ?? [];
    const r = x.shape.length + axes.length;
    const ax = axes.map((v) => normAxis(v, r)).sort((p, q) => p - q);
    const shape = x.shape.slice();
    for (const v of ax) shape.splice(v, 0, 1);
    return [x.value ? mk(x.dtype, shape, x.value.data) : { dtype: x.dtype, shape }];
  },
  Squeeze: (ins, a, node) => {
    const x = ins[0]!;
    const given = ins[1] ? need(node, ins[1], 'Squeeze axes') : attrInts(a, 'axes');
    const ax = new Set((given ?? x.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((v) => normAxis(v, x.shape.length)));
    const shape = x.shape.filter((_d, i) => !ax.has(i));
    return [x.value ? mk(x.dtype, shape, x.value.data) : { dtype: x.dtype, shape }];
  },
  Flatten: (ins, a) => {
    const x = ins[0]!;
    const ax = normAxis(attrInt(a, 'axis', 1), x.shape.length);
    const shape = [numel(x.shape.slice(0, ax)), numel(x.shape.slice(ax))];
    return [x.value ? mk(x.dtype, shape, x.value.data) : { dtype: x.dtype, shape }];
  },
  Concat: (ins, a, node) => {
    const xs = ins.filter((t): t is SymTensor => t !== undefined);
    const r = xs[0]!.shape.length;
    const ax = normAxis(attrInt(a, 'axis', 0), r);
    const shape = xs[0]!.shape.slice();
    shape[ax] = xs.reduce((s, t) => s + t.shape[ax]!, 0);
    for (const t of xs) {
      if (t.shape.length !== r || t.shape.some((d, i) => i !== ax && d !== shape[i])) {
        fail(node, `Concat inputs [${xs.map((x) => `[${x.shape}]`).join(', ')}] disagree off axis ${ax}`);
      }
    }
    if (!allKnown(xs)) return [{ dtype: xs[0]!.dtype, shape }];
    const outer = numel(shape.slice(0, ax));
    const out: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const t of xs) {
        const blk = numel(t.shape.slice(ax));
        for (let k = 0; k < blk; k++) out.push(t.value!.data[o * blk + k]!);
      }
    }
    return [mk(xs[0]!.dtype, shape, out)];
  },
  Reshape: (ins, a, node) => {
    const x = ins[0]!;
    const target = need(node, ins[1], 'Reshape target shape');
    const allowZero = attrInt(a, 'allowzero', 0) === 1;
    const shape = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i]! : d));
    const neg = shape.indexOf(-1);
    if (neg >= 0) {
      const rest = numel(shape.filter((_d, i) => i !== neg));
      shape[neg] = rest === 0 ? 0 : numel(x.shape) / rest;
    }
    if (numel(shape) !== numel(x.shape) || !shape.every(Number.isInteger)) {
      fail(node, `cannot reshape [${x.shape}] to [${target}]`);
    }
    return [x.value ? mk(x.dtype, shape, x.value.data) : { dtype: x.dtype, shape }];
  },
  Expand: (ins, _a, node) => {
    const x = ins[0]!;
    const shape = broadcast(node, [x.shape, need(node, ins[1], 'Expand shape')]);
    if (!x.value) return [{ dtype: x.dtype, shape }];
    const idx = bcastIndex(x.shape, shape);
    return [mk(x.dtype, shape, Array.from(idx, (i) => x.value!.data[i]!))];
  },
  ConstantOfShape: (ins, a, node) => {
    const shape = need(node, ins[0], 'ConstantOfShape shape');
    const v = a.value as TensorValue | undefined;
    const dtype = v?.dtype ?? DT.FLOAT;
    return [mk(dtype, shape, new Float64Array(numel(shape)).fill(v?.data[0] ?? 0))];
  },
  Range: (ins, _a, node) => {
    const [s, l, d] = [0, 1, 2].map((i) => need(node, ins[i], 'Range bound')[0]!);
    const n = Math.max(Math.ceil((l! - s!) / d!), 0);
    return [mk(ins[0]!.dtype, [n], Array.from({ length: n }, (_x, i) => s! + i * d!))];
  },
  Slice: (ins, _a, node) => {
    const x = ins[0]!;
    const r = x.shape.length;
    const starts = need(node, ins[1], 'Slice starts');
    const ends = need(node, ins[2], 'Slice ends');
    const axes = ins[3] ? need(node, ins[3], 'Slice axes').map((v) => normAxis(v, r)) : starts.map((_v, i) => i);
    const steps = ins[4] ? need(node, ins[4], 'Slice steps') : starts.map(() => 1);
    const lo = x.shape.map(() => 0);
    const step = x.shape.map(() => 1);
    const shape = x.shape.slice();
    axes.forEach((ax, i) => {
      const dim = x.shape[ax]!;
      const st = steps[i]!;
      if (st <= 0) fail(node, 'Slice with a non-positive step');
      const c = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
      const b = c(starts[i]!);
      const e = c(ends[i]!);
      lo[ax] = b;
      step[ax] = st;
      shape[ax] = Math.max(Math.ceil((e - b) / st), 0);
    });
    const is = strides(x.shape);
    const offset = lo.reduce((acc, l, a) => acc + l * is[a]!, 0);
    return [stridedCopy(x, shape, step.map((st, a) => st * is[a]!), offset)];
  },
  Transpose: (ins, a) => {
    const x = ins[0]!;
    const perm = attrInts(a, 'perm') ?? x.shape.map((_d, i) => x.shape.length - 1 - i);
    return [transpose(x, perm)];
  },
  MatMul: (ins, _a, node) => {
    const [x, w] = [ins[0]!, ins[1]!];
    if (x.shape.length < 1 || w.shape.length < 2) fail(node, 'MatMul with a vector right-hand side');
    const m = x.shape[x.shape.length - 1]!;
    if (m !== w.shape[w.shape.length - 2]) fail(node, `MatMul inner dims differ: [${x.shape}] × [${w.shape}]`);
    const batch = broadcast(node, [x.shape.slice(0, -2), w.shape.slice(0, -2)]);
    const rows = x.shape.length >= 2 ? [x.shape[x.shape.length - 2]!] : [];
    return [{ dtype: x.dtype, shape: [...batch, ...rows, w.shape[w.shape.length - 1]!] }];
  },
  Gemm: (ins, a) => {
    const tA = attrInt(a, 'transA', 0);
    const tB = attrInt(a, 'transB', 0);
    const m = ins[0]!.shape[tA ? 1 : 0]!;
    const n = ins[1]!.shape[tB ? 0 : 1]!;
    return [{ dtype: ins[0]!.dtype, shape: [m, n] }];
  },
  ReduceMean: (ins, a, node) => {
    const x = ins[0]!;
    const r = x.shape.length;
    const axes = (ins[1] ? need(node, ins[1], 'ReduceMean axes') : attrInts(a, 'axes') ?? x.shape.map((_d, i) => i)).map((v) => normAxis(v, r));
    const keep = attrInt(a, 'keepdims', 1) === 1;
    const shape = keep ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_d, i) => !axes.includes(i));
    return [{ dtype: x.dtype, shape }];
  },
};
