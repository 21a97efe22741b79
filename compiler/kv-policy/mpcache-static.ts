/**
 * @fileoverview `mpcache-static`: MPCache's look-once static eviction (MPCACHE-NOTES §3.1) alone. Per layer, keep the
 * ⌈r·T⌉ prompt positions with the highest observation-window attention (averaged over heads, so one set per layer),
 * plus every generated token. The fixed ratio keeps the cache shape public (the authors' final threshold rule does
 * not, NOTES §8); which positions survive is secret.
 */
import { topIndices } from './importance.ts';
import { promptKeepCount, withGenerated, type KvPolicy, type PromptRun, type KvPolicyParams } from './policy.ts';

/** Per-layer kept prompt positions at `ratio`; `sourceLayer(l)` names the layer whose importance decides for l. */
export function staticKeptSets(run: PromptRun, params: KvPolicyParams, ratio: number, sourceLayer: (layer: number) => number = (l) => l): number[][] {
  const keep = promptKeepCount(run.promptLength, ratio);
  const own = new Map<number, number[]>();
  return Array.from({ length: run.state.layers }, (_x, layer) => {
    const src = sourceLayer(layer);
    let kept = own.get(src);
    if (kept === undefined) {
      kept = keep >= run.promptLength
        ? Array.from({ length: run.promptLength }, (_y, i) => i)
        : topIndices(run.importance.scores(src, params.staticScore), keep);
      own.set(src, kept);
    }
    return kept;
  });
}

export const mpcacheStaticPolicy: KvPolicy = {
  name: 'mpcache-static',
  summary: 'MPCache look-once eviction: top observation-window attention per layer, fixed ratio',
  begin(run, params) {
    const kept = staticKeptSets(run, params, params.budget);
    const cache = new Map<number, { length: number; positions: number[] }>();
    return {
      promptKept: (layer) => kept[layer]!,
      select(layer, _head, _q, cacheLength) {
        let c = cache.get(layer);
        if (c?.length !== cacheLength) {
          c = { length: cacheLength, positions: withGenerated(kept[layer]!, run.promptLength, cacheLength) };
          cache.set(layer, c);
        }
        return c.positions;
      },
    };
  },
};
