/**
 * @fileoverview Layer truncation (`hec compile --layers K`): keep only the first K decoder layers of a model.
 *
 * The truncated model is embedding → decoder layers 0 … K−1 → final RMSNorm → LM head. It is a different function
 * from the ONNX graph (onnxruntime cannot run it), meant for testing and measuring deep plans — e.g. a few llama-py
 * layers with bootstrapping on a real engine — where the whole model per token is impractical. Plans say so loudly:
 * the header's `layers` attribute reads "K of N (truncated)", `hec inspect` repeats it and `hec run` warns.
 * The float64 reference evaluates the same truncation independently (model-eval.ts `createState(model, {layers})`).
 */
import { HecError } from '../ir/diagnostics.ts';
import type { LlamaModel } from '../ir/model.ts';
import type { Module } from '../ir/module.ts';

/**
 * Check a requested layer count against a model with `numLayers` decoder layers; returns it. HEC0006 names the option
 * and the valid range.
 */
export function checkLayerCount(k: number, numLayers: number, modelPath: string): number {
  if (!Number.isInteger(k) || k < 1 || k > numLayers) {
    throw new HecError('HEC0006', `--layers ${k} is not a layer count of ${modelPath}, which has ${numLayers} decoder layer${numLayers === 1 ? '' : 's'}`, {
      fix: `pass --layers K with K an integer from 1 to ${numLayers} (the first K layers are kept), or leave --layers out to compile the whole model`,
    });
  }
  return k;
}

/**
 * The model with only its first `k` decoder layers (the same object when k equals the number of layers: nothing is
 * truncated). Weight tensors are shared, not copied.
 */
export function truncateModel(model: LlamaModel, k: number): LlamaModel {
  const n = model.layers.length;
  checkLayerCount(k, n, model.source.path);
  if (k === n) return model;
  return {
    ...model,
    config: { ...model.config, numLayers: k },
    layers: model.layers.slice(0, k),
    truncation: { kept: k, of: n },
  };
}

/** The plan header's `layers` attribute: "4 of 4", or "2 of 4 (truncated)". */
export function layersAttr(model: LlamaModel): string {
  const t = model.truncation;
  return t === undefined ? `${model.layers.length} of ${model.layers.length}` : `${t.kept} of ${t.of} (truncated)`;
}

export interface PlanLayers {
  kept: number;
  of: number;
  truncated: boolean;
}

/** Read a plan's `layers` attribute; undefined for plans written before it existed (they keep every layer). */
export function planLayers(m: Module): PlanLayers | undefined {
  const a = m.attrs.layers;
  if (typeof a !== 'string') return undefined;
  const match = /^(\d+) of (\d+)( \(truncated\))?$/.exec(a);
  const kept = Number(match?.[1]);
  const of = Number(match?.[2]);
  const truncated = match?.[3] !== undefined;
  if (match === null || kept < 1 || kept > of || truncated !== kept < of) {
    throw new HecError('HEC5003', `the plan's layers attribute '${a}' is not "N of N" or "K of N (truncated)" with 1 ≤ K < N`, { fix: 'recompile the plan with this version of hec' });
  }
  return { kept, of, truncated };
}

/** The warning `hec run` prints for a truncated plan (stderr, even with --quiet). */
export function truncationWarning(l: PlanLayers): string {
  return `warning: this plan keeps only the first ${l.kept} of the model's ${l.of} decoder layers (compiled with --layers ${l.kept}): its logits and tokens are NOT the full model's`;
}
