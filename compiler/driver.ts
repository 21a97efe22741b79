/**
 * @fileoverview The compiler driver: ONNX → LlamaModel → HE IR → passes → calibrated execution plan.
 *
 *   load + recognise (compiler/onnx) → calibrate ranges (float64 model runs) → lower one decode step
 *   → poly-approx → bootstrap-placement (iterated to a fixed point for the KV-cache levels) → collect-keys
 *   → bootstrap ranges measured by running the plan on `sim` → validate-plan → plan header
 * Progress is reported through `onProgress`; nothing here prints.
 */
import { cloneModule } from '../ir/clone.ts';
import type { LlamaModel } from '../ir/model.ts';
import type { Module } from '../ir/module.ts';
import type { CkksParams } from '../ir/params.ts';
import { presetParams } from '../ir/presets.ts';
import { isAttrDict, type AttrDict } from '../ir/types.ts';
import { bootstrapPlacementPass, levelReserve } from '../passes/bootstrap-placement.ts';
import { collectKeysPass } from '../passes/collect-keys.ts';
import type { PassContext } from '../passes/pass.ts';
import { polyApproxPass } from '../passes/poly-approx.ts';
import { validatePlanPass } from '../passes/validate-plan.ts';
import { bootstrapRotations } from '../runtime/bootstrap/index.ts';
import { paramsToAttr } from '../runtime/plan.ts';
import { calibrateBootstrapRanges } from './calibrate-bootstrap.ts';
import { proveRanges } from './calibrate-bounds.ts';
import { calibrateRanges, defaultRanges, readCalibrationFile } from './calibrate.ts';
import { lowerDecodeStep, decodeGeometry } from './lower/decode-step.ts';
import type { ModelRanges } from './lower/ranges.ts';
import { loadLlamaSync } from './onnx/frontend.ts';
import { layersAttr, truncateModel } from './truncate.ts';

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
  onProgress?: (stage: string, detail?: string) => void;
}

export interface CompileResult {
  module: Module;
  model: LlamaModel;
  params: CkksParams;
}

const BOOTSTRAP_VARIANT = 'real';

/** The minimum level a cached K/V ciphertext is stored at, so its readers can still multiply it (ct×ct + rescale). */
const MIN_CACHE_LEVEL = 1;

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

/** Run bootstrap-placement until the KV-cache state levels are a fixed point (see the pass's header). */
function placeWithStateLevels(unplaced: Module, ctx: PassContext): Module {
  const stateLevels = new Map<string, number>();
  let placed = unplaced;
  for (let iter = 0; iter < 4; iter++) {
    placed = cloneModule(unplaced);
    ctx.stateLevels = new Map(stateLevels);
    bootstrapPlacementPass.run(placed, ctx);
    const summary = (ctx.notes.placement as Record<string, { state_outgoing_levels: Record<string, number> }>).decode_step!;
    let changed = false;
    for (const [name, out] of Object.entries(summary.state_outgoing_levels)) {
      const want = Math.max(MIN_CACHE_LEVEL + levelReserve(ctx.params), out);
      if (stateLevels.get(name) !== want) {
        stateLevels.set(name, want);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return placed;
}

export async function compileModel(path: string, opts: CompileOptions): Promise<CompileResult> {
  const progress = opts.onProgress ?? (() => {});
  progress('load', path);
  const loaded = loadLlamaSync(path);
  const model = opts.layers === undefined ? loaded : truncateModel(loaded, opts.layers);
  if (model.truncation !== undefined) progress('truncate', `keeping the first ${model.truncation.kept} of ${model.truncation.of} decoder layers: the plan is NOT the full model`);
  const params = presetParams(opts.preset, { allowInsecure: opts.allowInsecure });
  const geo = decodeGeometry(model, params.slots, opts.maxContext);
  const graphOnly = model.source.graphOnly;
  progress('calibrate', graphOnly ? 'graph-only model: default ranges' : 'running the model in float64');
  // Scores and SiLU inputs get bounds that hold for every input (calibrate-bounds.ts); the rest is calibrated.
  const ranges = graphOnly
    ? defaultRanges(model, opts.maxContext)
    : proveRanges(model, await calibrateRanges(model, {
        maxContext: opts.maxContext,
        sequences: opts.calibrationFile !== undefined ? readCalibrationFile(opts.calibrationFile, model.config.vocabSize === 256) : opts.calibrationSequences, onProgress: (d, t) => progress('calibrate', `${d}/${t} sequences`) }));

  progress('lower', `${model.config.numLayers} layers, slots ${params.slots}`);
  const lowered = lowerDecodeStep(model, { slots: params.slots, maxContext: opts.maxContext, ranges });
  // hec's activations are real, so plans use the real-slot bootstrap; its rotation keys join the plan's key list.
  const ctx: PassContext = { params, notes: {}, bootstrapRotations: params.bootstrapOutputLevel >= 0 ? bootstrapRotations(params, BOOTSTRAP_VARIANT) : [] };
  progress('pass', 'poly-approx');
  polyApproxPass.run(lowered, ctx);
  progress('pass', 'bootstrap-placement');
  const module = placeWithStateLevels(lowered, ctx);
  progress('pass', 'collect-keys');
  collectKeysPass.run(module, ctx);

  const c = model.config;
  module.attrs.model = {
    path: model.source.path,
    sha256: model.source.sha256,
    exporter: model.source.exporter,
    opset: model.source.opset,
    graph_only: graphOnly,
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
  module.attrs.max_context = opts.maxContext;
  module.attrs.packing = {
    strategy: 'replicated',
    hidden_period: geo.hiddenPeriod,
    ffn_period: geo.ffnPeriod,
    vocab_period: geo.vocabPeriod,
    kv_block: geo.block,
    tokens_per_cache_ciphertext: geo.capacity,
    cache_ciphertexts_per_layer: geo.cacheCiphertexts,
  };
  module.attrs.calibration = rangesAttr(ranges);
  module.attrs.approximations = (ctx.notes.approximations as Record<string, unknown>[]).map((a) => ({ ...a }) as AttrDict);
  module.attrs.placement = ctx.notes.placement as AttrDict;
  module.attrs.compiler = 'hec 0.1.0';

  const btsTokens = opts.bootstrapCalibrationTokens ?? 16;
  const hasBootstrap = isAttrDict(module.attrs.keys) && module.attrs.keys.bootstrap === true;
  if (hasBootstrap && !graphOnly && btsTokens > 0) {
    progress('calibrate', `bootstrap ranges: running ${btsTokens} tokens on sim`);
    module.attrs.bootstrap_ranges = await calibrateBootstrapRanges(module, model, params, btsTokens, (d, t) => progress('calibrate', `bootstrap ranges ${d}/${t} tokens`));
  } else {
    module.attrs.bootstrap_ranges = hasBootstrap ? 'uncalibrated' : 'none';
  }
  progress('pass', 'validate-plan');
  validatePlanPass.run(module, ctx);
  return { module, model, params };
}
