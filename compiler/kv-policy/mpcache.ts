/**
 * @fileoverview `mpcache`: MPCache (Zeng et al., NeurIPS 2025) in plaintext — look-once static eviction
 * (mpcache-static.ts) followed, at every decoding step, by query-aware two-level cluster selection (clusters.ts), with
 * cross-layer index sharing (layer-share.ts).
 *
 * Budget split: a step reads staticRatio × dynamicRatio of the prompt. With the paper's dynamicRatio 0.2 and no
 * explicit static ratio, static = budget / 0.2 (at most 1): budget 6 % gives the authors' HotpotQA point (30 % static,
 * ratio2 0.2, NOTES §7.2); at budgets ≥ 20 % nothing is evicted statically and the dynamic ratio is the budget.
 */
import type { KvPolicy, KvPolicyParams } from './policy.ts';
import { staticKeptSets } from './mpcache-static.ts';
import { shareSource } from './layer-share.ts';
import { autoClusterSize, representativeKeys, selectTokens, type ClusterShape } from './clusters.ts';
import { withGenerated } from './policy.ts';

/** The (static, dynamic) ratio pair for a budget. */
export function splitBudget(params: KvPolicyParams): { staticRatio: number; dynamicRatio: number } {
  const staticRatio = params.staticRatio ?? Math.min(1, params.budget / params.dynamicRatio);
  return { staticRatio, dynamicRatio: Math.min(1, params.budget / staticRatio) };
}

export const mpcachePolicy: KvPolicy = {
  name: 'mpcache',
  summary: 'MPCache: look-once eviction + per-step two-level cluster selection, shared by adjacent layers',
  begin(run, params) {
    const layers = run.state.layers;
    const source = (l: number): number => shareSource(l, layers, params.shareEdgeLayers, params.shareLayers);
    const { staticRatio, dynamicRatio } = splitBudget(params);
    const kept = staticKeptSets(run, params, staticRatio, source);
    const size = params.clusterSize ?? autoClusterSize(kept[0]!.length, dynamicRatio, params.minClusters);
    const shape: ClusterShape = { size, levelOneSize: params.clusterSizeLevelOne ?? 2 * size, alpha: params.alpha, levelOneRatio: params.levelOneRatio, ratio: dynamicRatio };
    const group = run.numHeads / run.numKvHeads;
    const D = run.headDim;
    // This step's choices: by layer then head (reused by the sharing partner), and summaries by layer and KV head.
    let step = -1;
    const chosen = new Map<string, number[]>();
    const summaries = new Map<string, { reps1: Float64Array[]; reps2: Float64Array[] }>();
    return {
      promptKept: (layer) => kept[layer]!,
      select(layer, head, query, cacheLength) {
        if (step !== cacheLength) {
          step = cacheLength;
          chosen.clear();
          summaries.clear();
        }
        const src = source(layer);
        const reuse = chosen.get(`${src}/${head}`);
        if (reuse !== undefined) return reuse;
        const positions = withGenerated(kept[src]!, run.promptLength, cacheLength);
        const kvh = Math.floor(head / group);
        let sum = summaries.get(`${layer}/${kvh}`);
        if (sum === undefined) {
          const cache = run.state.keys[layer]!;
          const keys = positions.map((p) => cache[p]!);
          sum = {
            reps1: representativeKeys(keys, kvh * D, D, shape.levelOneSize, shape.alpha),
            reps2: representativeKeys(keys, kvh * D, D, shape.size, shape.alpha),
          };
          summaries.set(`${layer}/${kvh}`, sum);
        }
        const picked = selectTokens(positions.length, query, sum.reps1, sum.reps2, shape).map((i) => positions[i]!);
        chosen.set(`${layer}/${head}`, picked);
        return picked;
      },
    };
  },
};
