/**
 * @fileoverview One deterministic, seedable, NON-cryptographic generator (mulberry32) for everything that must be
 * reproducible and is never secret: simulated noise in `sim`, calibration token choice, test data.
 * Keys and encryption randomness come from the OS CSPRNG in the engines, never from here.
 */

/** mulberry32: returns uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
