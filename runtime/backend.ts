/**
 * @fileoverview The Backend contract: what `sim`, `seal`, `cpu` and `cuda` implement.
 *
 * Roles are separate objects. A `ClientContext` owns the secret key (generated from the OS CSPRNG), encrypts and
 * decrypts, and exports the *evaluation* keys; a `ServerContext` is built from parameters plus evaluation keys alone
 * and runs the plan's ops. Ciphertexts cross between roles only as bytes (`serialize`/`deserialize`); evaluation keys
 * cross as a stream of parts (`EvaluationKeys`), because at secure parameters they total gigabytes.
 *
 * Value semantics (the same for every backend; `sim` is the living definition):
 * - A ciphertext encrypts `slots` complex numbers at a level ℓ and a scale (see ir/params.ts for canonical scales).
 * - `rotate(ct, k)` is a LEFT rotation: out[i] = in[(i + k) mod slots] (Lattigo/Cachemir convention).
 * - `mul` returns a relinearised product at scale Δ_a·Δ_b, level unchanged; `rescale` divides by q_ℓ and drops a level.
 * - Plaintexts are encoded by the server (weights, masks) at a level and scale the caller chooses.
 * - Operands of binary ops must share level and scale; backends throw HEC5xxx errors otherwise, never silently fix.
 * - Results are new values; callers `free` what they no longer need (native backends hold large buffers).
 */
import type { CkksParams } from '../ir/params.ts';

/** Slot values: real parts and (optionally) imaginary parts, length = params.slots. */
export interface SlotValues {
  re: Float64Array;
  im?: Float64Array;
}

/** Opaque ciphertext owned by a ServerContext (or produced by a ClientContext). */
export interface Ciphertext {
  readonly level: number;
  /** The scale as a number (not log2). */
  readonly scale: number;
}

/** Opaque encoded plaintext owned by a ServerContext. */
export interface Plaintext {
  readonly level: number;
  readonly scale: number;
}

/** Which evaluation keys the server needs: the plan header lists exactly these. */
export interface KeyRequest {
  relinearize: boolean;
  conjugate: boolean;
  /** Left-rotation amounts, normalised to 0 < k < slots. */
  rotations: number[];
  bootstrap: boolean;
}

/**
 * Serialized evaluation keys (public key material only), as a sequence of parts: part 0 describes the key set (its
 * random id and which keys follow), every further part is one switching key with its own header (key-set id, index,
 * count, checksum). A part is at most one switching key (≈ 80 MB seeded at N16_BOOT_DENSE), far below the 4 GiB limit of
 * one Uint8Array, and the whole set (≈ 6 GB for a bootstrap) never has to exist in one place:
 * - the client produces parts lazily: each is generated when the consumer asks for it and can be dropped after use;
 * - the server consumes them one at a time (`Backend.createServer` iterates `parts()` once);
 * - writers (files, sockets) can persist them one by one (runtime/key-parts.ts writes a directory of parts).
 * Parts must be passed exactly once and in order: missing, repeated, reordered or foreign parts are HEC5113, corrupt
 * bytes HEC5108.
 */
export interface EvaluationKeys {
  /** Number of parts `parts()` yields (≥ 1: part 0 is always there). */
  readonly count: number;
  /**
   * Total bytes of all parts, for planning memory, disk and progress: exact where the producer knows it (cpu, sim,
   * parts in memory or on disk), an estimate from the parameters otherwise (seal).
   */
  readonly byteLength: number;
  /**
   * The parts in order. Each call starts a new pass over the same key set; a client may generate fresh key material
   * on every pass (valid keys for the same secret key either way), so one pass is what a server should consume.
   */
  parts(): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

export interface ClientContext {
  readonly params: CkksParams;
  /** Generate the evaluation keys for a plan. The secret key never leaves this object. */
  evaluationKeys(request: KeyRequest): Promise<EvaluationKeys>;
  encrypt(values: SlotValues, level: number): Uint8Array;
  decrypt(ciphertext: Uint8Array): SlotValues;
  /**
   * The secret key as bytes, for `hec keygen`'s secret-key file (which never leaves the client). Absent where a
   * backend cannot export it; `Backend.restoreClient` reads it back.
   */
  exportSecretKey?(): Uint8Array;
  dispose(): void;
}

export interface ServerContext {
  readonly params: CkksParams;
  deserialize(bytes: Uint8Array): Ciphertext;
  serialize(ct: Ciphertext): Uint8Array;
  encode(values: SlotValues, level: number, scale: number): Plaintext;

  add(a: Ciphertext, b: Ciphertext): Ciphertext;
  sub(a: Ciphertext, b: Ciphertext): Ciphertext;
  negate(a: Ciphertext): Ciphertext;
  addPlain(a: Ciphertext, p: Plaintext): Ciphertext;
  mulPlain(a: Ciphertext, p: Plaintext): Ciphertext;
  /** Add a real constant (encoded at a's scale). */
  addConst(a: Ciphertext, c: number): Ciphertext;
  /** Multiply by a real constant encoded at `scale` (result scale = a.scale·scale). */
  mulConst(a: Ciphertext, c: number, scale: number): Ciphertext;
  /** ct×ct product, relinearised. */
  mul(a: Ciphertext, b: Ciphertext): Ciphertext;
  rescale(a: Ciphertext): Ciphertext;
  /** Drop to `level` keeping the canonical scale of that level (see ir/params.ts). */
  levelDrop(a: Ciphertext, level: number): Ciphertext;
  rotate(a: Ciphertext, k: number): Ciphertext;
  /** Rotations of one input by several amounts, sharing the key-switch decomposition. */
  rotateHoisted(a: Ciphertext, ks: readonly number[]): Ciphertext[];
  conjugate(a: Ciphertext): Ciphertext;
  /**
   * Refresh to params.bootstrapOutputLevel. The message must satisfy |x| ≤ range in every slot (real and imaginary
   * parts); the 1/range and range scalings are folded into the circuit's linear transforms, so they cost no level.
   * Throws HEC5xxx where the backend cannot bootstrap.
   */
  bootstrap(a: Ciphertext, range?: number): Ciphertext;

  /**
   * Optional fused `ckks.poly`: Σ c_k T_k(u), u = (2x − a − b)/(b − a), consuming exactly ir/ops.ts polyDepth levels
   * and landing on the canonical scale. Backends without it get runtime/poly-eval.ts (the same result from primitives).
   */
  evalChebyshev?(a: Ciphertext, coeffs: readonly number[], domain: readonly [number, number]): Ciphertext;

  free(v: Ciphertext | Plaintext): void;
  /** Number of live ciphertexts and plaintexts, for leak tests. */
  liveCount(): number;
  dispose(): void;
}

export interface BackendCapabilities {
  bootstrapping: boolean;
  /** Largest level this backend can hold for these parameters. */
  maxLevel: number;
  /** Expected precision in bits of fresh encrypt→decrypt (conformance tolerances derive from it). */
  precisionBits: number;
}

export interface Backend {
  readonly name: string;
  /** True when ciphertexts are real CKKS encryptions (cpu, seal); sim computes on plain slot vectors. */
  readonly encrypts?: boolean;
  capabilities(params: CkksParams): BackendCapabilities;
  createClient(params: CkksParams): Promise<ClientContext>;
  /** A client holding the secret key `ClientContext.exportSecretKey` wrote (absent where export is absent). */
  restoreClient?(params: CkksParams, secretKey: Uint8Array): Promise<ClientContext>;
  createServer(params: CkksParams, keys: EvaluationKeys): Promise<ServerContext>;
}
