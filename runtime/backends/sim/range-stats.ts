/**
 * @fileoverview How close a run came to the plan's ranges: `sim` reports every bootstrap input and every polynomial
 * input here (when a recorder is given, `createSimBackend({ rangeStats })`), as a ratio to its bound — |x|/range for
 * a bootstrap; for a Chebyshev domain max(lo/x, x/hi) on positive domains, else |x − mid|/half-width (1 = at the edge;
 * above 1 `sim` has already failed, beyond float64 rounding).
 * Tests print the maxima, so the headroom a plan leaves is measured, not guessed (issue #13).
 */
export interface RangeMax {
  ratio: number;
  /** The range (bootstrap) or domain (poly) where the maximum was seen. */
  bound: string;
}

export class RangeStats {
  readonly bootstrap: RangeMax = { ratio: 0, bound: '' };
  readonly poly: RangeMax = { ratio: 0, bound: '' };
  /** The ratio of the most recent record (a caller attributing ops, e.g. through the executor's onOp). */
  last = 0;
  count = { bootstrap: 0, poly: 0 };

  record(kind: 'bootstrap' | 'poly', ratio: number, bound: string): void {
    const m = this[kind];
    this.count[kind]++;
    this.last = ratio;
    if (ratio > m.ratio || Number.isNaN(ratio)) {
      m.ratio = ratio;
      m.bound = bound;
    }
  }
}
