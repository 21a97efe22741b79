/**
 * @fileoverview `streaming` (StreamingLLM, Xiao et al. 2023): attention sinks at the start plus the most recent prompt
 * positions, the same for every layer and head. It depends on nothing but lengths, so it is public and leaks nothing.
 * Generated tokens are kept, as in every policy here, so its budget matches the others position for position.
 */
import { promptKeepCount, withGenerated, type KvPolicy } from './policy.ts';

/** Sinks [0, s) and the recent tail, ⌈budget·T⌉ prompt positions in all. */
export function streamingKept(promptLength: number, budget: number, sinkTokens: number): number[] {
  const keep = promptKeepCount(promptLength, budget);
  const sinks = Math.min(sinkTokens, keep);
  const recent = keep - sinks;
  const kept: number[] = [];
  for (let p = 0; p < sinks; p++) kept.push(p);
  for (let p = promptLength - recent; p < promptLength; p++) kept.push(p);
  return kept;
}

export const streamingPolicy: KvPolicy = {
  name: 'streaming',
  summary: 'attention sinks + the most recent positions (public, no leakage)',
  begin(run, params) {
    const kept = streamingKept(run.promptLength, params.budget, params.sinkTokens);
    let cached: { length: number; positions: number[] } = { length: -1, positions: [] };
    return {
      promptKept: () => kept,
      select(_layer, _head, _q, cacheLength) {
        if (cached.length !== cacheLength) cached = { length: cacheLength, positions: withGenerated(kept, run.promptLength, cacheLength) };
        return cached.positions;
      },
    };
  },
};
