/**
 * @fileoverview cache-levels: bootstrap-placement iterated until the KV-cache state levels are a fixed point.
 *
 * requires: what bootstrap-placement requires. ensures: what it ensures, and every state argument enters at the
 * level its writer delivers it at (at least `min-cache-level` above the reserve, so a reader can still multiply:
 * ct×ct + rescale), so one step's outputs are the next step's inputs without a bootstrap at the seam.
 *
 * Why a loop: the level a cached K/V ciphertext is written at depends on where bootstraps land, which depends on the
 * level the cache is read at. Starting from the bootstrap output level, each round stores the cache at the level the
 * previous round wrote it; in practice it settles in two rounds. Every round places a fresh copy of the input module.
 */
import { cloneModule } from '../ir/clone.ts';
import type { Module } from '../ir/module.ts';
import { bootstrapPlacementPass, levelReserve, type PlacementSummary } from './bootstrap-placement.ts';
import { runPass } from './pipeline.ts';
import { numberOption, type Pass, type PassContext, type PassOptionValues } from './pass.ts';

export const cacheLevelsPass: Pass<PlacementSummary> = {
  name: 'cache-levels',
  summary: 'run bootstrap-placement until the KV-cache state levels are a fixed point',
  description:
    'requires: poly-approx has run. ensures: what bootstrap-placement ensures, with every state argument entering ' +
    'at the level its writer delivers (≥ min-cache-level + reserve), so decoding steps chain without a bootstrap.',
  options: [
    { name: 'max-rounds', type: 'number', default: 4, help: 'placement rounds before giving up on a fixed point' },
    { name: 'min-cache-level', type: 'number', default: 1, help: 'lowest level a cached K/V ciphertext is stored at' },
  ],
  run(module: Module, ctx: PassContext, options: PassOptionValues): PlacementSummary {
    const rounds = numberOption(options, 'max-rounds');
    const floor = numberOption(options, 'min-cache-level') + levelReserve(ctx.params);
    const unplaced = cloneModule(module);
    const stateLevels = new Map<string, number>();
    let placed = unplaced;
    let summary: PlacementSummary = {};
    for (let round = 0; round < rounds; round++) {
      placed = cloneModule(unplaced);
      ctx.stateLevels = new Map(stateLevels);
      summary = runPass(bootstrapPlacementPass, placed, ctx);
      let changed = false;
      for (const func of Object.values(summary)) {
        for (const [name, out] of Object.entries(func.state_outgoing_levels)) {
          const want = Math.max(floor, out);
          if (stateLevels.get(name) !== want) {
            stateLevels.set(name, want);
            changed = true;
          }
        }
      }
      if (!changed) break;
    }
    module.funcs = placed.funcs;
    module.attrs = placed.attrs;
    return summary;
  },
};
