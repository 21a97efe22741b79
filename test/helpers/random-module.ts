/**
 * @fileoverview Seeded random HE IR modules for round-trip and verifier tests.
 *
 * Every op is built with result types taken from the op's own typing rule (OP_REGISTRY `infer`), and ops whose
 * operands the rule rejects are dropped, so each module passes `verifyModule(m, RANDOM_CTX)`. Attribute values,
 * names and locations are drawn to stress the printer: `nan`, `±inf`, `-0`, tiny and huge exponents, strings with
 * escapes, nested dicts, dotted value names.
 */
import type { Layout } from '../../ir/layout.ts';
import { nameAllocator, type Func, type FuncArg, type Module, type Op, type Value } from '../../ir/module.ts';
import { OP_REGISTRY, type InferContext } from '../../ir/ops.ts';
import { ctType, ptType, type Attr, type AttrDict, type Type } from '../../ir/types.ts';
import { seededRandom } from './seeded.ts';

export const RANDOM_CTX: InferContext = { bootstrapOutputLevel: 6 };

type Rng = () => number;
const int = (r: Rng, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const SPECIAL_NUMBERS = [0, -0, 1, -1, 0.5, NaN, Infinity, -Infinity, 1e-300, 1.5e300, 123456789012, 2 ** 53, 5e-324, 1e21, 0.1];
const STRINGS = ['', 'plain', 'a"quote', 'back\\slash', 'new\nline', 'tab\t', 'unicode Δ²', '\u0001ctl', 'emoji 😀', '// not a comment'];

export function randomNumber(r: Rng): number {
  const u = r();
  if (u < 0.3) return pick(r, SPECIAL_NUMBERS);
  if (u < 0.6) return int(r, -1000, 1000);
  return (r() - 0.5) * 10 ** int(r, -8, 8);
}

export function randomAttr(r: Rng, depth = 0): Attr {
  const u = r();
  if (u < 0.35 || depth > 2) return randomNumber(r);
  if (u < 0.6) return pick(r, STRINGS);
  if (u < 0.7) return r() < 0.5;
  if (u < 0.85) return Array.from({ length: int(r, 0, 3) }, () => randomAttr(r, depth + 1));
  return randomDict(r, depth + 1);
}

function randomDict(r: Rng, depth: number): AttrDict {
  const d: AttrDict = {};
  for (let i = int(r, 0, 3); i > 0; i--) d[pick(r, ['a', 'b_1', 'level', 'size', 'layout', 'true', 'nan', 'x', 'func', 'odd key', 'k.v', '', '"q"'])] = randomAttr(r, depth);
  return d;
}

export function randomLayout(r: Rng): Layout {
  switch (int(r, 0, 4)) {
    case 0:
      return { kind: 'rep', n: int(r, 1, 8), period: pick(r, [8, 16]) };
    case 1:
      return { kind: 'tokens', width: int(r, 1, 4), block: 4, base: int(r, 0, 3), capacity: 4 };
    case 2:
      return { kind: 'heads', heads: int(r, 1, 2), headDim: 2, block: 4, base: int(r, 0, 2), capacity: 4, clean: r() < 0.5 };
    case 3:
      return { kind: 'bcast', heads: int(r, 1, 2), headDim: 2, block: 4, base: 0, capacity: 4 };
    default:
      return { kind: 'junk' };
  }
}

const GEN_OPS = [...OP_REGISTRY.keys()].filter((n) => n !== 'ckks.return' && n !== 'ckks.encode');

function typesEqual(a: Type, b: Type): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function randomFunc(r: Rng, name: string, nOps: number): Func {
  const known = r() < 0.6;
  const palette = [randomLayout(r), randomLayout(r), { kind: 'junk' } as Layout];
  const lay = (): Layout => ({ ...pick(r, palette) });
  const names = nameAllocator();
  const hint = (): string | undefined => (r() < 0.3 ? pick(r, ['q', 'k.cache', 'attn_0', 'x.y.z', 'v']) : undefined);
  const args: FuncArg[] = [];
  for (let i = int(r, 1, 3); i > 0; i--) {
    const value: Value = { name: names(hint() ?? 'arg'), type: ctType(lay(), known ? int(r, 3, 9) : null), def: null };
    const attrs: AttrDict = r() < 0.5 ? { role: 'input' } : { role: 'state', state: `s${args.length}` };
    if (r() < 0.3) attrs.extra = randomAttr(r);
    args.push({ value, attrs });
  }
  const cts: Value[] = args.map((a) => a.value);
  const pts: Value[] = [];
  const ops: Op[] = [];
  const encode = (level: number | null, scale: 1 | 2): Value => {
    const res: Value = { name: names(hint()), type: ptType(lay(), level, scale), def: null };
    const op: Op = { name: 'ckks.encode', operands: [], results: [res], attrs: { src: { kind: 'weight', name: pick(r, STRINGS), index: int(r, 0, 99) } } };
    res.def = op;
    ops.push(op);
    pts.push(res);
    return res;
  };
  const attrsFor = (name: string): AttrDict => {
    switch (name) {
      case 'ckks.add_const':
      case 'ckks.mul_const':
        return { value: randomNumber(r) };
      case 'ckks.level_drop':
        return { level: int(r, 0, 9) };
      case 'ckks.rotate':
        return { offset: int(r, -16, 16) };
      case 'ckks.rotate_hoisted':
        return { offsets: Array.from({ length: int(r, 1, 3) }, () => int(r, -16, 16)) };
      case 'ckks.bootstrap':
        return { range: pick(r, [1, 4, 64.5]) };
      case 'ckks.poly': {
        const a = -int(r, 1, 8);
        return { coeffs: Array.from({ length: int(r, 1, 5) }, () => randomNumber(r)), domain: [a, a + int(r, 1, 16)] };
      }
      case 'ckks.nonlinear':
        return { fn: pick(r, ['exp', 'silu', 'inv', 'inv_sqrt']) };
      default:
        return {};
    }
  };
  for (let k = 0; k < nOps; k++) {
    const u = r();
    if (u < 0.08) {
      encode(known ? int(r, 0, 9) : null, r() < 0.5 ? 1 : 2);
      continue;
    }
    const name = pick(r, GEN_OPS);
    const info = OP_REGISTRY.get(name)!;
    for (let attempt = 0; attempt < 4; attempt++) {
      const a = pick(r, cts);
      const operands: Value[] = [a];
      if (info.operands === 2) {
        if (name === 'ckks.add_plain' || name === 'ckks.mul_plain') operands.push(r() < 0.3 && pts.length > 0 ? pick(r, pts) : encode(a.type.level, name === 'ckks.add_plain' ? a.type.scale : 1));
        else {
          const same = cts.filter((b) => b.type.level === a.type.level && b.type.scale === a.type.scale);
          operands.push(pick(r, same));
        }
      }
      const attrs = attrsFor(name);
      if (r() < 0.1) attrs.note = randomAttr(r);
      const nRes = name === 'ckks.rotate_hoisted' ? (attrs.offsets as number[]).length : 1;
      const op: Op = { name, operands, results: [], attrs };
      for (let i = 0; i < nRes; i++) op.results.push({ name: names(hint()), type: ctType(lay()), def: op });
      if (r() < 0.3) op.loc = `onnx:/model/layers.${int(r, 0, 3)}/${pick(r, ['mlp/Mul', 'self_attn/MatMul_1', 'x"y', 'Δ'])}`;
      let inferred: Type[];
      try {
        inferred = info.infer(op, operands.map((v) => v.type), RANDOM_CTX);
      } catch {
        continue;
      }
      if (inferred.some((t) => t.level !== null && t.level < 0)) continue;
      inferred.forEach((t, i) => (op.results[i]!.type = t));
      ops.push(op);
      cts.push(...op.results);
      break;
    }
  }
  const retOperands: Value[] = [];
  const retNames: string[] = [];
  for (const a of args) {
    if (a.attrs.role !== 'state') continue;
    const same = cts.filter((v) => typesEqual(v.type, a.value.type));
    retOperands.push(pick(r, same));
    retNames.push(a.attrs.state as string);
  }
  for (let i = int(r, retOperands.length === 0 ? 1 : 0, 2); i > 0; i--) {
    retOperands.push(pick(r, cts));
    retNames.push(`out${retNames.length}`);
  }
  ops.push({ name: 'ckks.return', operands: retOperands, results: [], attrs: { names: retNames } });
  return { name, args, ops };
}

/** A random module that passes `verifyModule(m, RANDOM_CTX)`; the same seed gives the same module. */
export function randomModule(seed: number, opts: { maxOps?: number; maxFuncs?: number } = {}): Module {
  const r = seededRandom(seed);
  const funcs: Func[] = [];
  const fnames = ['step', 'prefill', 'decode.layer_0', 'f_1'];
  for (let i = int(r, 1, opts.maxFuncs ?? 2); i > 0; i--) funcs.push(randomFunc(r, fnames[funcs.length]!, int(r, 0, opts.maxOps ?? 30)));
  const attrs: AttrDict = r() < 0.7 ? { slots: pick(r, [8, 16]), preset: 'N8_TEST' } : {};
  if (r() < 0.5) attrs.meta = randomDict(r, 0);
  return { version: 1, attrs, funcs };
}

/** Plain-data shape of a module for deep equality: values by name, plus a check that operands and defs are wired. */
export function moduleShape(m: Module): unknown {
  return {
    version: m.version,
    attrs: m.attrs,
    funcs: m.funcs.map((f) => {
      const defined = new Set<Value>(f.args.map((a) => a.value));
      return {
        name: f.name,
        args: f.args.map((a) => ({ name: a.value.name, type: a.value.type, def: a.value.def, attrs: a.attrs })),
        ops: f.ops.map((op) => {
          const shape = {
            name: op.name,
            operands: op.operands.map((v) => (defined.has(v) ? v.name : `<unwired %${v.name}>`)),
            results: op.results.map((v) => ({ name: v.name, type: v.type, defOk: v.def === op })),
            attrs: op.attrs,
            loc: op.loc,
          };
          for (const v of op.results) defined.add(v);
          return shape;
        }),
      };
    }),
  };
}
