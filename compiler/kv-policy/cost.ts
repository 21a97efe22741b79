/**
 * @fileoverview Per-token attention cost of each KV policy under the replicated packing, counted from the structure of
 * passes/packings/replicated.ts (not from a compiled plan: no plan cost model exists yet, so these are this file's
 * counts, stated as such).
 *
 * What the replicated packing emits per layer and per query-group member (G = heads / KV heads), for each cache ciphertext
 * it attends (K and V each hold `capacity` tokens per ciphertext, replicatedGeometry):
 *   scores  1 ct×ct mul (1 key switch) + rotate-sum over head_dim (log2 D rotations)
 *   softmax 2 muls per normalised squaring (S rounds) + 1 mul by the inverse; the exp polynomial is not counted
 *   P·V     spread over head_dim (log2 D rotations) + 1 ct×ct mul
 * so 3 + 2·log2 D + 2·S key switches per attended ciphertext and group member, plus terms that do not depend on
 * the cache size (the rotate-sums of the softmax totals, the inverses), left out here.
 *
 * Policies (positions public, so cache ciphertexts with no token are skipped — issue #11 part 2):
 *   full            every ciphertext holding a token
 *   streaming       a ring of ⌈b·n⌉ tokens
 *   mpcache-static  the ⌈b·n⌉ kept tokens compacted (the client picks them once; one round trip per request)
 *   mpcache         static ⌈r_s·n⌉ compacted into G ciphertext-sized clusters; per computing layer the server scores
 *                   G representative keys (the q·K kernel on ⌈G/capacity⌉ summary ciphertexts) and the client returns
 *                   k = max(2, round(r_2·G)) cluster ids (one round trip); shared layers reuse them. Assumes one
 *                   choice for all heads of a layer (a ciphertext holds every KV head of its tokens), which the
 *                   plaintext evaluation (per head) has not measured.
 */
import type { LlamaConfig } from '../../ir/model.ts';
import { replicatedGeometry } from '../../passes/packings/replicated.ts';
import { computingLayers } from './layer-share.ts';
import { promptKeepCount, type KvPolicyName, type KvPolicyParams } from './policy.ts';
import { splitBudget } from './mpcache.ts';

export type AttentionShape = Pick<LlamaConfig, 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim' | 'hiddenSize' | 'intermediateSize' | 'vocabSize'>;

export interface AttentionCost {
  /** K and V cache ciphertexts read per token, all layers, plus the summary ciphertexts scored (mpcache). */
  cacheCiphertexts: number;
  summaryCiphertexts: number;
  /** Key switches per token that grow with the ciphertexts attended (see the file comment). */
  keySwitches: number;
  /** Client round trips per token beyond the one every token needs. */
  roundTrips: number;
  /** Comparisons (HE max/min) per token to keep the newest cluster's summary: 2 per computing layer and KV head. */
  comparisons: number;
}

/** Softmax normalised squarings: calibrated scores span ~100 units and the exponential covers 4, so ⌈log2 25⌉ = 5. */
export const DEFAULT_SQUARINGS = 5;

export function attentionCost(shape: AttentionShape, slots: number, context: number, policy: KvPolicyName, params: KvPolicyParams, squarings = DEFAULT_SQUARINGS): AttentionCost {
  const geo = replicatedGeometry({ config: { ...shape, ropeTheta: 1e4, rmsNormEps: 1e-5, tiedEmbeddings: false, ropeStyle: 'rotate_half' } }, slots, context);
  const cap = geo.capacity;
  const perCt = geo.group * (3 + 2 * Math.log2(shape.headDim) + 2 * squarings);
  const L = shape.numLayers;
  const cts = (tokens: number): number => Math.ceil(tokens / cap);
  let attended: number;
  let summary = 0;
  let roundTrips = 0;
  let comparisons = 0;
  if (policy === 'full') attended = L * cts(context);
  else if (policy === 'streaming' || policy === 'mpcache-static') attended = L * cts(promptKeepCount(context, params.budget));
  else {
    const { staticRatio, dynamicRatio } = splitBudget(params);
    const clusters = cts(promptKeepCount(context, staticRatio));
    const k = Math.min(clusters, Math.max(2, Math.round(dynamicRatio * clusters)));
    const computing = computingLayers(L, params.shareEdgeLayers, params.shareLayers).length;
    attended = L * k;
    summary = computing * cts(clusters);
    roundTrips = computing;
    comparisons = 2 * computing * shape.numKvHeads;
  }
  const keySwitches = perCt * attended + geo.group * (1 + Math.log2(shape.headDim)) * summary;
  return { cacheCiphertexts: 2 * attended + summary, summaryCiphertexts: summary, keySwitches, roundTrips, comparisons };
}

/**
 * llama-py's shape, and an 8B-shaped Llama: Llama-3-8B's attention (32 layers, 32 heads, 8 KV heads, head dim 128).
 * Its 128k vocabulary does not fit the replicated packing's LM head at 2^15 slots and does not enter attention, so
 * a 32k vocabulary stands in (replicatedGeometry checks every period fits).
 */
export const COST_SHAPES: Record<string, AttentionShape> = {
  'llama-py': { numLayers: 4, numHeads: 4, numKvHeads: 2, headDim: 32, hiddenSize: 128, intermediateSize: 352, vocabSize: 256 },
  '8B': { numLayers: 32, numHeads: 32, numKvHeads: 8, headDim: 128, hiddenSize: 4096, intermediateSize: 14336, vocabSize: 32000 },
};
