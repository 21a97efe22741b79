/**
 * @fileoverview The op catalogue: the single source of truth for every HE IR op.
 *
 * Each entry gives the op's operands and results, a one-line summary (shown by `hec inspect` and the docs), the
 * levels it consumes and how its result type follows from its operands (`infer`), which the bootstrap-placement
 * pass uses to assign levels and the verifier uses to check them. Semantics are defined by the `sim` backend;
 * this file only states the typing rules.
 */
import { HecError } from './diagnostics.ts';
import { layoutsEqual, printLayout } from './layout.ts';
import type { Op } from './module.ts';
import { ctType, type CtType, type PtType, type Type } from './types.ts';

export interface OpInfo {
  name: string;
  summary: string;
  /** Number of operands, or 'variadic'. */
  operands: number | 'variadic';
  /** Number of results, or 'variadic' (one per entry of an attribute). */
  results: number | 'variadic';
  /**
   * Result types from operand types and attributes, with levels filled in when every operand level is known.
   * Throws a HecError (HEC3xxx) when the operands are not acceptable.
   */
  infer(op: Op, operandTypes: Type[], ctx: InferContext): Type[];
}

export interface InferContext {
  /** Level a bootstrap delivers (ir/params.ts bootstrapOutputLevel). */
  bootstrapOutputLevel: number;
}

function fail(op: Op, msg: string, fix?: string): never {
  throw new HecError('HEC3001', `${op.name}: ${msg}`, { fix, location: op.loc ? { onnxNode: op.loc } : undefined });
}

function asCt(op: Op, t: Type | undefined, which: string): CtType {
  if (t === undefined || t.kind !== 'ct') fail(op, `${which} must be a ciphertext`);
  return t;
}
function asPt(op: Op, t: Type | undefined, which: string): PtType {
  if (t === undefined || t.kind !== 'pt') fail(op, `${which} must be a plaintext`);
  return t;
}

function sameLevel(op: Op, a: number | null, b: number | null): number | null {
  if (a === null || b === null) return null;
  if (a !== b) fail(op, `operands at levels ${a} and ${b}`, 'insert ckks.level_drop on the higher operand (bootstrap-placement does this)');
  return a;
}

/**
 * A result may claim a layout only if its operands share it (junk operands carry no claim); a junk result may
 * combine anything (e.g. partial sums over different cache ciphertexts that a later reduction gives meaning to).
 */
function checkLayouts(op: Op, a: CtType | PtType, b: CtType | PtType): void {
  const declared = op.results[0]?.type.layout;
  if (declared !== undefined && declared.kind === 'junk') return;
  if (a.layout.kind === 'junk' || b.layout.kind === 'junk') return;
  if (!layoutsEqual(a.layout, b.layout)) fail(op, `operand layouts differ: ${printLayout(a.layout)} vs ${printLayout(b.layout)}`, 'declare the result #junk if the kernel combines different layouts');
}

function resultLayout(op: Op, fallback: CtType): CtType['layout'] {
  const declared = op.results[0]?.type;
  return declared !== undefined ? declared.layout : fallback.layout;
}

function minusLevel(l: number | null, k: number): number | null {
  return l === null ? null : l - k;
}

/** Depth of `ckks.poly` of a given degree with hec's Chebyshev evaluation (runtime/poly-eval.ts): see there. */
export function polyDepth(degree: number): number {
  if (degree <= 0) return 0;
  if (degree === 1) return 2;
  return 2 + Math.ceil(Math.log2(degree));
}

function binaryCt(op: Op, ts: Type[]): Type[] {
  const a = asCt(op, ts[0], 'lhs');
  const b = asCt(op, ts[1], 'rhs');
  if (a.scale !== b.scale) fail(op, `operand scales differ: Δ^${a.scale} vs Δ^${b.scale}`, 'rescale the product first');
  checkLayouts(op, a, b);
  return [ctType(resultLayout(op, a), sameLevel(op, a.level, b.level), a.scale, a.size === 3 || b.size === 3 ? 3 : 2)];
}

function unaryKeep(op: Op, ts: Type[]): Type[] {
  const a = asCt(op, ts[0], 'operand');
  return [ctType(resultLayout(op, a), a.level, a.scale, a.size)];
}

function needRescaled(op: Op, a: CtType): void {
  if (a.scale !== 1) fail(op, 'operand has scale Δ² (a product awaiting ckks.rescale)', 'insert ckks.rescale after the multiplication');
  if (a.size !== 2) fail(op, 'operand is unrelinearised', 'insert ckks.relinearize');
}

const OPS: OpInfo[] = [
  {
    name: 'ckks.encode',
    summary: 'encode a plaintext from a slot-vector source (weights, masks, RoPE tables) at a level',
    operands: 0,
    results: 1,
    infer(op) {
      const t = op.results[0]?.type;
      if (t === undefined || t.kind !== 'pt') fail(op, 'result must be a plaintext');
      if (typeof op.attrs.src !== 'object') fail(op, "missing 'src' attribute");
      return [t];
    },
  },
  { name: 'ckks.add', summary: 'ct + ct', operands: 2, results: 1, infer: (op, ts) => binaryCt(op, ts) },
  { name: 'ckks.sub', summary: 'ct - ct', operands: 2, results: 1, infer: (op, ts) => binaryCt(op, ts) },
  { name: 'ckks.negate', summary: '-ct', operands: 1, results: 1, infer: (op, ts) => unaryKeep(op, ts) },
  {
    name: 'ckks.add_plain',
    summary: 'ct + pt (pt at the same level and scale)',
    operands: 2,
    results: 1,
    infer(op, ts) {
      const a = asCt(op, ts[0], 'lhs');
      const p = asPt(op, ts[1], 'rhs');
      if (p.level !== null && a.level !== null && p.level !== a.level) fail(op, `plaintext at level ${p.level}, ciphertext at ${a.level}`);
      if (a.scale !== p.scale) fail(op, `scales differ: Δ^${a.scale} vs Δ^${p.scale}`);
      return [ctType(resultLayout(op, a), a.level, a.scale, a.size)];
    },
  },
  {
    name: 'ckks.mul_plain',
    summary: 'ct ⊙ pt; result at scale Δ² until ckks.rescale',
    operands: 2,
    results: 1,
    infer(op, ts) {
      const a = asCt(op, ts[0], 'lhs');
      const p = asPt(op, ts[1], 'rhs');
      needRescaled(op, a);
      if (p.level !== null && a.level !== null && p.level !== a.level) fail(op, `plaintext at level ${p.level}, ciphertext at ${a.level}`);
      return [ctType(resultLayout(op, a), a.level, 2)];
    },
  },
  {
    name: 'ckks.add_const',
    summary: 'ct + c for a real constant c (attribute value)',
    operands: 1,
    results: 1,
    infer(op, ts) {
      if (typeof op.attrs.value !== 'number') fail(op, "missing numeric 'value'");
      return unaryKeep(op, ts);
    },
  },
  {
    name: 'ckks.mul_const',
    summary: 'ct · c for a real constant c (attribute value); result at scale Δ²',
    operands: 1,
    results: 1,
    infer(op, ts) {
      if (typeof op.attrs.value !== 'number') fail(op, "missing numeric 'value'");
      const a = asCt(op, ts[0], 'operand');
      needRescaled(op, a);
      return [ctType(resultLayout(op, a), a.level, 2)];
    },
  },
  {
    name: 'ckks.mul',
    summary: 'ct ⊗ ct, unrelinearised (size 3) until ckks.relinearize; scale Δ²',
    operands: 2,
    results: 1,
    infer(op, ts) {
      const a = asCt(op, ts[0], 'lhs');
      const b = asCt(op, ts[1], 'rhs');
      needRescaled(op, a);
      needRescaled(op, b);
      return [ctType(resultLayout(op, a), sameLevel(op, a.level, b.level), 2, 3)];
    },
  },
  {
    name: 'ckks.relinearize',
    summary: 'key-switch a size-3 product back to size 2 (relinearisation key)',
    operands: 1,
    results: 1,
    infer(op, ts) {
      const a = asCt(op, ts[0], 'operand');
      if (a.size !== 3) fail(op, 'operand is already relinearised');
      return [ctType(resultLayout(op, a), a.level, a.scale, 2)];
    },
  },
  {
    name: 'ckks.rescale',
    summary: 'divide by q_level: scale Δ² → Δ, level − 1',
    operands: 1,
    results: 1,
    infer(op, ts) {
      const a = asCt(op, ts[0], 'operand');
      if (a.scale !== 2) fail(op, 'operand is already at scale Δ');
      if (a.level !== null && a.level < 1) fail(op, `rescale at level ${a.level}`, 'bootstrap before this op');
      return [ctType(resultLayout(op, a), minusLevel(a.level, 1), 1, a.size)];
    },
  },
  {
    name: 'ckks.level_drop',
    summary: 'drop to a lower level (attribute level), keeping the canonical scale',
    operands: 1,
    results: 1,
    infer(op, ts) {
      const a = asCt(op, ts[0], 'operand');
      needRescaled(op, a);
      const to = op.attrs.level;
      if (typeof to !== 'number') fail(op, "missing numeric 'level'");
      if (a.level !== null && to > a.level) fail(op, `cannot raise level ${a.level} to ${to}`, 'use ckks.bootstrap to raise levels');
      return [ctType(resultLayout(op, a), to, 1)];
    },
  },
  {
    name: 'ckks.rotate',
    summary: 'left-rotate slots by offset: out[i] = in[(i + offset) mod slots]',
    operands: 1,
    results: 1,
    infer(op, ts) {
      if (typeof op.attrs.offset !== 'number') fail(op, "missing numeric 'offset'");
      const a = asCt(op, ts[0], 'operand');
      needRescaled(op, a);
      return [ctType(resultLayout(op, a), a.level, 1)];
    },
  },
  {
    name: 'ckks.rotate_hoisted',
    summary: 'several left rotations of one ciphertext sharing one key-switch decomposition (attribute offsets)',
    operands: 1,
    results: 'variadic',
    infer(op, ts) {
      const offs = op.attrs.offsets;
      if (!Array.isArray(offs) || offs.some((o) => typeof o !== 'number')) fail(op, "missing numeric array 'offsets'");
      if (offs.length !== op.results.length) fail(op, `${offs.length} offsets but ${op.results.length} results`);
      const a = asCt(op, ts[0], 'operand');
      needRescaled(op, a);
      return op.results.map((r) => ctType(r.type.layout, a.level, 1));
    },
  },
  { name: 'ckks.conjugate', summary: 'complex-conjugate every slot', operands: 1, results: 1, infer: (op, ts) => unaryKeep(op, ts) },
  {
    name: 'ckks.bootstrap',
    summary: 'refresh to the bootstrap output level; requires |x| ≤ range (the 1/range scaling is folded into the circuit)',
    operands: 1,
    results: 1,
    infer(op, ts, ctx) {
      const a = asCt(op, ts[0], 'operand');
      needRescaled(op, a);
      const range = op.attrs.range;
      if (typeof range !== 'number' || !(range > 0)) fail(op, "missing positive 'range'");
      if (ctx.bootstrapOutputLevel < 0) fail(op, 'parameters cannot bootstrap', 'pick a preset with bootstrapping (e.g. N16_BOOT_DENSE)');
      return [ctType(resultLayout(op, a), ctx.bootstrapOutputLevel, 1)];
    },
  },
  {
    name: 'ckks.poly',
    summary: 'Chebyshev series Σ c_k T_k(u), u = (2x − a − b)/(b − a), on domain [a, b]',
    operands: 1,
    results: 1,
    infer(op, ts) {
      const a = asCt(op, ts[0], 'operand');
      needRescaled(op, a);
      const coeffs = op.attrs.coeffs;
      const dom = op.attrs.domain;
      if (!Array.isArray(coeffs) || coeffs.length === 0 || coeffs.some((c) => typeof c !== 'number')) fail(op, "missing numeric array 'coeffs'");
      if (!Array.isArray(dom) || dom.length !== 2 || typeof dom[0] !== 'number' || typeof dom[1] !== 'number' || !(dom[1] > dom[0])) {
        fail(op, "'domain' must be [a, b] with a < b");
      }
      const depth = polyDepth(coeffs.length - 1);
      if (a.level !== null && a.level < depth) fail(op, `needs ${depth} levels, operand has ${a.level}`, 'bootstrap before this op');
      return [ctType(resultLayout(op, a), minusLevel(a.level, depth), 1)];
    },
  },
  {
    name: 'ckks.nonlinear',
    summary: 'a non-linear function (fn = exp | silu | inv | inv_sqrt) on a calibrated domain; poly-approx replaces it',
    operands: 1,
    results: 1,
    infer(op, ts) {
      const a = asCt(op, ts[0], 'operand');
      const fn = op.attrs.fn;
      if (fn !== 'exp' && fn !== 'silu' && fn !== 'inv' && fn !== 'inv_sqrt') fail(op, `unknown fn '${String(fn)}'`);
      return [ctType(resultLayout(op, a), null, 1)];
    },
  },
  {
    name: 'ckks.return',
    summary: 'return the step outputs; attribute names gives each a name (state names carry values to the next step)',
    operands: 'variadic',
    results: 0,
    infer(op) {
      const names = op.attrs.names;
      if (!Array.isArray(names) || names.length !== op.operands.length) fail(op, "'names' must name every operand");
      return [];
    },
  },
];

export const OP_REGISTRY: ReadonlyMap<string, OpInfo> = (() => {
  const m = new Map<string, OpInfo>();
  for (const o of OPS) {
    if (m.has(o.name)) throw new Error(`internal error: duplicate op ${o.name}`);
    m.set(o.name, o);
  }
  return m;
})();

export function opInfo(name: string): OpInfo {
  const info = OP_REGISTRY.get(name);
  if (info === undefined) {
    throw new HecError('HEC3002', `unknown op '${name}'`, { fix: `known ops: ${[...OP_REGISTRY.keys()].join(', ')}` });
  }
  return info;
}
