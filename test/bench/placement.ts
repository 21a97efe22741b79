/**
 * Bench (prints numbers, asserts nothing): greedy vs level-aware placement on one model at the default preset, by the replay
 * and by the real walk priced with the cost model, pruned and unpruned, with the search time.
 *   npx tsx test/bench/placement.ts [MODEL.onnx] [COST_TABLE.json]
 * The poly-approximated, unplaced module is cached in /tmp (delete it after changing lowering or approximations).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_PRESET, presetParams } from '../../ir/presets.ts';
import { parseModule } from '../../ir/text/index.ts';
import { printModule } from '../../ir/text/printer.ts';
import { loadLlamaSync } from '../../compiler/onnx/frontend.ts';
import { calibrateRanges } from '../../compiler/calibrate.ts';
import { lowerDecodeStep } from '../../compiler/lower/decode-step.ts';
import { polyApproxPass } from '../../passes/poly-approx.ts';
import { instantiatePackings, packingsNamed } from '../../passes/packings/registry.ts';
import { runPass } from '../../passes/pipeline.ts';
import { passContextFor } from '../../compiler/pipeline.ts';
import { opCounts } from '../../ir/graph.ts';
import { cloneModule } from '../../ir/clone.ts';
import { defaultCostTable, readCostTable } from '../../passes/cost/table.ts';
import { predictPlan } from '../../passes/cost/predict.ts';
import { placeFunc } from '../../passes/bootstrap-placement.ts';
import { greedyReplay, solveLevelAware } from '../../passes/placement/level-aware.ts';

const model = process.argv[2] ?? 'models/llama-py.decode.onnx';
const table = process.argv[3] !== undefined ? readCostTable(process.argv[3]) : defaultCostTable();
const cache = `/tmp/placement-unplaced-${model.replace(/\W/g, '_')}.hir`;
const params = presetParams(DEFAULT_PRESET);
if (!existsSync(cache)) {
  const m = loadLlamaSync(model);
  const ranges = await calibrateRanges(m, { maxContext: 256 });
  const packings = instantiatePackings(packingsNamed('auto'), m, params.slots, 256);
  const { module: lowered } = lowerDecodeStep(m, { slots: params.slots, maxContext: 256, ranges, packings });
  runPass(polyApproxPass, lowered, passContextFor(params));
  writeFileSync(cache, printModule(lowered));
}
const { module } = parseModule(readFileSync(cache, 'utf8'), cache);
const func = module.funcs[0]!;
let t = performance.now();
const g = greedyReplay(func, params, table);
console.log('greedy replay', Math.round(performance.now() - t), 'ms:', Math.round(g.ms), 'boots', g.bootstraps);
for (const [prune, jointStates] of [[true, false], [false, true]]) {
  t = performance.now();
  const s = solveLevelAware(func, params, table, { prune, jointStates });
  console.log(`level-aware prune=${prune}`, Math.round(performance.now() - t), 'ms:', Math.round(s.ms), 'boots', s.bootstraps, 'modules', s.modules, 'solved', s.solved);
  console.log(JSON.stringify(s.path));
  for (const [name, dec] of [['greedy', g.decisions], ['level-aware', s.decisions]] as const) {
    const m = cloneModule(module);
    placeFunc(m.funcs[0]!, params, dec);
    const c = predictPlan(m.funcs[0]!, params, table);
    const counts = opCounts(m);
    console.log(`  real ${name}: predicted ${Math.round(c.ms)} boots ${counts.get('ckks.bootstrap')} drops ${counts.get('ckks.level_drop')}`);
  }
}
