/**
 * @fileoverview The WeightStore of a recognised model: every weight tensor by the name the lowering used.
 */
import { HecError } from '../ir/diagnostics.ts';
import type { LlamaModel, WeightTensor } from '../ir/model.ts';
import type { WeightStore } from '../ir/plaintext-sources.ts';

export function modelTensors(model: LlamaModel): WeightTensor[] {
  const out: WeightTensor[] = [model.embedding, model.finalNorm, model.lmHead.weight];
  if (model.lmHead.bias) out.push(model.lmHead.bias);
  for (const L of model.layers) {
    out.push(L.inputNorm, L.postAttentionNorm);
    for (const lin of [L.q, L.k, L.v, L.o, L.gate, L.up, L.down]) {
      out.push(lin.weight);
      if (lin.bias) out.push(lin.bias);
    }
  }
  return out;
}

/** A WeightStore over the model's tensors; throws HEC5030 for a graph-only model. */
export function weightStore(model: LlamaModel): WeightStore {
  const byName = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of modelTensors(model)) {
    if (t.data === null) {
      throw new HecError('HEC5030', `model ${model.source.path} has no weights (graph-only: its external data file is missing)`, {
        fix: 'place the .onnx.data file next to the model; a graph-only model can be compiled and inspected but not run',
      });
    }
    byName.set(t.name, { shape: t.shape, data: t.data });
  }
  return {
    get(name) {
      const t = byName.get(name);
      if (t === undefined) throw new HecError('HEC5031', `the plan reads weight '${name}', which the model does not have`, { fix: 'recompile the plan for this model' });
      return t;
    },
  };
}
