/**
 * @fileoverview The interface every KV-cache policy implements, and the parameters they share.
 *
 * A policy runs in plaintext on the float64 reference (compiler/model-eval.ts): the prompt is evaluated with the full
 * cache, then the policy decides once what to keep (look-once eviction) and, at every later decoding step, which
 * cached positions each head attends to. It never changes the cache itself: eviction is a mask, exactly as the
 * MPCache authors simulate accuracy (../shared/MPCACHE-NOTES.md §2). Budgets are functions of public lengths only,
 * so the number of positions kept is public even when which positions are kept is not.
 */
import type { AttentionSelector, DecodeState } from '../model-eval.ts';
import type { PromptImportance } from './importance.ts';

export type KvPolicyName = 'full' | 'streaming' | 'mpcache-static' | 'mpcache';

export interface KvPolicyParams {
  /**
   * Fraction (0, 1] of the cache a step reads. streaming: of the current cache; mpcache-static: of the prompt (every
   * generated token kept on top); mpcache: static ratio × dynamic ratio of the current cache.
   */
  budget: number;
  /** streaming: attention-sink positions kept at the start (StreamingLLM keeps 4). */
  sinkTokens: number;
  /** mpcache*: observation window = the last ⌊fraction·T⌋ prompt queries (MPCache: 0.2). */
  observationFraction: number;
  /**
   * mpcache*: how window attention is accumulated per key. 'mean' = over the window queries that can see the key
   * (causal); 'sum' = H2O/SnapKV's plain sum, which under a causal mask favours old keys over the window's own.
   */
  staticScore: 'mean' | 'sum';
  /** mpcache: fraction of the prompt kept by static eviction; undefined = budget / dynamicRatio, at most 1. */
  staticRatio: number | undefined;
  /** mpcache: fraction of the statically kept cache each step attends (MPCache `ratio2`: 0.2). */
  dynamicRatio: number;
  /** mpcache: fraction of level-1 clusters whose children stay candidates (MPCache `ratio1`: 0.5). */
  levelOneRatio: number;
  /** mpcache: similarity weight on the max summary key, q·(α·max + (1−α)·min) (MPCache: 0.6). */
  alpha: number;
  /** mpcache: level-2 cluster size in tokens; undefined = 16, halved until `minClusters` clusters fit the budget. */
  clusterSize: number | undefined;
  /** mpcache: level-1 cluster size, a multiple of the level-2 size; undefined = twice it (MPCache: 32 over 16). */
  clusterSizeLevelOne: number | undefined;
  /** mpcache: the automatic cluster size keeps at least this many level-2 clusters attended per step. */
  minClusters: number;
  /** mpcache: cross-layer index sharing in adjacent pairs (MPCache shares layers (2,3), (4,5), …). */
  shareLayers: boolean;
  /** mpcache: layers at each end that compute their own selection (MPCache: 2). */
  shareEdgeLayers: number;
}

export const DEFAULT_PARAMS: Readonly<KvPolicyParams> = {
  budget: 0.3,
  sinkTokens: 4,
  observationFraction: 0.2,
  staticScore: 'mean',
  staticRatio: undefined,
  dynamicRatio: 0.2,
  levelOneRatio: 0.5,
  alpha: 0.6,
  clusterSize: undefined,
  clusterSizeLevelOne: undefined,
  minClusters: 8,
  shareLayers: true,
  shareEdgeLayers: 2,
};

/** What a policy sees once the prompt has run with the full cache. */
export interface PromptRun {
  state: DecodeState;
  /** T: prompt positions 0 … T−1 are cached; decoding appends T, T+1, … */
  promptLength: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  importance: PromptImportance;
}

/** A policy's decisions for one document: the look-once kept set per layer, and the per-step selector. */
export interface KvSelection extends AttentionSelector {
  /** Prompt positions layer `layer` kept after look-once eviction (ascending). */
  promptKept(layer: number): readonly number[];
}

export interface KvPolicy {
  readonly name: KvPolicyName;
  readonly summary: string;
  /** Look-once eviction after the prompt; the result answers every later step's selection. */
  begin(run: PromptRun, params: KvPolicyParams): KvSelection;
}

/** Prompt positions kept at budget b: ⌈b·T⌉, at least 1 — a function of public lengths only. */
export function promptKeepCount(promptLength: number, fraction: number): number {
  return Math.min(promptLength, Math.max(1, Math.ceil(fraction * promptLength - 1e-9)));
}

/** kept prompt positions followed by every generated position T … cacheLength−1. */
export function withGenerated(promptKept: readonly number[], promptLength: number, cacheLength: number): number[] {
  const out = promptKept.slice();
  for (let p = promptLength; p < cacheLength; p++) out.push(p);
  return out;
}
