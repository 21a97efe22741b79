/**
 * @fileoverview The explicit list of passes. A duplicate name is an error; `hec passes` prints this list.
 */
import { bootstrapPlacementPass } from './bootstrap-placement.ts';
import { collectKeysPass } from './collect-keys.ts';
import type { Pass } from './pass.ts';
import { polyApproxPass } from './poly-approx.ts';
import { validatePlanPass } from './validate-plan.ts';

export const ALL_PASSES: readonly Pass[] = [polyApproxPass, bootstrapPlacementPass, collectKeysPass, validatePlanPass];

const BY_NAME: ReadonlyMap<string, Pass> = (() => {
  const m = new Map<string, Pass>();
  for (const p of ALL_PASSES) {
    if (m.has(p.name)) throw new Error(`internal error: duplicate pass name ${p.name}`);
    m.set(p.name, p);
  }
  return m;
})();

export function passByName(name: string): Pass | undefined {
  return BY_NAME.get(name);
}

/** The decode pipeline after lowering: approximate, place levels and bootstraps, list keys, validate. */
export function decodePipeline(): Pass[] {
  return [polyApproxPass, bootstrapPlacementPass, collectKeysPass, validatePlanPass];
}
