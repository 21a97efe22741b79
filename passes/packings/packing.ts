/**
 * @fileoverview The Packing interface: how tensors of one decoding step sit in ciphertext slots, and how the
 * tensor-level operations of the step are lowered to CKKS ops under that layout.
 *
 * Lowering (compiler/lower/decode-step.ts) walks the recognised model and describes each step as a TensorOp (a
 * linear layer, an RMSNorm, rotary embedding, a KV-cache append, attention scores, softmax, attention × V). It does
 * not fix layouts: for each op it asks the registered packings (registry.ts) which accept it and lowers it with the
 * cheapest one. A packing is one file (replicated.ts is the first); it derives its geometry from the model
 * (`instantiate`, which rejects models it cannot hold with HEC4001/HEC4002 before any expensive work), names the
 * layouts each op needs and produces, prices an op by counting the ops its kernel emits, and lowers it.
 */
import { HecError } from '../../ir/diagnostics.ts';
import type { Layout } from '../../ir/layout.ts';
import type { LlamaModel } from '../../ir/model.ts';
import type { Value } from '../../ir/module.ts';
import type { AttrDict } from '../../ir/types.ts';
import { IrBuilder } from '../kernels/builder.ts';

/** A closed interval (calibrated ranges of scores and norm inputs). */
export interface Interval {
  lo: number;
  hi: number;
}

/** A calibrated interval as a polynomial domain: a point interval is widened a little (domains need lo < hi). */
export function widen(r: Interval): [number, number] {
  return [r.lo, r.hi > r.lo ? r.hi : r.lo + 1e-6];
}

/** The tensor-level operations of one decoding step. Values are ciphertexts in the producing packing's layout. */
export type TensorOp =
  /** The step's input: the packing creates the `token` argument (the one-hot token, in its layout) and embeds it. */
  | { kind: 'embedding'; weight: string; loc: string | undefined; hint: string }
  /** y = M·x with M given as a matrix source spec (weight, transpose, scale, col_scale, rows/cols group maps). */
  | { kind: 'linear'; x: Value; matrix: AttrDict; inN: number; outM: number; hint: string }
  | { kind: 'rms-norm'; x: Value; meanSquare: Interval; hint: string }
  | { kind: 'rope'; x: Value }
  /** Append this step's k and v to layer `layer`'s cache (state in, state out). */
  | { kind: 'kv-append'; layer: number; k: Value; v: Value }
  /** Scores of one query against every cached key, |score| ≤ bound. */
  | { kind: 'attention-scores'; q: Value; kCache: Value[]; bound: number }
  | { kind: 'softmax'; scores: Value[]; range: Interval; hint: string }
  /** Σ_t p_t·v_t for the probabilities of one query. */
  | { kind: 'attention-mix'; probs: Value[]; vCache: Value[] };

export type TensorOpKind = TensorOp['kind'];

/** What lowering one op produced: its outputs, and for a cache append the next state values by state name. */
export interface Lowered {
  outputs: Value[];
  stateOut?: [string, Value][];
}

/**
 * Prices op counts. Implemented by the measured latency model (`hec bench ops`); `OP_COUNT_COST` counts
 * key switches and plaintext multiplications when no table is at hand.
 */
export interface CostModel {
  /** Seconds (or any consistent unit) for `count` ops named `opName` (an IR op name, e.g. ckks.rotate). */
  price(opName: string, count: number): number;
}

/** A cost model with no measurements: every op costs 1, rotations and relinearisations (key switches) 10. */
export const OP_COUNT_COST: CostModel = {
  price(opName, count) {
    const keySwitch = opName === 'ckks.rotate' || opName === 'ckks.rotate_hoisted' || opName === 'ckks.relinearize';
    return (keySwitch ? 10 : 1) * count;
  },
};

/** A packing with its geometry fixed for one model, slot count and context. */
export interface PackedModel {
  packing: Packing;
  accepts(op: TensorOp): boolean;
  /** The layouts the op's ciphertext operands must have, and the layout(s) it produces. */
  layouts(op: TensorOp): { inputs: Layout[]; outputs: Layout[] };
  /** Lower the op into `b` (the layouts it produces are those `layouts` names). */
  lower(b: IrBuilder, op: TensorOp): Lowered;
  /** The plan header's `packing` attribute. */
  header(): AttrDict;
}

export interface Packing {
  name: string;
  summary: string;
  /** Fix the geometry for a model; HEC4001 when a vector cannot fit, HEC4002 for shapes the packing cannot hold. */
  instantiate(model: LlamaModel, slots: number, maxContext: number): PackedModel;
}

/** The ops lowering `op` emits, by IR op name (the op is lowered into a scratch function and discarded). */
export function countOps(packed: PackedModel, op: TensorOp, slots: number): Record<string, number> {
  const b = new IrBuilder({ name: 'count', args: [], ops: [] }, slots);
  packed.lower(b, op);
  const counts: Record<string, number> = {};
  for (const o of b.func.ops) counts[o.name] = (counts[o.name] ?? 0) + 1;
  return counts;
}

/** The cost of lowering `op` with `packed` under `model`. */
export function costOf(packed: PackedModel, op: TensorOp, slots: number, model: CostModel): number {
  return Object.entries(countOps(packed, op, slots)).reduce((s, [name, n]) => s + model.price(name, n), 0);
}

/**
 * The packing to lower `op` with: the only one that accepts it, or the cheapest under `model` (ties: the earlier in
 * the list). HEC4004 when none accepts it.
 */
export function selectPacking(op: TensorOp, candidates: readonly PackedModel[], slots: number, model: CostModel = OP_COUNT_COST): PackedModel {
  const accepting = candidates.filter((p) => p.accepts(op));
  if (accepting.length === 0) {
    throw new HecError('HEC4004', `no selected packing accepts the tensor op '${op.kind}' (packings: ${candidates.map((p) => p.packing.name).join(', ')})`, {
      fix: 'compile with --packing auto, or with a packing that implements this op',
    });
  }
  if (accepting.length === 1) return accepting[0]!;
  let best = accepting[0]!;
  let bestCost = costOf(best, op, slots, model);
  for (const p of accepting.slice(1)) {
    const c = costOf(p, op, slots, model);
    if (c < bestCost) [best, bestCost] = [p, c];
  }
  return best;
}
