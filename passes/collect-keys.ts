/**
 * @fileoverview collect-keys: the evaluation keys a plan needs, and its per-token op counts.
 *
 * requires: nothing. ensures: `module.attrs.keys` = {relinearize, conjugate, bootstrap, rotations} with exactly the
 * rotation offsets the plan's `ckks.rotate` / `ckks.rotate_hoisted` use plus those its bootstraps need
 * (`ctx.bootstrapRotations`), sorted; `module.attrs.op_counts` = ops per decoding step by name, plus the total
 * rotation (key-switch) count.
 */
import type { Module } from '../ir/module.ts';
import type { Pass, PassContext } from './pass.ts';

export const collectKeysPass: Pass = {
  name: 'collect-keys',
  summary: 'list the rotation, relinearisation, conjugation and bootstrap keys the plan needs; count ops per step',
  description: 'requires: nothing. ensures: module attributes `keys` and `op_counts` describe the plan exactly.',
  options: [],
  run(module: Module, ctx: PassContext) {
    const rotations = new Set<number>();
    let relin = false;
    let conj = false;
    let boot = false;
    const counts: Record<string, number> = {};
    let keySwitches = 0;
    for (const f of module.funcs) {
      for (const op of f.ops) {
        counts[op.name] = (counts[op.name] ?? 0) + 1;
        if (op.name === 'ckks.rotate') {
          rotations.add(op.attrs.offset as number);
          keySwitches++;
        } else if (op.name === 'ckks.rotate_hoisted') {
          for (const o of op.attrs.offsets as number[]) rotations.add(o);
          keySwitches += (op.attrs.offsets as number[]).length;
        } else if (op.name === 'ckks.relinearize') {
          relin = true;
          keySwitches++;
        } else if (op.name === 'ckks.conjugate') {
          conj = true;
          keySwitches++;
        } else if (op.name === 'ckks.bootstrap') boot = true;
        else if (op.name === 'ckks.poly' && (op.attrs.coeffs as number[]).length > 2) relin = true; // T_k products
      }
    }
    if (boot) for (const r of ctx.bootstrapRotations ?? []) rotations.add(r);
    module.attrs.keys = {
      relinearize: relin,
      conjugate: conj || boot,
      bootstrap: boot,
      rotations: [...rotations].sort((a, b) => a - b),
    };
    const sorted: Record<string, number> = {};
    for (const k of Object.keys(counts).sort()) sorted[k] = counts[k]!;
    module.attrs.op_counts = { ...sorted, key_switches: keySwitches };
  },
};
