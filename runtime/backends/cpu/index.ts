/**
 * @fileoverview `cpu`: the native RNS-CKKS engine (runtime/native) behind the Backend contract.
 *
 * The client owns the secret key (OS CSPRNG, dense ternary or sparse with params.secretHammingWeight), encrypts with
 * the secret key by default (lower noise; `encryption: 'public'` uses the public key) and exports evaluation keys:
 * relinearisation, rotations and conjugation, all for hybrid key switching with params.dnum digits over the Q primes
 * and the special primes params.p. The server is built from parameters and evaluation keys only.
 *
 * Beyond the contract, CpuServer exposes the primitives a bootstrapping circuit needs (modRaise, conjugate,
 * rotateHoisted, complex encode/constants, dropLevel); see runtime/native/README.md "For bootstrapping".
 */
import { HecError } from '../../../ir/diagnostics.ts';
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
  E_ARG,
  E_FREED,
  E_NO_BOOTSTRAP,
  E_SCALE_MISMATCH,
  canonicalScale,
  checkLevel,
  checkSameLevelScale,
  checkScaleCapacity,
  normRotation,
  sameScale,
} from '../sim/checks.ts';
import { nat, requireCpuNative, type NativeContext, type NativeObject } from './native.ts';

export { cpuNotBuiltReason, loadCpuNative } from './native.ts';
export type { CpuNative, NativeContext, NativeObject } from './native.ts';

const contexts = new Map<string, NativeContext>();

/** The (cached) native context of a parameter set: NTT tables and basis converters are built once per process. */
export function nativeContext(params: CkksParams): NativeContext {
  const key = `${params.logN}|${params.q.join(',')}|${params.p.join(',')}|${params.dnum}`;
  let cx = contexts.get(key);
  if (cx === undefined) {
    const N = requireCpuNative();
    cx = nat(() => new N.CkksContext({ logN: params.logN, q: params.q.map(String), p: params.p.map(String), dnum: params.dnum }));
    contexts.set(key, cx);
  }
  return cx;
}

/**
 * Throws HEC5201 (with the reason) when the native engine is not built or fails to load; a registry can call this
 * before offering `cpuBackend` (importing this module never fails, so that tests can skip with the reason).
 */
export function cpuReady(): void {
  requireCpuNative();
}

/** Worker threads of the engine (0 = hardware threads); returns the count in effect. */
export function setCpuThreads(n: number): number {
  return requireCpuNative().setThreads(n);
}
export function getCpuThreads(): number {
  return requireCpuNative().getThreads();
}
/** Native ciphertexts/plaintexts alive in this process (all contexts), for leak tests. */
export function nativeLiveObjects(): number {
  return requireCpuNative().liveObjects();
}

function checkSlots(params: CkksParams, v: SlotValues, op: string): void {
  if (v.re.length !== params.slots || (v.im !== undefined && v.im.length !== params.slots)) {
    throw new HecError(E_ARG, `${op}: expected ${params.slots} slot values, got ${v.re.length}`);
  }
}

export interface CpuClientOptions {
  /** Hamming weight of the secret; default params.secretHammingWeight (0 = dense ternary). */
  hammingWeight?: number;
  /** 'secret' (default, less noise) or 'public' key encryption. */
  encryption?: 'secret' | 'public';
}

export class CpuClient implements ClientContext {
  readonly cx: NativeContext;
  private sk: NativeObject;
  private pk: NativeObject | undefined;
  private readonly encryption: 'secret' | 'public';

  constructor(readonly params: CkksParams, opts: CpuClientOptions = {}, secretKeyBytes?: Uint8Array) {
    this.cx = nativeContext(params);
    const h = opts.hammingWeight ?? params.secretHammingWeight;
    this.sk = nat(() => (secretKeyBytes !== undefined ? this.cx.loadSecretKey(secretKeyBytes) : this.cx.genSecretKey(h)));
    this.encryption = opts.encryption ?? 'secret';
  }

  /** Restore a client from a secret-key file written by `secretKeyBytes()`. */
  static fromSecretKey(params: CkksParams, bytes: Uint8Array, opts: CpuClientOptions = {}): CpuClient {
    return new CpuClient(params, opts, bytes);
  }
  /** The secret key in its own file type (servers refuse to load it). Keep it private. */
  secretKeyBytes(): Uint8Array {
    return nat(() => this.cx.serialize(this.sk));
  }
  publicKeyBytes(): Uint8Array {
    return nat(() => this.cx.serialize(this.publicKey()));
  }
  private publicKey(): NativeObject {
    this.pk ??= nat(() => this.cx.genPublicKey(this.sk));
    return this.pk;
  }

  async evaluationKeys(request: KeyRequest): Promise<EvaluationKeys> {
    const rots = [...new Set(request.rotations.map((k) => normRotation(k, this.params.slots)).filter((k) => k !== 0))];
    // A bootstrap circuit needs relinearisation and conjugation; its rotations are listed explicitly in `rotations`.
    const relin = request.relinearize || request.bootstrap;
    const conj = request.conjugate || request.bootstrap;
    const evk = nat(() => this.cx.genEvalKeys(this.sk, relin, rots, conj));
    try {
      return { bytes: nat(() => this.cx.serialize(evk)) };
    } finally {
      evk.free();
    }
  }

  /** Encrypt at `level` with the canonical scale of that level. */
  encrypt(values: SlotValues, level: number): Uint8Array {
    return this.encryptAt(values, level, canonicalScale(this.params, level));
  }
  /** Encrypt at any level and scale (bootstrapping tests, custom scales). */
  encryptAt(values: SlotValues, level: number, scale: number): Uint8Array {
    checkLevel(this.params, level, 'encrypt');
    checkSlots(this.params, values, 'encrypt');
    const pt = nat(() => this.cx.encode(values.re, values.im ?? null, level, scale));
    try {
      const ct = nat(() => (this.encryption === 'public' ? this.cx.encryptPk(this.publicKey(), pt) : this.cx.encryptSk(this.sk, pt)));
      try {
        return nat(() => this.cx.serialize(ct));
      } finally {
        ct.free();
      }
    } finally {
      pt.free();
    }
  }

  decrypt(ciphertext: Uint8Array): SlotValues {
    const ct = nat(() => this.cx.loadCiphertext(ciphertext));
    try {
      const pt = nat(() => this.cx.decrypt(this.sk, ct));
      try {
        return nat(() => this.cx.decode(pt));
      } finally {
        pt.free();
      }
    } finally {
      ct.free();
    }
  }

  dispose(): void {
    this.sk.free();
    this.pk?.free();
  }
}

/** A ciphertext or plaintext owned by a CpuServer. */
export class CpuValue implements Ciphertext, Plaintext {
  constructor(
    readonly h: NativeObject,
    readonly owner: CpuServer,
    readonly isPlain: boolean,
  ) {}
  get level(): number {
    return this.h.level;
  }
  get scale(): number {
    return this.h.scale;
  }
}

/** Bootstrapping hook installed by runtime/bootstrap: (server, ct, range) -> refreshed ct. */
export type CpuBootstrapFn = (server: CpuServer, ct: CpuValue, range: number | undefined) => CpuValue;

export class CpuServer implements ServerContext {
  readonly cx: NativeContext;
  private readonly evk: NativeObject;
  private live = 0;
  private readonly all = new Set<CpuValue>();
  private bootstrapFn: CpuBootstrapFn | undefined;

  constructor(readonly params: CkksParams, keys: EvaluationKeys) {
    this.cx = nativeContext(params);
    this.evk = nat(() => this.cx.loadEvalKeys(keys.bytes));
  }

  private wrap(h: NativeObject, isPlain = false): CpuValue {
    const v = new CpuValue(h, this, isPlain);
    this.all.add(v);
    this.live++;
    return v;
  }
  private ct(x: Ciphertext, op: string): NativeObject {
    if (!(x instanceof CpuValue) || x.owner !== this || x.isPlain) {
      throw new HecError(E_FREED, `${op}: not a ciphertext of this cpu server`);
    }
    if (x.h.freed) throw new HecError(E_FREED, `${op}: ciphertext was freed`);
    return x.h;
  }
  private pt(x: Plaintext, op: string): NativeObject {
    if (!(x instanceof CpuValue) || x.owner !== this || !x.isPlain) {
      throw new HecError(E_FREED, `${op}: not a plaintext of this cpu server`);
    }
    if (x.h.freed) throw new HecError(E_FREED, `${op}: plaintext was freed`);
    return x.h;
  }

  deserialize(bytes: Uint8Array): Ciphertext {
    return this.wrap(nat(() => this.cx.loadCiphertext(bytes)));
  }
  serialize(ct: Ciphertext): Uint8Array {
    const h = this.ct(ct, 'serialize');
    return nat(() => this.cx.serialize(h));
  }
  encode(values: SlotValues, level: number, scale: number): Plaintext {
    checkLevel(this.params, level, 'encode');
    checkSlots(this.params, values, 'encode');
    checkScaleCapacity(this.params, 'encode', level, scale);
    return this.wrap(nat(() => this.cx.encode(values.re, values.im ?? null, level, scale)), true);
  }
  /**
   * Encode with residues modulo the special primes as well (≈ (L+1+K)/(L+1) the memory): `linearTransform` over such
   * plaintexts keeps its baby and giant rotations in the extended basis (double hoisting, one ModDown per giant).
   */
  encodeExtended(values: SlotValues, level: number, scale: number): Plaintext {
    checkLevel(this.params, level, 'encodeExtended');
    checkSlots(this.params, values, 'encodeExtended');
    checkScaleCapacity(this.params, 'encodeExtended', level, scale);
    return this.wrap(nat(() => this.cx.encodeExt(values.re, values.im ?? null, level, scale)), true);
  }
  /** Plaintext bytes (native format) and back: servers may cache encoded weights. */
  serializePlain(p: Plaintext): Uint8Array {
    const h = this.pt(p, 'serializePlain');
    return nat(() => this.cx.serialize(h));
  }
  deserializePlain(bytes: Uint8Array): Plaintext {
    return this.wrap(nat(() => this.cx.loadPlaintext(bytes)), true);
  }

  add(a: Ciphertext, b: Ciphertext): Ciphertext {
    const x = this.ct(a, 'add'), y = this.ct(b, 'add');
    checkSameLevelScale('add', a, b);
    return this.wrap(nat(() => this.cx.add(x, y)));
  }
  sub(a: Ciphertext, b: Ciphertext): Ciphertext {
    const x = this.ct(a, 'sub'), y = this.ct(b, 'sub');
    checkSameLevelScale('sub', a, b);
    return this.wrap(nat(() => this.cx.sub(x, y)));
  }
  negate(a: Ciphertext): Ciphertext {
    const x = this.ct(a, 'negate');
    return this.wrap(nat(() => this.cx.negate(x)));
  }
  addPlain(a: Ciphertext, p: Plaintext): Ciphertext {
    const x = this.ct(a, 'addPlain'), y = this.pt(p, 'addPlain');
    checkSameLevelScale('addPlain', a, p);
    return this.wrap(nat(() => this.cx.addPlain(x, y)));
  }
  mulPlain(a: Ciphertext, p: Plaintext): Ciphertext {
    const x = this.ct(a, 'mulPlain'), y = this.pt(p, 'mulPlain');
    checkSameLevelScale('mulPlain', a, p, false);
    checkScaleCapacity(this.params, 'mulPlain', a.level, a.scale * p.scale);
    return this.wrap(nat(() => this.cx.mulPlain(x, y)));
  }
  addConst(a: Ciphertext, c: number): Ciphertext {
    return this.addConstComplex(a, c, 0);
  }
  /** Add re + i·im to every slot (encoded at a's scale). */
  addConstComplex(a: Ciphertext, re: number, im: number): Ciphertext {
    const x = this.ct(a, 'addConst');
    if (!Number.isFinite(re) || !Number.isFinite(im)) throw new HecError(E_ARG, `addConst: constant ${re}+${im}i is not finite`);
    return this.wrap(nat(() => this.cx.addConst(x, re, im)));
  }
  mulConst(a: Ciphertext, c: number, scale: number): Ciphertext {
    return this.mulConstComplex(a, c, 0, scale);
  }
  /** Multiply every slot by re + i·im encoded at `scale` (i is the monomial X^(N/2): no extra cost or level). */
  mulConstComplex(a: Ciphertext, re: number, im: number, scale: number): Ciphertext {
    const x = this.ct(a, 'mulConst');
    if (!Number.isFinite(re) || !Number.isFinite(im)) throw new HecError(E_ARG, `mulConst: constant ${re}+${im}i is not finite`);
    checkScaleCapacity(this.params, 'mulConst', a.level, a.scale * scale);
    return this.wrap(nat(() => this.cx.mulConst(x, re, im, scale)));
  }
  mul(a: Ciphertext, b: Ciphertext): Ciphertext {
    const x = this.ct(a, 'mul'), y = this.ct(b, 'mul');
    checkSameLevelScale('mul', a, b);
    checkScaleCapacity(this.params, 'mul', a.level, a.scale * b.scale);
    return this.wrap(nat(() => this.cx.mul(x, y, this.evk)));
  }
  rescale(a: Ciphertext): Ciphertext {
    const x = this.ct(a, 'rescale');
    checkLevel(this.params, a.level - 1, 'rescale');
    return this.wrap(nat(() => this.cx.rescale(x)));
  }
  levelDrop(a: Ciphertext, level: number): Ciphertext {
    const x = this.ct(a, 'levelDrop');
    checkLevel(this.params, level, 'levelDrop');
    // Same rule and code as sim: only a value at its level's canonical scale can be dropped onto another canonical scale.
    if (!sameScale(a.scale, canonicalScale(this.params, a.level))) {
      throw new HecError(E_SCALE_MISMATCH, `levelDrop: input scale 2^${Math.log2(a.scale).toFixed(4)} is not the canonical 2^${this.params.logScale[a.level]!.toFixed(4)} of level ${a.level}`, {
        fix: 'rescale before dropping levels',
      });
    }
    return this.wrap(nat(() => this.cx.levelDrop(x, level, canonicalScale(this.params, level))));
  }
  /** Drop primes down to `level` keeping the scale as it is (not the canonical one). */
  dropLevel(a: Ciphertext, level: number): Ciphertext {
    const x = this.ct(a, 'dropLevel');
    checkLevel(this.params, level, 'dropLevel');
    return this.wrap(nat(() => this.cx.dropTo(x, level)));
  }
  rotate(a: Ciphertext, k: number): Ciphertext {
    const x = this.ct(a, 'rotate');
    const kk = normRotation(k, this.params.slots);
    return this.wrap(nat(() => this.cx.rotate(x, kk, this.evk)));
  }
  rotateHoisted(a: Ciphertext, ks: readonly number[]): Ciphertext[] {
    const x = this.ct(a, 'rotateHoisted');
    const kk = ks.map((k) => normRotation(k, this.params.slots));
    return nat(() => this.cx.rotateHoisted(x, kk, this.evk)).map((h) => this.wrap(h));
  }
  conjugate(a: Ciphertext): Ciphertext {
    const x = this.ct(a, 'conjugate');
    return this.wrap(nat(() => this.cx.conjugate(x, this.evk)));
  }
  /**
   * ModRaise for bootstrapping: a level-0 ciphertext's coefficients, taken mod q_0 as centred integers, re-embedded
   * into every Q prime at the top level L. The scale field is kept; the plaintext becomes m + q_0·I (|I| small).
   */
  modRaise(a: Ciphertext): Ciphertext {
    const x = this.ct(a, 'modRaise');
    return this.wrap(nat(() => this.cx.modRaise(x)));
  }
  /**
   * Baby-step giant-step plaintext-matrix product: Σ_g rot(Σ_t pts[t] ⊙ rot(a, babies[g.babies[t]]), g.rot), with
   * the baby rotations hoisted and each giant's sum one fused multiply-accumulate pass. Every plaintext must be at a's
   * level and share one scale; the result (scale a.scale·pt.scale) is not rescaled.
   */
  linearTransform(a: Ciphertext, babies: readonly number[], giants: readonly { rot: number; terms: readonly { baby: number; pt: Plaintext }[] }[]): Ciphertext {
    const x = this.ct(a, 'linearTransform');
    const slots = this.params.slots;
    const g = giants.map((gi) => ({
      rot: normRotation(gi.rot, slots),
      babies: gi.terms.map((t) => t.baby),
      pts: gi.terms.map((t) => this.pt(t.pt, 'linearTransform')),
    }));
    return this.wrap(nat(() => this.cx.linearTransform(x, babies.map((b) => normRotation(b, slots)), g, this.evk)));
  }
  /**
   * Σ_t round(c·scale)·ct over terms at one level whose ct.scale·scale agree (that product is the result's scale): the
   * sum of mulConst products in one pass, word for word the same.
   */
  linearCombination(terms: readonly { ct: Ciphertext; c: number; scale: number }[]): Ciphertext {
    const xs = terms.map((t) => this.ct(t.ct, 'linearCombination'));
    return this.wrap(nat(() => this.cx.linComb(xs, terms.map((t) => t.c), terms.map((t) => t.scale))));
  }
  /** Install the bootstrapping circuit (runtime/bootstrap); until then `bootstrap` throws HEC5105. */
  setBootstrap(fn: CpuBootstrapFn | undefined): void {
    this.bootstrapFn = fn;
  }
  bootstrap(a: Ciphertext, range?: number): Ciphertext {
    this.ct(a, 'bootstrap');
    if (this.bootstrapFn === undefined) {
      throw new HecError(E_NO_BOOTSTRAP, `bootstrap: no bootstrapping circuit installed on the cpu backend for '${this.params.name}'`, {
        fix: 'install one with CpuServer.setBootstrap (runtime/bootstrap) or use parameters/plans without bootstrap',
      });
    }
    return this.bootstrapFn(this, a as CpuValue, range);
  }
  /** A copy (new handle) of a ciphertext or plaintext. */
  copy<T extends Ciphertext | Plaintext>(v: T): T {
    const c = v as unknown as CpuValue;
    const h = c.isPlain ? this.pt(c, 'copy') : this.ct(c, 'copy');
    return this.wrap(nat(() => this.cx.clone(h)), c.isPlain) as unknown as T;
  }

  free(v: Ciphertext | Plaintext): void {
    if (!(v instanceof CpuValue) || v.owner !== this) throw new HecError(E_FREED, 'free: not a value of this cpu server');
    if (!this.all.has(v)) throw new HecError(E_FREED, 'free: value freed twice');
    this.all.delete(v);
    v.h.free();
    this.live--;
  }
  liveCount(): number {
    return this.live;
  }
  dispose(): void {
    for (const v of this.all) v.h.free();
    this.all.clear();
    this.live = 0;
    this.evk.free();
  }
}

export interface CpuBackend extends Backend {
  createClient(params: CkksParams, opts?: CpuClientOptions): Promise<CpuClient>;
  createServer(params: CkksParams, keys: EvaluationKeys): Promise<CpuServer>;
}

export const cpuBackend: CpuBackend = {
  name: 'cpu',
  capabilities(params: CkksParams): BackendCapabilities {
    // Fresh secret-key encryption: error ≈ σ·sqrt(N)·(small factor) in slot units of 1/Δ.
    const minLogScale = Math.floor(Math.min(...params.logScale));
    // `false` until a server has runtime/bootstrap's circuit installed (DecodeSession does that for plans that bootstrap).
    return { bootstrapping: false, maxLevel: params.levels, precisionBits: Math.max(0, minLogScale - Math.ceil(params.logN / 2) - 6) };
  },
  async createClient(params: CkksParams, opts: CpuClientOptions = {}): Promise<CpuClient> {
    return new CpuClient(params, opts);
  },
  async createServer(params: CkksParams, keys: EvaluationKeys): Promise<CpuServer> {
    return new CpuServer(params, keys);
  },
};

export default cpuBackend;
