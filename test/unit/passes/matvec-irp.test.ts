/**
 * Cachemir's square IRP vector × matrix kernel (passes/kernels/matvec-irp.ts, issue #8 §2) on slot vectors against
 * a naive matrix product, over random weights and every power-of-two shape with d ≤ S ≤ d² up to d = 64; its op
 * counts against the cost line (d²/S plaintexts, 2·log2 t + (M − 1) + (G − 1) rotations) and against the IR it
 * emits; and the worked example of CACHEMIR-NOTES §3.4 (S = 32, d = 8: 5 rotations, 2 plaintexts).
 */
import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import type { Func } from '../../../ir/module.ts';
import type { WeightStore } from '../../../ir/plaintext-sources.ts';
import { mulberry32 } from '../../../ir/seeded-random.ts';
import { IrBuilder } from '../../../passes/kernels/builder.ts';
import { emitIrpMatvec, irpSplit } from '../../../passes/kernels/matvec-irp.ts';
import { KernelCounter, SlotEvaluator } from '../../../passes/kernels/target.ts';

const MATRIX = { weight: 'w', transpose: false, scale: 1 };

function store(d: number, r: () => number): { weights: WeightStore; w: Float32Array } {
  const w = Float32Array.from({ length: d * d }, () => r() * 2 - 1);
  return { weights: { get: () => ({ shape: [d, d], data: w }) }, w };
}

function check(d: number, slots: number, seed: number): void {
  const r = mulberry32(seed);
  const { weights, w } = store(d, r);
  const x = Array.from({ length: d }, () => r() * 2 - 1);
  const t = slots / d;
  const input = new Float64Array(slots);
  x.forEach((v, i) => (input[i * t] = v));
  const out = emitIrpMatvec(new SlotEvaluator(slots, weights), input, MATRIX, { d }, 'y');
  let worst = 0;
  for (let b = 0; b < d; b++) {
    let y = 0;
    for (let m = 0; m < d; m++) y += w[b * d + m]! * x[m]!;
    worst = Math.max(worst, Math.abs(out[b * t]! - y));
  }
  expect(worst, `d = ${d}, S = ${slots}`).toBeLessThan(1e-9);
}

function counts(d: number, slots: number): { counter: KernelCounter; emitted: Record<string, number> } {
  const counter = new KernelCounter(slots);
  emitIrpMatvec(counter, counter.input(), MATRIX, { d }, 'y');
  const func: Func = { name: 'k', args: [], ops: [] };
  const b = new IrBuilder(func, slots);
  emitIrpMatvec(b, b.arg('x', { kind: 'junk' }, { role: 'input' }), MATRIX, { d }, 'y');
  const emitted: Record<string, number> = {};
  for (const op of func.ops) emitted[op.name] = (emitted[op.name] ?? 0) + 1;
  return { counter, emitted };
}

describe('square IRP kernel on slot vectors', () => {
  it('the worked example (S = 32, d = 8, t = 4, M = 1, G = 2): exact, 5 rotations, 2 plaintexts, 1 rescale-level', () => {
    check(8, 32, 1);
    expect(irpSplit(8, 32)).toEqual({ t: 4, baby: 1, giant: 2 });
    const { counter } = counts(8, 32);
    expect(counter.keySwitches).toBe(5);
    expect(counter.counts['ckks.mul_plain']).toBe(2);
    expect(counter.counts['ckks.encode']).toBe(2);
  });

  let seed = 100;
  for (const d of [2, 4, 8, 16, 32, 64]) {
    for (let slots = d; slots <= d * d && slots <= 4096; slots *= 2) {
      const s = seed++;
      it(`d = ${d}, S = ${slots}: y = W·x at slots b·t; counts match the cost line and the emitted IR`, () => {
        check(d, slots, s);
        const { t, baby, giant } = irpSplit(d, slots);
        expect(baby * giant).toBe((d * d) / slots);
        const { counter, emitted } = counts(d, slots);
        expect(counter.counts).toEqual(emitted);
        expect(counter.counts['ckks.mul_plain']).toBe((d * d) / slots);
        expect(counter.keySwitches).toBe(2 * Math.log2(t) + (baby - 1) + (giant - 1));
      });
    }
  }

  it('shapes the square IRP cannot hold are HEC4002 (d² < S needs stacking; non-powers of two need padding)', () => {
    for (const [d, s] of [[8, 128], [6, 36], [8, 4]] as const) {
      let code: string | undefined;
      try {
        irpSplit(d, s);
      } catch (e) {
        if (e instanceof HecError) code = e.code;
      }
      expect(code, `d = ${d}, S = ${s}`).toBe('HEC4002');
    }
  });
});
