/**
 * @fileoverview The compiler driver: ONNX → LlamaModel → HE IR → passes → calibrated execution plan.
 *
 *   load + recognise (compiler/onnx) → calibrate ranges (float64 model runs) → lower one decode step
 *   → the compile pipeline (compiler/pipeline.ts: poly-approx → cache-levels → collect-keys → plan-header
 *   → bootstrap-ranges → validate-plan), run by the pass manager (passes/pipeline.ts).
 * Progress is reported through `onProgress`; nothing here prints.
 */
import type { LlamaModel } from '../ir/model.ts';
import type { Module } from '../ir/module.ts';
import type { CkksParams } from '../ir/params.ts';
import { presetParams } from '../ir/presets.ts';
import { runPipeline } from '../passes/pipeline.ts';
import { proveRanges } from './calibrate-bounds.ts';
import { calibrateRanges, defaultRanges, readCalibrationFile } from './calibrate.ts';
import { instantiatePackings, packingsNamed } from '../passes/packings/registry.ts';
import { lowerDecodeStep } from './lower/decode-step.ts';
import { loadLlamaSync } from './onnx/frontend.ts';
import type { CostTable } from '../passes/cost/table.ts';
import { compilePipeline, passContextFor, type CompileContext, type PlacementStrategy } from './pipeline.ts';
import { truncateModel } from './truncate.ts';

export interface CompileOptions {
  preset: string;
  maxContext: number;
  allowInsecure?: boolean;
  calibrationSequences?: number[][];
  /** A calibration file (see calibrate.ts readCalibrationFile); overrides calibrationSequences. */
  calibrationFile?: string;
  /** Tokens run through `sim` to measure bootstrap input ranges (0 skips: ranges stay uncalibrated). */
  bootstrapCalibrationTokens?: number;
  /**
   * Keep only the first `layers` decoder layers (1 … the model's count; `hec compile --layers K`): the plan computes
   * embedding → those layers → final RMSNorm → LM head, NOT the full model, and its header says so (compiler/truncate.ts).
   */
  layers?: number;
  /** Bootstrap placement: 'level-aware' (default; passes/placement/) or 'greedy' (cache-levels: the walk alone). */
  placement?: PlacementStrategy;
  /** Cost table pricing level-aware placement (default: the bundled one, passes/cost/tables/). */
  costTable?: CostTable;
  /** 'auto' (every registered packing, the cheapest per op) or one packing's name (`hec compile --packing`). */
  packing?: string;
  /** Verify the IR after every pass (`hec compile --verify-each`). */
  verifyEach?: boolean;
  /** Observe the module after each pass (`hec compile --print-ir-after PASS`). */
  afterPass?: (passName: string, module: Module) => void;
  onProgress?: (stage: string, detail?: string) => void;
}

export interface CompileResult {
  module: Module;
  model: LlamaModel;
  params: CkksParams;
}

export async function compileModel(path: string, opts: CompileOptions): Promise<CompileResult> {
  const progress = opts.onProgress ?? (() => {});
  progress('load', path);
  const loaded = loadLlamaSync(path);
  const model = opts.layers === undefined ? loaded : truncateModel(loaded, opts.layers);
  if (model.truncation !== undefined) progress('truncate', `keeping the first ${model.truncation.kept} of ${model.truncation.of} decoder layers: the plan is NOT the full model`);
  const params = presetParams(opts.preset, { allowInsecure: opts.allowInsecure });
  // Each packing checks that the model fits (HEC4001/HEC4002) before the expensive calibration.
  const packings = instantiatePackings(packingsNamed(opts.packing ?? 'auto'), model, params.slots, opts.maxContext);
  const graphOnly = model.source.graphOnly;
  progress('calibrate', graphOnly ? 'graph-only model: default ranges' : 'running the model in float64');
  // Scores and SiLU inputs get bounds that hold for every input (calibrate-bounds.ts); the rest is calibrated.
  const ranges = graphOnly
    ? defaultRanges(model, opts.maxContext)
    : proveRanges(model, await calibrateRanges(model, {
        maxContext: opts.maxContext,
        sequences: opts.calibrationFile !== undefined ? readCalibrationFile(opts.calibrationFile, model.config.vocabSize === 256) : opts.calibrationSequences, onProgress: (d, t) => progress('calibrate', `${d}/${t} sequences`) }));

  progress('lower', `${model.config.numLayers} layers, slots ${params.slots}`);
  const { module, used } = lowerDecodeStep(model, { slots: params.slots, maxContext: opts.maxContext, ranges, packings });
  const ctx: CompileContext = {
    ...passContextFor(params),
    model,
    maxContext: opts.maxContext,
    ranges,
    packings: used,
    bootstrapCalibrationTokens: opts.bootstrapCalibrationTokens ?? 16,
    progress,
  };
  if (opts.costTable !== undefined) ctx.costTable = opts.costTable;
  await runPipeline(module, ctx, compilePipeline(opts.placement), {
    verifyEach: opts.verifyEach,
    beforePass: (name) => progress('pass', name),
    afterPass: opts.afterPass,
  });
  return { module, model, params };
}
