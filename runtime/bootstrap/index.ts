/**
 * @fileoverview Public face of CKKS bootstrapping: key requirements, the refresh itself on any server that offers
 * `modRaise`, and the hook for the cpu engine.
 *
 *   const rots = bootstrapRotations(params, 'full');          // exactly the rotations the circuit performs
 *   const out = bootstrap(server, ct, { variant: 'real', range: 4 });
 *   installBootstrap(cpuServer, { variant: 'real' });         // CpuServer.bootstrap(ct, range) then delegates here
 *
 * The circuit (circuit.ts) consumes exactly params.bootstrapLevels levels from the top and delivers the canonical
 * scale at params.bootstrapOutputLevel. See circuit.ts for the structure and the precision arguments.
 */
import { HecError } from '../../ir/diagnostics.ts';
import type { CkksParams } from '../../ir/params.ts';
import type { Ciphertext, KeyRequest, ServerContext } from '../backend.ts';
import { bootstrapPlan, runBootstrap, type BootstrapPlan, type BootstrapVariant, type PlanOptions } from './circuit.ts';
import { canonical } from './prim.ts';
import { canBootstrap, ServerPrim } from './server.ts';

export { bootstrapPlan, runBootstrap, type BootstrapPlan, type BootstrapVariant, type PlanOptions } from './circuit.ts';
export { PlainPrim, type PlainCt } from './plain.ts';
export { releaseCache, cacheSize, canBootstrap, type BootstrapServer } from './server.ts';

/** Left-rotation amounts (0 < k < slots, sorted) the bootstrap circuit uses; both variants use the same set. */
export function bootstrapRotations(params: CkksParams, variant: BootstrapVariant = 'full', opts: PlanOptions = {}): number[] {
  return [...bootstrapPlan(params, variant, opts).rotations];
}

/** The evaluation keys a bootstrap needs (merge into the plan's KeyRequest). */
export function bootstrapKeyRequest(params: CkksParams, variant: BootstrapVariant = 'full'): KeyRequest {
  return { relinearize: true, conjugate: true, rotations: bootstrapRotations(params, variant), bootstrap: true };
}

export interface BootstrapOptions {
  /** 'real' when every slot is real (activations): one EvalMod instead of two. Default 'full'. */
  variant?: BootstrapVariant;
  /** |value| ≤ range in every slot (backend.ts). Default 1. */
  range?: number;
  /** Cache encoded plaintext diagonals on the server (default true; releaseCache frees them). */
  cache?: boolean;
  plan?: PlanOptions;
}

/**
 * Refresh `ct` to params.bootstrapOutputLevel at the canonical scale. The input may be at any level with its
 * canonical scale. For range > 1 the message is first divided by r = 2^⌈log2 range⌉ (one rescale, when the input
 * has a level to spare) and multiplied back exactly by the integer r at the end, so EvalMod always sees |m| ≤ 1;
 * a level-0 input with range > 1 is bootstrapped as is (EvalMod is then accurate to ≈ (2π·range/R)⁴/30).
 */
export function bootstrap(server: ServerContext, ct: Ciphertext, keysInfo: BootstrapOptions = {}): Ciphertext {
  const params = server.params;
  if (params.bootstrapLevels <= 0 || params.bootstrapOutputLevel < 0) {
    throw new HecError('HEC5105', `bootstrap: parameters '${params.name}' have no bootstrapping levels`, {
      fix: 'use a preset with bootstrapLevels > 0 (e.g. N16_BOOT_DENSE)',
    });
  }
  if (!canBootstrap(server)) {
    throw new HecError('HEC5105', 'bootstrap: this backend offers no modRaise primitive', { fix: 'use the cpu backend' });
  }
  const plan = bootstrapPlan(params, keysInfo.variant ?? 'full', keysInfo.plan);
  const P = new ServerPrim(server, keysInfo.cache ?? true);
  const range = keysInfo.range ?? 1;
  const r = range > 1 ? 2 ** Math.ceil(Math.log2(range)) : 1;
  let input = ct;
  let scaled = false;
  if (r > 1 && ct.level >= 1) {
    const l = ct.level;
    const m = server.mulConst(ct, 1 / r, canonical(params, l));
    input = server.rescale(m);
    server.free(m);
    scaled = true;
  }
  const out = runBootstrap(P, input, plan);
  if (input !== ct) server.free(input);
  if (!scaled) return out;
  const back = server.mulConst(out, r, 1);
  server.free(out);
  return back;
}

/** Minimal shape of an engine hook (CpuServer.setBootstrap). */
interface HookableServer extends ServerContext {
  setBootstrap(fn: ((server: never, ct: never, range: number | undefined) => Ciphertext) | undefined): void;
}

/** Make `server.bootstrap(ct, range)` run this circuit (engines exposing `setBootstrap`, e.g. CpuServer). */
export function installBootstrap(server: ServerContext, opts: Omit<BootstrapOptions, 'range'> = {}): void {
  const s = server as Partial<HookableServer>;
  if (typeof s.setBootstrap !== 'function') {
    throw new HecError('HEC5105', 'installBootstrap: server has no setBootstrap hook', { fix: 'call bootstrap(server, ct) directly' });
  }
  s.setBootstrap(((srv: ServerContext, ct: Ciphertext, range: number | undefined) =>
    bootstrap(srv, ct, { ...opts, range: range ?? 1 })) as never);
}
