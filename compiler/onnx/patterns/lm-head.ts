/**
 * @fileoverview LM head: the linear producing the `logits` output, and tied-embedding detection.
 *
 * The legacy exporter stores a tied head as a separate transposed copy of the embedding table, so "tied" is decided
 * by identity of the initializer or, when weights are present, by equal contents.
 */
import type { WeightTensor } from '../../../ir/model.ts';
import type { EmbeddingMatch } from './embedding.ts';
import { matchLinear, type LinearMatch } from './linear.ts';
import { Matcher } from './match.ts';

export interface LmHeadMatch extends LinearMatch {
  tied: boolean;
}

export function matchLmHead(m: Matcher, emb: EmbeddingMatch): LmHeadMatch {
  if (!m.g.loaded.outputs.some((o) => o.name === 'logits')) throw m.error(undefined, 'expected a graph output named logits');
  const lin = matchLinear(m, 'logits', 'LM head');
  const w = lin.linear.weight;
  if (w.shape[0] !== emb.vocabSize || w.shape[1] !== emb.hiddenSize) {
    throw m.error(lin.node, `expected LM head [${emb.vocabSize}, ${emb.hiddenSize}], found [${w.shape}]`);
  }
  const tied = lin.initName === emb.init.name || (w.data !== null && emb.table.data !== null && equal(w, emb.table));
  return { ...lin, tied };
}

function equal(a: WeightTensor, b: WeightTensor): boolean {
  const x = a.data!;
  const y = b.data!;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
