/**
 * @fileoverview Token embedding: Gather(table [vocab, hidden], input_ids).
 */
import type { WeightTensor } from '../../../ir/model.ts';
import type { OnnxInitializer } from '../load.ts';
import { Matcher, weightTensor } from './match.ts';

export interface EmbeddingMatch {
  table: WeightTensor;
  init: OnnxInitializer;
  vocabSize: number;
  hiddenSize: number;
  /** The hidden state entering layer 0. */
  out: string;
}

export function matchEmbedding(m: Matcher): EmbeddingMatch {
  const gathers = m.users('input_ids').filter((u) => u.node.opType === 'Gather' && u.node.inputs[1] === u.input);
  if (gathers.length !== 1) {
    const found = m.users('input_ids').map((u) => `${u.node.name} (${u.node.opType})`).join(', ') || 'nothing';
    throw m.error(undefined, `expected one embedding Gather(table, input_ids); input_ids feeds ${found}`);
  }
  const node = gathers[0]!.node;
  const init = m.weight(node.inputs[0]!);
  if (!init || init.shape.length !== 2 || (node.attrs.axis ?? 0) !== 0) {
    throw m.error(node, `expected the embedding Gather to index rows of a [vocab, hidden] weight, found ${node.inputs[0]}`);
  }
  return {
    table: weightTensor(init, node, false),
    init,
    vocabSize: init.shape[0]!,
    hiddenSize: init.shape[1]!,
    out: node.outputs[0]!,
  };
}
