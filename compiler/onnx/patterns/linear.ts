/**
 * @fileoverview Linear layers: MatMul(x, W[in,out]) (torch stores nn.Linear transposed), MatMul(x, Transpose(W[out,in]))
 * (dynamo, tied LM head), or Gemm(x, W, b, transB); an optional Add(bias) after the MatMul.
 * Output is always normalised to row-major [out, in].
 */
import type { Linear } from '../../../ir/model.ts';
import type { OnnxNode } from '../load.ts';
import { Matcher, weightTensor } from './match.ts';

export interface LinearMatch {
  linear: Linear;
  /** The input activation. */
  x: string;
  node: OnnxNode;
  /** Name of the initializer holding the weight (before any transposition), for tied-weight detection. */
  initName: string;
}

export function matchLinear(m: Matcher, y: string, what: string): LinearMatch {
  let node = m.expect(y, ['MatMul', 'Gemm', 'Add'], `${what} linear`);
  let bias: Linear['bias'] = null;
  if (node.opType === 'Add') {
    const [a, b] = node.inputs;
    const bName = m.weight(a!) ? a! : b!;
    const binit = m.weight(bName);
    if (!binit || binit.shape.length !== 1) throw m.error(node, `expected ${what} linear: MatMul plus a bias vector`);
    bias = weightTensor(binit, node, false);
    node = m.expect(m.other(node, bName), ['MatMul'], `${what} linear`);
  }
  const [x, w, b] = node.inputs;
  let init = m.weight(w!);
  let transposed = true; // MatMul weights are [in, out]
  if (!init) {
    const t = m.prod(m.src(w!));
    if (t?.opType === 'Transpose' && m.weight(t.inputs[0]!)) {
      init = m.weight(t.inputs[0]!);
      transposed = false; // Transpose of an [out, in] matrix: already canonical
    }
  }
  if (!init || init.shape.length !== 2) {
    throw m.error(node, `expected ${what} linear to multiply by a weight matrix, found ${w}`);
  }
  if (node.opType === 'Gemm') {
    if (node.attrs.transA) throw m.error(node, `expected ${what} Gemm without transA`);
    transposed = !node.attrs.transB;
    if (b) {
      const binit = m.weight(b);
      if (!binit) throw m.error(node, `expected ${what} Gemm bias to be an initializer`);
      bias = weightTensor(binit, node, false);
    }
  }
  return { linear: { weight: weightTensor(init, node, transposed), bias }, x: x!, node, initName: init.name };
}
