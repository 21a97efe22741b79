/**
 * Packings behind one interface (issue #8): an explicit registry, the replicated packing's op coverage, layouts and
 * counts, and selection by cost (the cheaper accepting packing wins; none accepting is HEC4004).
 */
import { describe, expect, it } from 'vitest';
import { loadLlamaSync } from '../../../compiler/onnx/frontend.ts';
import { HecError } from '../../../ir/diagnostics.ts';
import { IrBuilder } from '../../../passes/kernels/builder.ts';
import { emitMatvec } from '../../../passes/kernels/matvec-diagonal.ts';
import { KernelCounter } from '../../../passes/kernels/target.ts';
import { countOps, OP_COUNT_COST, selectPacking, type PackedModel, type TensorOp } from '../../../passes/packings/packing.ts';
import { instantiatePackings, PACKINGS, packingsNamed } from '../../../passes/packings/registry.ts';
import { replicatedPacking } from '../../../passes/packings/replicated.ts';

const model = loadLlamaSync('test/fixtures/models/tiny-mha.decode.onnx');
const SLOTS = 4096;
const p2 = (n: number) => 1 << Math.ceil(Math.log2(n));

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof HecError ? e.code : `not a HecError: ${String(e)}`;
  }
  return undefined;
}

function linearOp(): { op: TensorOp; b: IrBuilder } {
  const b = new IrBuilder({ name: 'f', args: [], ops: [] }, SLOTS);
  const c = model.config;
  const x = b.arg('x', { kind: 'rep', n: c.hiddenSize, period: p2(c.hiddenSize) }, { role: 'input' });
  return { op: { kind: 'linear', x, matrix: { weight: model.layers[0]!.q.weight.name, transpose: false, scale: 1 }, inN: c.hiddenSize, outM: c.intermediateSize, hint: 'y' }, b };
}

/** A packing that lowers like `inner` and then spends `extra` more additions (a strictly costlier twin). */
function costlier(inner: PackedModel, extra: number, accepts = true): PackedModel {
  return {
    ...inner,
    packing: { ...inner.packing, name: `${inner.packing.name}+${extra}` },
    accepts: () => accepts,
    lower(b, op) {
      const r = inner.lower(b, op);
      let v = r.outputs[0]!;
      for (let i = 0; i < extra; i++) v = b.add(v, v);
      return { outputs: [v] };
    },
  };
}

describe('packings', () => {
  it('the registry is an explicit list; --packing auto takes all, a name one, an unknown name is HEC0003', () => {
    expect(PACKINGS.map((p) => p.name)).toContain('replicated');
    expect(packingsNamed('auto')).toEqual([...PACKINGS]);
    expect(packingsNamed('replicated')).toEqual([replicatedPacking]);
    expect(codeOf(() => packingsNamed('diagonal'))).toBe('HEC0003');
  });

  it('replicated: a vocabulary wider than the slots is HEC4001 at instantiation (before any expensive work)', () => {
    expect(codeOf(() => replicatedPacking.instantiate(model, 16, 8))).toBe('HEC4001');
  });

  it('replicated: linear layouts are #rep with power-of-two periods; its count is the matvec kernel count', () => {
    const [rep] = instantiatePackings([replicatedPacking], model, SLOTS, 8);
    const { op } = linearOp();
    const c = model.config;
    expect(rep!.layouts(op)).toEqual({ inputs: [{ kind: 'rep', n: c.hiddenSize, period: p2(c.hiddenSize) }], outputs: [{ kind: 'rep', n: c.intermediateSize, period: p2(c.intermediateSize) }] });
    const counter = new KernelCounter(SLOTS);
    if (op.kind !== 'linear') throw new Error('unreachable');
    emitMatvec(counter, counter.input(), op.matrix, { inN: op.inN, inPeriod: p2(op.inN), outM: op.outM, outPeriod: p2(op.outM) }, 'y');
    expect(countOps(rep!, op, SLOTS)).toEqual(counter.counts);
  });

  it('selection: the cheaper accepting packing lowers the op; a sole acceptor wins; none accepting is HEC4004', () => {
    const [rep] = instantiatePackings([replicatedPacking], model, SLOTS, 8);
    const dear = costlier(rep!, 5);
    const { op, b } = linearOp();
    expect(selectPacking(op, [dear, rep!], SLOTS, OP_COUNT_COST)).toBe(rep);
    expect(selectPacking(op, [rep!, dear], SLOTS, OP_COUNT_COST)).toBe(rep);
    // A cost model under which additions are free makes the two tie: the earlier one is kept.
    const addsFree = { price: (name: string, n: number) => (name === 'ckks.add' ? 0 : OP_COUNT_COST.price(name, n)) };
    expect(selectPacking(op, [dear, rep!], SLOTS, addsFree)).toBe(dear);
    expect(selectPacking(op, [costlier(rep!, 0, false), dear], SLOTS)).toBe(dear);
    expect(codeOf(() => selectPacking(op, [costlier(rep!, 0, false)], SLOTS))).toBe('HEC4004');
    // Counting lowers into a scratch function: the real one is untouched.
    expect(b.func.ops).toEqual([]);
  });
});
