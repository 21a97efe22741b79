/**
 * The replicated matrix–vector kernel (passes/kernels/matvec-diagonal.ts) on slot vectors against a naive matrix
 * product, over random shapes (square, wide, tall, periods above the sizes, transposed weights, column scales), and
 * its op count from KernelCounter against the IR it emits (issue #8: one kernel, emitted, counted, evaluated).
 */
import { describe, expect, it } from 'vitest';
import type { Func } from '../../../ir/module.ts';
import type { WeightStore } from '../../../ir/plaintext-sources.ts';
import { mulberry32 } from '../../../ir/seeded-random.ts';
import { IrBuilder } from '../../../passes/kernels/builder.ts';
import { emitMatvec, type MatvecShape } from '../../../passes/kernels/matvec-diagonal.ts';
import { KernelCounter, SlotEvaluator } from '../../../passes/kernels/target.ts';

const pow2ceil = (n: number) => 1 << Math.ceil(Math.log2(Math.max(1, n)));

interface Case {
  inN: number;
  outM: number;
  transpose: boolean;
  colScale: boolean;
  periodSlack: number;
  slots: number;
}

function randomCase(r: () => number): Case {
  const inN = 1 + Math.floor(r() * 40);
  const outM = 1 + Math.floor(r() * 40);
  const periodSlack = r() < 0.5 ? 1 : 2;
  const need = Math.max(pow2ceil(inN), pow2ceil(outM)) * periodSlack;
  return { inN, outM, transpose: r() < 0.3, colScale: r() < 0.3, periodSlack, slots: need * (r() < 0.5 ? 1 : 4) };
}

function weightsFor(c: Case, r: () => number): { store: WeightStore; M: (i: number, j: number) => number } {
  const [d0, d1] = c.transpose ? [c.inN, c.outM] : [c.outM, c.inN];
  const w = Float32Array.from({ length: d0 * d1 }, () => r() * 2 - 1);
  const cs = Float32Array.from({ length: c.inN }, () => 0.5 + r());
  const store: WeightStore = {
    get(name) {
      if (name === 'w') return { shape: [d0, d1], data: w };
      if (name === 'g') return { shape: [c.inN], data: cs };
      throw new Error(`no weight ${name}`);
    },
  };
  const M = (i: number, j: number) => (c.transpose ? w[j * d1 + i]! : w[i * d1 + j]!) * 0.75 * (c.colScale ? cs[j]! : 1);
  return { store, M };
}

describe('replicated matvec kernel on slot vectors', () => {
  const r = mulberry32(2026);
  for (let trial = 0; trial < 24; trial++) {
    const c = randomCase(r);
    it(`${c.outM}×${c.inN}${c.transpose ? ' (transposed)' : ''}${c.colScale ? ' (col scale)' : ''}, periods ×${c.periodSlack}, ${c.slots} slots`, () => {
      const { store, M } = weightsFor(c, r);
      const shape: MatvecShape = { inN: c.inN, inPeriod: pow2ceil(c.inN) * c.periodSlack, outM: c.outM, outPeriod: pow2ceil(c.outM) * c.periodSlack };
      const matrix = { weight: 'w', transpose: c.transpose, scale: 0.75, ...(c.colScale ? { col_scale: 'g' } : {}) };
      const x = Array.from({ length: c.inN }, () => r() * 2 - 1);
      const slotsIn = Float64Array.from({ length: c.slots }, (_, i) => (i % shape.inPeriod < c.inN ? x[i % shape.inPeriod]! : 0));
      const got = emitMatvec(new SlotEvaluator(c.slots, store), slotsIn, matrix, shape, 'y');
      let worst = 0;
      for (let i = 0; i < c.slots; i++) {
        const row = i % shape.outPeriod;
        let want = 0;
        if (row < c.outM) for (let j = 0; j < c.inN; j++) want += M(row, j) * x[j]!;
        worst = Math.max(worst, Math.abs(got[i]! - want));
      }
      expect(worst).toBeLessThan(1e-9);

      // The counter predicts exactly the ops the IR interpretation emits.
      const func: Func = { name: 'k', args: [], ops: [] };
      const b = new IrBuilder(func, c.slots);
      emitMatvec(b, b.arg('x', { kind: 'rep', n: c.inN, period: shape.inPeriod }, { role: 'input' }), matrix, shape, 'y');
      const emitted: Record<string, number> = {};
      for (const op of func.ops) emitted[op.name] = (emitted[op.name] ?? 0) + 1;
      const counter = new KernelCounter(c.slots);
      emitMatvec(counter, counter.input(), matrix, shape, 'y');
      expect(counter.counts).toEqual(emitted);
      expect(counter.counts['ckks.mul_plain']).toBe(shape.inPeriod);
    });
  }
});
