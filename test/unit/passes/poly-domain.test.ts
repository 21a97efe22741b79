/**
 * Issue #13 / #12: every slot a polynomial sees lies in its domain, and `sim` refuses one that does not (HEC5114).
 * The softmax normalisers' inverses see sums laid out in a clean `#heads` layout whose other slots are 0, outside
 * [a, b] ∌ 0: there a Chebyshev series extrapolates and Newton doubles the guess every step. poly-approx fills those
 * slots with an in-domain value first; this test runs the pass's output on `sim` against plain 1/x, and the same plan
 * with the fill removed to show that `sim` catches the old behaviour.
 */
import { describe, expect, it } from 'vitest';
import { type Layout, pack } from '../../../ir/layout.ts';
import type { Func, Module, Value } from '../../../ir/module.ts';
import { presetParams } from '../../../ir/presets.ts';
import { evaluateSource } from '../../../ir/plaintext-sources.ts';
import type { AttrDict } from '../../../ir/types.ts';
import { IrBuilder } from '../../../passes/kernels/builder.ts';
import { bootstrapPlacementPass } from '../../../passes/bootstrap-placement.ts';
import { PassResults } from '../../../passes/pass.ts';
import { runPass } from '../../../passes/pipeline.ts';
import { polyApproxPass, replaceUses } from '../../../passes/poly-approx.ts';
import { RangeStats, createSimBackend } from '../../../runtime/backends/sim/index.ts';
import { StepExecutor } from '../../../runtime/executor.ts';
import { HecError } from '../../../ir/diagnostics.ts';

const params = presetParams('TEST_INSECURE_N13_DEEP', { allowInsecure: true });
const LAYOUT: Layout = { kind: 'heads', heads: 2, headDim: 4, block: 8, base: 0, capacity: params.slots / 8, clean: true };
const DOMAIN: [number, number] = [0.25, 4];
const NO_WEIGHTS = { get: (): never => { throw new Error('this plan reads no weights'); } };

function invPlan(): { module: Module; func: Func } {
  const func: Func = { name: 'decode_step', args: [], ops: [] };
  const b = new IrBuilder(func, params.slots);
  const x = b.arg('x', LAYOUT, { role: 'input' });
  const y = b.nonlinear(x, { fn: 'inv', domain: DOMAIN, rel_tol: 1e-6 }, 'y');
  b.ret([y], ['y']);
  const module: Module = { version: 1, attrs: {}, funcs: [func] };
  const ctx = { params, results: new PassResults(), bootstrapRotations: [] };
  runPass(polyApproxPass, module, ctx);
  runPass(bootstrapPlacementPass, module, ctx);
  return { module, func };
}

async function run(func: Func, values: Float64Array, stats?: RangeStats): Promise<Float64Array> {
  const backend = createSimBackend({ rangeStats: stats });
  const client = await backend.createClient(params);
  const server = await backend.createServer(params, await client.evaluationKeys({ relinearize: true, conjugate: false, rotations: [], bootstrap: true }));
  const arg = func.args[0]!.value;
  const out = new StepExecutor(func, server, params, NO_WEIGHTS).run(new Map([[arg.name, server.deserialize(client.encrypt({ re: values }, arg.type.level!))]]), 0);
  return client.decrypt(server.serialize(out.get('y')!)).re;
}

describe('polynomial domains (HEC5114)', () => {
  const xs = Array.from({ length: LAYOUT.capacity * 2 }, (_, i) => 0.3 + (3.6 * i) / (LAYOUT.capacity * 2));
  const input = pack(LAYOUT, xs, params.slots);

  it('poly-approx fills the zero slots of a clean layout, so the inverse is right on every slot', async () => {
    const { func } = invPlan();
    const fillOp = func.ops.find((op) => op.name === 'ckks.encode' && (op.attrs.src as AttrDict).kind === 'zero_slot_fill');
    expect(fillOp).toBeDefined();
    const fill = evaluateSource(fillOp!.attrs.src as AttrDict, params.slots, NO_WEIGHTS, 0);
    expect(fill[0]).toBe(0); // token 0, head 0: a tensor slot
    expect(fill[1]).toBe((DOMAIN[0] + DOMAIN[1]) / 2); // a zero slot
    const stats = new RangeStats();
    const y = await run(func, input, stats);
    let worst = 0;
    for (let s = 0; s < params.slots; s++) if (input[s] !== 0) worst = Math.max(worst, Math.abs(y[s]! * input[s]! - 1));
    expect(worst).toBeLessThan(1e-5);
    expect(stats.count.poly).toBe(1);
    expect(stats.poly.ratio).toBeLessThanOrEqual(1);
  });

  it('without the fill, sim reports the zero slots outside the domain, naming op, value and domain, with a --calibration fix', async () => {
    const { func } = invPlan();
    const add = func.ops.find((op) => op.name === 'ckks.add_plain')!;
    const filled: Value = add.results[0]!;
    replaceUses(func, filled, add.operands[0]!);
    const err = await run(func, input).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(HecError);
    const d = (err as HecError).diagnostic;
    expect(d.code).toBe('HEC5114');
    expect(d.message).toMatch(/^poly: slot 1 holds 0, outside the approximation domain \[0\.25, 4\] \(plan op #\d+ ckks\.poly/);
    expect(d.fix).toMatch(/--calibration/);
  });
});
