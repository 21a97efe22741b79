/**
 * @fileoverview Seeded pseudo-random *test data* (never keys): reproducible inputs for tests.
 */

import { mulberry32 } from '../../ir/seeded-random.ts';

/** Uniforms in [0, 1) from a seed (mulberry32). */
export function seededRandom(seed: number): () => number {
  return mulberry32(seed);
}
