/**
 * Shared helpers for the native engine tests: small insecure parameters, skip-with-reason when the addon is absent,
 * and precision statistics (mean and worst-slot error in bits).
 */
import { makeParams, type CkksParams } from '../../../ir/params.ts';
import { cpuNotBuiltReason, loadCpuNative } from '../../../runtime/backends/cpu/index.ts';

export const native = loadCpuNative();
export const skipReason = native === null ? cpuNotBuiltReason() : undefined;
if (skipReason !== undefined) {
  // Printed so a missing engine is never mistaken for a pass.
  console.warn(`SKIPPING native cpu engine tests: ${skipReason}`);
}

export function smallParams(over: Partial<Parameters<typeof makeParams>[0]> = {}): CkksParams {
  return makeParams({
    name: 'TEST_NATIVE',
    logN: 12,
    firstPrimeBits: 60,
    scalePrimeBits: 40,
    levels: 5,
    specialPrimeBits: [60, 60],
    dnum: 3,
    scaleBits: 40,
    secretHammingWeight: 0,
    bootstrapLevels: 0,
    insecure: true,
    ...over,
  });
}

/** Deterministic test vectors (values only; never used for keys). */
export function vec(n: number, seed: number, amp = 1): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * amp;
  }
  return out;
}

export interface Precision {
  meanBits: number;
  worstBits: number;
}

/** -log2 of the mean and of the worst absolute slot error (over re and im). */
export function precision(gotRe: Float64Array, wantRe: Float64Array, gotIm?: Float64Array, wantIm?: Float64Array): Precision {
  let sum = 0;
  let worst = 0;
  let n = 0;
  const acc = (g: Float64Array, w: Float64Array) => {
    for (let i = 0; i < w.length; i++) {
      const e = Math.abs(g[i]! - w[i]!);
      sum += e;
      worst = Math.max(worst, e);
      n++;
    }
  };
  acc(gotRe, wantRe);
  if (gotIm !== undefined && wantIm !== undefined) acc(gotIm, wantIm);
  const bits = (e: number) => (e === 0 ? 60 : -Math.log2(e));
  return { meanBits: bits(sum / n), worstBits: bits(worst) };
}

export function report(op: string, p: Precision): void {
  console.log(`[precision] ${op.padEnd(22)} mean ${p.meanBits.toFixed(1)} bits, worst slot ${p.worstBits.toFixed(1)} bits`);
}
