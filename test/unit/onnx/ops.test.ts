import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import type { OnnxNode } from '../../../compiler/onnx/load.ts';
import { OPS, type SymTensor } from '../../../compiler/onnx/ops.ts';

const node = (opType: string, attrs: OnnxNode['attrs'] = {}): OnnxNode => ({ name: `t/${opType}`, opType, domain: '', inputs: [], outputs: ['y'], attrs });
const k = (shape: number[], data: number[], dtype = 7): SymTensor => ({ dtype, shape, value: { dtype, shape, data: Float64Array.from(data) } });
const run = (op: string, ins: (SymTensor | undefined)[], attrs: OnnxNode['attrs'] = {}) => OPS[op]!(ins, attrs, node(op, attrs))[0]!;
const vals = (t: SymTensor) => Array.from(t.value!.data);

describe('constant folding ops', () => {
  it('Shape/Gather/Unsqueeze/Concat soup', () => {
    const x: SymTensor = { dtype: 1, shape: [1, 2, 5, 8] };
    const s = run('Shape', [x]);
    expect(vals(s)).toEqual([1, 2, 5, 8]);
    expect(vals(run('Shape', [x], { start: 2, end: 3 }))).toEqual([5]);
    const g = run('Gather', [s, k([], [2])], { axis: 0 });
    expect(g.shape).toEqual([]);
    const u = run('Unsqueeze', [g, k([1], [0])]);
    expect(u.shape).toEqual([1]);
    expect(vals(run('Concat', [u, k([1], [-1])], { axis: 0 }))).toEqual([5, -1]);
  });

  it('Reshape with -1 and 0, Expand, Where, Range, Slice, Transpose', () => {
    const x: SymTensor = { dtype: 1, shape: [1, 1, 12] };
    expect(run('Reshape', [x, k([4], [0, 1, -1, 4])]).shape).toEqual([1, 1, 3, 4]);
    expect(vals(run('Expand', [k([1, 2], [7, 8]), k([2], [2, 1])]))).toEqual([7, 8, 7, 8]);
    expect(vals(run('Where', [k([2], [1, 0], 9), k([], [0], 1), k([], [-Infinity], 1)]))).toEqual([0, -Infinity]);
    expect(vals(run('Range', [k([], [3]), k([], [7]), k([], [2])]))).toEqual([3, 5]);
    const m = k([2, 3], [0, 1, 2, 3, 4, 5]);
    expect(vals(run('Slice', [m, k([1], [1]), k([1], [9e18]), k([1], [-1]), k([1], [1])]))).toEqual([1, 2, 4, 5]);
    expect(vals(run('Transpose', [m], { perm: [1, 0] }))).toEqual([0, 3, 1, 4, 2, 5]);
    expect(vals(run('Div', [k([2], [7, -7]), k([], [2])]))).toEqual([3, -3]);
    expect(vals(run('Cast', [k([2], [1.9, -1.9], 1)], { to: 7 }))).toEqual([1, -1]);
  });

  it('shape errors are HEC1011 naming the node', () => {
    try {
      run('Reshape', [{ dtype: 1, shape: [1, 10] }, k([2], [3, -1])]);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(HecError);
      expect((e as HecError).code).toBe('HEC1011');
      expect((e as HecError).diagnostic.location?.onnxNode).toBe('t/Reshape');
    }
  });
});
