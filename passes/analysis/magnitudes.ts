/**
 * @fileoverview Magnitude analysis: a sound upper bound on max |slot| of every value where one can be derived.
 *
 * Seeds are `bound` attributes the lowering and poly-approx attach where they know a guarantee (calibrated attention
 * scores, probabilities ≤ 1, the outputs of approximated functions on their domain); rules carry bounds through the
 * ops (add: a + b, mul: a·b, mask multiplications: a, a Chebyshev series: Σ|c_k| since |T_k| ≤ 1 on its domain,
 * or its value at 0 for the zero slots of masked layouts, which may sit just outside the domain).
 * Values with no derivable bound (e.g. linear-layer outputs) are left to calibration. A bound that holds for every
 * input is what a bootstrap's range needs: it cannot be exceeded by a prompt calibration never saw (e.g. a long one).
 */
import type { Func, Value } from '../../ir/module.ts';
import { isAttrDict } from '../../ir/types.ts';
import { chebyshevEval } from '../../ir/chebyshev.ts';

const MASK_SOURCES = new Set(['token_mask', 'head_mask']);

export function magnitudeBounds(func: Func): Map<Value, number> {
  const bound = new Map<Value, number>();
  const get = (v: Value) => bound.get(v);
  for (const op of func.ops) {
    const declared = op.attrs.bound;
    if (op.results.length === 1 && typeof declared === 'number') {
      bound.set(op.results[0]!, declared);
      continue;
    }
    const [a, b] = op.operands.map(get);
    let r: number | undefined;
    switch (op.name) {
      case 'ckks.encode': {
        const src = op.attrs.src;
        if (isAttrDict(src) && (MASK_SOURCES.has(src.kind as string) || src.kind === 'rope')) r = 1;
        if (isAttrDict(src) && src.kind === 'zero_slot_fill' && typeof src.value === 'number') r = Math.abs(src.value);
        break;
      }
      case 'ckks.add':
      case 'ckks.sub':
      case 'ckks.add_plain':
        r = a !== undefined && b !== undefined ? a + b : undefined;
        break;
      case 'ckks.mul':
      case 'ckks.mul_plain':
        r = a !== undefined && b !== undefined ? a * b : undefined;
        break;
      case 'ckks.add_const':
        r = a !== undefined ? a + Math.abs(op.attrs.value as number) : undefined;
        break;
      case 'ckks.mul_const':
        r = a !== undefined ? a * Math.abs(op.attrs.value as number) : undefined;
        break;
      case 'ckks.poly': {
        // Valid slots lie in the domain (|T_k| ≤ 1 there); zero slots (masked or padding) may lie just outside it.
        const coeffs = op.attrs.coeffs as number[];
        const dom = op.attrs.domain as [number, number];
        r = Math.max(coeffs.reduce((s, c) => s + Math.abs(c), 0), Math.abs(chebyshevEval({ coeffs, domain: dom }, 0)));
        break;
      }
      case 'ckks.negate':
      case 'ckks.rescale':
      case 'ckks.relinearize':
      case 'ckks.level_drop':
      case 'ckks.rotate':
      case 'ckks.conjugate':
      case 'ckks.bootstrap':
        r = a;
        break;
      case 'ckks.rotate_hoisted':
        if (a !== undefined) for (const res of op.results) bound.set(res, a);
        break;
    }
    if (r !== undefined && op.results.length === 1) bound.set(op.results[0]!, r);
  }
  return bound;
}
