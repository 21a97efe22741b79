/**
 * @fileoverview Plain interpretation of the bootstrap circuit: ciphertexts are complex slot vectors with a level and
 * a scale; every op follows backend.ts's value and scale semantics, and mismatched levels/scales throw exactly where a
 * real backend would. Optionally injects the noise a real RNS-CKKS engine adds, so the precision of a parameter set
 * can be predicted without an engine:
 * - rescale and key switching: rounding e_0 + e_1·s with coefficient variance (1 + h)/12; in the slot (canonical
 *   embedding) domain each slot gets complex Gaussian noise of variance N·(1 + h)/12, divided by the scale;
 * - plaintext diagonals: coefficient rounding (variance 1/12) → relative slot error of variance N/12 / scale²;
 * - modRaise: I with coefficients distributed like round((b + a·s)/q_0), i.e. variance ≈ (h + 1)/12.
 */
import type { CkksParams } from '../../ir/params.ts';
import { cclone, coeffsToSlots, crot, cvec, slotsToCoeffs, type CVec } from './linalg.ts';
import { canonical, qf, type Prim } from './prim.ts';

export interface PlainCt {
  v: CVec;
  level: number;
  scale: number;
}

export interface PlainOptions {
  /** Inject CKKS-like noise (see file comment). */
  noise?: boolean;
  /** Hamming weight used by the noise model and modRaise; defaults to params.secretHammingWeight (or 2N/3 if 0). */
  hammingWeight?: number;
  /** Deterministic randomness. */
  seed?: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export class PlainPrim implements Prim<PlainCt> {
  readonly n: number;
  readonly h: number;
  private readonly rand: () => number;
  /** Counters, for tests and cost estimates. */
  readonly counts = { rotations: 0, hoistedRotations: 0, conjugations: 0, mul: 0, mulDiag: 0, rescale: 0 };

  constructor(readonly params: CkksParams, private readonly opts: PlainOptions = {}) {
    this.n = params.slots;
    const N = 2 * this.n;
    const hs = params.bootstrapSparseWeight ?? 0;
    this.h = opts.hammingWeight ?? (hs > 0 ? hs : params.secretHammingWeight > 0 ? params.secretHammingWeight : Math.round((2 * N) / 3));
    this.rand = rng(opts.seed ?? 1);
  }

  private gauss(): number {
    const u = Math.max(this.rand(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.rand());
  }

  private addNoise(v: CVec, stdPerComponent: number, op = ''): void {
    if (!this.opts.noise || stdPerComponent === 0) return;
    const only = process.env.HEC_PLAIN_NOISE_ONLY;
    if (only !== undefined && !only.split(',').includes(op)) return;
    for (let i = 0; i < this.n; i++) {
      v.re[i]! += stdPerComponent * this.gauss();
      v.im[i]! += stdPerComponent * this.gauss();
    }
  }

  /** Std of one real component of rounding noise in slot units at this scale. */
  private roundingStd(scale: number): number {
    return Math.sqrt((2 * this.n * (1 + this.h)) / 12 / 2) / scale;
  }

  private same(op: string, a: PlainCt, b: PlainCt): void {
    if (a.level !== b.level) throw new Error(`${op}: levels ${a.level} and ${b.level} differ`);
    if (Math.abs(a.scale - b.scale) > 1e-9 * Math.max(a.scale, b.scale)) {
      throw new Error(`${op}: scales 2^${Math.log2(a.scale)} and 2^${Math.log2(b.scale)} differ`);
    }
  }

  fromSlots(v: CVec, level: number, scale = canonical(this.params, level)): PlainCt {
    return { v: cclone(v), level, scale };
  }

  level(c: PlainCt): number { return c.level; }
  scale(c: PlainCt): number { return c.scale; }

  add(a: PlainCt, b: PlainCt): PlainCt {
    this.same('add', a, b);
    const v = cvec(this.n);
    for (let i = 0; i < this.n; i++) { v.re[i] = a.v.re[i]! + b.v.re[i]!; v.im[i] = a.v.im[i]! + b.v.im[i]!; }
    return { v, level: a.level, scale: a.scale };
  }

  sub(a: PlainCt, b: PlainCt): PlainCt {
    this.same('sub', a, b);
    const v = cvec(this.n);
    for (let i = 0; i < this.n; i++) { v.re[i] = a.v.re[i]! - b.v.re[i]!; v.im[i] = a.v.im[i]! - b.v.im[i]!; }
    return { v, level: a.level, scale: a.scale };
  }

  negate(a: PlainCt): PlainCt {
    const v = cvec(this.n);
    for (let i = 0; i < this.n; i++) { v.re[i] = -a.v.re[i]!; v.im[i] = -a.v.im[i]!; }
    return { v, level: a.level, scale: a.scale };
  }

  addConst(a: PlainCt, c: number): PlainCt {
    const q = Math.round(c * a.scale) / a.scale;
    const v = cclone(a.v);
    for (let i = 0; i < this.n; i++) v.re[i]! += q;
    return { v, level: a.level, scale: a.scale };
  }

  mulConst(a: PlainCt, c: number, scale: number): PlainCt {
    const q = Math.round(c * scale) / scale;
    const v = cvec(this.n);
    for (let i = 0; i < this.n; i++) { v.re[i] = a.v.re[i]! * q; v.im[i] = a.v.im[i]! * q; }
    return { v, level: a.level, scale: a.scale * scale };
  }

  mulDiag(a: PlainCt, d: CVec, scale: number, key = ''): PlainCt {
    this.counts.mulDiag++;
    if (scale < 2 ** 10) throw new Error(`mulDiag: plaintext scale 2^${Math.log2(scale)} too small`);
    const v = cvec(this.n);
    for (let i = 0; i < this.n; i++) {
      const dr = d.re[i]!, di = d.im[i]!, xr = a.v.re[i]!, xi = a.v.im[i]!;
      v.re[i] = dr * xr - di * xi;
      v.im[i] = dr * xi + di * xr;
    }
    if (this.opts.noise) {
      let ms = 0;
      for (let i = 0; i < this.n; i++) ms += a.v.re[i]! ** 2 + a.v.im[i]! ** 2;
      this.addNoise(v, Math.sqrt(((2 * this.n) / 12 / 2) * (ms / this.n)) / scale, key.includes('cts') ? 'ptcts' : 'ptstc');
    }
    return { v, level: a.level, scale: a.scale * scale };
  }

  mul(a: PlainCt, b: PlainCt): PlainCt {
    this.counts.mul++;
    this.same('mul', a, b); // backends require equal level and scale for ct×ct as well (checks.ts)
    const v = cvec(this.n);
    for (let i = 0; i < this.n; i++) {
      const ar = a.v.re[i]!, ai = a.v.im[i]!, br = b.v.re[i]!, bi = b.v.im[i]!;
      v.re[i] = ar * br - ai * bi;
      v.im[i] = ar * bi + ai * br;
    }
    const s = a.scale * b.scale;
    this.addNoise(v, this.roundingStd(s), 'relin'); // relinearisation key switch
    return { v, level: a.level, scale: s };
  }

  rescale(a: PlainCt): PlainCt {
    this.counts.rescale++;
    if (a.level === 0) throw new Error('rescale at level 0');
    const s = a.scale / qf(this.params, a.level);
    if (s < 2 ** 10) throw new Error(`rescale: scale 2^${Math.log2(s)} underflows`);
    const v = cclone(a.v);
    const lv = process.env.HEC_PLAIN_NOISE_LEVELS?.split('-').map(Number);
    if (lv === undefined || (a.level - 1 >= lv[0]! && a.level - 1 <= lv[1]!)) this.addNoise(v, this.roundingStd(s), 'rescale');
    return { v, level: a.level - 1, scale: s };
  }

  levelDrop(a: PlainCt, level: number): PlainCt {
    if (level > a.level) throw new Error(`levelDrop: ${a.level} → ${level}`);
    const want = canonical(this.params, a.level);
    if (Math.abs(a.scale - want) > 1e-9 * want) throw new Error(`levelDrop: non-canonical scale 2^${Math.log2(a.scale)} at level ${a.level}`);
    const v = cclone(a.v);
    if (level < a.level) this.addNoise(v, this.roundingStd(canonical(this.params, level)), 'drop');
    return { v, level, scale: canonical(this.params, level) };
  }

  /** Exact prime drop keeping the scale (no noise: no rounding happens). */
  dropLevel(a: PlainCt, level: number): PlainCt {
    if (level > a.level) throw new Error(`dropLevel: ${a.level} → ${level}`);
    return { v: cclone(a.v), level, scale: a.scale };
  }

  rotate(a: PlainCt, k: number): PlainCt {
    this.counts.rotations++;
    const v = crot(a.v, k);
    this.addNoise(v, this.roundingStd(a.scale), 'rot');
    return { v, level: a.level, scale: a.scale };
  }

  rotateHoisted(a: PlainCt, ks: readonly number[]): PlainCt[] {
    this.counts.hoistedRotations += ks.length;
    return ks.map((k) => {
      const v = crot(a.v, k);
      this.addNoise(v, this.roundingStd(a.scale), 'rot');
      return { v, level: a.level, scale: a.scale };
    });
  }

  conjugate(a: PlainCt): PlainCt {
    this.counts.conjugations++;
    const v = cvec(this.n);
    for (let i = 0; i < this.n; i++) { v.re[i] = a.v.re[i]!; v.im[i] = -a.v.im[i]!; }
    this.addNoise(v, this.roundingStd(a.scale), 'rot');
    return { v, level: a.level, scale: a.scale };
  }

  /** Adds (q_0/scale)·I in the coefficient domain, I_k ≈ N(0, (h+1)/12) rounded (the distribution of ⌊(b+a·s)/q_0⌉). */
  modRaise(a: PlainCt): PlainCt {
    if (a.level !== 0) throw new Error(`modRaise: level ${a.level} ≠ 0`);
    const R = qf(this.params, 0) / a.scale;
    const m = slotsToCoeffs(a.v);
    const sd = Math.sqrt((this.h + 1) / 12);
    for (let k = 0; k < m.length; k++) m[k]! += R * Math.round(sd * this.gauss());
    return { v: coeffsToSlots(m), level: this.params.levels, scale: a.scale };
  }

  /** Key switches to and from the ephemeral sparse secret: the value is unchanged, plus key-switching rounding. */
  toSparse(a: PlainCt): PlainCt {
    if (a.level !== 0) throw new Error(`toSparse: level ${a.level} ≠ 0`);
    const v = cclone(a.v);
    this.addNoise(v, this.roundingStd(a.scale), 'ks');
    return { v, level: a.level, scale: a.scale };
  }
  fromSparse(a: PlainCt): PlainCt {
    const v = cclone(a.v);
    this.addNoise(v, this.roundingStd(a.scale), 'ks');
    return { v, level: a.level, scale: a.scale };
  }

  free(_a: PlainCt): void {}
}
