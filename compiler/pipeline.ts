/**
 * @fileoverview The compile pipeline as data: the IR passes (passes/registry.ts) followed by the compiler's own
 * passes, which need the model and the compile options: `plan-header` (model, parameters, packing, calibration,
 * approximations and placement into the header) and `bootstrap-ranges` (run the plan on `sim` to measure every
 * bootstrap's input range). The driver lowers the model and calls runPipeline(COMPILE_PIPELINE); `hec passes` lists
 * COMPILE_PASSES; `hec opt` runs any of the IR passes on IR text.
 */
import type { LlamaModel } from '../ir/model.ts';
import type { Module } from '../ir/module.ts';
import type { CkksParams } from '../ir/params.ts';
import { isAttrDict, type AttrDict } from '../ir/types.ts';
import { cacheLevelsPass } from '../passes/cache-levels.ts';
import { levelAwarePlacementPass } from '../passes/placement/level-aware-pass.ts';
import { collectKeysPass } from '../passes/collect-keys.ts';
import { PassResults, type Pass, type PassContext } from '../passes/pass.ts';
import type { PackedModel } from '../passes/packings/packing.ts';
import type { PipelineStep } from '../passes/pipeline.ts';
import { polyApproxPass, type ApproximationRecord } from '../passes/poly-approx.ts';
import { ALL_PASSES, checkUnique } from '../passes/registry.ts';
import { validatePlanPass } from '../passes/validate-plan.ts';
import { bootstrapRotations } from '../runtime/bootstrap/index.ts';
import { paramsToAttr, weightFilesAttr } from '../runtime/plan.ts';
import { calibrateBootstrapRanges } from './calibrate-bootstrap.ts';
import type { ModelRanges } from './lower/ranges.ts';
import { layersAttr } from './truncate.ts';

/** hec's activations are real, so plans use the real-slot bootstrap; its rotation keys join the plan's key list. */
export const BOOTSTRAP_VARIANT = 'real';

/** What the compiler's own passes need beyond PassContext. */
export interface CompileContext extends PassContext {
  model: LlamaModel;
  maxContext: number;
  ranges: ModelRanges;
  /** The packings that lowered at least one op of the step. */
  packings: readonly PackedModel[];
  /** Tokens run on `sim` to measure bootstrap ranges (0: ranges stay uncalibrated). */
  bootstrapCalibrationTokens: number;
  progress: (stage: string, detail?: string) => void;
}

/** The context every pass starts from: the parameters, no results yet, and the bootstrap's rotations. */
export function passContextFor(params: CkksParams): PassContext {
  return { params, results: new PassResults(), bootstrapRotations: params.bootstrapOutputLevel >= 0 ? bootstrapRotations(params, BOOTSTRAP_VARIANT) : [] };
}

function rangesAttr(r: ModelRanges): AttrDict {
  const iv = (i: { lo: number; hi: number }) => [i.lo, i.hi];
  return {
    provenance: r.provenance,
    final_norm_mean_square: iv(r.finalNormMeanSquare),
    layers: r.layers.map((l) => ({
      attn_norm_mean_square: iv(l.attnNormMeanSquare),
      mlp_norm_mean_square: iv(l.mlpNormMeanSquare),
      scores: iv(l.scores),
      silu_input: iv(l.siluInput),
    })),
  };
}

function approximationAttr(a: ApproximationRecord): AttrDict {
  return { value: a.value, fn: a.fn, domain: a.domain, degree: a.degree, newtonSteps: a.newtonSteps, depth: a.depth, maxError: a.maxError, errorKind: a.errorKind };
}

export const planHeaderPass: Pass<void, CompileContext> = {
  name: 'plan-header',
  summary: 'write the plan header: model, decoder layers, parameters, packing, calibration, approximations, placement',
  description:
    'requires: poly-approx, a placement (level-aware-placement or cache-levels) and collect-keys have run. ensures: the module attributes a plan file ' +
    'carries (hec inspect reads them); the bootstrap variant joins the key list when the plan bootstraps.',
  options: [],
  run(module: Module, ctx: CompileContext) {
    const { model, params } = ctx;
    const c = model.config;
    module.attrs.model = {
      path: model.source.path,
      sha256: model.source.sha256,
      // The plan binds every external weight file too (runtime/plan.ts assertPlanModel, HEC5034).
      weight_files: weightFilesAttr(model.source),
      exporter: model.source.exporter,
      opset: model.source.opset,
      graph_only: model.source.graphOnly,
      config: {
        hidden_size: c.hiddenSize,
        num_layers: model.truncation?.of ?? c.numLayers,
        num_heads: c.numHeads,
        num_kv_heads: c.numKvHeads,
        head_dim: c.headDim,
        intermediate_size: c.intermediateSize,
        vocab_size: c.vocabSize,
        rope_theta: c.ropeTheta,
        rms_norm_eps: c.rmsNormEps,
        tied_embeddings: c.tiedEmbeddings,
      },
    };
    // The decoder layers the plan computes: "4 of 4", or "2 of 4 (truncated)" (model.config above is the graph's).
    module.attrs.layers = layersAttr(model);
    module.attrs.params = paramsToAttr(params);
    if (isAttrDict(module.attrs.keys) && module.attrs.keys.bootstrap === true) module.attrs.keys.bootstrap_variant = BOOTSTRAP_VARIANT;
    module.attrs.max_context = ctx.maxContext;
    // One packing: its own header; several (a mixed plan, --packing auto): each one's, by name.
    const [only] = ctx.packings;
    module.attrs.packing = ctx.packings.length === 1 && only !== undefined ? only.header() : { strategy: 'mixed', parts: Object.fromEntries(ctx.packings.map((p) => [p.packing.name, p.header()])) };
    module.attrs.calibration = rangesAttr(ctx.ranges);
    module.attrs.approximations = ctx.results.require(polyApproxPass).map(approximationAttr);
    module.attrs.placement = ctx.results.has(levelAwarePlacementPass) ? ctx.results.require(levelAwarePlacementPass) : ctx.results.require(cacheLevelsPass);
    module.attrs.compiler = 'hec 0.1.0';
  },
};

export const bootstrapRangesPass: Pass<Promise<void>, CompileContext> = {
  name: 'bootstrap-ranges',
  summary: "measure every bootstrap's input range by running the plan on sim over calibration tokens",
  description:
    'requires: plan-header has run. ensures: every ckks.bootstrap has a range (an analytic bound where one exists, ' +
    'else 4× the calibrated maximum, a power of two) and the header says how they were found; graph-only models ' +
    'and bootstrap-calibration-tokens = 0 leave them "uncalibrated".',
  options: [],
  async run(module: Module, ctx: CompileContext) {
    const tokens = ctx.bootstrapCalibrationTokens;
    const hasBootstrap = isAttrDict(module.attrs.keys) && module.attrs.keys.bootstrap === true;
    if (hasBootstrap && !ctx.model.source.graphOnly && tokens > 0) {
      ctx.progress('calibrate', `bootstrap ranges: running ${tokens} tokens on sim`);
      module.attrs.bootstrap_ranges = await calibrateBootstrapRanges(module, ctx.model, ctx.params, tokens, (d, t) => ctx.progress('calibrate', `bootstrap ranges ${d}/${t} tokens`));
    } else {
      module.attrs.bootstrap_ranges = hasBootstrap ? 'uncalibrated' : 'none';
    }
  },
};

/** Bootstrap placements `hec compile --placement` accepts; the first is the default. */
export const PLACEMENTS = ['level-aware', 'greedy'] as const;
export type PlacementStrategy = (typeof PLACEMENTS)[number];

/** Every pass `hec compile` runs, in order (the IR passes of passes/registry.ts, then the compiler's). */
export function compilePipeline(placement: PlacementStrategy = 'level-aware'): readonly PipelineStep<CompileContext>[] {
  return [
    { pass: polyApproxPass },
    { pass: placement === 'greedy' ? cacheLevelsPass : levelAwarePlacementPass },
    { pass: collectKeysPass },
    { pass: planHeaderPass },
    { pass: bootstrapRangesPass },
    { pass: validatePlanPass },
  ];
}

/** The default pipeline (level-aware placement). */
export const COMPILE_PIPELINE: readonly PipelineStep<CompileContext>[] = compilePipeline();

/** The registry `hec passes` lists and `--print-ir-after` accepts: the IR passes and the compiler's own. */
export const COMPILE_PASSES: readonly Pass<unknown, CompileContext>[] = checkUnique([...ALL_PASSES, planHeaderPass, bootstrapRangesPass]);
