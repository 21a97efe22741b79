/**
 * @fileoverview Look-once importance: attention of the prompt's last queries (the observation window), averaged over
 * heads, accumulated per key while the prompt runs — MPCache's static stage (MPCACHE-NOTES §3.1) in its fixed-budget
 * form. It reads the reference evaluator's `attention_scores` observation, so the prompt runs once for every policy.
 *
 * Causal scaled attention is used (what the model computes, and what an encrypted prefill would accumulate), not the
 * authors' unmasked, unscaled window attention (NOTES §10.1).
 */
import type { Observer } from '../model-eval.ts';

export class PromptImportance {
  readonly windowStart: number;
  private readonly sums: Float64Array[];
  /** seen[j] = window queries that could attend to key j (causal). */
  private readonly seen: Float64Array;

  constructor(readonly layers: number, readonly numHeads: number, readonly promptLength: number, observationFraction: number) {
    const window = Math.min(promptLength, Math.max(1, Math.floor(observationFraction * promptLength)));
    this.windowStart = promptLength - window;
    this.sums = Array.from({ length: layers }, () => new Float64Array(promptLength));
    this.seen = new Float64Array(promptLength);
  }

  /** Pass to decodeStep for every prompt position. */
  readonly observer: Observer = (kind, layer, values) => {
    if (kind !== 'attention_scores') return;
    const T = values.length / this.numHeads;
    const query = T - 1;
    if (query < this.windowStart || query >= this.promptLength) return;
    if (layer === 0) for (let j = 0; j < T; j++) this.seen[j]! += 1;
    const acc = this.sums[layer]!;
    for (let h = 0; h < this.numHeads; h++) {
      const row = values.subarray(h * T, (h + 1) * T);
      let mx = -Infinity;
      for (const s of row) mx = Math.max(mx, s);
      let z = 0;
      for (const s of row) z += Math.exp(s - mx);
      for (let j = 0; j < T; j++) acc[j]! += Math.exp(row[j]! - mx) / z / this.numHeads;
    }
  };

  /** Per-key importance of one layer: head-mean window attention, summed or averaged over the queries that saw it. */
  scores(layer: number, how: 'mean' | 'sum'): Float64Array {
    const acc = this.sums[layer]!;
    return how === 'sum' ? acc.slice() : acc.map((v, j) => v / Math.max(1, this.seen[j]!));
  }
}

/** The `count` highest-scoring indices, ascending; ties go to the earlier index. */
export function topIndices(scores: ArrayLike<number>, count: number): number[] {
  const idx = Array.from({ length: scores.length }, (_x, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, count).sort((a, b) => a - b);
}
