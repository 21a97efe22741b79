/**
 * @fileoverview node-seal loading and the mapping from hec's CkksParams to a SEAL CKKS context.
 *
 * Chain mapping: SEAL's coeff modulus is [q_0, q_1, …, q_L, P] with exactly the primes of ir/params.ts (passed as
 * `Modulus` objects, not regenerated), so rescaling drops q_ℓ exactly as `sim` divides by it and SEAL's `chainIndex`
 * of a data level equals hec's level ℓ. SEAL supports a single special prime: we use the largest of params.p
 * (hybrid key switching with dnum digits is SEAL's per-prime decomposition instead; noise differs, semantics do not).
 * SEAL's built-in security check is disabled (SecurityLevel.none) because hec checks log2(QP) in makeParams.
 * node-seal is a 32-bit wasm build capped at 4 GiB of memory, so hec refuses logN > 15 here.
 */
import sealPkg from 'node-seal';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import type { Context } from 'node-seal/implementation/context.js';
import type { ParmsIdType } from 'node-seal/implementation/parms-id-type.js';
import { HecError } from '../../../ir/diagnostics.ts';
import type { CkksParams } from '../../../ir/params.ts';
import { E_UNSUPPORTED, paramFingerprint } from '../checks.ts';

export const SEAL_MAX_LOGN = 15;

type SealFactory = () => Promise<SEALLibrary>;
// node-seal is a UMD bundle: under Node's ESM loader the factory is `module.exports` itself, while its d.ts declares
// an ES default export; accept either shape.
const sealFactory = ((sealPkg as unknown as { default?: SealFactory }).default ?? sealPkg) as unknown as SealFactory;

let sealPromise: Promise<SEALLibrary> | undefined;

/** Instantiate the wasm module once per process. */
export function getSeal(): Promise<SEALLibrary> {
  sealPromise ??= sealFactory();
  return sealPromise;
}

export interface SealContext {
  seal: SEALLibrary;
  ctx: Context;
  /** parms id of each hec level (index = level). */
  parmsIds: ParmsIdType[];
}

const contexts = new Map<string, SealContext>();

export async function sealContext(params: CkksParams): Promise<SealContext> {
  if (params.logN > SEAL_MAX_LOGN) {
    throw new HecError(E_UNSUPPORTED, `seal: logN=${params.logN} exceeds ${SEAL_MAX_LOGN} (node-seal is a 32-bit wasm build limited to 4 GiB)`, {
      fix: 'use the cpu or cuda backend for N ≥ 2^16',
    });
  }
  if (params.p.length === 0) {
    throw new HecError(E_UNSUPPORTED, `seal: parameters '${params.name}' have no special prime; SEAL needs one for key switching`);
  }
  // SEAL caps user primes at 60 bits (SEAL_USER_MOD_BIT_COUNT_MAX); chains such as N16_BOOT_DENSE's 61-bit q_0 are wider:
  // reject with the numbers instead of SEAL's opaque wasm exception.
  const wide = [...params.q, ...params.p].filter((p) => p.toString(2).length > 60);
  if (wide.length > 0) {
    throw new HecError(E_UNSUPPORTED, `seal: SEAL accepts primes of at most 60 bits; '${params.name}' has ${wide.length} wider (e.g. ${wide[0]}, ${wide[0]!.toString(2).length} bits)`, {
      fix: 'use firstPrimeBits/specialPrimeBits ≤ 59 for the seal backend, or another backend',
    });
  }
  const key = `${paramFingerprint(params)}:${params.q.join(',')}`;
  const hit = contexts.get(key);
  if (hit !== undefined) return hit;
  const seal = await getSeal();
  const special = params.p.reduce((a, b) => (b > a ? b : a));
  const mods = [...params.q, special].map((p) => seal.Modulus(p));
  const vec = seal.Vector();
  // node-seal's Vector.from(…, 'Modulus') takes the wasm instances of Modulus objects.
  vec.from(mods.map((m) => m.instance) as unknown as BigUint64Array, 'Modulus');
  const parms = seal.EncryptionParameters(seal.SchemeType.ckks);
  parms.setPolyModulusDegree(1 << params.logN);
  parms.setCoeffModulus(vec);
  const ctx = seal.Context(parms, true, seal.SecurityLevel.none);
  vec.delete();
  mods.forEach((m) => m.delete());
  parms.delete();
  if (!ctx.parametersSet()) {
    throw new HecError(E_UNSUPPORTED, `seal: SEAL rejected parameters '${params.name}'`, { fix: 'check that all primes are NTT-friendly for this N' });
  }
  const parmsIds: ParmsIdType[] = new Array(params.levels + 1);
  let cd = ctx.firstContextData;
  for (;;) {
    const idx = cd.chainIndex;
    parmsIds[idx] = cd.parmsId;
    const next = cd.nextContextData;
    if (next === undefined || next === null || idx === 0) break;
    cd = next;
  }
  if (ctx.firstContextData.chainIndex !== params.levels || parmsIds.some((x) => x === undefined)) {
    throw new HecError(E_UNSUPPORTED, `seal: unexpected modulus chain (top index ${ctx.firstContextData.chainIndex}, expected ${params.levels})`);
  }
  const out = { seal, ctx, parmsIds };
  contexts.set(key, out);
  return out;
}

/** Run a SEAL call, turning its exceptions (numbers or Errors from wasm) into coded diagnostics. */
export function guard<T>(op: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof HecError) throw e;
    const msg = e instanceof Error ? e.message : `wasm exception ${String(e)}`;
    throw new HecError(E_UNSUPPORTED, `seal ${op}: ${msg}`);
  }
}

/** node-seal returns `T | void` when no destination is passed; the void case never happens then. */
export function must<T>(x: T | void, op: string): T {
  if (x === undefined) throw new HecError(E_UNSUPPORTED, `seal ${op}: no result`);
  return x;
}
