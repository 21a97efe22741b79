/**
 * @fileoverview SwiGLU MLP body: silu(gate) ⊙ up, with silu(g) = g · Sigmoid(g).
 */
import { Matcher } from './match.ts';

export interface SwiGluMatch {
  /** Output of the gate projection (the SiLU input). */
  gate: string;
  /** Output of the up projection. */
  up: string;
}

export function matchSwiGlu(m: Matcher, y: string, what: string): SwiGluMatch {
  const mul = m.expect(y, ['Mul'], `${what} SwiGLU product silu(gate)·up`);
  for (const [s, u] of [[mul.inputs[0]!, mul.inputs[1]!], [mul.inputs[1]!, mul.inputs[0]!]] as const) {
    const silu = m.prod(m.src(s));
    if (silu?.opType !== 'Mul') continue;
    for (const [g, sg] of [[silu.inputs[0]!, silu.inputs[1]!], [silu.inputs[1]!, silu.inputs[0]!]] as const) {
      const sig = m.prod(m.src(sg));
      if (sig && m.src(sig.inputs[0] ?? '') === m.src(g)) {
        if (sig.opType === 'Sigmoid') return { gate: g, up: u };
        // g · f(g) with another f: a different activation (GELU-tanh, ReLU², ...) that hec has no lowering for.
        throw m.error(sig, `expected ${what} SwiGLU activation g·Sigmoid(g), found g·${sig.opType}(g)`);
      }
    }
  }
  const ops = mul.inputs.map((i) => m.prod(m.src(i))).map((n) => (n ? `${n.name} (${n.opType})` : 'a graph input'));
  throw m.error(mul, `expected ${what} SwiGLU: one operand g·Sigmoid(g), found ${ops.join(' and ')}`);
}
