/**
 * @fileoverview IrBuilder: appends HE IR ops to a Func with result types inferred from ir/ops.ts.
 *
 * Levels stay `?` while building: bootstrap-placement assigns them later. Every multiplication helper
 * returns a rescaled, relinearised value, so kernels read like plaintext algebra and each op's level cost is visible
 * in the emitted text.
 */
import type { Layout } from '../../ir/layout.ts';
import { nameAllocator, type Func, type Op, type Value } from '../../ir/module.ts';
import { opInfo } from '../../ir/ops.ts';
import { ctType, ptType, type AttrDict, type Type } from '../../ir/types.ts';
import type { KernelTarget } from './target.ts';

const JUNK: Layout = { kind: 'junk' };

/** The IR interpretation of a kernel (passes/kernels/target.ts), and the builder lowering and passes use. */
export class IrBuilder implements KernelTarget<Value> {
  readonly func: Func;
  private readonly fresh: (hint?: string) => string;
  /** Location attached to ops emitted from now on (an ONNX node name). */
  loc: string | undefined;
  readonly slots: number;

  constructor(func: Func, slots: number) {
    this.func = func;
    this.fresh = nameAllocator(func);
    this.slots = slots;
  }

  arg(name: string, layout: Layout, attrs: AttrDict): Value {
    const value: Value = { name: this.fresh(name), type: ctType(layout), def: null };
    this.func.args.push({ value, attrs });
    return value;
  }

  /** Emit an op; result types come from the op's typing rule (declared layouts are kept). */
  emit(name: string, operands: Value[], attrs: AttrDict, resultLayouts: Layout[], hints: (string | undefined)[] = []): Value[] {
    const op: Op = { name, operands, results: [], attrs, loc: this.loc };
    op.results = resultLayouts.map((l, i) => ({ name: this.fresh(hints[i]), type: ctType(l), def: op }));
    if (name === 'ckks.encode') {
      op.results = [{ name: this.fresh(hints[0]), type: ptType(resultLayouts[0]!), def: op }];
    }
    const types: Type[] = opInfo(name).infer(op, operands.map((v) => v.type), { bootstrapOutputLevel: 0 });
    types.forEach((t, i) => {
      op.results[i]!.type = t;
    });
    this.func.ops.push(op);
    return op.results;
  }

  one(name: string, operands: Value[], attrs: AttrDict, layout: Layout, hint?: string): Value {
    return this.emit(name, operands, attrs, [layout], [hint])[0]!;
  }

  encode(src: AttrDict, layout: Layout, hint?: string): Value {
    return this.one('ckks.encode', [], { src }, layout, hint);
  }

  add(a: Value, b: Value, layout?: Layout, hint?: string): Value {
    return this.one('ckks.add', [a, b], {}, layout ?? a.type.layout, hint);
  }
  sub(a: Value, b: Value, layout?: Layout): Value {
    return this.one('ckks.sub', [a, b], {}, layout ?? a.type.layout);
  }
  negate(a: Value): Value {
    return this.one('ckks.negate', [a], {}, a.type.layout);
  }
  addConst(a: Value, c: number): Value {
    return this.one('ckks.add_const', [a], { value: c }, a.type.layout);
  }
  rescale(a: Value, layout?: Layout, hint?: string): Value {
    return this.one('ckks.rescale', [a], {}, layout ?? a.type.layout, hint);
  }
  /** ct ⊙ pt, rescaled (1 level). */
  mulPlain(a: Value, p: Value, layout?: Layout, hint?: string): Value {
    const prod = this.one('ckks.mul_plain', [a, p], {}, layout ?? a.type.layout);
    return this.rescale(prod, undefined, hint);
  }
  /** ct ⊙ pt without the rescale (for sums of products that share one rescale). */
  mulPlainRaw(a: Value, p: Value, layout?: Layout): Value {
    return this.one('ckks.mul_plain', [a, p], {}, layout ?? a.type.layout);
  }
  /** ct · c, rescaled (1 level). */
  mulConst(a: Value, c: number): Value {
    return this.rescale(this.one('ckks.mul_const', [a], { value: c }, a.type.layout));
  }
  /** ct ⊗ ct, relinearised and rescaled (1 level). */
  mul(a: Value, b: Value, layout?: Layout, hint?: string): Value {
    const l = layout ?? a.type.layout;
    const prod = this.one('ckks.mul', [a, b], {}, l);
    const relin = this.one('ckks.relinearize', [prod], {}, l);
    return this.one('ckks.rescale', [relin], {}, l, hint);
  }
  rotate(a: Value, offset: number, layout: Layout = JUNK): Value {
    const k = ((offset % this.slots) + this.slots) % this.slots;
    if (k === 0) return a;
    return this.one('ckks.rotate', [a], { offset: k }, layout);
  }
  /** Rotations of one value by several offsets, hoisted; offset 0 returns the value itself. */
  rotateMany(a: Value, offsets: number[]): Value[] {
    const norm = offsets.map((o) => ((o % this.slots) + this.slots) % this.slots);
    const nonzero = [...new Set(norm.filter((o) => o !== 0))];
    if (nonzero.length === 0) return norm.map(() => a);
    const outs =
      nonzero.length === 1
        ? [this.rotate(a, nonzero[0]!)]
        : this.emit('ckks.rotate_hoisted', [a], { offsets: nonzero }, nonzero.map(() => JUNK));
    const byOffset = new Map(nonzero.map((o, i) => [o, outs[i]!]));
    return norm.map((o) => (o === 0 ? a : byOffset.get(o)!));
  }
  /**
   * Rotate-and-sum: after it, slot i holds Σ_{j<count} x[i + j·stride] (count a power of two), using log2(count)
   * rotations and no levels.
   */
  rotateSum(x: Value, stride: number, count: number, layout: Layout): Value {
    let acc = x;
    for (let s = 1; s < count; s *= 2) acc = this.add(acc, this.rotate(acc, s * stride), JUNK);
    return this.retype(acc, layout);
  }
  /**
   * Spread: the inverse pattern of rotateSum with right rotations: slot i + j·stride (j < count) receives x[i]
   * where the other slots of x are zero.
   */
  spreadRight(x: Value, stride: number, count: number, layout: Layout): Value {
    let acc = x;
    for (let s = 1; s < count; s *= 2) acc = this.add(acc, this.rotate(acc, -s * stride), JUNK);
    return this.retype(acc, layout);
  }
  nonlinear(x: Value, attrs: AttrDict, hint?: string): Value {
    return this.one('ckks.nonlinear', [x], attrs, x.type.layout, hint);
  }

  /**
   * Give a value the layout a kernel knows it has (e.g. the junk sum of a rotate-and-sum whose slots the kernel can
   * name). Only values this builder just created are retyped; a value that already has users keeps its layout.
   */
  retype(v: Value, layout: Layout): Value {
    if (v.def === null || this.func.ops.some((op) => op.operands.includes(v))) return v;
    v.type = { ...v.type, layout } as typeof v.type;
    return v;
  }

  /** Record a guaranteed bound on max |slot| of v (read by passes/analysis/magnitudes.ts); returns v. */
  bound(v: Value, max: number): Value {
    if (v.def !== null && v.def.results.length === 1) v.def.attrs.bound = max;
    return v;
  }

  ret(values: Value[], names: string[]): void {
    this.func.ops.push({ name: 'ckks.return', operands: values, results: [], attrs: { names } });
  }
}
