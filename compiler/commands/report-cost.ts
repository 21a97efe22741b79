/**
 * @fileoverview The predicted time of one decoding step for `hec report`, op by op on a time axis: each op priced by
 * the cost model (passes/cost: the bundled table of `hec bench ops`), grouped into the modules of a token
 * (passes/cost/predict.ts moduleOfOps). `hec inspect` prints the same prediction by module.
 *
 * Modules follow the landmark value names the lowering gives (compiler/lower/decode-step.ts): an op belongs to the
 * module that ends at the next landmark (`%embed`, `%lK_attn_norm`, `%lK_resid_attn`, `%lK_mlp_norm`, `%lK_out`,
 * `%final_norm`, then the LM head).
 */
import type { Func, Op } from '../../ir/module.ts';
import type { CkksParams } from '../../ir/params.ts';
import { moduleOfOps, opPrimitives } from '../../passes/cost/predict.ts';
import { defaultCostTable, primitiveMs } from '../../passes/cost/table.ts';

export { moduleOfOps };

/** Where the prices come from: the bundled cost table's own description. */
export const LATENCY_SOURCE = ((): string => {
  const a = defaultCostTable().about;
  return `the bundled cost table (passes/cost/tables/): ${a.command}, ${a.date.slice(0, 10)}, ${a.machine}, ${a.timing}${a.note !== undefined ? `; ${a.note}` : ''}`;
})();

/** Predicted ms of one op (the cost model of passes/cost, priced with the bundled table). */
export function opMs(op: Op, params: CkksParams): number {
  const table = defaultCostTable();
  let ms = 0;
  for (const c of opPrimitives(op, params)) ms += primitiveMs(table, c.p, Math.max(0, c.level), params.logN);
  return ms;
}

export interface ModuleCost {
  module: string;
  start_ms: number;
  ms: number;
  /** Its ops are func.ops[first … first + count − 1] (modules are contiguous runs of ops). */
  first: number;
  count: number;
}

export interface StepCost {
  ms: number;
  /** Per op: its predicted start time in the step. */
  opStartMs: number[];
  modules: ModuleCost[];
}

export function predictStep(func: Func, params: CkksParams): StepCost {
  const owner = moduleOfOps(func);
  const modules: ModuleCost[] = [];
  const opStartMs: number[] = [];
  let t = 0;
  func.ops.forEach((op, i) => {
    let m = modules[modules.length - 1];
    if (m === undefined || m.module !== owner[i]) modules.push((m = { module: owner[i]!, start_ms: t, ms: 0, first: i, count: 0 }));
    const ms = opMs(op, params);
    opStartMs.push(t);
    m.ms += ms;
    m.count++;
    t += ms;
  });
  return { ms: t, opStartMs, modules };
}
