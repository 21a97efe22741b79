/**
 * @fileoverview `sim`: the slot-exact float64 reference backend, the living definition of every op's semantics.
 *
 * A ciphertext is {re, im: Float64Array(slots), level, scale}. No encryption happens; what makes `sim` useful is
 * that it enforces the same bookkeeping as a real CKKS engine (runtime/backends/checks.ts): level/scale agreement
 * of operands, scale capacity and modular wrap-around, level underflow, missing evaluation keys, the bootstrap input
 * bound, and constant quantisation (a constant c encoded at scale s is round(c·s)/s, exactly as in a real encoder).
 * Plans that run on `sim` therefore fail on real engines only through noise, not through bookkeeping.
 *
 * Optional noise (`createSimBackend({ noiseBits })`) adds Gaussian errors of standard deviation 2^-noiseBits (in
 * message units) at encryption and after every op a real engine adds noise in (mul, rescale, key switches,
 * bootstrap), to exercise a plan's precision budget without a real engine.
 */
import { HecError } from '../../../ir/diagnostics.ts';
import { polyDepth } from '../../../ir/ops.ts';
import { mulberry32 } from '../../../ir/seeded-random.ts';
import type { CkksParams } from '../../../ir/params.ts';
import type {
  Backend,
  BackendCapabilities,
  Ciphertext,
  ClientContext,
  EvaluationKeys,
  KeyRequest,
  Plaintext,
  ServerContext,
  SlotValues,
} from '../../backend.ts';
import {
  BOOTSTRAP_INPUT_BOUND,
  E_ARG,
  E_BOOTSTRAP_RANGE,
  E_FREED,
  E_LEVEL,
  E_MISSING_KEY,
  E_NO_BOOTSTRAP,
  E_SCALE_MISMATCH,
  canonicalScale,
  checkLevel,
  checkMagnitude,
  checkPolyDomain,
  checkSameLevelScale,
  checkScaleCapacity,
  normRotation,
  sameScale,
} from '../checks.ts';
import type { RangeStats } from './range-stats.ts';
import { checkSecretKey, decodeCiphertext, decodeKeys, encodeCiphertext, encodeKeys, encodeSecretKey } from './format.ts';

export { BOOTSTRAP_INPUT_BOUND } from '../checks.ts';
export { RangeStats } from './range-stats.ts';

export interface SimOptions {
  /** Standard deviation of added Gaussian noise is 2^-noiseBits; undefined = exact (no noise). */
  noiseBits?: number;
  /** Seed for the noise generator (test reproducibility); undefined = Math.random. */
  seed?: number;
  /** Records how close every bootstrap and polynomial input comes to its range (range-stats.ts). */
  rangeStats?: RangeStats;
}

class Noise {
  readonly sigma: number;
  private readonly rand: () => number;
  constructor(opts: SimOptions) {
    this.sigma = opts.noiseBits === undefined ? 0 : 2 ** -opts.noiseBits;
    // Simulated noise only (never keys): seeded for reproducible tests, else Math.random.
    this.rand = opts.seed === undefined ? Math.random : mulberry32(opts.seed);
  }
  /** Box–Muller, two normals per pair of uniforms: one for re, one for im. */
  add(re: Float64Array, im: Float64Array): void {
    if (this.sigma === 0) return;
    for (let i = 0; i < re.length; i++) {
      const u = 1 - this.rand();
      const r = this.sigma * Math.sqrt(-2 * Math.log(u));
      const t = 2 * Math.PI * this.rand();
      re[i]! += r * Math.cos(t);
      im[i]! += r * Math.sin(t);
    }
  }
}

function maxAbs(re: Float64Array): number {
  let m = 0;
  for (let i = 0; i < re.length; i++) {
    const v = Math.abs(re[i]!);
    if (v > m || Number.isNaN(v)) m = v;
  }
  return m;
}

/** Largest complex modulus over the slots (the wrap-around check needs only this). */
function maxModulus(re: Float64Array, im: Float64Array): number {
  let m = 0;
  for (let i = 0; i < re.length; i++) {
    const v = re[i]! * re[i]! + im[i]! * im[i]!;
    if (v > m || Number.isNaN(v)) m = v;
  }
  return Math.sqrt(m);
}

/** A constant as a real encoder would store it: round(c·s)/s (exact once c·s exceeds 2^53). */
function quantise(c: number, scale: number): number {
  const x = c * scale;
  return Math.abs(x) < 2 ** 52 ? Math.round(x) / scale : c;
}

function slotArrays(params: CkksParams, values: SlotValues, what: string): { re: Float64Array; im: Float64Array } {
  const n = params.slots;
  if (values.re.length > n || (values.im !== undefined && values.im.length > n)) {
    throw new HecError(E_ARG, `${what}: ${Math.max(values.re.length, values.im?.length ?? 0)} values exceed ${n} slots`, {
      fix: 'pack at most params.slots values per ciphertext',
    });
  }
  // Shorter inputs are zero-padded, as every CKKS encoder does.
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  re.set(values.re);
  if (values.im !== undefined) im.set(values.im);
  return { re, im };
}

class SimValue implements Ciphertext, Plaintext {
  freed = false;
  constructor(
    readonly owner: SimServer,
    readonly kind: 'ct' | 'pt',
    readonly re: Float64Array,
    readonly im: Float64Array,
    readonly level: number,
    readonly scale: number,
  ) {}
}

function capabilitiesFor(params: CkksParams, opts: SimOptions): BackendCapabilities {
  // Without noise the only error is constant quantisation (≤ 2^-(logΔ+1)) and float64 rounding.
  const minLogScale = Math.floor(Math.min(...params.logScale));
  const exact = Math.min(50, minLogScale);
  return {
    bootstrapping: params.bootstrapOutputLevel >= 0,
    maxLevel: params.levels,
    precisionBits: opts.noiseBits === undefined ? exact : Math.min(exact, opts.noiseBits),
  };
}

class SimClient implements ClientContext {
  private disposed = false;
  private readonly noise: Noise;
  constructor(readonly params: CkksParams, opts: SimOptions) {
    this.noise = new Noise(opts);
  }
  private alive(): void {
    if (this.disposed) throw new HecError(E_FREED, 'sim client used after dispose()');
  }
  async evaluationKeys(request: KeyRequest): Promise<EvaluationKeys> {
    this.alive();
    if (request.bootstrap && this.params.bootstrapOutputLevel < 0) {
      throw new HecError(E_NO_BOOTSTRAP, `bootstrap keys requested but parameters '${this.params.name}' cannot bootstrap`, {
        fix: 'use a preset with bootstrapLevels > 0',
      });
    }
    const rotations = request.rotations.map((k) => normRotation(k, this.params.slots)).filter((k) => k !== 0);
    return encodeKeys(this.params, { ...request, rotations });
  }
  encrypt(values: SlotValues, level: number): Uint8Array {
    this.alive();
    checkLevel(this.params, level, 'encrypt');
    const { re, im } = slotArrays(this.params, values, 'encrypt');
    const scale = canonicalScale(this.params, level);
    checkMagnitude(this.params, 'encrypt', level, scale, maxModulus(re, im));
    this.noise.add(re, im);
    return encodeCiphertext(this.params, { re, im, level, scale });
  }
  decrypt(ciphertext: Uint8Array): SlotValues {
    this.alive();
    const { re, im } = decodeCiphertext(this.params, ciphertext);
    return { re, im };
  }
  exportSecretKey(): Uint8Array {
    this.alive();
    return encodeSecretKey(this.params);
  }
  dispose(): void {
    this.disposed = true;
  }
}

class SimServer implements ServerContext {
  private readonly live = new Set<SimValue>();
  private readonly rotations: Set<number>;
  private disposed = false;
  private readonly noise: Noise;
  constructor(readonly params: CkksParams, private readonly keys: KeyRequest, opts: SimOptions) {
    this.rotations = new Set(keys.rotations.map((k) => normRotation(k, params.slots)));
    // A different stream from the client's so seeded client and server noise are not correlated.
    this.noise = new Noise({ ...opts, seed: opts.seed === undefined ? undefined : opts.seed + 1 });
    this.zero = new Float64Array(params.slots);
    this.realFastPath = opts.noiseBits === undefined;
    this.rangeStats = opts.rangeStats;
  }
  private readonly rangeStats: RangeStats | undefined;
  /**
   * Real values (hec's activations, weights and masks) share this read-only all-zero imaginary part, and every op on
   * two real operands skips the imaginary arithmetic. Only used without noise (noise makes imaginary parts nonzero).
   */
  private readonly zero: Float64Array;
  private readonly realFastPath: boolean;
  private isReal(...vs: SimValue[]): boolean {
    return vs.every((v) => v.im === this.zero);
  }

  private make(kind: 'ct' | 'pt', re: Float64Array, im: Float64Array, level: number, scale: number): SimValue {
    if (this.disposed) throw new HecError(E_FREED, 'sim server used after dispose()');
    const v = new SimValue(this, kind, re, im, level, scale);
    this.live.add(v);
    return v;
  }
  private take(v: Ciphertext | Plaintext, kind: 'ct' | 'pt', op: string): SimValue {
    if (!(v instanceof SimValue) || v.owner !== this) {
      throw new HecError(E_FREED, `${op}: value does not belong to this sim server`, { fix: 'deserialize ciphertexts into the server that uses them' });
    }
    if (v.freed) throw new HecError(E_FREED, `${op}: value used after free()`);
    if (v.kind !== kind) throw new HecError(E_ARG, `${op}: expected a ${kind === 'ct' ? 'ciphertext' : 'plaintext'}`);
    return v;
  }
  private ct(v: Ciphertext, op: string): SimValue {
    return this.take(v, 'ct', op);
  }
  private need(key: boolean, op: string, what: string): void {
    if (!key) {
      throw new HecError(E_MISSING_KEY, `${op}: no ${what} key among the evaluation keys`, { fix: 'list it in the plan header KeyRequest' });
    }
  }
  /**
   * Arrays for a result. Every caller overwrites every slot, so recycled arrays (returned by free()) are safe and
   * spare the garbage collector the ~0.5 MB per op a 2^16-ring step would otherwise churn through.
   */
  private fresh(real = false): { re: Float64Array; im: Float64Array } {
    const n = this.params.slots;
    const re = this.pool.pop() ?? new Float64Array(n);
    return { re, im: real && this.realFastPath ? this.zero : (this.pool.pop() ?? new Float64Array(n)) };
  }
  private readonly pool: Float64Array[] = [];
  private recycle(v: SimValue): void {
    for (const a of [v.re, v.im]) if (a !== this.zero && a.length === this.params.slots && this.pool.length < 256) this.pool.push(a);
  }

  /**
   * Fused `ckks.poly`: the Chebyshev series evaluated per slot by Clenshaw's recurrence (complex arithmetic), with
   * the level cost of ir/ops.ts polyDepth and the canonical output scale — exactly what runtime/poly-eval.ts computes
   * from primitives (test/unit/runtime/poly-eval.test.ts checks the two agree), at a fraction of the ops.
   */
  evalChebyshev(a: Ciphertext, coeffs: readonly number[], domain: readonly [number, number]): Ciphertext {
    const x = this.ct(a, 'evalChebyshev');
    const depth = polyDepth(coeffs.length - 1);
    if (x.level < depth) {
      throw new HecError(E_LEVEL, `poly: degree ${coeffs.length - 1} needs ${depth} levels, the input has ${x.level}`, { fix: 'bootstrap earlier' });
    }
    if (!sameScale(x.scale, canonicalScale(this.params, x.level))) {
      throw new HecError(E_SCALE_MISMATCH, 'poly: input is not at its level\'s canonical scale', { fix: 'rescale first' });
    }
    const [lo, hi] = domain;
    // Every slot must lie in the domain (HEC5114): outside it the series is not the function (imaginary parts, which
    // hec's real activations keep at noise level, are not checked). Eight standard deviations cover simulated noise.
    const worst = checkPolyDomain(x.re, domain, 8 * this.noise.sigma);
    this.rangeStats?.record('poly', worst.ratio, `[${lo}, ${hi}]`);
    const real = this.isReal(x);
    const { re, im } = this.fresh(real);
    const d = coeffs.length - 1;
    if (real) {
      for (let i = 0; i < re.length; i++) {
        const u = (2 * x.re[i]! - lo - hi) / (hi - lo);
        let b1 = 0, b2 = 0;
        for (let k = d; k >= 1; k--) {
          const t = 2 * u * b1 - b2 + coeffs[k]!;
          b2 = b1;
          b1 = t;
        }
        re[i] = u * b1 - b2 + coeffs[0]!;
      }
      const level = x.level - depth;
      return this.result('poly', re, im, level, canonicalScale(this.params, level));
    }
    for (let i = 0; i < re.length; i++) {
      const ur = (2 * x.re[i]! - lo - hi) / (hi - lo);
      const ui = (2 * x.im[i]!) / (hi - lo);
      let b1r = 0, b1i = 0, b2r = 0, b2i = 0;
      for (let k = d; k >= 1; k--) {
        const tr = 2 * (ur * b1r - ui * b1i) - b2r + coeffs[k]!;
        const ti = 2 * (ur * b1i + ui * b1r) - b2i;
        b2r = b1r; b2i = b1i; b1r = tr; b1i = ti;
      }
      re[i] = ur * b1r - ui * b1i - b2r + coeffs[0]!;
      im[i] = ur * b1i + ui * b1r - b2i;
    }
    this.noise.add(re, im);
    const level = x.level - depth;
    return this.result('poly', re, im, level, canonicalScale(this.params, level));
  }
  /** Result of an op that may grow values: wrap-around check, then register. */
  private result(op: string, re: Float64Array, im: Float64Array, level: number, scale: number): SimValue {
    checkMagnitude(this.params, op, level, scale, im === this.zero ? maxAbs(re) : maxModulus(re, im));
    return this.make('ct', re, im, level, scale);
  }

  deserialize(bytes: Uint8Array): Ciphertext {
    const r = decodeCiphertext(this.params, bytes);
    const real = this.realFastPath && r.im.every((v) => v === 0);
    return this.make('ct', r.re, real ? this.zero : r.im, r.level, r.scale);
  }
  serialize(ct: Ciphertext): Uint8Array {
    return encodeCiphertext(this.params, this.ct(ct, 'serialize'));
  }
  encode(values: SlotValues, level: number, scale: number): Plaintext {
    checkLevel(this.params, level, 'encode');
    if (!(scale > 0) || !Number.isFinite(scale)) throw new HecError(E_ARG, `encode: scale ${scale} must be positive and finite`);
    checkScaleCapacity(this.params, 'encode', level, scale);
    const { re, im } = slotArrays(this.params, values, 'encode');
    checkMagnitude(this.params, 'encode', level, scale, maxModulus(re, im));
    const real = this.realFastPath && values.im === undefined;
    return this.make('pt', re, real ? this.zero : im, level, scale);
  }

  add(a: Ciphertext, b: Ciphertext): Ciphertext {
    return this.addSub('add', a, b, 1);
  }
  sub(a: Ciphertext, b: Ciphertext): Ciphertext {
    return this.addSub('sub', a, b, -1);
  }
  private addSub(op: string, a: Ciphertext, b: Ciphertext, sign: 1 | -1): Ciphertext {
    const x = this.ct(a, op);
    const y = this.ct(b, op);
    checkSameLevelScale(op, x, y);
    const real = this.isReal(x, y);
    const { re, im } = this.fresh(real);
    if (real) {
      const xr = x.re, yr = y.re;
      if (sign === 1) for (let i = 0; i < re.length; i++) re[i] = xr[i]! + yr[i]!;
      else for (let i = 0; i < re.length; i++) re[i] = xr[i]! - yr[i]!;
    } else {
      for (let i = 0; i < re.length; i++) {
        re[i] = x.re[i]! + sign * y.re[i]!;
        im[i] = x.im[i]! + sign * y.im[i]!;
      }
    }
    return this.result(op, re, im, x.level, x.scale);
  }
  negate(a: Ciphertext): Ciphertext {
    const x = this.ct(a, 'negate');
    const real = this.isReal(x);
    const { re, im } = this.fresh(real);
    for (let i = 0; i < re.length; i++) re[i] = -x.re[i]!;
    if (!real) for (let i = 0; i < im.length; i++) im[i] = -x.im[i]!;
    return this.make('ct', re, im, x.level, x.scale);
  }
  addPlain(a: Ciphertext, p: Plaintext): Ciphertext {
    const x = this.ct(a, 'addPlain');
    const y = this.take(p, 'pt', 'addPlain');
    checkSameLevelScale('addPlain', x, y);
    const { re, im } = this.fresh();
    for (let i = 0; i < re.length; i++) {
      re[i] = x.re[i]! + y.re[i]!;
      im[i] = x.im[i]! + y.im[i]!;
    }
    return this.result('addPlain', re, im, x.level, x.scale);
  }
  /** Plaintext multiplicands may carry any scale (the caller picks it); only the level must agree. */
  mulPlain(a: Ciphertext, p: Plaintext): Ciphertext {
    const x = this.ct(a, 'mulPlain');
    const y = this.take(p, 'pt', 'mulPlain');
    checkSameLevelScale('mulPlain', x, y, false);
    return this.complexMul('mulPlain', x, y, false);
  }
  mul(a: Ciphertext, b: Ciphertext): Ciphertext {
    const x = this.ct(a, 'mul');
    const y = this.ct(b, 'mul');
    this.need(this.keys.relinearize, 'mul', 'relinearisation');
    checkSameLevelScale('mul', x, y);
    return this.complexMul('mul', x, y, true);
  }
  private complexMul(op: string, x: SimValue, y: SimValue, noisy: boolean): Ciphertext {
    const scale = x.scale * y.scale;
    checkScaleCapacity(this.params, op, x.level, scale);
    const real = this.isReal(x, y);
    const { re, im } = this.fresh(real);
    if (real) {
      const xr = x.re, yr = y.re;
      for (let i = 0; i < re.length; i++) re[i] = xr[i]! * yr[i]!;
    } else {
      for (let i = 0; i < re.length; i++) {
        const ar = x.re[i]!;
        const ai = x.im[i]!;
        const br = y.re[i]!;
        const bi = y.im[i]!;
        re[i] = ar * br - ai * bi;
        im[i] = ar * bi + ai * br;
      }
    }
    if (noisy) this.noise.add(re, im);
    return this.result(op, re, im, x.level, scale);
  }
  addConst(a: Ciphertext, c: number): Ciphertext {
    const x = this.ct(a, 'addConst');
    if (!Number.isFinite(c)) throw new HecError(E_ARG, `addConst: constant ${c} is not finite`);
    const cq = quantise(c, x.scale);
    const re = new Float64Array(x.re.length);
    for (let i = 0; i < re.length; i++) re[i] = x.re[i]! + cq;
    return this.result('addConst', re, this.isReal(x) ? this.zero : x.im.slice(), x.level, x.scale);
  }
  mulConst(a: Ciphertext, c: number, scale: number): Ciphertext {
    const x = this.ct(a, 'mulConst');
    if (!Number.isFinite(c)) throw new HecError(E_ARG, `mulConst: constant ${c} is not finite`);
    if (!(scale > 0) || !Number.isFinite(scale)) throw new HecError(E_ARG, `mulConst: scale ${scale} must be positive and finite`);
    const outScale = x.scale * scale;
    checkScaleCapacity(this.params, 'mulConst', x.level, outScale);
    const cq = quantise(c, scale);
    const real = this.isReal(x);
    const { re, im } = this.fresh(real);
    for (let i = 0; i < re.length; i++) re[i] = x.re[i]! * cq;
    if (!real) for (let i = 0; i < im.length; i++) im[i] = x.im[i]! * cq;
    return this.result('mulConst', re, im, x.level, outScale);
  }
  rescale(a: Ciphertext): Ciphertext {
    const x = this.ct(a, 'rescale');
    if (x.level === 0) {
      throw new HecError(E_LEVEL, 'rescale: ciphertext is at level 0, no prime left to divide by', { fix: 'bootstrap earlier or use a deeper preset' });
    }
    const scale = x.scale / Number(this.params.q[x.level]!);
    checkScaleCapacity(this.params, 'rescale', x.level - 1, scale);
    const re = x.re.slice();
    const im = this.isReal(x) ? this.zero : x.im.slice();
    this.noise.add(re, im);
    return this.make('ct', re, im, x.level - 1, scale);
  }
  /** Real engines drop primes and fix the scale with one integer multiply + rescale, which needs a canonical input. */
  levelDrop(a: Ciphertext, level: number): Ciphertext {
    const x = this.ct(a, 'levelDrop');
    checkLevel(this.params, level, 'levelDrop');
    if (level > x.level) {
      throw new HecError(E_LEVEL, `levelDrop: cannot raise level ${x.level} to ${level}`, { fix: 'only bootstrap raises the level' });
    }
    if (!sameScale(x.scale, canonicalScale(this.params, x.level))) {
      throw new HecError(E_SCALE_MISMATCH, `levelDrop: input scale 2^${Math.log2(x.scale).toFixed(4)} is not the canonical 2^${this.params.logScale[x.level]!.toFixed(4)} of level ${x.level}`, {
        fix: 'rescale before dropping levels',
      });
    }
    return this.result('levelDrop', x.re.slice(), this.isReal(x) ? this.zero : x.im.slice(), level, canonicalScale(this.params, level));
  }
  rotate(a: Ciphertext, k: number): Ciphertext {
    const x = this.ct(a, 'rotate');
    return this.rotateOne(x, k);
  }
  private rotateOne(x: SimValue, k: number): SimValue {
    const n = this.params.slots;
    const s = normRotation(k, n);
    const real = this.isReal(x);
    if (s === 0) return this.make('ct', x.re.slice(), real ? this.zero : x.im.slice(), x.level, x.scale);
    this.need(this.rotations.has(s), 'rotate', `rotation-by-${s}`);
    const { re, im } = this.fresh(real);
    // Left rotation out[i] = in[(i+s) mod n]: the tail from s moves to the front, the head wraps to the back.
    re.set(x.re.subarray(s), 0);
    re.set(x.re.subarray(0, s), n - s);
    if (!real) {
      im.set(x.im.subarray(s), 0);
      im.set(x.im.subarray(0, s), n - s);
    }
    this.noise.add(re, im);
    return this.make('ct', re, im, x.level, x.scale);
  }
  rotateHoisted(a: Ciphertext, ks: readonly number[]): Ciphertext[] {
    const x = this.ct(a, 'rotateHoisted');
    return ks.map((k) => this.rotateOne(x, k));
  }
  conjugate(a: Ciphertext): Ciphertext {
    const x = this.ct(a, 'conjugate');
    this.need(this.keys.conjugate, 'conjugate', 'conjugation');
    const re = x.re.slice();
    const im = new Float64Array(x.im.length);
    for (let i = 0; i < im.length; i++) im[i] = -x.im[i]!;
    this.noise.add(re, im);
    return this.make('ct', re, im, x.level, x.scale);
  }
  bootstrap(a: Ciphertext, range = 1): Ciphertext {
    const x = this.ct(a, 'bootstrap');
    const out = this.params.bootstrapOutputLevel;
    if (out < 0) {
      throw new HecError(E_NO_BOOTSTRAP, `bootstrap: parameters '${this.params.name}' have no bootstrapping levels`, {
        fix: 'use a preset with bootstrapLevels > 0, or a shallower plan',
      });
    }
    this.need(this.keys.bootstrap, 'bootstrap', 'bootstrapping');
    // EvalMod treats real and imaginary parts separately, so the bound applies to each.
    let worst = 0;
    let at = -1;
    for (let i = 0; i < x.re.length; i++) {
      const m = Math.max(Math.abs(x.re[i]!), Math.abs(x.im[i]!));
      if (m > worst || Number.isNaN(m)) {
        worst = m;
        at = i;
      }
    }
    // The circuit scales by 1/range on the way in and by range on the way out (backend.ts), so the bound is on x/range.
    if (!(worst / range <= BOOTSTRAP_INPUT_BOUND)) {
      throw new HecError(E_BOOTSTRAP_RANGE, `bootstrap: slot ${at} holds ${x.re[at]}${x.im[at] !== 0 ? ` + ${x.im[at]}i` : ''}, |value| ${worst} exceeds the bound ${BOOTSTRAP_INPUT_BOUND * range} (range ${range})`, {
        fix: 'the plan\'s bootstrap ranges come from calibration: recompile with more --calibration-tokens or a --calibration FILE like your inputs',
      });
    }
    this.rangeStats?.record('bootstrap', worst / range, String(range));
    const re = x.re.slice();
    const im = this.isReal(x) ? this.zero : x.im.slice();
    this.noise.add(re, im);
    return this.make('ct', re, im, out, canonicalScale(this.params, out));
  }

  free(v: Ciphertext | Plaintext): void {
    if (!(v instanceof SimValue) || v.owner !== this) throw new HecError(E_FREED, 'free: value does not belong to this sim server');
    if (v.freed) throw new HecError(E_FREED, 'free: value freed twice');
    v.freed = true;
    this.live.delete(v);
    this.recycle(v);
  }
  liveCount(): number {
    return this.live.size;
  }
  dispose(): void {
    for (const v of this.live) v.freed = true;
    this.live.clear();
    this.disposed = true;
  }
}

/** A sim backend with its own noise settings (the default `simBackend` is exact). */
export function createSimBackend(opts: SimOptions = {}): Backend {
  if (opts.noiseBits !== undefined && !(opts.noiseBits > 0)) throw new HecError(E_ARG, `sim: noiseBits ${opts.noiseBits} must be positive`);
  return {
    name: 'sim',
    encrypts: false,
    capabilities: (params) => capabilitiesFor(params, opts),
    createClient: async (params) => new SimClient(params, opts),
    restoreClient: async (params, secretKey) => {
      checkSecretKey(params, secretKey);
      return new SimClient(params, opts);
    },
    createServer: async (params, keys) => new SimServer(params, await decodeKeys(params, keys), opts),
  };
}

export const simBackend: Backend = createSimBackend();
