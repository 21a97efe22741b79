/**
 * @fileoverview Seeded pseudo-random *test data* (never keys): reproducible inputs for tests.
 */

import { mulberry32 } from '../../ir/seeded-random.ts';

/** Uniforms in [0, 1) from a seed (mulberry32). */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}

/** `n` uniforms in [-bound, bound). */
export function seededVector(seed: number, n: number, bound = 1): Float64Array {
  const r = seededRandom(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * r() - 1) * bound;
  return out;
}
