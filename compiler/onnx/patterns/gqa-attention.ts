/**
 * @fileoverview Grouped-query attention for one new token over the KV cache.
 *
 *   q = rope(heads(q_proj(x))), k = rope(heads(k_proj(x))), v = heads(v_proj(x))
 *   present.key/value = concat(past, k / v)
 *   ctx = softmax(q·Kᵀ / √D [+ mask]) · V with K, V repeated per query group (repeat_kv)
 *   o_proj(merge_heads(ctx))
 *
 * Exporters reshuffle K and V very differently (legacy: Unsqueeze/Expand/Reshape then Transpose; dynamo: 3-D
 * Reshape/Transpose pairs). Rather than matching each spelling, the data-movement chain from present.key/value to
 * the attention MatMuls is executed on an index tensor and the result checked against repeat_kv (query head h reads
 * KV head ⌊h / (H / Hkv)⌋), which is exactly the property lowering relies on.
 */
import type { OnnxNode } from '../load.ts';
import { OPS, type SymTensor } from '../ops.ts';
import type { KvLayerIo } from './kv-cache-io.ts';
import { matchLinear, type LinearMatch } from './linear.ts';
import { Matcher } from './match.ts';
import { matchRotary } from './rotary.ts';

export interface HeadsMatch {
  /** The flat projection output [1, 1, heads·D]. */
  flat: string;
  heads: number;
  headDim: number;
}

/** heads(z) = Transpose(Reshape(z, [1, 1, H, D]), [0, 2, 1, 3]). */
export function matchHeads(m: Matcher, t: string, what: string): HeadsMatch {
  const tr = m.expect(t, ['Transpose'], `${what} head split transpose`);
  const perm = tr.attrs.perm;
  if (!Array.isArray(perm) || perm.join() !== '0,2,1,3') throw m.error(tr, `expected ${what} Transpose perm [0,2,1,3]`);
  const rs = m.expect(tr.inputs[0]!, ['Reshape'], `${what} head split reshape`);
  const s = m.shape(rs.outputs[0]!);
  if (s.length !== 4 || s[0] !== 1 || s[1] !== 1) throw m.error(rs, `expected ${what} reshape to [1, 1, heads, headDim], found [${s}]`);
  return { flat: rs.inputs[0]!, heads: s[2]!, headDim: s[3]! };
}

/** Strip Mul/Div by scalar constants from `t`; returns the core tensor and the accumulated factor. */
function stripScale(m: Matcher, t: string): { t: string; scale: number } {
  let scale = 1;
  for (;;) {
    const n = m.prod(m.src(t));
    if (n?.opType === 'Mul') {
      const k = n.inputs.findIndex((i) => m.scalar(i) !== undefined);
      if (k >= 0) {
        scale *= m.scalar(n.inputs[k]!)!;
        t = n.inputs[1 - k]!;
        continue;
      }
    }
    if (n?.opType === 'Div' && m.scalar(n.inputs[1]!) !== undefined && m.value(n.inputs[0]!) === undefined) {
      scale /= m.scalar(n.inputs[1]!)!;
      t = n.inputs[0]!;
      continue;
    }
    return { t: m.src(t), scale };
  }
}

const MOVES = new Set(['Transpose', 'Reshape', 'Expand', 'Unsqueeze', 'Squeeze', 'Flatten', 'Identity']);

/**
 * Run the pure data-movement chain from `from` to `to` on an index tensor, returning the index each element of `to`
 * holds. Throws when a node on the chain computes anything.
 */
function traceIndices(m: Matcher, from: string, to: string, what: string): SymTensor {
  const chain: OnnxNode[] = [];
  let t = m.src(to);
  while (t !== from) {
    const n = m.prod(t);
    if (!n || !MOVES.has(n.opType)) {
      throw m.error(n, `expected ${what} to be ${from} rearranged (Transpose/Reshape/Expand/Unsqueeze), found ` +
        (n ? `${n.opType}` : `input ${t}`));
    }
    chain.unshift(n);
    t = m.src(n.inputs[0]!);
  }
  const shape = m.shape(from);
  let cur: SymTensor = { dtype: 1, shape, value: { dtype: 7, shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_x, i) => i) } };
  for (const n of chain) {
    const ins = n.inputs.map((i, k) => (k === 0 ? cur : i === '' ? undefined : m.g.tensors.get(i)));
    cur = OPS[n.opType]!(ins, n.attrs, n)[0]!;
  }
  return cur;
}

/** Check that `got` holds repeat_kv(present)[1, H, T, D], transposed to [1, H, D, T] when `transposed`. */
function checkRepeatKv(m: Matcher, got: SymTensor, kv: [number, number, number], heads: number, transposed: boolean,
  at: OnnxNode | undefined, what: string): void {
  const [kvh, T, D] = kv;
  const want = transposed ? [1, heads, D, T] : [1, heads, T, D];
  const ok = got.shape.join() === want.join() && got.value!.data.every((v, i) => {
    const h = Math.floor(i / (T * D));
    const r = i % (T * D);
    const [t, d] = transposed ? [r % T, Math.floor(r / T)] : [Math.floor(r / D), r % D];
    return v === ((Math.floor(h / (heads / kvh)) * T + t) * D + d);
  });
  if (!ok) throw m.error(at, `expected ${what} to be the KV cache repeated per query group (repeat_kv), shape [${want}]`);
}

export interface AttentionMatch {
  q: LinearMatch;
  k: LinearMatch;
  v: LinearMatch;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Any rotary cos table of this layer (θ is read from it). */
  cos: string;
}

/** Match the attention block whose merged context is `ctxFlat` (the o_proj input), using the layer's KV I/O. */
export function matchAttention(m: Matcher, ctxFlat: string, kv: KvLayerIo, what: string): AttentionMatch {
  const merge = m.expect(ctxFlat, ['Reshape'], `${what} merge heads`);
  const tr = m.expect(merge.inputs[0]!, ['Transpose'], `${what} merge-heads transpose`);
  if (!Array.isArray(tr.attrs.perm) || tr.attrs.perm.join() !== '0,2,1,3') throw m.error(tr, `expected ${what} Transpose perm [0,2,1,3]`);
  const pv = m.expect(tr.inputs[0]!, ['MatMul'], `${what} probabilities × V`);
  const sm = m.expect(pv.inputs[0]!, ['Softmax'], `${what} softmax`);
  const rank = m.shape(sm.inputs[0]!).length;
  if (sm.attrs.axis !== -1 && sm.attrs.axis !== rank - 1) throw m.error(sm, `expected ${what} Softmax over the last axis`);
  const s = stripScale(m, sm.inputs[0]!);
  const qk = m.expect(s.t, ['MatMul'], `${what} scores q·Kᵀ`);
  const qs = stripScale(m, qk.inputs[0]!);
  const ks = stripScale(m, qk.inputs[1]!);
  const scale = s.scale * qs.scale * ks.scale;

  const kRot = matchRotary(m, kv.newKey, `${what} key`);
  const kh = matchHeads(m, kRot.x, `${what} key`);
  const k = matchLinear(m, kh.flat, `${what} k_proj`);
  const vh = matchHeads(m, kv.newValue, `${what} value`);
  const v = matchLinear(m, vh.flat, `${what} v_proj`);
  const qRot = matchRotary(m, qs.t, `${what} query`);
  const qh = matchHeads(m, qRot.x, `${what} query`);
  const q = matchLinear(m, qh.flat, `${what} q_proj`);

  const D = qh.headDim;
  if (kh.headDim !== D || vh.headDim !== D || kh.heads !== vh.heads || qh.heads % kh.heads !== 0) {
    throw m.error(qk, `${what}: q has ${qh.heads}×${D}, k ${kh.heads}×${kh.headDim}, v ${vh.heads}×${vh.headDim}; ` +
      'expected equal head dims and query heads a multiple of KV heads', 'HEC1022');
  }
  if (Math.abs(scale * Math.sqrt(D) - 1) > 1e-5) {
    throw m.error(qk, `${what}: attention scale is ${scale}, expected 1/√${D} = ${1 / Math.sqrt(D)}`, 'HEC1022');
  }
  const T = m.shape(kv.presentKey)[2]!;
  const kT = traceIndices(m, kv.presentKey, ks.t, `${what} Kᵀ`);
  checkRepeatKv(m, kT, [kh.heads, T, D], qh.heads, true, qk, `${what} Kᵀ`);
  const vr = traceIndices(m, kv.presentValue, pv.inputs[1]!, `${what} V`);
  checkRepeatKv(m, vr, [kh.heads, T, D], qh.heads, false, pv, `${what} V`);
  return { q, k, v, numHeads: qh.heads, numKvHeads: kh.heads, headDim: D, cos: qRot.cos };
}
