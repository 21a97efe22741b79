/**
 * @fileoverview Named CKKS parameter presets: data, not code paths (Lattigo style).
 *
 * Secure presets meet the 128-bit bound of ir/security.ts (checked by makeParams and by a test).
 * TEST_INSECURE_* presets exist only for fast tests; using one prints a loud banner and needs `allowInsecure`.
 */
import { HecError } from './diagnostics.ts';
import { makeParams, type CkksParams, type CkksParamsLiteral } from './params.ts';

/**
 * The N=2^16 bootstrapping chain: 25 Q primes (61 + 24×55 bits), 5 special primes, dnum 5, log2 QP ≈ 1681.
 * Bootstrapping takes 15 levels (CtS 3, EvalMod 8 + 1 cubic correction, StC 3) and leaves 9. Why 55-bit primes:
 * EvalMod evaluates sin(2πK'x), so every rounding of its intermediates (≈ 2^10/Δ at N=2^16) is amplified by ≈ 2πK';
 * the bootstrap's relative error is ≈ 2^(83 − 2·logΔ) with q_0/Δ_0 = 2^(61 − logΔ), i.e. every scale bit buys two
 * bits of precision. q_0 = 61 bits keeps q_0/Δ_0 = 2^6, enough with the cubic correction ((2π/64)^4/30 ≈ 2^-18 worst
 * case for a constant input).
 */
const N16_CHAIN: Omit<CkksParamsLiteral, 'name' | 'secretHammingWeight'> = {
  logN: 16,
  firstPrimeBits: 61,
  scalePrimeBits: 55,
  levels: 24,
  specialPrimeBits: [60, 60, 60, 60, 60],
  dnum: 5,
  scaleBits: 55,
  bootstrapLevels: 15,
};

/**
 * The default: a DENSE (uniform ternary) main secret, 128-bit by the HE standard (log QP 1681 ≤ 1747), with
 * sparse-secret encapsulation for bootstrapping only (Bossuat et al., ACNS 2022; the construction of Lattigo's
 * N16QP1767H32768H32): each bootstrap switches its level-0 input to an ephemeral secret of Hamming weight 32 for
 * ModRaise, whose key exists only modulo q_0·p_0 (121 bits, covered by the published h = 32 estimate in
 * ir/security.ts), and back afterwards. ModRaise's overflow then follows h' = 32 (K = 12, EvalMod degree 211), not
 * the dense secret's weight.
 */
const N16_BOOT_DENSE: CkksParamsLiteral = { ...N16_CHAIN, name: 'N16_BOOT_DENSE', secretHammingWeight: 0, bootstrapSparseWeight: 32 };

/** The name of the preset `hec compile` and the benches use when none is given. */
export const DEFAULT_PRESET = 'N16_BOOT_DENSE';

export const PRESETS: Readonly<Record<string, CkksParamsLiteral>> = {
  N16_BOOT_DENSE,
  /**
   * hec's former default: the same chain with a sparse main secret of Hamming weight 192. Published 128-bit estimates
   * for h = 192 at N = 2^16 stop at log QP 1555 (ir/security.ts); this chain has 1681, so it is flagged insecure and
   * kept only to compare bootstraps (its EvalMod follows h = 192: K = 28, degree 429).
   */
  N16_BOOT_H192_INSECURE: { ...N16_CHAIN, name: 'N16_BOOT_H192_INSECURE', secretHammingWeight: 192, insecure: true },
  /** Same chain shape as N16_BOOT_DENSE at N=2^12 (insecure): bootstrapping tests on a real engine in seconds. */
  TEST_INSECURE_BOOT_N12: {
    name: 'TEST_INSECURE_BOOT_N12',
    logN: 12,
    firstPrimeBits: 61,
    scalePrimeBits: 55,
    levels: 18,
    specialPrimeBits: [60, 60, 60],
    dnum: 7,
    scaleBits: 55,
    secretHammingWeight: 64,
    bootstrapLevels: 15,
    insecure: true,
  },
  /** N=2^10, the smallest bootstrapping chain (insecure). */
  TEST_INSECURE_BOOT_N10: {
    name: 'TEST_INSECURE_BOOT_N10',
    logN: 10,
    firstPrimeBits: 61,
    scalePrimeBits: 55,
    levels: 17,
    specialPrimeBits: [60, 60, 60],
    dnum: 6,
    scaleBits: 55,
    secretHammingWeight: 32,
    bootstrapLevels: 15,
    insecure: true,
  },
  /**
   * The N16 bootstrapping chain at N=2^13 (insecure): whole-model plans on `sim` at an eighth of the slots, so the
   * end-to-end tests against onnxruntime run in the fast tier. Same levels, scales and bootstrap depth as
   * N16_BOOT_DENSE. It keeps the h = 192 secret without encapsulation that these tests were calibrated with (sim has
   * no secret; on `cpu` its bootstrap runs EvalMod for K = 28 instead of the default's encapsulated K = 12).
   */
  TEST_INSECURE_N13_DEEP: { ...N16_CHAIN, name: 'TEST_INSECURE_N13_DEEP', logN: 13, secretHammingWeight: 192, insecure: true },
  /** N=2^15 without bootstrapping, for shallow plans. */
  N15_SHALLOW: {
    name: 'N15_SHALLOW',
    logN: 15,
    firstPrimeBits: 60,
    scalePrimeBits: 40,
    levels: 16,
    specialPrimeBits: [60, 60, 60],
    dnum: 6,
    scaleBits: 40,
    secretHammingWeight: 0,
    bootstrapLevels: 0,
  },
  TEST_INSECURE_N12: {
    name: 'TEST_INSECURE_N12',
    logN: 12,
    firstPrimeBits: 60,
    scalePrimeBits: 40,
    levels: 6,
    specialPrimeBits: [60],
    dnum: 7,
    scaleBits: 40,
    secretHammingWeight: 0,
    bootstrapLevels: 0,
    insecure: true,
  },
};

/** Look up a preset by name and derive its parameters. */
export function presetParams(name: string, opts: { allowInsecure?: boolean } = {}): CkksParams {
  const lit = PRESETS[name];
  if (lit === undefined) {
    throw new HecError('HEC6002', `unknown parameter preset '${name}'`, { fix: `use one of: ${Object.keys(PRESETS).join(', ')}` });
  }
  if (lit.insecure && !opts.allowInsecure) {
    throw new HecError('HEC6004', `preset '${name}' is insecure and only allowed in tests`, { fix: 'pass --allow-insecure (tests only) or pick a secure preset' });
  }
  return makeParams(lit);
}
