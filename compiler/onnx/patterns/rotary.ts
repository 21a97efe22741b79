/**
 * @fileoverview Rotary position embedding, Hugging Face "rotate_half" form:
 *   y = x·cos + concat(-x[..., D/2:], x[..., :D/2])·sin
 * and θ, read back from the inv_freq constant that feeds the cos/sin table (inv_freq[i] = θ^(-2i/D)).
 */
import { Matcher } from './match.ts';

export interface RotaryMatch {
  /** The un-rotated input, [1, heads, 1, D]. */
  x: string;
  cos: string;
  sin: string;
}

export function matchRotary(m: Matcher, y: string, what: string): RotaryMatch {
  const add = m.expect(y, ['Add'], `${what} rotary x·cos + rotate_half(x)·sin`);
  const muls = add.inputs.map((i) => m.prod(m.src(i)));
  for (const [a, b] of [[muls[0], muls[1]], [muls[1], muls[0]]] as const) {
    if (a?.opType !== 'Mul' || b?.opType !== 'Mul') continue;
    for (const [rot, sin] of [[b.inputs[0]!, b.inputs[1]!], [b.inputs[1]!, b.inputs[0]!]] as const) {
      const cat = m.prod(m.src(rot));
      if (cat?.opType !== 'Concat' || cat.inputs.length !== 2) continue;
      const neg = m.prod(m.src(cat.inputs[0]!));
      if (neg?.opType !== 'Neg') continue;
      const hi = m.prod(m.src(neg.inputs[0]!));
      const lo = m.prod(m.src(cat.inputs[1]!));
      if (hi?.opType !== 'Slice' || lo?.opType !== 'Slice') continue;
      const x = m.src(hi.inputs[0]!);
      if (m.src(lo.inputs[0]!) !== x) continue;
      const d = m.shape(x).at(-1)!;
      const half = d / 2;
      const start = (n: typeof hi) => m.value(n.inputs[1]!)?.data[0];
      const hs = start(hi)!;
      if ((hs !== half && hs !== half - d) || start(lo) !== 0 || m.shape(lo.outputs[0]!).at(-1) !== half ||
        m.shape(hi.outputs[0]!).at(-1) !== half) {
        throw m.error(hi, `expected ${what} rotate_half slices [${half}:] and [:${half}] of the head dim`);
      }
      const cosIdx = a.inputs.findIndex((i) => m.src(i) === x);
      if (cosIdx < 0) continue;
      return { x, cos: a.inputs[1 - cosIdx]!, sin };
    }
  }
  throw m.error(add, `expected ${what} rotary embedding x·cos + concat(-x[D/2:], x[:D/2])·sin`);
}

/** Read θ from the inv_freq constant feeding the cos table of `cos` (a [.., D] tensor). */
export function ropeTheta(m: Matcher, cos: string, headDim: number): number {
  const half = headDim / 2;
  // Breadth-first search backwards for a MatMul/Mul whose constant operand has D/2 elements: positions × inv_freq.
  const queue = [cos];
  const seen = new Set<string>();
  let sawCos = false;
  while (queue.length > 0) {
    const t = queue.shift()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const n = m.prod(t);
    if (!n) continue;
    if (n.opType === 'Cos') sawCos = true;
    if (sawCos && (n.opType === 'MatMul' || n.opType === 'Mul')) {
      for (const i of n.inputs) {
        const data = m.value(i)?.data ?? m.weight(i)?.data;
        if (data && data.length === half) {
          const other = n.inputs.find((j) => j !== i) ?? '';
          if (!reaches(m, other, 'position_ids')) throw m.error(n, 'expected the rotary angles to be position_ids × inv_freq');
          return thetaFromInvFreq(m, Array.from(data), headDim, n);
        }
        if (!data && m.weight(i) && m.shape(i).reduce((p, q) => p * q, 1) === half) {
          throw m.error(n, `RoPE inv_freq ${i} is stored externally and its data file is missing, so θ is unknown`, 'HEC1023');
        }
      }
    }
    queue.push(...n.inputs.filter((i) => i !== ''));
  }
  throw m.error(m.prod(m.src(cos)), `expected the rotary cos table to come from Cos(positions × inv_freq[${half}])`);
}

function thetaFromInvFreq(m: Matcher, inv: number[], d: number, n: Parameters<Matcher['error']>[0]): number {
  if (Math.abs(inv[0]! - 1) > 1e-6 || inv.length < 2) {
    throw m.error(n, `expected RoPE inv_freq[0] = 1, found ${inv[0]}`, 'HEC1023');
  }
  let sum = 0;
  for (let i = 1; i < inv.length; i++) sum += (-Math.log(inv[i]!) * d) / (2 * i);
  const theta = Math.exp(sum / (inv.length - 1));
  // inv_freq is float32; a non-geometric table means scaled RoPE (llama3/yarn), which hec does not model.
  for (let i = 1; i < inv.length; i++) {
    if (Math.abs(theta ** ((-2 * i) / d) / inv[i]! - 1) > 1e-4) {
      throw m.error(n, `RoPE inv_freq is not θ^(-2i/D) (index ${i}): scaled rotary embeddings are not supported`, 'HEC1023');
    }
  }
  return Number(theta.toPrecision(6));
}

/** Whether `t` is computed from graph input `input` (backwards search over live producers). */
function reaches(m: Matcher, t: string, input: string): boolean {
  const stack = [t];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const x = stack.pop()!;
    if (x === input) return true;
    if (seen.has(x)) continue;
    seen.add(x);
    stack.push(...(m.prod(x)?.inputs ?? []));
  }
  return false;
}
