/**
 * The cost model (passes/cost): the primitives priced for a `ckks.poly` are those runtime/poly-eval.ts actually runs
 * (a counting server executes evalChebyshev), table interpolation is plain linear arithmetic, malformed tables are
 * HEC4701, and a plan's prediction is the sum of its ops' prices by module.
 */
import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import type { Func, Op, Value } from '../../../ir/module.ts';
import { DEFAULT_PRESET, presetParams } from '../../../ir/presets.ts';
import { ctType } from '../../../ir/types.ts';
import { polyPrimitives } from '../../../passes/cost/poly-primitives.ts';
import { moduleOfOps, predictPlan } from '../../../passes/cost/predict.ts';
import { PRIMITIVES, primitiveMs, validateCostTable, type CostTable, type Primitive } from '../../../passes/cost/table.ts';
import type { Ciphertext, ServerContext } from '../../../runtime/backend.ts';
import { evalChebyshev } from '../../../runtime/poly-eval.ts';

const params = presetParams(DEFAULT_PRESET);

/** A server that only tracks level and scale, recording each primitive call at its operand's level. */
function countingServer(calls: { p: Primitive; level: number }[]): ServerContext {
  const ct = (level: number, scale: number): Ciphertext => ({ level, scale });
  const rec = (p: Primitive, a: Ciphertext): void => void calls.push({ p, level: a.level });
  const s: Partial<ServerContext> = {
    params,
    add: (a, b) => (rec('add', a), ct(a.level, a.scale)),
    sub: (a, b) => (rec('add', a), ct(a.level, a.scale)),
    addConst: (a) => (rec('add_const', a), ct(a.level, a.scale)),
    mulConst: (a, _c, scale) => (rec('mul_const', a), ct(a.level, a.scale * scale)),
    mul: (a, b) => (rec('mul_relin', a), ct(a.level, a.scale * b.scale)),
    rescale: (a) => (rec('rescale', a), ct(a.level - 1, a.scale / Number(params.q[a.level]!))),
    levelDrop: (a, level) => (rec('level_drop', a), ct(level, 2 ** params.logScale[level]!)),
    free: () => {},
  };
  return s as ServerContext;
}

function table(rows: Partial<Record<Primitive, (number | null)[]>>, levels = 3): CostTable {
  const ops = Object.fromEntries(PRIMITIVES.map((p) => [p, rows[p] ?? new Array(levels + 1).fill(1)])) as CostTable['ops'];
  return { format: 'hec-cost-table/1', about: { date: '2026-12-02', machine: 'test', command: 'test', backend: 'cpu', threads: 1, timing: 'test' }, preset: 'N16_BOOT', log_n: 16, levels, ops };
}

describe('cost model', () => {
  it('prices a polynomial by exactly the primitives evalChebyshev runs, level by level', () => {
    for (const [degree, level] of [[1, 4], [7, 9], [15, 9], [31, 9], [63, 9], [27, 8]] as const) {
      const coeffs = Array.from({ length: degree + 1 }, (_, k) => (k % 3 === 2 ? 0 : 1 / (k + 1)));
      const ran: { p: Primitive; level: number }[] = [];
      evalChebyshev(countingServer(ran), { level, scale: 2 ** params.logScale[level]! }, coeffs, [-1, 1]);
      const priced = polyPrimitives(coeffs, level, (l) => 2 ** params.logScale[l]!);
      const key = (c: { p: Primitive; level: number }): string => `${c.p}@${c.level}`;
      expect(priced.map(key).sort(), `degree ${degree} from level ${level}`).toEqual(ran.map(key).sort());
    }
  });

  it('interpolates unmeasured levels linearly, extrapolates at the ends, and scales with N', () => {
    const t = table({ rotate: [null, 10, null, 30] });
    expect(primitiveMs(t, 'rotate', 1)).toBe(10);
    expect(primitiveMs(t, 'rotate', 2)).toBe(20);
    expect(primitiveMs(t, 'rotate', 0)).toBe(0);
    expect(primitiveMs(t, 'rotate', 5)).toBe(50);
    expect(primitiveMs(t, 'rotate', 3, 15)).toBe(15);
    expect(primitiveMs(table({ bootstrap: [null, 9000, null, null] }), 'bootstrap', 3)).toBe(9000);
  });

  it('rejects malformed tables with HEC4701', () => {
    const good = table({});
    expect(() => validateCostTable(good, 'x.json')).not.toThrow();
    for (const broken of [{ ...good, format: 'other' }, { ...good, ops: { ...good.ops, add: [1, 2] } }, { ...good, ops: { ...good.ops, rotate: [null, null, null, null] } }, { ...good, ops: { ...good.ops, encode: [1, -2, 3, 4] } }]) {
      let err: unknown;
      try {
        validateCostTable(broken, 'x.json');
      } catch (e) {
        err = e;
      }
      expect(err instanceof HecError && err.code === 'HEC4701').toBe(true);
    }
  });

  it('sums the ops of a plan by module, bootstraps counted within their module and in total', () => {
    const layout = { kind: 'rep', n: 4, period: 4 } as const;
    const v = (name: string, level: number): Value => ({ name, type: ctType(layout, level, 1), def: null });
    const x = v('x', 3);
    const ops: Op[] = [];
    const op = (name: string, operands: Value[], result: string, level: number, attrs = {}): Value => {
      const r = v(result, level);
      const o: Op = { name, operands, results: [r], attrs };
      r.def = o;
      ops.push(o);
      return r;
    };
    const e = op('ckks.rotate', [x], 'r', 3, { offset: 1 });
    const embed = op('ckks.add', [x, e], 'embed', 3);
    const b = op('ckks.bootstrap', [embed], 'b', 3, { range: 1 });
    const n = op('ckks.rotate', [b], 'l0_attn_norm', 3, { offset: 1 });
    ops.push({ name: 'ckks.return', operands: [n], results: [], attrs: { names: ['y'] } });
    const func: Func = { name: 'decode_step', args: [{ value: x, attrs: { role: 'input' } }], ops };
    expect(moduleOfOps(func)).toEqual(['embedding', 'embedding', 'layer 0 attention norm', 'layer 0 attention norm', 'LM head']);
    const t = table({ rotate: [1, 2, 3, 4], add: [0.5, 0.5, 0.5, 0.5], bootstrap: [100, 100, 100, 100] });
    const c = predictPlan(func, params, t);
    expect(c.ms).toBe(4 + 0.5 + 100 + 4);
    expect(c.bootstrap_ms).toBe(100);
    expect(c.modules).toEqual([
      { module: 'embedding', ms: 4.5, bootstraps: 0, bootstrap_ms: 0 },
      { module: 'layer 0 attention norm', ms: 104, bootstraps: 1, bootstrap_ms: 100 },
      { module: 'LM head', ms: 0, bootstraps: 0, bootstrap_ms: 0 },
    ]);
  });
});
