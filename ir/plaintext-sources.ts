/**
 * @fileoverview Plaintext sources: the `src` attribute of `ckks.encode`, and the one function that turns a source
 * into slot values.
 *
 * Weights are never inlined in the IR: a source names a weight tensor of the model (an ONNX initializer) plus the
 * index arithmetic that places its elements in slots (a diagonal of a matrix, a bias vector). Position-dependent
 * sources (RoPE tables, the KV-cache write mask, the attention validity mask) are evaluated for the decoding step's
 * position, which is public. The compiler emits sources, `sim` and every backend's executor evaluate them here,
 * so there is exactly one definition of each.
 *
 * Each kind is one `PlaintextSourceKind` object (evaluation, whether it depends on the position, the weights it
 * reads) in the explicit list SOURCE_KINDS; a duplicate kind is an error. A packing that needs a new plaintext
 * (e.g. Cachemir's interleaved diagonals) adds one object here.
 */
import { HecError } from './diagnostics.ts';
import { layoutFromFields, slotOf, type Layout } from './layout.ts';
import { isAttrDict, type Attr, type AttrDict } from './types.ts';

/** Read access to weights by name: row-major data and shape. */
export interface WeightStore {
  get(name: string): { shape: number[]; data: Float32Array };
}

/** Grouped-query index map: derived index g·headDim + j reads source index (g·group + index)·headDim + j. */
interface GroupMap {
  group: number;
  index: number;
  headDim: number;
}

function groupMap(a: Attr | undefined): GroupMap | null {
  if (!isAttrDict(a)) return null;
  return { group: num(a, 'group'), index: num(a, 'index'), headDim: num(a, 'head_dim') };
}

function num(d: AttrDict, k: string): number {
  const v = d[k];
  if (typeof v !== 'number') throw new HecError('HEC5010', `plaintext source field '${k}' must be a number`);
  return v;
}
function str(d: AttrDict, k: string): string {
  const v = d[k];
  if (typeof v !== 'string') throw new HecError('HEC5010', `plaintext source field '${k}' must be a string`);
  return v;
}

function mapIndex(m: GroupMap | null, i: number): number {
  if (m === null) return i;
  const g = Math.floor(i / m.headDim);
  return (g * m.group + m.index) * m.headDim + (i % m.headDim);
}

/** A matrix element accessor M(r, c) for a `matrix` spec (row-major [out, in] view). */
function matrixAccessor(spec: AttrDict, weights: WeightStore): (r: number, c: number) => number {
  const w = weights.get(str(spec, 'weight'));
  const transpose = spec.transpose === true;
  const rows = groupMap(spec.rows);
  const cols = groupMap(spec.cols);
  const scale = typeof spec.scale === 'number' ? spec.scale : 1;
  const colScaleName = typeof spec.col_scale === 'string' ? spec.col_scale : '';
  const colScale = colScaleName !== '' ? weights.get(colScaleName).data : null;
  const [d0, d1] = [w.shape[0]!, w.shape[1]!];
  const outDim = transpose ? d1 : d0;
  const inDim = transpose ? d0 : d1;
  return (r, c) => {
    const rr = mapIndex(rows, r);
    const cc = mapIndex(cols, c);
    if (rr >= outDim || cc >= inDim) return 0;
    const v = transpose ? w.data[cc * d1 + rr]! : w.data[rr * d1 + cc]!;
    return v * scale * (colScale !== null ? colScale[cc]! : 1);
  };
}

/** One kind of plaintext source: the `kind` field of a `src` attribute. */
export interface PlaintextSourceKind {
  kind: string;
  /** True when the slots depend on the decoding position (re-encoded every step). */
  positional: boolean;
  /** Evaluate the source into `slots` real slot values (zero-initialised `out`). */
  evaluate(src: AttrDict, out: Float64Array, weights: WeightStore, position: number): void;
}

/** Diagonal k of a matrix for the replicated diagonal method, pre-rotated right by `shift` (BSGS giant step). */
const diagSource: PlaintextSourceKind = {
  kind: 'diag',
  positional: false,
  evaluate(src, out, weights) {
    // out[i] = M(j mod outPeriod, (j + k) mod inPeriod) with j = i − shift.
    if (!isAttrDict(src.matrix)) throw new HecError('HEC5010', "diag source needs a 'matrix'");
    const slots = out.length;
    const m = matrixAccessor(src.matrix, weights);
    const k = num(src, 'k');
    const inN = num(src, 'in_n');
    const inP = num(src, 'in_period');
    const outM = num(src, 'out_m');
    const outP = num(src, 'out_period');
    const shift = num(src, 'shift');
    for (let i = 0; i < slots; i++) {
      const j = (((i - shift) % slots) + slots) % slots;
      const r = j % outP;
      const c = (j + k) % inP;
      if (r < outM && c < inN) out[i] = m(r, c);
    }
  },
};

/** A weight vector replicated with a period (optionally through a grouped-query index map), scaled. */
const vectorSource: PlaintextSourceKind = {
  kind: 'vector',
  positional: false,
  evaluate(src, out, weights) {
    const w = weights.get(str(src, 'weight'));
    const map = groupMap(src.map);
    const n = num(src, 'n');
    const period = num(src, 'period');
    const scale = typeof src.scale === 'number' ? src.scale : 1;
    for (let i = 0; i < out.length; i++) {
      const r = i % period;
      if (r < n) out[i] = w.data[mapIndex(map, r)]! * scale;
    }
  },
};

/**
 * Rotary tables for features laid out head-major in a period: feature g·headDim + j. rotate_half pairs
 * (j, j + headDim/2); interleaved pairs (2i, 2i + 1). `sin_lo` multiplies the left-rotated copy (partner above),
 * `sin_hi` the right-rotated copy (partner below).
 */
const ropeSource: PlaintextSourceKind = {
  kind: 'rope',
  positional: true,
  evaluate(src, out, _weights, position) {
    const headDim = num(src, 'head_dim');
    const heads = num(src, 'heads');
    const period = num(src, 'period');
    const theta = num(src, 'theta');
    const part = str(src, 'part');
    const half = headDim / 2;
    const interleaved = src.style === 'interleaved';
    for (let i = 0; i < out.length; i++) {
      const r = i % period;
      if (r >= heads * headDim) continue;
      const j = r % headDim;
      const fi = interleaved ? Math.floor(j / 2) : j % half;
      const angle = position * Math.pow(theta, (-2 * fi) / headDim);
      const lower = interleaved ? j % 2 === 0 : j < half;
      if (part === 'cos') out[i] = Math.cos(angle);
      else if (part === 'sin_lo') out[i] = lower ? -Math.sin(angle) : 0;
      else if (part === 'sin_hi') out[i] = lower ? 0 : Math.sin(angle);
      else throw new HecError('HEC5010', `unknown rope part '${part}'`);
    }
  },
};

/** 1 on the block of the current token inside this cache ciphertext (tokens base .. base+capacity−1). */
const tokenMaskSource: PlaintextSourceKind = {
  kind: 'token_mask',
  positional: true,
  evaluate(src, out, _weights, position) {
    const t = position - num(src, 'base');
    const block = num(src, 'block');
    const width = num(src, 'width');
    if (t >= 0 && t < num(src, 'capacity')) out.fill(1, t * block, t * block + width);
  },
};

/** 1 at the score slot of every (token ≤ position, head) held by this cache ciphertext. */
const headMaskSource: PlaintextSourceKind = {
  kind: 'head_mask',
  positional: true,
  evaluate(src, out, _weights, position) {
    const base = num(src, 'base');
    const block = num(src, 'block');
    const headDim = num(src, 'head_dim');
    const heads = num(src, 'heads');
    const last = Math.min(num(src, 'capacity') - 1, position - base);
    for (let t = 0; t <= last; t++) for (let h = 0; h < heads; h++) out[t * block + h * headDim] = 1;
  },
};

/**
 * A weight plaintext of Cachemir's square interleaved replicated product (passes/kernels/matvec-irp.ts), giant
 * index g and baby index j of M = `baby`: out[b·t + k] = W[(b − g·M·t) mod d][(b + k + j·t) mod d] for b < d, k < t.
 */
const irpDiagSource: PlaintextSourceKind = {
  kind: 'irp_diag',
  positional: false,
  evaluate(src, out, weights) {
    if (!isAttrDict(src.matrix)) throw new HecError('HEC5010', "irp_diag source needs a 'matrix'");
    const m = matrixAccessor(src.matrix, weights);
    const d = num(src, 'd');
    const t = num(src, 't');
    const g = num(src, 'g');
    const j = num(src, 'j');
    const baby = num(src, 'baby');
    const mod = (v: number) => ((v % d) + d) % d;
    for (let b = 0; b < d; b++) for (let k = 0; k < t; k++) out[b * t + k] = m(mod(b - g * baby * t), mod(b + k + j * t));
  },
};

/**
 * `value` on every zero slot of a layout (slotOf = −1), 0 elsewhere: added to an approximation's input so that the
 * slots a clean layout leaves at 0 sit inside the polynomial's domain too (passes/poly-approx.ts, issue #13).
 */
const zeroSlotFillSource: PlaintextSourceKind = {
  kind: 'zero_slot_fill',
  positional: false,
  evaluate(src, out) {
    const l = zeroSlotFillLayout(src);
    const value = num(src, 'value');
    for (let i = 0; i < out.length; i++) if (slotOf(l, i) === -1) out[i] = value;
  },
};

/** Every plaintext source kind, explicitly (a duplicate kind is an error). */
export const SOURCE_KINDS: readonly PlaintextSourceKind[] = [diagSource, vectorSource, ropeSource, tokenMaskSource, headMaskSource, irpDiagSource, zeroSlotFillSource];

const BY_KIND: ReadonlyMap<string, PlaintextSourceKind> = (() => {
  const m = new Map<string, PlaintextSourceKind>();
  for (const k of SOURCE_KINDS) {
    if (m.has(k.kind)) throw new Error(`internal error: duplicate plaintext source kind ${k.kind}`);
    m.set(k.kind, k);
  }
  return m;
})();

/** The kind object of a source; HEC5010 for a kind hec does not know. */
export function sourceKind(src: AttrDict): PlaintextSourceKind {
  const k = typeof src.kind === 'string' ? BY_KIND.get(src.kind) : undefined;
  if (k === undefined) {
    throw new HecError('HEC5010', `unknown plaintext source kind '${String(src.kind)}'`, { fix: `known kinds: ${SOURCE_KINDS.map((x) => x.kind).join(', ')}` });
  }
  return k;
}

/** Names of the weights a source reads (for `run`'s availability check and for hashing). */
export function sourceWeights(src: AttrDict): string[] {
  const out: string[] = [];
  if (isAttrDict(src.matrix)) {
    out.push(str(src.matrix, 'weight'));
    if (typeof src.matrix.col_scale === 'string' && src.matrix.col_scale !== '') out.push(src.matrix.col_scale);
  }
  if (typeof src.weight === 'string') out.push(src.weight);
  return out;
}

/** The layout a `zero_slot_fill` source fills: its kind in `layout`, its fields (snake case) in `fields`. */
function zeroSlotFillLayout(src: AttrDict): Layout {
  const fields: Record<string, number> = {};
  if (!isAttrDict(src.fields)) throw new HecError('HEC5010', "zero_slot_fill source needs 'fields'");
  for (const [k, v] of Object.entries(src.fields)) {
    if (typeof v !== 'number') throw new HecError('HEC5010', `zero_slot_fill field '${k}' must be a number`);
    fields[k] = v;
  }
  return layoutFromFields(str(src, 'layout'), fields);
}

/** True when the source depends on the decoding position (re-encoded every step). */
export function isPositional(src: AttrDict): boolean {
  return sourceKind(src).positional;
}

/** Evaluate a plaintext source into `slots` real slot values. */
export function evaluateSource(src: AttrDict, slots: number, weights: WeightStore, position: number): Float64Array {
  const out = new Float64Array(slots);
  sourceKind(src).evaluate(src, out, weights, position);
  return out;
}
