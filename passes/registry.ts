/**
 * @fileoverview The explicit list of IR passes. A duplicate name is an error; `hec passes` and `hec opt` read this
 * list (with the compiler's own passes, compiler/pipeline.ts).
 */
import { bootstrapPlacementPass } from './bootstrap-placement.ts';
import { cacheLevelsPass } from './cache-levels.ts';
import { collectKeysPass } from './collect-keys.ts';
import type { Pass } from './pass.ts';
import { polyApproxPass } from './poly-approx.ts';
import { levelAwarePlacementPass } from './placement/level-aware-pass.ts';
import { validatePlanPass } from './validate-plan.ts';

export const ALL_PASSES: readonly Pass<unknown>[] = checkUnique([polyApproxPass, bootstrapPlacementPass, cacheLevelsPass, levelAwarePlacementPass, collectKeysPass, validatePlanPass]);

/** Throw on a duplicate pass name (registries are explicit lists; an override is never silent). */
export function checkUnique<P extends { name: string }>(passes: P[]): P[] {
  const seen = new Set<string>();
  for (const p of passes) {
    if (seen.has(p.name)) throw new Error(`internal error: duplicate pass name ${p.name}`);
    seen.add(p.name);
  }
  return passes;
}

export function passByName(name: string): Pass<unknown> | undefined {
  return ALL_PASSES.find((p) => p.name === name);
}
