/**
 * @fileoverview `hec inspect PLAN`: what a plan computes, with which parameters, keys and per-token cost.
 */
import { HecError } from '../../ir/diagnostics.ts';
import type { Module } from '../../ir/module.ts';
import { isAttrDict, type AttrDict } from '../../ir/types.ts';
import { predictPlan, type PlanCost } from '../../passes/cost/predict.ts';
import { defaultCostTable, readCostTable } from '../../passes/cost/table.ts';
import { readPlan } from '../../runtime/plan.ts';
import type { CommandSpec } from '../args.ts';
import { planLayers } from '../truncate.ts';

function dict(a: unknown): AttrDict {
  return isAttrDict(a as never) ? (a as AttrDict) : {};
}

/** Estimated bytes of one key-switching key: dnum digits × 2 polynomials × N × (Q+P limbs) × 8 bytes. */
function keyBytes(params: AttrDict): number {
  const n = 2 ** (params.log_n as number);
  const limbs = (params.q as unknown[]).length + (params.p as unknown[]).length;
  return (params.dnum as number) * 2 * n * limbs * 8;
}

export function planSummaryJson(m: Module): Record<string, unknown> {
  const params = dict(m.attrs.params);
  const keys = dict(m.attrs.keys);
  const model = dict(m.attrs.model);
  const rotations = (keys.rotations as number[] | undefined) ?? [];
  const keyCount = rotations.length + (keys.relinearize ? 1 : 0) + (keys.conjugate ? 1 : 0);
  const layers = planLayers(m);
  return {
    model,
    layers: layers === undefined ? undefined : { kept: layers.kept, of: layers.of, truncated: layers.truncated },
    params: { name: params.name, log_n: params.log_n, slots: params.slots, levels: params.levels, log_qp: params.log_qp, secure: params.secure, dnum: params.dnum, bootstrap_levels: params.bootstrap_levels },
    max_context: m.attrs.max_context,
    packing: m.attrs.packing,
    keys: { relinearize: keys.relinearize, conjugate: keys.conjugate, bootstrap: keys.bootstrap, rotation_count: rotations.length, switching_keys: keyCount, estimated_switching_key_bytes: keyCount * keyBytes(params),
      // As they travel (cpu): one part per key, the uniform half as a 32-byte seed.
      estimated_transfer_bytes: keyCount * keyBytes(params) / 2 },
    op_counts_per_token: m.attrs.op_counts,
    approximations: (m.attrs.approximations as AttrDict[] | undefined)?.length ?? 0,
    bootstrap_ranges: m.attrs.bootstrap_ranges,
  };
}

/** Predicted seconds per token, in total and by module (cost model: passes/cost/predict.ts). */
export function printPrediction(c: PlanCost): string {
  const s = (ms: number): string => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
  const t = c.table;
  const lines = [
    `  predicted ${s(c.ms)} s per token, of which ${s(c.bootstrap_ms)} s in bootstraps (cost table ${t.preset}, ${t.date.slice(0, 10)}, ${t.machine}${t.scaled_from_log_n !== undefined ? `; scaled from N=2^${t.scaled_from_log_n}` : ''})`,
    ...c.modules.map((m) => `            ${m.module.padEnd(20)} ${s(m.ms).padStart(8)} s${m.bootstraps > 0 ? `  (${m.bootstraps} bootstraps, ${s(m.bootstrap_ms)} s)` : ''}`),
  ];
  return `${lines.join('\n')}\n`;
}

export function printSummary(m: Module, path: string): string {
  const s = planSummaryJson(m);
  const model = dict(s.model);
  const cfg = dict(model.config);
  const p = s.params as AttrDict;
  const k = s.keys as AttrDict;
  const ops = dict(m.attrs.op_counts);
  const layers = planLayers(m);
  const lines = [
    `plan ${path}`,
    `  model     ${model.path} (sha256 ${String(model.sha256).slice(0, 12)}…, ${model.exporter}, opset ${model.opset}${model.graph_only ? ', GRAPH-ONLY: cannot run' : ''})`,
    `            hidden ${cfg.hidden_size}, layers ${cfg.num_layers}, heads ${cfg.num_heads}/${cfg.num_kv_heads} kv, head dim ${cfg.head_dim}, ffn ${cfg.intermediate_size}, vocab ${cfg.vocab_size}, θ ${cfg.rope_theta}${cfg.tied_embeddings ? ', tied embeddings' : ''}`,
    ...(layers?.truncated
      ? [`  LAYERS    TRUNCATED: only the first ${layers.kept} of ${layers.of} decoder layers (then final norm + LM head); the logits are NOT the full model's`]
      : []),
    `  params    ${p.name}: N=2^${p.log_n} (${p.slots} slots), ${Number(p.levels) + 1} Q primes, log2 QP ${p.log_qp}, dnum ${p.dnum}, ${p.secure ? '128-bit secure' : 'INSECURE (tests only)'}`,
    `  context   ${s.max_context} positions in the encrypted KV cache`,
    `  keys      relin ${k.relinearize ? 'yes' : 'no'}, conj ${k.conjugate ? 'yes' : 'no'}, bootstrap ${k.bootstrap ? 'yes' : 'no'}, ${k.rotation_count} rotations (≈${(Number(k.estimated_switching_key_bytes) / 2 ** 30).toFixed(1)} GiB of switching keys loaded, ≈${(Number(k.estimated_transfer_bytes) / 2 ** 30).toFixed(1)} GiB sent in ${Number(k.switching_keys) + 1} parts)`,
    `  per token ${ops['ckks.mul_plain'] ?? 0} pt-mul, ${ops['ckks.mul'] ?? 0} ct-mul, ${ops.key_switches ?? 0} key switches, ${ops['ckks.bootstrap'] ?? 0} bootstraps, ${ops['ckks.poly'] ?? 0} polynomials, ${ops['ckks.rescale'] ?? 0} rescales`,
  ];
  return `${lines.join('\n')}\n`;
}

export const inspectCommand: CommandSpec = {
  name: 'inspect',
  summary: 'summarise a plan: model, parameters, keys, per-token op counts, predicted time per token by module',
  usage: 'hec inspect PLAN [--json] [--cost-table FILE]',
  options: [
    { name: 'json', type: 'boolean', help: 'print one JSON object (adds op counts and approximations in full)' },
    { name: 'cost-table', type: 'string', arg: 'FILE', help: 'price the plan with this table (`hec bench ops --json`); default: the bundled cpu table' },
  ],
  maxPositional: 1,
  async run({ positional, opts }) {
    const path = positional[0];
    if (path === undefined) throw new HecError('HEC0001', 'hec inspect needs a plan file', { fix: 'e.g. hec inspect llama-py.plan' });
    const plan = readPlan(path);
    const table = typeof opts['cost-table'] === 'string' ? readCostTable(opts['cost-table']) : defaultCostTable();
    const predicted = predictPlan(plan.func, plan.params, table);
    if (opts.json) process.stdout.write(`${JSON.stringify({ ...planSummaryJson(plan.module), predicted, approximations: plan.module.attrs.approximations, calibration: plan.module.attrs.calibration })}\n`);
    else process.stdout.write(printSummary(plan.module, path) + printPrediction(predicted));
    return 0;
  },
};
