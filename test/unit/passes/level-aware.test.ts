/**
 * Level-aware placement (passes/placement): its fast replay prices exactly what the real walk then emits (cost model
 * on the placed IR, bootstrap count), and it never predicts more time or more bootstraps than greedy placement,
 * on every bundled model and the generated fixtures. (The exhaustive searches: level-aware-search.slow.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { passContextFor } from '../../../compiler/pipeline.ts';
import { calibrateRanges } from '../../../compiler/calibrate.ts';
import { lowerDecodeStep } from '../../../compiler/lower/decode-step.ts';
import { loadLlamaSync } from '../../../compiler/onnx/frontend.ts';
import { cloneModule } from '../../../ir/clone.ts';
import { opCounts } from '../../../ir/graph.ts';
import type { Func } from '../../../ir/module.ts';
import { presetParams } from '../../../ir/presets.ts';
import { placeFunc, type PlacementDecisions } from '../../../passes/bootstrap-placement.ts';
import { predictPlan } from '../../../passes/cost/predict.ts';
import { defaultCostTable } from '../../../passes/cost/table.ts';
import { runPass } from '../../../passes/pipeline.ts';
import { greedyReplay, solveLevelAware } from '../../../passes/placement/level-aware.ts';
import { polyApproxPass } from '../../../passes/poly-approx.ts';
import { instantiatePackings, packingsNamed } from '../../../passes/packings/registry.ts';

const params = presetParams('TEST_INSECURE_N13_DEEP', { allowInsecure: true });
const table = defaultCostTable();

export async function unplaced(path: string, maxContext: number, layers?: number): Promise<Func> {
  const model = loadLlamaSync(path);
  const ranges = await calibrateRanges(model, { maxContext, sequences: [[1, 2, 3, 4, 5, 6, 7, 8]] });
  const kept = layers === undefined ? model : { ...model, layers: model.layers.slice(0, layers), config: { ...model.config, numLayers: layers } };
  const packings = instantiatePackings(packingsNamed('auto'), kept, params.slots, maxContext);
  const { module } = lowerDecodeStep(kept, { slots: params.slots, maxContext, ranges, packings });
  runPass(polyApproxPass, module, passContextFor(params));
  return module.funcs[0]!;
}

/** Place a copy with the real walk; price it with the cost model. */
function realPlacement(func: Func, d: PlacementDecisions): { ms: number; bootstraps: number } {
  const f = cloneModule({ version: 1, attrs: {}, funcs: [func] }).funcs[0]!;
  placeFunc(f, params, d);
  return { ms: predictPlan(f, params, table).ms, bootstraps: opCounts(f).get('ckks.bootstrap') ?? 0 };
}

const MODELS: [string, string, number][] = [
  ['tiny-mha (generated fixture)', 'test/fixtures/models/tiny-mha.decode.onnx', 8],
  ['tiny-gqa (generated fixture)', 'test/fixtures/models/tiny-gqa.decode.onnx', 32],
  ['llama-mqa (bundled)', 'models/llama-mqa.decode.onnx', 32],
  ['llama-mqa dynamo export (bundled)', 'models/llama-mqa.decode.dynamo.onnx', 32],
  ['llama-py (bundled)', 'models/llama-py.decode.onnx', 32],
];

describe('level-aware placement', () => {
  for (const [name, path, ctx] of MODELS) {
    it(`${name}: replay = real walk, and level-aware ≤ greedy in predicted time and bootstraps`, async () => {
      const func = await unplaced(path, ctx);
      const greedy = greedyReplay(func, params, table);
      const solved = solveLevelAware(func, params, table);
      for (const [label, replay] of [['greedy', greedy], ['level-aware', solved]] as const) {
        const real = realPlacement(func, replay.decisions);
        expect(real.bootstraps, label).toBe(replay.bootstraps);
        expect(Math.abs(real.ms - replay.ms), label).toBeLessThan(1e-6 * real.ms);
      }
      console.log(`${name}: greedy ${greedy.bootstraps} bootstraps, ${(greedy.ms / 1000).toFixed(1)} s; level-aware ${solved.bootstraps}, ${(solved.ms / 1000).toFixed(1)} s (${solved.modules} modules, ${solved.solved} solved)`);
      expect(solved.ms).toBeLessThanOrEqual(greedy.ms);
      expect(solved.bootstraps).toBeLessThanOrEqual(greedy.bootstraps);
    });
  }

});
