/**
 * @fileoverview Named CKKS parameter presets: data, not code paths (Lattigo style).
 *
 * Secure presets meet the 128-bit bound of ir/security.ts (checked by makeParams and by a test).
 * TEST_INSECURE_* presets exist only for fast tests; using one prints a loud banner and needs `allowInsecure`.
 */
import { HecError } from './diagnostics.ts';
import { makeParams, type CkksParams, type CkksParamsLiteral } from './params.ts';

export const PRESETS: Readonly<Record<string, CkksParamsLiteral>> = {
  /** N=2^16 sized for bootstrapping: 25 Q primes (60 + 24×40 bits), 5 special primes, dnum 5. */
  N16_BOOT: {
    name: 'N16_BOOT',
    logN: 16,
    firstPrimeBits: 60,
    scalePrimeBits: 40,
    levels: 24,
    specialPrimeBits: [60, 60, 60, 60, 60],
    dnum: 5,
    scaleBits: 40,
    secretHammingWeight: 192,
    bootstrapLevels: 14,
  },
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
