/**
 * @fileoverview validate-plan: the checks a plan must pass before it is written, as a pass.
 *
 * requires: bootstrap-placement and collect-keys have run. ensures (or throws HEC4301): the module verifies with
 * every level assigned and ≥ 0; every rotation used has a key listed; every bootstrap has a calibrated range.
 */
import { HecError } from '../ir/diagnostics.ts';
import type { Module } from '../ir/module.ts';
import { isAttrDict } from '../ir/types.ts';
import { assertValid } from '../ir/verify.ts';
import type { Pass, PassContext } from './pass.ts';

export const validatePlanPass: Pass = {
  name: 'validate-plan',
  summary: 'verify levels, scales, layouts and that every key the plan uses is listed',
  description: 'requires: bootstrap-placement, collect-keys. ensures: the plan verifies with all levels assigned.',
  options: [],
  run(module: Module, ctx: PassContext) {
    assertValid(module, { bootstrapOutputLevel: ctx.params.bootstrapOutputLevel, requireLevels: true });
    const keys = module.attrs.keys;
    if (!isAttrDict(keys) || !Array.isArray(keys.rotations)) throw new HecError('HEC4301', 'plan has no key list', { fix: 'run collect-keys' });
    const listed = new Set(keys.rotations as number[]);
    for (const f of module.funcs) {
      for (const op of f.ops) {
        const offs = op.name === 'ckks.rotate' ? [op.attrs.offset as number] : op.name === 'ckks.rotate_hoisted' ? (op.attrs.offsets as number[]) : [];
        for (const o of offs) if (!listed.has(o)) throw new HecError('HEC4301', `rotation by ${o} has no key in the plan`, { fix: 'run collect-keys' });
      }
    }
  },
};
