/**
 * @fileoverview The 128-bit security bound on log2(QP) per ring degree, in one table.
 *
 * Values are the HomomorphicEncryption.org standard (Albrecht et al., "Homomorphic Encryption Standard", 2018,
 * Table 1, classical 128-bit, ternary/uniform secret) for N up to 2^15, and OpenFHE's extension of that table for
 * N = 2^16 and 2^17 (`HEStd_128_classic`), which is the more conservative of the published extensions.
 * Sparse-secret bootstrapping keys (Hamming weight h) are additionally bounded by the sparse-secret estimates; hec
 * only uses a sparse secret for the encapsulated bootstrap key, whose modulus is far below this bound.
 */

export const MAX_LOG_QP_128: Readonly<Record<number, number>> = {
  10: 27,
  11: 54,
  12: 109,
  13: 218,
  14: 438,
  15: 881,
  16: 1747,
  17: 3523,
};

/** Largest log2(QP) that keeps 128-bit security at ring degree 2^logN, or undefined if unknown. */
export function maxLogQP(logN: number): number | undefined {
  return MAX_LOG_QP_128[logN];
}

/** True when the total modulus (Q·P, in bits) meets the 128-bit bound for this ring degree. */
export function isSecure(logN: number, logQP: number): boolean {
  const bound = maxLogQP(logN);
  return bound !== undefined && logQP <= bound;
}
