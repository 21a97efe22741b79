/**
 * @fileoverview What packing kernels are written against: one kernel, three interpretations (as runtime/bootstrap's
 * circuit is interpreted on plain vectors and on a server):
 * - `IrBuilder` (builder.ts) emits HE IR ops — what the compiler does;
 * - `KernelCounter` counts the ops the IR would hold, per op name, without building it — what a cost model prices;
 * - `SlotEvaluator` runs the kernel on plain slot vectors with the plaintext sources evaluated
 *   (ir/plaintext-sources.ts) — what kernel tests compare with naive matrix arithmetic.
 * The three follow the same rules: a rotation by 0 (mod slots) is free and returns its input; `rotateMany` of one
 * distinct nonzero offset is a single rotation, of several a hoisted rotation; multiplications here are raw (no
 * rescale) and `rescale` is explicit. Rotations are left rotations: rot(v, k)[i] = v[(i + k) mod slots].
 */
import type { Layout } from '../../ir/layout.ts';
import { evaluateSource, type WeightStore } from '../../ir/plaintext-sources.ts';
import type { AttrDict } from '../../ir/types.ts';

export interface KernelTarget<V> {
  readonly slots: number;
  encode(src: AttrDict, layout: Layout, hint?: string): V;
  add(a: V, b: V, layout?: Layout, hint?: string): V;
  /** ct ⊙ pt without the rescale (sums of products share one rescale). */
  mulPlainRaw(a: V, p: V, layout?: Layout): V;
  rescale(a: V, layout?: Layout, hint?: string): V;
  rotate(a: V, offset: number, layout?: Layout): V;
  /** Rotations of one value by several offsets, hoisted; offset 0 returns the value itself. */
  rotateMany(a: V, offsets: number[]): V[];
  /** Give a value the layout the kernel knows it has. */
  retype(v: V, layout: Layout): V;
}

function normalise(offset: number, slots: number): number {
  return ((offset % slots) + slots) % slots;
}

/** A value the counter tracks: nothing but identity. */
export interface CountedValue {
  readonly id: number;
}

/** Count the ops a kernel would emit, by IR op name, plus key switches (as collect-keys counts them). */
export class KernelCounter implements KernelTarget<CountedValue> {
  readonly counts: Record<string, number> = {};
  keySwitches = 0;
  private next = 0;

  constructor(readonly slots: number) {}

  input(): CountedValue {
    return { id: this.next++ };
  }
  private op(name: string, n = 1): CountedValue {
    this.counts[name] = (this.counts[name] ?? 0) + n;
    return { id: this.next++ };
  }
  encode(): CountedValue {
    return this.op('ckks.encode');
  }
  add(): CountedValue {
    return this.op('ckks.add');
  }
  mulPlainRaw(): CountedValue {
    return this.op('ckks.mul_plain');
  }
  rescale(): CountedValue {
    return this.op('ckks.rescale');
  }
  rotate(a: CountedValue, offset: number): CountedValue {
    if (normalise(offset, this.slots) === 0) return a;
    this.keySwitches++;
    return this.op('ckks.rotate');
  }
  rotateMany(a: CountedValue, offsets: number[]): CountedValue[] {
    const nonzero = [...new Set(offsets.map((o) => normalise(o, this.slots)).filter((o) => o !== 0))];
    if (nonzero.length === 1) return offsets.map((o) => (normalise(o, this.slots) === 0 ? a : this.rotate(a, o)));
    if (nonzero.length > 1) {
      this.op('ckks.rotate_hoisted');
      this.keySwitches += nonzero.length;
    }
    return offsets.map((o) => (normalise(o, this.slots) === 0 ? a : { id: this.next++ }));
  }
  retype(v: CountedValue): CountedValue {
    return v;
  }
}

/** Run a kernel on real slot vectors: plaintexts from their sources, exact arithmetic, no CKKS noise or scales. */
export class SlotEvaluator implements KernelTarget<Float64Array> {
  constructor(
    readonly slots: number,
    private readonly weights: WeightStore,
    private readonly position = 0,
  ) {}

  encode(src: AttrDict): Float64Array {
    return evaluateSource(src, this.slots, this.weights, this.position);
  }
  add(a: Float64Array, b: Float64Array): Float64Array {
    return a.map((v, i) => v + b[i]!);
  }
  mulPlainRaw(a: Float64Array, p: Float64Array): Float64Array {
    return a.map((v, i) => v * p[i]!);
  }
  rescale(a: Float64Array): Float64Array {
    return a;
  }
  rotate(a: Float64Array, offset: number): Float64Array {
    const k = normalise(offset, this.slots);
    if (k === 0) return a;
    const out = new Float64Array(this.slots);
    out.set(a.subarray(k), 0);
    out.set(a.subarray(0, k), this.slots - k);
    return out;
  }
  rotateMany(a: Float64Array, offsets: number[]): Float64Array[] {
    return offsets.map((o) => this.rotate(a, o));
  }
  retype(v: Float64Array): Float64Array {
    return v;
  }
}
