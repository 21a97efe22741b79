/**
 * @fileoverview Level/scale bookkeeping and the HEC51xx error codes shared by every backend.
 *
 * The rules live here once so `sim` (the reference) and the real engines reject exactly the same plans with the same
 * codes. Backends import these helpers; nothing here touches slot values.
 *
 * Codes (HEC51xx = backend op errors, HEC52xx = backend loading):
 *   HEC5101 operand level mismatch        HEC5102 operand scale mismatch
 *   HEC5103 level underflow / bad level   HEC5104 scale or magnitude overflow (CKKS wrap-around)
 *   HEC5105 cannot bootstrap              HEC5106 bootstrap input out of range
 *   HEC5107 freed or foreign value        HEC5108 malformed bytes / parameter mismatch
 *   HEC5109 missing evaluation key        HEC5110 invalid argument (slot count, constants)
 *   HEC5111 scale underflow               HEC5112 operation impossible on this backend
 *   HEC5113 evaluation-key parts out of sequence (missing, repeated, reordered, from another key set)
 *   HEC5114 polynomial input outside its approximation domain
 *   HEC5201 no backend could be loaded    HEC5202 unknown backend name
 */
import { HecError } from '../../ir/diagnostics.ts';
import type { CkksParams } from '../../ir/params.ts';

export const E_LEVEL_MISMATCH = 'HEC5101';
export const E_SCALE_MISMATCH = 'HEC5102';
export const E_LEVEL = 'HEC5103';
export const E_OVERFLOW = 'HEC5104';
export const E_NO_BOOTSTRAP = 'HEC5105';
export const E_BOOTSTRAP_RANGE = 'HEC5106';
export const E_FREED = 'HEC5107';
export const E_BYTES = 'HEC5108';
export const E_MISSING_KEY = 'HEC5109';
export const E_ARG = 'HEC5110';
export const E_SCALE_UNDERFLOW = 'HEC5111';
export const E_UNSUPPORTED = 'HEC5112';
export const E_KEY_PARTS = 'HEC5113';
export const E_POLY_DOMAIN = 'HEC5114';
export const E_NO_BACKEND = 'HEC5201';
export const E_UNKNOWN_BACKEND = 'HEC5202';

/** Relative tolerance when comparing two scales (they are products/quotients of ~2^40 numbers in float64). */
export const SCALE_REL_TOL = 1e-9;

/**
 * CKKS bootstrapping (EvalMod's sine/Chebyshev approximation) is calibrated for messages in [-1, 1]; larger inputs
 * come out as garbage rather than an error in a real engine, so `sim` checks the bound and plans must scale into it.
 */
export const BOOTSTRAP_INPUT_BOUND = 1.0;

/**
 * Below this many bits of scale the encoding noise (≈ 2^3..2^10 per coefficient) swamps the message, so a real
 * engine would return noise while float64 `sim` would still look exact; reject instead of diverging silently.
 */
export const MIN_LOG_SCALE = 10;

/** Canonical scale Δ_ℓ of a level (ir/params.ts). */
export function canonicalScale(params: CkksParams, level: number): number {
  const ls = params.logScale[level];
  if (ls === undefined) throw new HecError(E_LEVEL, `level ${level} outside 0..${params.levels}`);
  return 2 ** ls;
}

export function sameScale(a: number, b: number): boolean {
  return Math.abs(a - b) <= SCALE_REL_TOL * Math.max(Math.abs(a), Math.abs(b));
}

function log2Big(x: bigint): number {
  const s = x.toString(2).length;
  const top = Number(x >> BigInt(Math.max(0, s - 53)));
  return Math.log2(top) + Math.max(0, s - 53);
}

const logQCache = new WeakMap<CkksParams, number[]>();

/** log2(q_0·…·q_ℓ) for every level ℓ (cached per params object). */
export function logQByLevel(params: CkksParams): number[] {
  let v = logQCache.get(params);
  if (v === undefined) {
    v = [];
    let acc = 0;
    for (const q of params.q) {
      acc += log2Big(q);
      v.push(acc);
    }
    logQCache.set(params, v);
  }
  return v;
}

/** 32-bit FNV-1a of the ring degree and every prime: ciphertexts and keys carry it so mixing parameters fails loudly. */
export function paramFingerprint(params: CkksParams): number {
  const s = `${params.logN}|${params.q.join(',')}|${params.p.join(',')}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function checkLevel(params: CkksParams, level: number, what: string): void {
  if (!Number.isInteger(level) || level < 0 || level > params.levels) {
    throw new HecError(E_LEVEL, `${what}: level ${level} outside 0..${params.levels}`, { fix: 'use a level of the parameter chain' });
  }
}

interface Leveled {
  readonly level: number;
  readonly scale: number;
}

/** Binary ops need identical level and (within SCALE_REL_TOL) scale: the contract forbids silent fixing. */
export function checkSameLevelScale(op: string, a: Leveled, b: Leveled, checkScale = true): void {
  if (a.level !== b.level) {
    throw new HecError(E_LEVEL_MISMATCH, `${op}: operands at levels ${a.level} and ${b.level}`, {
      fix: 'levelDrop the higher operand first',
    });
  }
  if (checkScale && !sameScale(a.scale, b.scale)) {
    throw new HecError(E_SCALE_MISMATCH, `${op}: operand scales 2^${Math.log2(a.scale).toFixed(6)} and 2^${Math.log2(b.scale).toFixed(6)} differ`, {
      fix: 'rescale both operands to the canonical scale of their level first',
    });
  }
}

/** A scale that no nonzero message can use without wrapping mod Q (e.g. two muls without a rescale). */
export function checkScaleCapacity(params: CkksParams, op: string, level: number, scale: number): void {
  const cap = logQByLevel(params)[level]!;
  const ls = Math.log2(scale);
  if (!(ls < cap - 1)) {
    throw new HecError(E_OVERFLOW, `${op}: scale 2^${ls.toFixed(2)} exceeds the capacity 2^${(cap - 1).toFixed(2)} of level ${level}`, {
      fix: 'rescale after every multiplication',
    });
  }
  if (ls < MIN_LOG_SCALE) {
    throw new HecError(E_SCALE_UNDERFLOW, `${op}: scale 2^${ls.toFixed(2)} is below 2^${MIN_LOG_SCALE}; the message would drown in noise`, {
      fix: 'rescale only values at scale Δ², or encode constants at a larger scale',
    });
  }
}

/** |value|·scale must stay below Q_ℓ/2 or the ciphertext wraps around (models CKKS modular overflow). */
export function checkMagnitude(params: CkksParams, op: string, level: number, scale: number, maxAbs: number): void {
  if (maxAbs === 0) return;
  const cap = logQByLevel(params)[level]!;
  const lm = Math.log2(maxAbs) + Math.log2(scale);
  if (!(lm < cap - 1) || !Number.isFinite(maxAbs)) {
    throw new HecError(E_OVERFLOW, `${op}: |value| up to ${maxAbs.toPrecision(6)} at scale 2^${Math.log2(scale).toFixed(2)} needs 2^${lm.toFixed(2)} > 2^${(cap - 1).toFixed(2)} (level ${level}): the ciphertext would wrap around`, {
      fix: 'scale values down, or keep more levels before this op',
    });
  }
}

/** Normalise a left-rotation amount into 0 ≤ k < slots. */
export function normRotation(k: number, slots: number): number {
  if (!Number.isInteger(k)) throw new HecError(E_ARG, `rotation amount ${k} is not an integer`);
  return ((k % slots) + slots) % slots;
}

/**
 * Slack allowed outside a polynomial's domain, relative to the domain's scale: float64 rounding of analytic bounds.
 * A Chebyshev series is only an approximation on its domain (|T_k| ≤ 1 there, growing like (2|u|)^k outside), so a
 * slot beyond this is a wrong value on every backend; only `sim` can see it.
 */
export const POLY_DOMAIN_SLACK = 1e-9;

/**
 * The worst slot of a polynomial's input relative to its domain [lo, hi], with the slot index; ≤ 1 inside. On a
 * positive domain (the inverses) the ratio is multiplicative, max(lo/x, x/hi), since their inputs span decades;
 * elsewhere it is |x − mid| / half-width.
 */
export function polyDomainRatio(re: Float64Array, domain: readonly [number, number]): { ratio: number; at: number } {
  const [lo, hi] = domain;
  const mid = (lo + hi) / 2;
  const half = (hi - lo) / 2;
  const positive = lo > 0;
  let ratio = 0;
  let at = -1;
  for (let i = 0; i < re.length; i++) {
    const x = re[i]!;
    const r = positive ? (x > 0 ? Math.max(lo / x, x / hi) : Infinity) : Math.abs(x - mid) / half;
    if (r > ratio || Number.isNaN(r)) {
      ratio = r;
      at = i;
    }
  }
  return { ratio, at };
}

/** HEC5114 when a slot lies outside [lo, hi] by more than the slack (plus `noise`, the simulated noise's width). */
export function checkPolyDomain(re: Float64Array, domain: readonly [number, number], noise = 0): { ratio: number; at: number } {
  const [lo, hi] = domain;
  const worst = polyDomainRatio(re, domain);
  const slack = POLY_DOMAIN_SLACK * Math.max(hi - lo, Math.abs(lo), Math.abs(hi)) + noise;
  const x = worst.at >= 0 ? re[worst.at]! : 0;
  if (worst.at >= 0 && !(x >= lo - slack && x <= hi + slack)) {
    throw new HecError(E_POLY_DOMAIN, `poly: slot ${worst.at} holds ${x}, outside the approximation domain [${lo}, ${hi}]`, {
      fix: "the approximation's domain comes from calibration or from a bound that this input breaks: recompile with --calibration FILE (text like your inputs) or more --calibration-tokens",
    });
  }
  return worst;
}
