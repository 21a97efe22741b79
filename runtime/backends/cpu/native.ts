/**
 * @fileoverview Loader and types of the native `cpu` CKKS engine (runtime/native, built by runtime/native/build.mjs).
 *
 * The addon is optional at install time: when it is missing, `loadCpuNative()` returns null and `cpuNotBuiltReason()`
 * says why, so callers can skip (tests) or report HEC5201 (the CLI). Native errors are JS Errors whose message starts
 * with an HEC5xxx code; `rethrow` turns them into HecError so every backend fails the same way.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { HecError } from '../../../ir/diagnostics.ts';

/** A native handle: ciphertext, plaintext or key. `free()` releases its memory at once (GC also does, later). */
export interface NativeObject {
  readonly level: number;
  readonly scale: number;
  readonly kind: number;
  readonly freed: boolean;
  free(): void;
}

/** The native context: one per parameter set; every method returns a new NativeObject. */
export interface NativeContext {
  encode(re: Float64Array, im: Float64Array | null, level: number, scale: number): NativeObject;
  /** encode over Q_level ∪ P (special-prime residues too): linearTransform then uses double hoisting. */
  encodeExt(re: Float64Array, im: Float64Array | null, level: number, scale: number): NativeObject;
  decode(pt: NativeObject): { re: Float64Array; im: Float64Array };
  genSecretKey(hammingWeight: number): NativeObject;
  /** The Hamming weight a secret key declares (0 = dense); loadSecretKey has checked its coefficients agree. */
  secretKeyHammingWeight(sk: NativeObject): number;
  genPublicKey(sk: NativeObject): NativeObject;
  /** All evaluation keys at once, in memory (benchmarks, tests); not serializable as one object. */
  genEvalKeys(sk: NativeObject, relin: boolean, rotations: number[], conjugate: boolean, sparseWeight?: number): NativeObject;
  /** Streamed keys, client side: part 0 (the manifest of a new key set) and its part count. */
  evalKeyManifest(relin: boolean, rotations: number[], conjugate: boolean, sparse?: boolean): { bytes: Uint8Array; count: number };
  /** Part `index` (1..count-1) of the manifest's key set: that switching key, generated now; `a` as a seed if `seeded`. */
  genEvalKeyPart(sk: NativeObject, manifest: Uint8Array, index: number, seeded: boolean, sparseSecret?: NativeObject): Uint8Array;
  /** Exact byte size of one switching-key part. */
  evalKeyPartBytes(seeded: boolean): number;
  /** Exact bytes of every part of a manifest's key set, the manifest included. */
  evalKeysBytes(manifest: Uint8Array, seeded: boolean): number;
  /** Sparse-secret encapsulation (bootstrapping): level-0 ciphertext to the ephemeral secret, and back to the main one. */
  toSparse(a: NativeObject, evk: NativeObject): NativeObject;
  fromSparse(a: NativeObject, evk: NativeObject): NativeObject;
  /** Streamed keys, server side: begin from part 0, add parts 1.. in order, finish (HEC5113 if parts are missing). */
  beginEvalKeys(manifest: Uint8Array): NativeObject;
  addEvalKeyPart(evk: NativeObject, part: Uint8Array): void;
  finishEvalKeys(evk: NativeObject): void;
  encryptPk(pk: NativeObject, pt: NativeObject): NativeObject;
  encryptSk(sk: NativeObject, pt: NativeObject): NativeObject;
  decrypt(sk: NativeObject, ct: NativeObject): NativeObject;
  add(a: NativeObject, b: NativeObject): NativeObject;
  sub(a: NativeObject, b: NativeObject): NativeObject;
  negate(a: NativeObject): NativeObject;
  addPlain(a: NativeObject, p: NativeObject): NativeObject;
  mulPlain(a: NativeObject, p: NativeObject): NativeObject;
  addConst(a: NativeObject, re: number, im?: number): NativeObject;
  mulConst(a: NativeObject, re: number, im: number, scale: number): NativeObject;
  mul(a: NativeObject, b: NativeObject, evk: NativeObject): NativeObject;
  rescale(a: NativeObject): NativeObject;
  dropTo(a: NativeObject, level: number): NativeObject;
  levelDrop(a: NativeObject, level: number, scale: number): NativeObject;
  rotate(a: NativeObject, k: number, evk: NativeObject): NativeObject;
  rotateHoisted(a: NativeObject, ks: number[], evk: NativeObject): NativeObject[];
  conjugate(a: NativeObject, evk: NativeObject): NativeObject;
  modRaise(a: NativeObject): NativeObject;
  /** Σ_g rot_g(Σ_t pts[t] ⊙ rot_{babies[giant.babies[t]]}(a)): hoisted babies, fused multiply-accumulate, not rescaled. */
  /** Σ_t round(cs[t]·scales[t])·cts[t] at `level` (default cts[0]'s; terms above it dropped exactly); scales·s equal. */
  linComb(cts: NativeObject[], cs: number[], scales: number[], level?: number): NativeObject;
  linearTransform(a: NativeObject, babies: number[], giants: { rot: number; babies: number[]; pts: NativeObject[] }[], evk: NativeObject): NativeObject;
  clone(a: NativeObject): NativeObject;
  serialize(o: NativeObject): Uint8Array;
  loadCiphertext(b: Uint8Array): NativeObject;
  loadPlaintext(b: Uint8Array): NativeObject;
  loadSecretKey(b: Uint8Array): NativeObject;
  loadPublicKey(b: Uint8Array): NativeObject;
  paramsBytes(): Uint8Array;
  benchNtt(limb: number, runs: number): Float64Array;
  galoisElement(k: number): number;
  fingerprint(): number;
  /** Test hooks: forward/inverse negacyclic NTT of one limb (index into q_0..q_L, p_0..p_{K-1}), and its ψ. */
  nttForward(limb: number, a: BigUint64Array): BigUint64Array;
  nttInverse(limb: number, a: BigUint64Array): BigUint64Array;
  nttPsi(limb: number): string;
  primeCount(): number;
}

export interface CpuNative {
  CkksContext: new (cfg: { logN: number; q: string[]; p: string[]; dnum: number }) => NativeContext;
  setThreads(n: number): number;
  getThreads(): number;
  liveObjects(): number;
  ifmaAvailable(): boolean;
  setIfma(on: boolean): boolean;
  /** Test hook: ChaCha20 keystream (RFC 8439) of (key 32 B, nonce 12 B) from block `counter`, `length` bytes. */
  chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, length: number): Uint8Array;
  /** Test hook: n residues mod q from ChaCha20(seed, nonce words) by the engine's rejection rule (q a decimal string). */
  expandUniform(seed: Uint8Array, nonce: [number, number, number], q: [string], n: number): BigUint64Array;
  engineVersion: number;
}

/** The engine this TypeScript expects (addon.cpp `engineVersion`): an older build is reported as stale, not used. */
const ENGINE_VERSION = 3;

const here = path.dirname(fileURLToPath(import.meta.url));
const ADDON = path.resolve(here, '../../native/build/Release/hec_cpu.node');

let loaded: CpuNative | null | undefined;
let reason: string | undefined;

/** The addon, or null when it is not built (see cpuNotBuiltReason). */
export function loadCpuNative(): CpuNative | null {
  if (loaded !== undefined) return loaded;
  if (!existsSync(ADDON)) {
    reason = `the cpu engine is not built (${path.relative(process.cwd(), ADDON)} missing); run \`node runtime/native/build.mjs\` (needs g++ and make)`;
    loaded = null;
    return null;
  }
  try {
    const req = createRequire(import.meta.url);
    loaded = req(ADDON) as CpuNative;
    if (loaded.engineVersion !== ENGINE_VERSION) {
      reason = `the cpu engine build is stale (engine version ${loaded.engineVersion}, this hec needs ${ENGINE_VERSION}); run \`node runtime/native/build.mjs\``;
      loaded = null;
      return null;
    }
    const env = process.env.HEC_THREADS;
    if (env !== undefined && /^\d+$/.test(env)) loaded.setThreads(Number(env));
  } catch (e) {
    reason = `the cpu engine failed to load: ${e instanceof Error ? e.message : String(e)}`;
    loaded = null;
  }
  return loaded;
}

export function cpuNotBuiltReason(): string | undefined {
  loadCpuNative();
  return reason;
}

export function requireCpuNative(): CpuNative {
  const n = loadCpuNative();
  if (n === null) throw new HecError('HEC5201', reason ?? 'the cpu engine is not built', { fix: 'run `node runtime/native/build.mjs`' });
  return n;
}

/** Turn a native "HEC5xxx: message[\nfix: fix]" Error into a HecError (other errors pass through). */
export function rethrow(e: unknown): never {
  if (e instanceof Error && !(e instanceof HecError)) {
    const m = /^(HEC\d{4}): ([\s\S]*?)(?:\nfix: ([\s\S]*))?$/.exec(e.message);
    if (m) throw new HecError(m[1]!, m[2]!, m[3] === undefined ? {} : { fix: m[3] });
  }
  throw e;
}

/** Run a native call, converting its errors. */
export function nat<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    rethrow(e);
  }
}
