/**
 * @fileoverview The cost model: predicted time of a placed plan per decoding step, by module and by primitive.
 *
 * Each op is priced from a cost table (table.ts) at its operand's level; `ckks.poly` by the primitives it runs
 * (poly-primitives.ts); `ckks.relinearize` is free (backends relinearise inside `ckks.mul`). Every `ckks.encode` is
 * counted per step: the executor caches at most 2 GiB of weight plaintexts across steps, less than a secure plan's
 * weights, so most are encoded again each token (the prediction is an upper bound where the cache helps).
 *
 * Modules follow the value names the lowering gives its landmarks (compiler/lower/decode-step.ts): an op belongs to
 * the module that ends at the next landmark, e.g. everything up to `%l0_attn_norm` is "layer 0 attention norm". Bootstraps
 * are reported both within their module and as their own total.
 */
import type { Func, Op } from '../../ir/module.ts';
import type { CkksParams } from '../../ir/params.ts';
import { polyPrimitives } from './poly-primitives.ts';
import { pricesByLevel, primitiveMs, type CostTable, type Primitive } from './table.ts';

export interface ModuleCost {
  module: string;
  ms: number;
  bootstraps: number;
  bootstrap_ms: number;
}

export interface PlanCost {
  /** Predicted ms per decoding step (one token). */
  ms: number;
  bootstrap_ms: number;
  modules: ModuleCost[];
  by_primitive: Partial<Record<Primitive, { calls: number; ms: number }>>;
  /** Where the prices come from (the table's about block), and the ring-degree scaling applied, if any. */
  table: { preset: string; log_n: number; date: string; machine: string; command: string; scaled_from_log_n?: number };
}

const DIRECT: Partial<Record<string, Primitive>> = {
  'ckks.add': 'add',
  'ckks.sub': 'add',
  'ckks.negate': 'add',
  'ckks.add_plain': 'add',
  'ckks.add_const': 'add_const',
  'ckks.mul_const': 'mul_const',
  'ckks.mul_plain': 'mul_plain',
  'ckks.mul': 'mul_relin',
  'ckks.rescale': 'rescale',
  'ckks.level_drop': 'level_drop',
  'ckks.rotate': 'rotate',
  'ckks.conjugate': 'rotate',
  'ckks.bootstrap': 'bootstrap',
};

/** The primitive calls of one placed op (levels must be assigned). */
export function opPrimitives(op: Op, params: CkksParams): { p: Primitive; level: number }[] {
  const level = op.name === 'ckks.encode' ? (op.results[0]?.type.level ?? 0) : (op.operands[0]?.type.level ?? 0);
  return opPrimitivesAt(op, level, params);
}

/** ms of one op whose (first) operand sits at `level` (an encode: whose result does). */
export function opMsAt(op: Op, level: number, params: CkksParams, table: CostTable): number {
  const prices = pricesByLevel(table, params.logN, params.levels);
  let ms = 0;
  for (const c of opPrimitivesAt(op, level, params)) ms += prices[c.p][Math.min(params.levels, Math.max(0, c.level))]!;
  return ms;
}

/** The primitive calls of `op` were its operand at `level`. */
export function opPrimitivesAt(op: Op, level: number, params: CkksParams): { p: Primitive; level: number }[] {
  const direct = DIRECT[op.name];
  if (direct !== undefined) return [{ p: direct, level }];
  switch (op.name) {
    case 'ckks.encode':
      return [{ p: 'encode', level }];
    case 'ckks.rotate_hoisted':
      return op.results.map(() => ({ p: 'rotate_hoisted' as const, level }));
    case 'ckks.poly':
      return polyPrimitives(op.attrs.coeffs as number[], level, (l) => 2 ** (params.logScale[l] ?? params.scaleBits));
    default:
      return [];
  }
}

/** The module an op belongs to is the one ending at the next landmark (see the header). */
function landmarkModule(name: string): string | undefined {
  if (name === 'embed') return 'embedding';
  if (name === 'final_norm') return 'final norm';
  const m = /^l(\d+)_(attn_norm|resid_attn|mlp_norm|out)$/.exec(name);
  if (m === null) return undefined;
  const what = { attn_norm: 'attention norm', resid_attn: 'attention', mlp_norm: 'MLP norm', out: 'MLP' }[m[2] as 'attn_norm'];
  return `layer ${m[1]} ${what}`;
}

/** For each op, the module it belongs to. */
export function moduleOfOps(func: Func): string[] {
  const out: string[] = new Array(func.ops.length);
  let next = 'LM head';
  for (let i = func.ops.length - 1; i >= 0; i--) {
    for (const r of func.ops[i]!.results) next = landmarkModule(r.name) ?? next;
    out[i] = next;
  }
  return out;
}

export function predictPlan(func: Func, params: CkksParams, table: CostTable): PlanCost {
  const modules = new Map<string, ModuleCost>();
  const byPrim: PlanCost['by_primitive'] = {};
  const owner = moduleOfOps(func);
  let total = 0;
  let bootMs = 0;
  func.ops.forEach((op, i) => {
    let ms = 0;
    for (const c of opPrimitives(op, params)) {
      const t = primitiveMs(table, c.p, Math.max(0, c.level), params.logN);
      ms += t;
      const e = (byPrim[c.p] ??= { calls: 0, ms: 0 });
      e.calls++;
      e.ms += t;
    }
    const name = owner[i]!;
    let m = modules.get(name);
    if (m === undefined) modules.set(name, (m = { module: name, ms: 0, bootstraps: 0, bootstrap_ms: 0 }));
    m.ms += ms;
    total += ms;
    if (op.name === 'ckks.bootstrap') {
      m.bootstraps++;
      m.bootstrap_ms += ms;
      bootMs += ms;
    }
  });
  const a = table.about;
  return {
    ms: total,
    bootstrap_ms: bootMs,
    modules: [...modules.values()],
    by_primitive: byPrim,
    table: { preset: table.preset, log_n: table.log_n, date: a.date, machine: a.machine, command: a.command, ...(params.logN !== table.log_n ? { scaled_from_log_n: table.log_n } : {}) },
  };
}
