/**
 * @fileoverview `seal`: real CKKS encryption through Microsoft SEAL 4 (node-seal 6.0.3, wasm).
 *
 * Scope and limits (each enforced with a coded error rather than a wrong answer):
 * - Real slots only: node-seal's CKKSEncoder takes Float64Array, so complex inputs throw HEC5112 and decrypt
 *   returns real parts (every op preserves real inputs, so imaginary parts are noise only).
 * - No bootstrapping (capabilities.bootstrapping = false; `bootstrap` throws HEC5105).
 * - logN ≤ 15 (4 GiB wasm heap).
 * Bookkeeping (levels, scales, capacity, missing keys) uses the same checks as `sim` (../checks.ts) before SEAL
 * is called, so both reject the same plans with the same codes; SEAL's own exceptions become HEC5112.
 * Precision: SEAL decomposes key switching per prime with non-centred digits, so its key-switching error is about
 * max(q_i)/P relative and concentrates at slot 0; keep q_0 well below the special prime (conformance: q_0 50 bits,
 * P 60 bits → rotations lose ~3 bits; q_0 = P = 60 bits → ~9 bits).
 * Rotation: SEAL's rotateVector(ct, k) with k > 0 rotates LEFT (out[i] = in[i+k]), matching the contract; the
 * conformance suite checks this. Conjugation uses SEAL's Galois element 2N−1, which SEAL generates for step 0.
 */
import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { PlainText } from 'node-seal/implementation/plain-text.js';
import type { GaloisKeys } from 'node-seal/implementation/galois-keys.js';
import type { RelinKeys } from 'node-seal/implementation/relin-keys.js';
import type { Evaluator } from 'node-seal/implementation/evaluator.js';
import type { CKKSEncoder } from 'node-seal/implementation/ckks-encoder.js';
import type { Decryptor } from 'node-seal/implementation/decryptor.js';
import type { Encryptor } from 'node-seal/implementation/encryptor.js';
import type { KeyGenerator } from 'node-seal/implementation/key-generator.js';
import type { SecretKey } from 'node-seal/implementation/secret-key.js';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import { HecError } from '../../../ir/diagnostics.ts';
import type { CkksParams } from '../../../ir/params.ts';
import type {
  Backend, BackendCapabilities, Ciphertext, ClientContext, EvaluationKeys, KeyRequest, Plaintext, ServerContext, SlotValues,
} from '../../backend.ts';
import {
  E_ARG, E_FREED, E_LEVEL, E_MISSING_KEY, E_NO_BOOTSTRAP, E_SCALE_MISMATCH, E_UNSUPPORTED,
  canonicalScale, checkLevel, checkSameLevelScale, checkScaleCapacity, normRotation, sameScale,
} from '../checks.ts';
import { SEAL_MAX_LOGN, getSeal, guard, must, sealContext, type SealContext } from './lib.ts';
import { encodeKeys, galoisStep, readKeys, unwrapCiphertext, wrapCiphertext } from './format.ts';

export { SEAL_MAX_LOGN } from './lib.ts';

/** Resolves once the wasm module is instantiated; rejects with the reason it cannot be (used by the registry). */
export async function sealReady(): Promise<void> {
  await getSeal();
}

function realSlots(params: CkksParams, v: SlotValues, what: string): Float64Array {
  const n = params.slots;
  if (v.re.length > n || (v.im?.length ?? 0) > n) throw new HecError(E_ARG, `${what}: more than ${n} values`, { fix: 'pack at most params.slots values' });
  if (v.im !== undefined && v.im.some((x) => x !== 0)) {
    throw new HecError(E_UNSUPPORTED, `${what}: seal backend encodes real slots only (node-seal has no complex encoder)`, {
      fix: 'use the sim, cpu or cuda backend for complex slot values',
    });
  }
  const re = new Float64Array(n);
  re.set(v.re);
  return re;
}

/** Encode real slots at `level` and `scale`: SEAL encodes at the top level, then drops primes (exact for a plaintext). */
function encodeAt(sc: SealContext, encoder: CKKSEncoder, evaluator: Evaluator, re: Float64Array, level: number, scale: number): PlainText {
  return guard('encode', () => {
    const pt = must(encoder.encode(re, scale), 'encode');
    if (level !== sc.parmsIds.length - 1) evaluator.plainModSwitchTo(pt, sc.parmsIds[level]!, pt);
    return pt;
  });
}

function capabilitiesFor(params: CkksParams): BackendCapabilities {
  // Fresh encrypt→decrypt error is about sqrt(N)·σ/Δ in the worst slot, so precision shrinks with logN/2 and grows
  // with the scale; the conformance suite measured 31 bits (worst slot) at N = 2^12, Δ = 2^40 (see its table).
  const minLogScale = Math.min(...params.logScale);
  return {
    bootstrapping: false,
    maxLevel: params.logN > SEAL_MAX_LOGN ? -1 : params.levels,
    precisionBits: Math.max(0, Math.floor(minLogScale - params.logN / 2 - 4)),
  };
}

class SealClient implements ClientContext {
  private readonly seal: SEALLibrary;
  private readonly kg: KeyGenerator;
  private readonly sk: SecretKey;
  private readonly encryptor: Encryptor;
  private readonly decryptor: Decryptor;
  private readonly encoder: CKKSEncoder;
  private readonly evaluator: Evaluator;
  private disposed = false;
  constructor(readonly params: CkksParams, private readonly sc: SealContext) {
    const { seal, ctx } = sc;
    this.seal = seal;
    // KeyGenerator samples the secret key from SEAL's own CSPRNG (seeded from the OS).
    this.kg = seal.KeyGenerator(ctx);
    this.sk = this.kg.secretKey();
    const pk = this.kg.createPublicKey();
    this.encryptor = seal.Encryptor(ctx, pk, this.sk);
    pk.delete();
    this.decryptor = seal.Decryptor(ctx, this.sk);
    this.encoder = seal.CKKSEncoder(ctx);
    this.evaluator = seal.Evaluator(ctx);
  }

  private alive(): void {
    if (this.disposed) throw new HecError(E_FREED, 'seal client used after dispose()');
  }
  async evaluationKeys(request: KeyRequest): Promise<EvaluationKeys> {
    this.alive();
    if (request.bootstrap) {
      throw new HecError(E_NO_BOOTSTRAP, 'seal cannot bootstrap, so it has no bootstrapping keys', { fix: 'use the cpu or cuda backend, or a plan without bootstrap' });
    }
    const rotations = [...new Set(request.rotations.map((k) => normRotation(k, this.params.slots)).filter((k) => k !== 0))].sort((a, b) => a - b);
    const none = this.seal.ComprModeType.none;
    // One part per switching key, made when the consumer asks for it (SEAL's seeded "Serializable" form).
    const body = (key: string): Uint8Array => {
      this.alive();
      // SEAL maps step 0 to the conjugation element 2N−1; an empty step list would mean "all powers of two".
      const s = key === 'relin' ? this.kg.createRelinKeysSerializable() : this.kg.createGaloisKeysSerializable(Int32Array.from([key === 'conj' ? 0 : galoisStep(key)]));
      try {
        return guard(key === 'relin' ? 'relin keys' : 'galois keys', () => s.saveArray(none));
      } finally {
        s.delete();
      }
    };
    return encodeKeys(this.params, { ...request, rotations }, body);
  }
  encrypt(values: SlotValues, level: number): Uint8Array {
    this.alive();
    checkLevel(this.params, level, 'encrypt');
    const scale = canonicalScale(this.params, level);
    checkScaleCapacity(this.params, 'encrypt', level, scale);
    const pt = encodeAt(this.sc, this.encoder, this.evaluator, realSlots(this.params, values, 'encrypt'), level, scale);
    try {
      // Symmetric encryption: the client holds the secret key, and it adds less noise than public-key encryption.
      const ct = guard('encrypt', () => must(this.encryptor.encryptSymmetric(pt), 'encrypt'));
      const bytes = wrapCiphertext(this.params, ct.saveArray(this.seal.ComprModeType.none));
      ct.delete();
      return bytes;
    } finally {
      pt.delete();
    }
  }
  decrypt(ciphertext: Uint8Array): SlotValues {
    this.alive();
    const ct = this.seal.CipherText();
    try {
      guard('decrypt', () => ct.loadArray(this.sc.ctx, unwrapCiphertext(this.params, ciphertext)));
      const pt = guard('decrypt', () => must(this.decryptor.decrypt(ct), 'decrypt'));
      const re = guard('decode', () => this.encoder.decode(pt));
      pt.delete();
      return { re: Float64Array.from(re) };
    } finally {
      ct.delete();
    }
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const o of [this.encryptor, this.decryptor, this.encoder, this.evaluator, this.sk, this.kg]) o.delete();
  }
}

class SealValue implements Ciphertext, Plaintext {
  freed = false;
  constructor(
    readonly owner: SealServer,
    readonly kind: 'ct' | 'pt',
    readonly obj: CipherText | PlainText,
    readonly level: number,
    readonly scale: number,
  ) {}
}

class SealServer implements ServerContext {
  private readonly seal: SEALLibrary;
  private readonly evaluator: Evaluator;
  private readonly encoder: CKKSEncoder;
  private readonly live = new Set<SealValue>();
  private disposed = false;

  /** `galois`: one GaloisKeys object per key part, by key name ('rot:<k>', 'conj'). */
  private constructor(
    readonly params: CkksParams,
    private readonly sc: SealContext,
    private readonly relin: RelinKeys | undefined,
    private readonly galois: Map<string, GaloisKeys>,
  ) {
    this.seal = sc.seal;
    this.evaluator = sc.seal.Evaluator(sc.ctx);
    this.encoder = sc.seal.CKKSEncoder(sc.ctx);
  }

  /** Load the key parts one at a time (each SEAL key object is built from its part, and the part dropped). */
  static async load(params: CkksParams, sc: SealContext, keys: EvaluationKeys): Promise<SealServer> {
    let relin: RelinKeys | undefined;
    const galois = new Map<string, GaloisKeys>();
    try {
      await readKeys(params, keys, (key, body) => {
        if (key === 'relin') {
          relin = sc.seal.RelinKeys();
          guard('load relin keys', () => relin!.loadArray(sc.ctx, body));
        } else {
          const g = sc.seal.GaloisKeys();
          galois.set(key, g);
          guard('load galois keys', () => g.loadArray(sc.ctx, body));
        }
      });
    } catch (e) {
      relin?.delete();
      for (const g of galois.values()) g.delete();
      throw e;
    }
    return new SealServer(params, sc, relin, galois);
  }

  private make(kind: 'ct' | 'pt', obj: CipherText | PlainText, level: number, scale: number): SealValue {
    if (this.disposed) throw new HecError(E_FREED, 'seal server used after dispose()');
    const v = new SealValue(this, kind, obj, level, scale);
    this.live.add(v);
    return v;
  }
  /** Wrap a SEAL result, pinning its scale to the bookkeeping value (SEAL rounds in the last bits otherwise). */
  private ctOut(obj: CipherText, level: number, scale: number): SealValue {
    obj.setScale(scale);
    return this.make('ct', obj, level, scale);
  }
  private take(v: Ciphertext | Plaintext, kind: 'ct' | 'pt', op: string): SealValue {
    if (!(v instanceof SealValue) || v.owner !== this) throw new HecError(E_FREED, `${op}: value does not belong to this seal server`);
    if (v.freed) throw new HecError(E_FREED, `${op}: value used after free()`);
    if (v.kind !== kind) throw new HecError(E_ARG, `${op}: expected a ${kind === 'ct' ? 'ciphertext' : 'plaintext'}`);
    return v;
  }
  private ct(v: Ciphertext, op: string): CipherText {
    return this.take(v, 'ct', op).obj as CipherText;
  }
  /** SEAL compares scales to machine precision; hec allows 1e-9, so align b to a for the duration of the call. */
  private aligned<T>(a: SealValue, b: SealValue, f: () => T): T {
    const old = b.obj.scale;
    b.obj.setScale(a.obj.scale);
    try {
      return f();
    } finally {
      b.obj.setScale(old);
    }
  }
  private need<T>(key: T | undefined, op: string, what: string): T {
    if (key === undefined) throw new HecError(E_MISSING_KEY, `${op}: no ${what} key among the evaluation keys`, { fix: 'list it in the plan header KeyRequest' });
    return key;
  }

  deserialize(bytes: Uint8Array): Ciphertext {
    const ct = this.seal.CipherText();
    guard('deserialize', () => ct.loadArray(this.sc.ctx, unwrapCiphertext(this.params, bytes)));
    const level = guard('deserialize', () => this.sc.ctx.getContextData(ct.parmsId).chainIndex);
    return this.make('ct', ct, level, ct.scale);
  }
  serialize(ct: Ciphertext): Uint8Array {
    return wrapCiphertext(this.params, this.ct(ct, 'serialize').saveArray(this.seal.ComprModeType.none));
  }
  encode(values: SlotValues, level: number, scale: number): Plaintext {
    checkLevel(this.params, level, 'encode');
    if (!(scale > 0) || !Number.isFinite(scale)) throw new HecError(E_ARG, `encode: scale ${scale} must be positive and finite`);
    checkScaleCapacity(this.params, 'encode', level, scale);
    const pt = encodeAt(this.sc, this.encoder, this.evaluator, realSlots(this.params, values, 'encode'), level, scale);
    return this.make('pt', pt, level, scale);
  }
  private constPlain(c: number, level: number, scale: number): PlainText {
    return encodeAt(this.sc, this.encoder, this.evaluator, new Float64Array(this.params.slots).fill(c), level, scale);
  }

  add(a: Ciphertext, b: Ciphertext): Ciphertext {
    return this.binary('add', a, b, (x, y) => this.evaluator.add(x, y));
  }
  sub(a: Ciphertext, b: Ciphertext): Ciphertext {
    return this.binary('sub', a, b, (x, y) => this.evaluator.sub(x, y));
  }
  private binary(op: string, a: Ciphertext, b: Ciphertext, f: (x: CipherText, y: CipherText) => CipherText | void): Ciphertext {
    const x = this.take(a, 'ct', op);
    const y = this.take(b, 'ct', op);
    checkSameLevelScale(op, x, y);
    const r = this.aligned(x, y, () => guard(op, () => must(f(x.obj as CipherText, y.obj as CipherText), op)));
    return this.ctOut(r, x.level, x.scale);
  }
  negate(a: Ciphertext): Ciphertext {
    const x = this.take(a, 'ct', 'negate');
    return this.ctOut(guard('negate', () => must(this.evaluator.negate(x.obj as CipherText), 'negate')), x.level, x.scale);
  }
  addPlain(a: Ciphertext, p: Plaintext): Ciphertext {
    const x = this.take(a, 'ct', 'addPlain');
    const y = this.take(p, 'pt', 'addPlain');
    checkSameLevelScale('addPlain', x, y);
    const r = this.aligned(x, y, () => guard('addPlain', () => must(this.evaluator.addPlain(x.obj as CipherText, y.obj as PlainText), 'addPlain')));
    return this.ctOut(r, x.level, x.scale);
  }
  mulPlain(a: Ciphertext, p: Plaintext): Ciphertext {
    const x = this.take(a, 'ct', 'mulPlain');
    const y = this.take(p, 'pt', 'mulPlain');
    checkSameLevelScale('mulPlain', x, y, false);
    const scale = x.scale * y.scale;
    checkScaleCapacity(this.params, 'mulPlain', x.level, scale);
    return this.ctOut(guard('mulPlain', () => must(this.evaluator.multiplyPlain(x.obj as CipherText, y.obj as PlainText), 'mulPlain')), x.level, scale);
  }
  addConst(a: Ciphertext, c: number): Ciphertext {
    const x = this.take(a, 'ct', 'addConst');
    if (!Number.isFinite(c)) throw new HecError(E_ARG, `addConst: constant ${c} is not finite`);
    const pt = this.constPlain(c, x.level, x.obj.scale);
    try {
      return this.ctOut(guard('addConst', () => must(this.evaluator.addPlain(x.obj as CipherText, pt), 'addConst')), x.level, x.scale);
    } finally {
      pt.delete();
    }
  }
  mulConst(a: Ciphertext, c: number, scale: number): Ciphertext {
    const x = this.take(a, 'ct', 'mulConst');
    if (!Number.isFinite(c)) throw new HecError(E_ARG, `mulConst: constant ${c} is not finite`);
    if (!(scale > 0) || !Number.isFinite(scale)) throw new HecError(E_ARG, `mulConst: scale ${scale} must be positive and finite`);
    const out = x.scale * scale;
    checkScaleCapacity(this.params, 'mulConst', x.level, out);
    const pt = this.constPlain(c, x.level, scale);
    try {
      return this.ctOut(guard('mulConst', () => must(this.evaluator.multiplyPlain(x.obj as CipherText, pt), 'mulConst')), x.level, out);
    } finally {
      pt.delete();
    }
  }
  mul(a: Ciphertext, b: Ciphertext): Ciphertext {
    const x = this.take(a, 'ct', 'mul');
    const y = this.take(b, 'ct', 'mul');
    const rk = this.need(this.relin, 'mul', 'relinearisation');
    checkSameLevelScale('mul', x, y);
    const scale = x.scale * y.scale;
    checkScaleCapacity(this.params, 'mul', x.level, scale);
    const r = this.aligned(x, y, () => guard('mul', () => {
      const prod = must(this.evaluator.multiply(x.obj as CipherText, y.obj as CipherText), 'mul');
      this.evaluator.relinearize(prod, rk, prod);
      return prod;
    }));
    return this.ctOut(r, x.level, scale);
  }
  rescale(a: Ciphertext): Ciphertext {
    const x = this.take(a, 'ct', 'rescale');
    if (x.level === 0) throw new HecError(E_LEVEL, 'rescale: ciphertext is at level 0, no prime left to divide by', { fix: 'use a deeper preset' });
    const scale = x.scale / Number(this.params.q[x.level]!);
    checkScaleCapacity(this.params, 'rescale', x.level - 1, scale);
    return this.ctOut(guard('rescale', () => must(this.evaluator.rescaleToNext(x.obj as CipherText), 'rescale')), x.level - 1, scale);
  }
  /**
   * Drop to `level` on its canonical scale: mod-switch to level+1, multiply by the constant 1 encoded at
   * s = Δ_level·q_{level+1}/scale, rescale. s ≈ 2^scaleBits for canonical inputs, so the constant is exact to 2^-40.
   */
  levelDrop(a: Ciphertext, level: number): Ciphertext {
    const x = this.take(a, 'ct', 'levelDrop');
    checkLevel(this.params, level, 'levelDrop');
    if (level > x.level) throw new HecError(E_LEVEL, `levelDrop: cannot raise level ${x.level} to ${level}`, { fix: 'only bootstrap raises the level' });
    if (!sameScale(x.scale, canonicalScale(this.params, x.level))) {
      throw new HecError(E_SCALE_MISMATCH, `levelDrop: input scale 2^${Math.log2(x.scale).toFixed(4)} is not the canonical 2^${this.params.logScale[x.level]!.toFixed(4)} of level ${x.level}`, {
        fix: 'rescale before dropping levels',
      });
    }
    const target = canonicalScale(this.params, level);
    if (level === x.level) return this.ctOut(guard('levelDrop', () => (x.obj as CipherText).clone()), level, target);
    const r = guard('levelDrop', () => {
      const ct = must(this.evaluator.cipherModSwitchTo(x.obj as CipherText, this.sc.parmsIds[level + 1]!), 'levelDrop');
      const s = (target * Number(this.params.q[level + 1]!)) / x.scale;
      const one = this.constPlain(1, level + 1, s);
      this.evaluator.multiplyPlain(ct, one, ct);
      one.delete();
      this.evaluator.rescaleToNext(ct, ct);
      return ct;
    });
    return this.ctOut(r, level, target);
  }
  rotate(a: Ciphertext, k: number): Ciphertext {
    const x = this.take(a, 'ct', 'rotate');
    return this.rotateOne(x, k);
  }
  private rotateOne(x: SealValue, k: number): SealValue {
    const s = normRotation(k, this.params.slots);
    if (s === 0) return this.ctOut(guard('rotate', () => (x.obj as CipherText).clone()), x.level, x.scale);
    const gk = this.need(this.galois.get(`rot:${s}`), 'rotate', `rotation-by-${s}`);
    return this.ctOut(guard('rotate', () => must(this.evaluator.rotateVector(x.obj as CipherText, s, gk), 'rotate')), x.level, x.scale);
  }
  /** SEAL 4 has no hoisted rotation API; each rotation is a full key switch. */
  rotateHoisted(a: Ciphertext, ks: readonly number[]): Ciphertext[] {
    const x = this.take(a, 'ct', 'rotateHoisted');
    return ks.map((k) => this.rotateOne(x, k));
  }
  conjugate(a: Ciphertext): Ciphertext {
    const x = this.take(a, 'ct', 'conjugate');
    const gk = this.need(this.galois.get('conj'), 'conjugate', 'conjugation');
    return this.ctOut(guard('conjugate', () => must(this.evaluator.complexConjugate(x.obj as CipherText, gk), 'conjugate')), x.level, x.scale);
  }
  bootstrap(a: Ciphertext): Ciphertext {
    this.take(a, 'ct', 'bootstrap');
    throw new HecError(E_NO_BOOTSTRAP, 'seal cannot bootstrap (SEAL 4 has no CKKS bootstrapping)', { fix: 'use the cpu or cuda backend, or a plan without bootstrap' });
  }

  free(v: Ciphertext | Plaintext): void {
    if (!(v instanceof SealValue) || v.owner !== this) throw new HecError(E_FREED, 'free: value does not belong to this seal server');
    if (v.freed) throw new HecError(E_FREED, 'free: value freed twice');
    v.freed = true;
    v.obj.delete();
    this.live.delete(v);
  }
  liveCount(): number {
    return this.live.size;
  }
  dispose(): void {
    if (this.disposed) return;
    for (const v of this.live) {
      v.freed = true;
      v.obj.delete();
    }
    this.live.clear();
    this.relin?.delete();
    for (const g of this.galois.values()) g.delete();
    this.evaluator.delete();
    this.encoder.delete();
    this.disposed = true;
  }
}

export const sealBackend: Backend = {
  name: 'seal',
  encrypts: true,
  capabilities: capabilitiesFor,
  createClient: async (params) => new SealClient(params, await sealContext(params)),
  createServer: async (params, keys) => SealServer.load(params, await sealContext(params), keys),
};
