/**
 * Shared set-up for the KV-policy tests: one prompt of the bundled held-out Python through llama-py with the full
 * cache, then any policy continued from a copy of it with every head's selection recorded.
 */
import { readFileSync } from 'node:fs';
import { createState, decodeStep, type DecodeState } from '../../../compiler/model-eval.ts';
import { PromptImportance } from '../../../compiler/kv-policy/importance.ts';
import { DEFAULT_PARAMS, kvPolicy, type KvPolicyParams, type KvSelection } from '../../../compiler/kv-policy/index.ts';
import { loadLlamaSync } from '../../../compiler/onnx/frontend.ts';
import type { LlamaModel } from '../../../ir/model.ts';

export const HELD_OUT = [...readFileSync('test/fixtures/text/held-out.py')];

export interface Prefilled {
  model: LlamaModel;
  state: DecodeState;
  promptLength: number;
  importance: PromptImportance;
}

export function prefillHeldOut(modelPath: string, promptLength: number, observationFraction = DEFAULT_PARAMS.observationFraction): Prefilled {
  const model = loadLlamaSync(modelPath);
  const state = createState(model);
  const importance = new PromptImportance(state.layers, model.config.numHeads, promptLength, observationFraction);
  HELD_OUT.slice(0, promptLength).forEach((t, i) => decodeStep(model, state, t, i, importance.observer));
  return { model, state, promptLength, importance };
}

export interface PolicyTrace {
  selection: KvSelection;
  /** steps[s].get(`${layer}/${head}`) = positions attended (null = all), and the step's logits. */
  steps: { picks: Map<string, number[] | null>; cacheLength: number; logits: Float64Array }[];
}

/** Continue a copy of the prefilled cache under `policy`, teacher-forcing the next `steps` held-out bytes. */
export function tracePolicy(pre: Prefilled, policy: string, params: Partial<KvPolicyParams>, steps: number): PolicyTrace {
  const state: DecodeState = { ...pre.state, keys: pre.state.keys.map((l) => l.slice()), values: pre.state.values.map((l) => l.slice()) };
  const c = pre.model.config;
  const selection = kvPolicy(policy).begin(
    { state, promptLength: pre.promptLength, numHeads: c.numHeads, numKvHeads: c.numKvHeads, headDim: c.headDim, importance: pre.importance },
    { ...DEFAULT_PARAMS, ...params },
  );
  const out: PolicyTrace['steps'] = [];
  for (let s = 0; s < steps; s++) {
    const picks = new Map<string, number[] | null>();
    const pos = pre.promptLength + s;
    const logits = decodeStep(pre.model, state, HELD_OUT[pos]!, pos, undefined, {
      select(layer, head, query, cacheLength) {
        const k = selection.select(layer, head, query, cacheLength);
        picks.set(`${layer}/${head}`, k === null ? null : Array.from(k));
        return k;
      },
    });
    out.push({ picks, cacheLength: pos + 1, logits });
  }
  return { selection, steps: out };
}
