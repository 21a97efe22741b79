/**
 * @fileoverview level-aware-placement: bootstrap placement as an optimisation (passes/placement/level-aware.ts),
 * carried out by the walk of passes/bootstrap-placement.ts. The default placement of `hec compile`; `--placement
 * greedy` runs cache-levels (the walk alone, bootstrapping where levels run out) instead.
 *
 * requires: poly-approx has run; levels unassigned. ensures: what bootstrap-placement ensures, with every KV-cache
 * state entering at the level the search chose for it; the predicted time per token is never above greedy's (where
 * the search finds nothing better, greedy's decisions are used and the summary says so).
 */
import type { Module } from '../../ir/module.ts';
import { placeFunc, type PlacementSummary } from '../bootstrap-placement.ts';
import { cacheLevelsPass } from '../cache-levels.ts';
import { runPass } from '../pipeline.ts';
import { defaultCostTable } from '../cost/table.ts';
import type { Pass, PassContext, PassOptionValues } from '../pass.ts';
import { greedyReplay, NoFeasiblePlacement, solveLevelAware } from './level-aware.ts';

export const levelAwarePlacementPass: Pass<PlacementSummary> = {
  name: 'level-aware-placement',
  summary: 'choose bootstrap points, their target levels and the KV-cache levels by a shortest path over levels (Cachemir §6)',
  description:
    'requires: poly-approx has run. ensures: what bootstrap-placement ensures; predicted time per token (cost ' +
    'model, ctx.costTable or the bundled table) ≤ greedy placement\'s.',
  options: [{ name: 'prune', type: 'boolean', default: true, help: "Cachemir's pruning of boundary edges (false: search every edge)" }],
  run(module: Module, ctx: PassContext, options: PassOptionValues): PlacementSummary {
    const table = ctx.costTable ?? defaultCostTable();
    const summary: PlacementSummary = {};
    for (const func of module.funcs) {
      let solved;
      try {
        solved = solveLevelAware(func, ctx.params, table, { prune: options.prune !== false });
      } catch (e) {
        if (!(e instanceof NoFeasiblePlacement)) throw e;
        solved = undefined;
      }
      // No feasible path means the parameters cannot carry this model at all (a chain used up without bootstrapping,
      // a polynomial deeper than the levels between bootstraps). Greedy's walk names that cause as a coded error
      // (HEC4203 and kin) at the op where it happens, so let it speak rather than report an internal error.
      if (solved === undefined) return runPass(cacheLevelsPass, module, ctx);
      const greedy = greedyReplay(func, ctx.params, table);
      const useGreedy = greedy.ms < solved.ms;
      const decisions = useGreedy ? greedy.decisions : solved.decisions;
      const r = placeFunc(func, ctx.params, decisions);
      summary[func.name] = {
        bootstraps: r.bootstraps,
        level_drops: r.drops,
        state_outgoing_levels: Object.fromEntries(r.outgoing),
        strategy: useGreedy ? 'level-aware (greedy kept: no predicted gain)' : 'level-aware',
        state_levels: Object.fromEntries(decisions.stateLevels),
        predicted_ms: Math.round(useGreedy ? greedy.ms : solved.ms),
        greedy_predicted_ms: Math.round(greedy.ms),
        greedy_bootstraps: greedy.bootstraps,
        modules: solved.modules,
        modules_solved: solved.solved,
        cost_table: `${table.preset}, ${table.about.date.slice(0, 10)}, ${table.about.machine}`,
      };
    }
    return summary;
  },
};
