/**
 * @fileoverview The primitives one `ckks.poly` runs, by level: the same recursion as runtime/poly-eval.ts (which every
 * backend executes), replayed on levels only so the cost model can price a polynomial without running it.
 * test/unit/passes/cost.test.ts checks this list against a counting server that runs evalChebyshev itself.
 */
import type { Primitive } from './table.ts';

export interface PrimitiveCall {
  p: Primitive;
  level: number;
}

export function polyPrimitives(coeffs: readonly number[], inputLevel: number, scaleAt: (level: number) => number): PrimitiveCall[] {
  const calls: PrimitiveCall[] = [];
  const call = (p: Primitive, level: number): void => {
    calls.push({ p, level });
  };
  const degree = coeffs.length - 1;
  call('mul_const', inputLevel);
  call('rescale', inputLevel);
  call('add_const', inputLevel - 1);
  const T: number[] = [];
  T[1] = inputLevel - 1;
  const drop = (from: number, to: number): void => {
    if (from !== to) call('level_drop', from);
  };
  for (let k = 2; k <= degree; k++) {
    const hi = 1 << Math.floor(Math.log2(k));
    const [a, b, sub] = hi === k ? [k / 2, k / 2, null] : [hi, k - hi, hi - (k - hi) === 0 ? null : hi - (k - hi)];
    const level = Math.min(T[a]!, T[b]!);
    drop(T[a]!, level);
    if (b !== a) drop(T[b]!, level);
    call('mul_relin', level);
    call('rescale', level);
    call('add', level - 1);
    if (sub === null) call('add_const', level - 1);
    else {
      drop(T[sub]!, level - 1);
      call('add', level - 1);
    }
    T[k] = level - 1;
  }
  const low = Math.min(...T.slice(1));
  let terms = 0;
  for (let k = 1; k <= degree; k++) {
    if (Math.round(coeffs[k]! * scaleAt(T[k]!)) === 0) continue;
    drop(T[k]!, low);
    call('mul_const', low);
    if (terms++ > 0) call('add', low);
  }
  call('rescale', low);
  call('add_const', low - 1);
  return calls;
}
