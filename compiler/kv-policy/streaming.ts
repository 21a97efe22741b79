/**
 * @fileoverview `streaming` (StreamingLLM, Xiao et al. 2023): attention sinks at the start plus a window of the most
 * recent positions, the same for every layer and head, sliding as tokens are generated. At a step with n cached
 * positions it reads ⌈budget·n⌉ of them: the budget is the fraction of the current cache read, the quantity the other
 * policies' kept_fraction reports. It depends on nothing but lengths, so it is public and leaks nothing.
 */
import { promptKeepCount, type KvPolicy } from './policy.ts';

/** Sinks [0, s) and the most recent positions, ⌈budget·n⌉ of the n cached positions in all. */
export function streamingKept(cacheLength: number, budget: number, sinkTokens: number): number[] {
  const keep = promptKeepCount(cacheLength, budget);
  const sinks = Math.min(sinkTokens, keep);
  const kept: number[] = [];
  for (let p = 0; p < sinks; p++) kept.push(p);
  for (let p = cacheLength - (keep - sinks); p < cacheLength; p++) kept.push(p);
  return kept;
}

export const streamingPolicy: KvPolicy = {
  name: 'streaming',
  summary: 'attention sinks + a sliding window of the most recent positions (public, no leakage)',
  begin(run, params) {
    const atPrompt = streamingKept(run.promptLength, params.budget, params.sinkTokens);
    let cached: { length: number; positions: number[] } = { length: -1, positions: [] };
    return {
      promptKept: () => atPrompt,
      select(_layer, _head, _q, cacheLength) {
        if (cached.length !== cacheLength) cached = { length: cacheLength, positions: streamingKept(cacheLength, params.budget, params.sinkTokens) };
        return cached.positions;
      },
    };
  },
};
