/**
 * @fileoverview Shared pieces of the backend conformance suite: parameters, backend discovery, error statistics.
 *
 * Expected values are always computed here with plain float64 arithmetic on the inputs, never by asking `sim`, so
 * the suite also checks `sim` itself.
 */
import { HecError } from '../../ir/diagnostics.ts';
import { makeParams, type CkksParams } from '../../ir/params.ts';
import type { Backend, SlotValues } from '../../runtime/backend.ts';
import { listBackends } from '../../runtime/registry.ts';
import { loadBackend } from '../../runtime/registry.ts';

/**
 * TEST_INSECURE conformance parameters: N = 2^12, three 40-bit scale primes, q_0 at 50 bits and P at 59 bits (SEAL
 * accepts at most 60). Keeping q_0 well below P matters for SEAL: its key-switching noise grows with max(q_i)/P.
 */
export const CONF_PARAMS: CkksParams = makeParams({
  name: 'TEST_INSECURE_CONF12',
  logN: 12,
  firstPrimeBits: 50,
  scalePrimeBits: 40,
  levels: 3,
  specialPrimeBits: [59],
  // One Q prime per key-switching digit, so every digit (≤ 50 bits) stays below P (60 bits): hybrid key switching
  // needs P ≥ the largest digit, and this is also the decomposition SEAL always uses.
  dnum: 4,
  scaleBits: 40,
  secretHammingWeight: 0,
  bootstrapLevels: 0,
  insecure: true,
});

/** Same ring with a bootstrap that delivers level 2, for backends whose capabilities claim bootstrapping. */
export const CONF_BOOT_PARAMS: CkksParams = makeParams({ ...CONF_PARAMS, name: 'TEST_INSECURE_CONF12_BOOT', levels: 4, dnum: 5, bootstrapLevels: 2 });

export interface Loaded {
  name: string;
  backend?: Backend;
  reason?: string;
}

/** Every registered backend, loaded or with the reason it could not be (printed, never silently dropped). */
export async function discoverBackends(): Promise<Loaded[]> {
  const out: Loaded[] = [];
  for (const s of await listBackends()) {
    if (s.available) out.push({ name: s.name, backend: await loadBackend(s.name) });
    else {
      console.log(`[conformance] SKIPPING backend '${s.name}': ${s.reason}`);
      out.push({ name: s.name, reason: s.reason });
    }
  }
  return out;
}

export interface ErrStats {
  worst: number;
  mean: number;
  worstSlot: number;
}

/** Absolute error per slot (complex modulus when imaginary parts are expected). */
export function errorStats(got: SlotValues, wantRe: Float64Array, wantIm?: Float64Array): ErrStats {
  let worst = 0;
  let sum = 0;
  let worstSlot = 0;
  for (let i = 0; i < wantRe.length; i++) {
    const dr = (got.re[i] ?? NaN) - wantRe[i]!;
    const di = wantIm === undefined ? 0 : (got.im?.[i] ?? 0) - wantIm[i]!;
    const e = Math.hypot(dr, di);
    sum += e;
    if (!(e <= worst)) {
      worst = e;
      worstSlot = i;
    }
  }
  return { worst, mean: sum / wantRe.length, worstSlot };
}

/** Bits of precision of an absolute error on values of magnitude ≤ 1 (capped at 60 for exact results). */
export function bits(err: number): number {
  return err === 0 ? 60 : Math.min(60, -Math.log2(err));
}

export interface PrecisionRow {
  backend: string;
  op: string;
  meanBits: number;
  worstBits: number;
  requiredBits: number;
}

export function printTable(title: string, rows: readonly PrecisionRow[]): void {
  if (rows.length === 0) return;
  const lines = rows.map((r) =>
    `${r.backend.padEnd(6)} ${r.op.padEnd(22)} mean ${r.meanBits.toFixed(1).padStart(5)} bits  worst ${r.worstBits.toFixed(1).padStart(5)} bits  (required ≥ ${r.requiredBits.toFixed(1)})`);
  console.log(`${title}\n${lines.join('\n')}`);
}

/** The HEC code of a synchronous failure, or 'no error'. */
export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof HecError) return e.code;
    throw e;
  }
  return 'no error';
}

/** The HEC code of an asynchronous failure, or 'no error'. */
export async function codeOfAsync(f: () => Promise<unknown>): Promise<string> {
  try {
    await f();
  } catch (e) {
    if (e instanceof HecError) return e.code;
    throw e;
  }
  return 'no error';
}
