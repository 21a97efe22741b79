/**
 * @fileoverview RMSNorm: w ⊙ x / sqrt(mean(x²) + eps).
 *
 * Legacy export: Pow(x,2) → ReduceMean(-1) → Add(eps) → Sqrt → Div(1, ·) → Mul(x, ·) → Mul(w, ·).
 * Dynamo export: the same with Reciprocal instead of Div(1, ·). Also accepted: Div(x, Sqrt(...)).
 */
import type { WeightTensor } from '../../../ir/model.ts';
import { Matcher, weightTensor } from './match.ts';

export interface RmsNormMatch {
  weight: WeightTensor;
  eps: number;
  /** The normalised, weighted output. */
  out: string;
}

export function matchRmsNorm(m: Matcher, x: string, what: string): RmsNormMatch {
  const pow = m.users(x).find((u) => u.node.opType === 'Pow' && m.src(u.node.inputs[0]!) === m.src(x));
  if (!pow) {
    const found = m.users(x).map((u) => `${u.node.name} (${u.node.opType})`).join(', ') || 'no consumers';
    throw m.error(m.prod(m.src(x)), `expected ${what} RMSNorm (Pow → ReduceMean → Add → Sqrt → Div) on ${x}, found ${found}`);
  }
  if (m.scalar(pow.node.inputs[1]!) !== 2) throw m.error(pow.node, `expected ${what} RMSNorm to square its input (Pow 2)`);
  const mean = m.expectUser(pow.node.outputs[0]!, ['ReduceMean'], `${what} RMSNorm mean`);
  const hidden = m.shape(x).at(-1)!;
  if (m.shape(mean.outputs[0]!).at(-1) !== 1 || m.shape(pow.node.outputs[0]!).at(-1) !== hidden) {
    throw m.error(mean, `expected ${what} RMSNorm to average over the hidden axis`);
  }
  const add = m.expectUser(mean.outputs[0]!, ['Add'], `${what} RMSNorm + eps`);
  const eps = m.scalar(m.other(add, mean.outputs[0]!));
  if (eps === undefined || !(eps > 0 && eps < 1)) throw m.error(add, `expected ${what} RMSNorm eps to be a small positive constant`);
  const sqrt = m.expectUser(add.outputs[0]!, ['Sqrt'], `${what} RMSNorm sqrt`);
  const inv = m.expectUser(sqrt.outputs[0]!, ['Div', 'Reciprocal'], `${what} RMSNorm 1/sqrt`);
  let normed: string;
  if (inv.opType === 'Div' && m.src(inv.inputs[1]!) === sqrt.outputs[0]) {
    if (m.scalar(inv.inputs[0]!) === 1) {
      const mul = m.expectUser(inv.outputs[0]!, ['Mul'], `${what} RMSNorm x·rsqrt`);
      if (m.src(m.other(mul, inv.outputs[0]!)) !== m.src(x)) throw m.error(mul, `expected ${what} RMSNorm to scale its own input`);
      normed = mul.outputs[0]!;
    } else if (m.src(inv.inputs[0]!) === m.src(x)) {
      normed = inv.outputs[0]!;
    } else throw m.error(inv, `expected ${what} RMSNorm to divide 1 or x by sqrt(mean + eps)`);
  } else if (inv.opType === 'Reciprocal') {
    const mul = m.expectUser(inv.outputs[0]!, ['Mul'], `${what} RMSNorm x·rsqrt`);
    if (m.src(m.other(mul, inv.outputs[0]!)) !== m.src(x)) throw m.error(mul, `expected ${what} RMSNorm to scale its own input`);
    normed = mul.outputs[0]!;
  } else throw m.error(inv, `expected ${what} RMSNorm to divide by sqrt(mean + eps)`);
  const wmul = m.expectUser(normed, ['Mul'], `${what} RMSNorm weight`);
  const wName = m.other(wmul, normed);
  const init = m.weight(wName);
  if (!init || init.shape.length !== 1 || init.shape[0] !== hidden) {
    throw m.error(wmul, `expected ${what} RMSNorm to multiply by a [${hidden}] weight, found ${wName}`);
  }
  return { weight: weightTensor(init, wmul, false), eps, out: wmul.outputs[0]! };
}
