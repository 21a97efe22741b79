/**
 * @fileoverview The predicted time of one decoding step for `hec report`: each op priced from a per-op latency
 * table, grouped into the modules of a token.
 *
 * The table is measured, not invented: `hec bench ckks` on the cpu engine at N16_BOOT (the N = 2^16 chain, h = 192; now N16_BOOT_H192_INSECURE), one thread, 2-core machine
 * class, 2026-11-23 (runtime/native/README.md, the N16_BOOT column: mul+relin 130 ms, rotate 125, hoisted rotate
 * 66.9 per rotation, rescale 22.0, encode 14.6) and `hec bench bootstrap` (9.3 s for the real-slot variant, README).
 * Those are top-of-chain figures (25 Q limbs); an op at level ℓ is priced × (ℓ+1)/25, since every one of them is
 * linear in the limb count up to the key-switching digits. Pointwise ops that run was not timing (add, add_const,
 * mul_const, mul_plain, level_drop) are priced at one 2^16 NTT per limb (0.286 ms, same table): an upper bound for
 * a pointwise pass over a limb. Other ring degrees scale by N. The page says all this next to the numbers.
 *
 * Modules follow the landmark value names the lowering gives (compiler/lower/decode-step.ts): an op belongs to the
 * module that ends at the next landmark (`%embed`, `%lK_attn_norm`, `%lK_resid_attn`, `%lK_mlp_norm`, `%lK_out`,
 * `%final_norm`, then the LM head).
 */
import type { Func, Op } from '../../ir/module.ts';
import type { CkksParams } from '../../ir/params.ts';

const TOP_LIMBS = 25;
const TABLE_LOG_N = 16;
const NTT_MS = 0.286;

/** ms per call at the top of the N16_BOOT chain (see the header for the source of each). */
export const LATENCY_MS: Readonly<Record<string, number>> = {
  'ckks.mul': 130,
  'ckks.rotate': 125,
  'ckks.conjugate': 125,
  'ckks.rotate_hoisted': 66.9, // per rotation of the batch
  'ckks.rescale': 22.0,
  'ckks.encode': 14.6,
  'ckks.bootstrap': 9300,
  'ckks.add': NTT_MS * TOP_LIMBS,
  'ckks.sub': NTT_MS * TOP_LIMBS,
  'ckks.negate': NTT_MS * TOP_LIMBS,
  'ckks.add_plain': NTT_MS * TOP_LIMBS,
  'ckks.add_const': NTT_MS * TOP_LIMBS,
  'ckks.mul_const': NTT_MS * TOP_LIMBS,
  'ckks.mul_plain': NTT_MS * TOP_LIMBS,
  'ckks.level_drop': NTT_MS * TOP_LIMBS,
};

export const LATENCY_SOURCE =
  'cpu engine, N = 2^16 chain of 25 Q limbs (the preset then named N16_BOOT), 1 thread, 2-core VM, 2026-11-23: hec bench ckks (mul+relin 130 ms, rotate 125, hoisted rotate 66.9, ' +
  'rescale 22.0, encode 14.6) and hec bench bootstrap (9.3 s); ×(level+1)/25 by level, ×N/2^16 by ring degree; ' +
  'add/mul_plain/mul_const/level_drop not timed there, priced at one NTT per limb (upper bound); ckks.poly priced by its products';

/** Predicted ms of one op. A `ckks.poly` of degree d costs about d ct×ct products, rescales and adds at its level. */
export function opMs(op: Op, params: CkksParams): number {
  const level = op.name === 'ckks.encode' ? (op.results[0]?.type.level ?? 0) : (op.operands[0]?.type.level ?? 0);
  const scale = ((level + 1) / TOP_LIMBS) * 2 ** (params.logN - TABLE_LOG_N);
  if (op.name === 'ckks.bootstrap') return LATENCY_MS['ckks.bootstrap']! * 2 ** (params.logN - TABLE_LOG_N);
  if (op.name === 'ckks.poly') {
    const degree = Array.isArray(op.attrs.coeffs) ? op.attrs.coeffs.length - 1 : 0;
    return degree * (LATENCY_MS['ckks.mul']! + LATENCY_MS['ckks.rescale']! + 2 * LATENCY_MS['ckks.add']!) * scale;
  }
  const per = LATENCY_MS[op.name] ?? 0;
  return per * scale * (op.name === 'ckks.rotate_hoisted' ? op.results.length : 1);
}

/** The module an op's landmark result closes, if it is one. */
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
  const out: string[] = new Array<string>(func.ops.length);
  let next = 'LM head';
  for (let i = func.ops.length - 1; i >= 0; i--) {
    for (const r of func.ops[i]!.results) next = landmarkModule(r.name) ?? next;
    out[i] = next;
  }
  return out;
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
