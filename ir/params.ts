/**
 * @fileoverview CKKS parameters: the modulus chain, the slot count and the canonical scale of every level.
 *
 * Levels: a ciphertext at level ℓ lives modulo q_0·…·q_ℓ and can be rescaled ℓ more times.
 *
 * Canonical scales (the "exact scale" discipline of Kim–Papadimitriou–Polyakov, CT-RSA 2021): the top level has
 * Δ_L = 2^scaleBits and Δ_{ℓ-1} = Δ_ℓ² / q_ℓ. Every ciphertext at level ℓ carries Δ_ℓ, or Δ_ℓ² right after a
 * multiplication (before its rescale). Plaintext multiplicands are encoded at Δ_ℓ, so ct×pt and ct×ct both land on
 * Δ_{ℓ-1} after the rescale and additions never see two different scales. The primes are chosen alternately above
 * and below 2^scaleBits so that Δ_ℓ stays within a hair of 2^scaleBits down the chain.
 *
 * Primes are generated here, deterministically, so the compiler, `sim` and every engine agree on them bit for bit;
 * native backends receive the prime list rather than regenerating it.
 */
import { HecError } from './diagnostics.ts';
import { ENGINE_ERROR_STD_DEV, judgeParams } from './security.ts';

export interface CkksParamsLiteral {
  name: string;
  logN: number;
  /** Bit size of q_0 (the last prime: holds the final message and its headroom). */
  firstPrimeBits: number;
  /** Bit size of q_1..q_L; equal to scaleBits in hec's presets. */
  scalePrimeBits: number;
  /** Number of rescalable levels L (so the chain has L + 1 Q primes). */
  levels: number;
  /** Bit sizes of the special primes P used by hybrid key switching. */
  specialPrimeBits: number[];
  /** Number of key-switching digits (hybrid key switching). */
  dnum: number;
  scaleBits: number;
  /**
   * Hamming weight of the ternary secret; 0 = dense (uniform ternary). Security is judged per distribution
   * (ir/security.ts): dense against the HE standard, a sparse weight only where a published estimate covers it.
   */
  secretHammingWeight: number;
  /** Standard deviation of the RLWE error; default the engines' σ = √(21/2) ≈ 3.24 (ir/security.ts). */
  errorStdDev?: number;
  /** Levels a bootstrap consumes from the top of the chain; 0 when the preset cannot bootstrap. */
  bootstrapLevels: number;
  /**
   * Sparse-secret encapsulation: > 0 makes every bootstrap switch its level-0 input to an ephemeral secret of this
   * Hamming weight before ModRaise and back to the main secret after it (the key to the sparse secret exists only
   * modulo q_0·P). ModRaise's overflow I then follows the small weight, which shortens EvalMod's interval and
   * polynomial. 0 or absent: off.
   */
  bootstrapSparseWeight?: number;
  /** Only for TEST_INSECURE_* presets. */
  insecure?: boolean;
}

export interface CkksParams extends CkksParamsLiteral {
  slots: number;
  /** q_0 … q_L. */
  q: bigint[];
  p: bigint[];
  logQP: number;
  errorStdDev: number;
  secure: boolean;
  /**
   * Why `secure` is what it is: the table rule that makes the parameters 128-bit secure (e.g. "HE-standard dense
   * ternary, N=2^16, logQP 1681 ≤ 1747"), or the reason they are not.
   */
  securityRule: string;
  /** log2 of the canonical scale at each level, index = level. */
  logScale: number[];
  /** Level a bootstrap delivers (L - bootstrapLevels), or -1 when the preset cannot bootstrap. */
  bootstrapOutputLevel: number;
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let r = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return r;
}

/** Deterministic Miller–Rabin; the first 12 prime bases are exact for n < 3.3·10^24 (all hec primes are < 2^62). */
export function isPrime(n: bigint): boolean {
  if (n < 2n) return false;
  const bases = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n];
  for (const p of bases) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  outer: for (const a of bases) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let i = 1; i < s; i++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

/**
 * The largest NTT-friendly prime q ≡ 1 (mod 2N) below 2^bits not in `avoid`, for q_0 and the special primes: a
 * "60-bit" prime really has 60 bits (SEAL and the IFMA path both require that). Scale primes use nearestPrime.
 */
export function largestPrimeBelow(bits: number, logN: number, avoid: ReadonlySet<bigint>): bigint {
  const step = 1n << BigInt(logN + 1);
  const floor = 1n << BigInt(bits - 1);
  for (let cand = (1n << BigInt(bits)) + 1n - step; cand > floor; cand -= step) {
    if (!avoid.has(cand) && isPrime(cand)) return cand;
  }
  throw new HecError('HEC6003', `not enough ${bits}-bit NTT primes for logN=${logN}`);
}

/** The NTT-friendly prime (≡ 1 mod 2N) nearest to `target`, skipping `avoid`. */
export function nearestPrime(target: bigint, logN: number, avoid: ReadonlySet<bigint>): bigint {
  const step = 1n << BigInt(logN + 1);
  const base = target - ((target - 1n) % step);
  for (let k = 0n; k < 1n << 24n; k++) {
    for (const cand of k === 0n ? [base] : [base + k * step, base - k * step]) {
      if (cand > step && !avoid.has(cand) && isPrime(cand)) return cand;
    }
  }
  throw new HecError('HEC6003', `no NTT prime near ${target} for logN=${logN}`);
}

function log2Big(x: bigint): number {
  const s = x.toString(2).length;
  const top = Number(x >> BigInt(Math.max(0, s - 53)));
  return Math.log2(top) + Math.max(0, s - 53);
}

/** Validate a parameter literal and derive the prime chain, slots, canonical scales and security. */
export function makeParams(lit: CkksParamsLiteral): CkksParams {
  const bad = (why: string, fix: string): never => {
    throw new HecError('HEC6001', `invalid CKKS parameters '${lit.name}': ${why}`, { fix });
  };
  const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
  if (!isInt(lit.logN) || lit.logN < 3 || lit.logN > 17) bad(`logN=${lit.logN} outside 3..17`, 'pick logN in 3..17');
  const N = 2 ** lit.logN;
  if (!isInt(lit.scalePrimeBits) || lit.scalePrimeBits < 20 || lit.scalePrimeBits > 61) bad(`scalePrimeBits=${lit.scalePrimeBits} outside 20..61`, 'use 20..61-bit primes');
  if (!isInt(lit.scaleBits) || !isInt(lit.firstPrimeBits) || lit.firstPrimeBits < lit.scaleBits || lit.firstPrimeBits > 61) {
    bad(`firstPrimeBits=${lit.firstPrimeBits} must lie in [scaleBits=${lit.scaleBits}, 61]`, 'q_0 must hold the message above the scale');
  }
  if (!isInt(lit.levels) || lit.levels < 0) bad(`levels=${lit.levels} is not a count ≥ 0`, 'use at least 0 levels');
  if (!Array.isArray(lit.specialPrimeBits) || lit.specialPrimeBits.some((b) => !isInt(b) || b < 20 || b > 61)) {
    bad(`specialPrimeBits=${JSON.stringify(lit.specialPrimeBits)} must be a list of 20..61-bit sizes`, 'use 20..61-bit special primes');
  }
  if (!isInt(lit.dnum) || lit.dnum < 1 || lit.dnum > lit.levels + 1) bad(`dnum=${lit.dnum} outside 1..${lit.levels + 1}`, 'dnum counts key-switching digits over the Q primes');
  if (!isInt(lit.bootstrapLevels) || lit.bootstrapLevels < 0 || lit.bootstrapLevels > lit.levels) {
    bad(`bootstrapLevels=${lit.bootstrapLevels} outside 0..levels=${lit.levels}`, 'a bootstrap cannot use more levels than exist');
  }
  const h = lit.secretHammingWeight;
  if (!isInt(h) || h < 0 || h > N) bad(`secretHammingWeight=${h} outside 0..${N}`, 'use 0 (dense ternary secret) or a published sparse weight');
  const sigma = lit.errorStdDev ?? ENGINE_ERROR_STD_DEV;
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma <= 0) bad(`errorStdDev=${sigma} is not a positive number`, `omit it (the engines use σ=${ENGINE_ERROR_STD_DEV.toFixed(2)})`);
  const hs = lit.bootstrapSparseWeight ?? 0;
  if (hs !== 0) {
    if (!Number.isInteger(hs) || hs < 0 || hs > N) bad(`bootstrapSparseWeight=${hs} outside 0..${N}`, 'use a small Hamming weight such as 32, or 0 for no encapsulation');
    if (lit.bootstrapLevels <= 0) bad('bootstrapSparseWeight is set but the parameters cannot bootstrap', 'set bootstrapLevels or drop bootstrapSparseWeight');
    if (lit.specialPrimeBits.length === 0) bad('sparse-secret encapsulation needs special primes (its keys switch modulo q_0·P)', 'add special primes');
    if (hs >= (h > 0 ? h : N)) bad(`bootstrapSparseWeight=${hs} is not below the secret's Hamming weight ${lit.secretHammingWeight || 'N (dense)'}`, 'encapsulation only helps with a sparser ephemeral secret');
  }

  // Scale primes top-down: q_ℓ is the prime nearest Δ_ℓ²/2^scaleBits, so Δ_{ℓ-1} = Δ_ℓ²/q_ℓ lands back within the
  // prime spacing (≈2^-18 relative) of 2^scaleBits at every level. Fixed "alternating" primes would let the relative
  // deviation double at each level and blow up over a deep chain.
  const used = new Set<bigint>();
  const scalePrimes: bigint[] = new Array(lit.levels);
  let logDelta = lit.scaleBits;
  for (let l = lit.levels; l >= 1; l--) {
    const target = lit.scalePrimeBits === lit.scaleBits ? 2 * logDelta - lit.scaleBits : lit.scalePrimeBits;
    const whole = Math.floor(target);
    const frac = BigInt(Math.round(Math.pow(2, target - whole) * 2 ** 40));
    const q = nearestPrime((frac << BigInt(whole)) >> 40n, lit.logN, used);
    used.add(q);
    scalePrimes[l - 1] = q;
    logDelta = 2 * logDelta - log2Big(q);
  }
  const q0 = largestPrimeBelow(lit.firstPrimeBits, lit.logN, used);
  used.add(q0);
  const p: bigint[] = [];
  for (const bits of lit.specialPrimeBits) {
    const sp = largestPrimeBelow(bits, lit.logN, used);
    used.add(sp);
    p.push(sp);
  }
  const q = [q0, ...scalePrimes];
  const logQP = [...q, ...p].reduce((acc, x) => acc + log2Big(x), 0);

  const logScale = new Array<number>(lit.levels + 1).fill(0);
  // Computed the way engines carry scales (doubles: Δ² / q_ℓ), not by summing logarithms, whose rounding drifts by
  // ~2^-38 down a 24-level chain and would make canonical scales disagree with the scales a real rescale produces.
  let delta = Math.pow(2, lit.scaleBits);
  logScale[lit.levels] = lit.scaleBits;
  for (let l = lit.levels; l > 0; l--) {
    delta = (delta * delta) / Number(q[l]!);
    logScale[l - 1] = Math.log2(delta);
  }

  // The key to the ephemeral sparse secret lives modulo q_0·p_0 (runtime/native/src/ckks/ckks.h KEY_TO_SPARSE).
  const p0 = p[0];
  const encapsulationLogQ = hs > 0 && p0 !== undefined ? log2Big(q0) + log2Big(p0) : 0;
  const verdict = judgeParams({ logN: lit.logN, logQP, secretHammingWeight: h, errorStdDev: sigma, bootstrapSparseWeight: hs, encapsulationLogQ });
  if (!lit.insecure && !verdict.secure) {
    throw new HecError('HEC6005', `CKKS parameters '${lit.name}' are not 128-bit secure: ${verdict.why}`, {
      fix: 'use a dense secret (secretHammingWeight 0), a published sparse weight within its bound, fewer or smaller primes, or a TEST_INSECURE_* preset in tests',
    });
  }
  const secure = !lit.insecure && verdict.secure;
  const securityRule = lit.insecure ? `flagged insecure (tests only)${verdict.secure ? '' : `: ${verdict.why}`}` : verdict.secure ? verdict.rule : verdict.why;
  return {
    ...lit,
    slots: 1 << (lit.logN - 1),
    q,
    p,
    logQP,
    errorStdDev: sigma,
    secure,
    securityRule,
    logScale,
    bootstrapOutputLevel: lit.bootstrapLevels > 0 ? lit.levels - lit.bootstrapLevels : -1,
  };
}

/** The banner every entry point prints when insecure parameters are used. */
export function insecureBanner(params: CkksParams): string {
  return `*** WARNING: CKKS parameters '${params.name}' are INSECURE (logN=${params.logN}, log2 QP=${params.logQP.toFixed(0)}): for tests only ***`;
}
