/**
 * @fileoverview poly-approx: replace every `ckks.nonlinear` by polynomial arithmetic on its calibrated domain.
 *
 * requires: `ckks.nonlinear` ops with `fn` and `domain` (from calibration); levels not yet assigned.
 * ensures: no `ckks.nonlinear` remains; each function is a `ckks.poly` (Chebyshev series) possibly followed by
 * Newton steps written as plain ckks ops. The choice made for each op (degree, iterations, measured worst error on
 * its domain) is the pass's result (`ApproximationRecord[]`), which the plan header lists.
 *
 * - exp (of pre_scale·x + pre_shift), silu: Chebyshev interpolation, the lowest degree 2^k − 1 meeting the
 *   relative tolerance on the domain.
 * - inv (softmax normalisers, domain [a, b] with a > 0, optional `rel_tol`): a Chebyshev initial guess then
 *   Newton y ← y·(2 − x·y) (relative error e → e², 2 levels each); the split minimising depth is chosen.
 * - every slot a polynomial sees lies in its domain: where the input's layout leaves slots at 0 (clean masked layouts,
 *   padding) and 0 is outside the domain (the softmax normalisers' inverses), a plaintext adds an in-domain value
 *   (the domain's midpoint) on exactly those slots first (no level). Outside its domain a Chebyshev series
 *   extrapolates wildly and Newton doubles a zero slot's guess every step (y ← y·(2 − 0·y)): at 512 positions that
 *   reached 29,504 where the proven bound 2/a was 4,096 (issue #13). `sim` checks every input slot (HEC5114).
 * - inv_sqrt (RMSNorm, f(x) = (s·x + ε)^-1/2): Chebyshev initial guess then Newton y ← y·(1.5 − (z/2)·y²),
 *   z = s·x + ε (e → ≈1.5·e², 3 levels each).
 */
import { HecError } from '../ir/diagnostics.ts';
import type { Func, Module, Op, Value } from '../ir/module.ts';
import { polyDepth } from '../ir/ops.ts';
import { layoutFields, slotOf } from '../ir/layout.ts';
import type { AttrDict } from '../ir/types.ts';
import { fitToTolerance, type ChebyshevSeries } from '../ir/chebyshev.ts';
import { IrBuilder } from './kernels/builder.ts';
import { levelReserve } from './bootstrap-placement.ts';
import { numberOption, type Pass, type PassContext, type PassOptionValues } from './pass.ts';

/**
 * Relative tolerances. exp feeds the softmax's repeated squaring (k squarings multiply its relative error by 2^k),
 * so it is held to 1e-8; inverses default to 1e-6 unless the op asks for less (`rel_tol`, the rough normalisers).
 */
const EXP_REL_TOL = 1e-8;
const SILU_REL_TOL = 1e-5;
const INV_REL_TOL = 1e-6;
const MAX_DEGREE_CAP = 127;

/** The largest degree 2^k − 1 ≤ cap whose depth fits between two bootstraps (one polynomial never straddles one). */
function maxDegreeFor(ctx: PassContext, cap: number): number {
  const lb = ctx.params.bootstrapOutputLevel;
  const budget = (lb >= 0 ? lb : ctx.params.levels) - levelReserve(ctx.params);
  let d = 1;
  while (2 * d + 1 <= cap && polyDepth(2 * d + 1) <= budget) d = 2 * d + 1;
  return d;
}

export interface ApproximationRecord {
  value: string;
  fn: string;
  domain: [number, number];
  degree: number;
  newtonSteps: number;
  depth: number;
  maxError: number;
  errorKind: 'absolute' | 'relative';
}

function domainOf(op: Op): [number, number] {
  const d = op.attrs.domain;
  if (!Array.isArray(d) || typeof d[0] !== 'number' || typeof d[1] !== 'number' || !(d[1] > d[0])) {
    throw new HecError('HEC4101', `${op.name} on %${op.results[0]!.name} has no valid domain`, { fix: 'calibrate the model first' });
  }
  return [d[0], d[1]];
}

function polyOp(b: IrBuilder, x: Value, s: ChebyshevSeries, hint?: string): Value {
  return b.one('ckks.poly', [x], { basis: 'chebyshev', coeffs: s.coeffs, domain: s.domain }, x.type.layout, hint);
}

/** Choose initial-guess degree and Newton steps for a relative tolerance; quadratic convergence e' = c·e². */
function planNewton(
  f: (x: number) => number,
  a: number,
  b: number,
  levelsPerStep: number,
  c: number,
  tol: number,
  maxDegree: number,
  what: string,
): { series: ChebyshevSeries; steps: number; depth: number; error: number } {
  let best: { series: ChebyshevSeries; steps: number; depth: number; error: number } | null = null;
  for (let d = 1; d <= maxDegree; d = 2 * d + 1) {
    const { series, error } = fitToTolerance(f, a, b, 0, d, true);
    if (!(error < 0.9)) continue;
    let e = error;
    let steps = 0;
    while (e > tol && steps < 40) {
      e = Math.min(1, c * e * e);
      steps++;
    }
    if (e > tol) continue;
    const depth = polyDepth(d) + levelsPerStep * steps + (levelsPerStep === 3 ? 1 : 0);
    if (best === null || depth < best.depth) best = { series, steps, depth, error: e };
  }
  if (best === null) {
    // Name the binding cause: the degree the parameters' levels allow (a higher degree would do), or the width of the
    // domain itself, whose upper end for a softmax normaliser is the context length, not a calibrated value.
    const needed = maxDegree < MAX_DEGREE_CAP ? lowestWorkingDegree(f, a, b, c, tol, maxDegree) : undefined;
    const range = `[${a}, ${b}] (a range of ${(b / a).toPrecision(3)}×)`;
    throw needed !== undefined
      ? new HecError('HEC4102', `${what}: reaching ${tol} relative error on ${range} needs a degree-${needed} polynomial, but the levels between bootstraps of these parameters allow degree ${maxDegree}`, {
          fix: 'use parameters with more levels between bootstraps, or a smaller --max-context (a softmax normaliser\'s range ends at it)',
        })
      : new HecError('HEC4102', `${what}: no Chebyshev + Newton scheme of degree ≤ ${MAX_DEGREE_CAP} reaches ${tol} relative error on ${range}: the range is too wide`, {
          fix: 'a softmax normaliser\'s range ends at --max-context: lower it; its lower end comes from the calibrated attention scores (--calibration)',
        });
  }
  return best;
}

/**
 * Move the zero slots of `x`'s layout into the domain [a, b] when 0 lies outside it: x + fill, where the plaintext
 * holds (a + b)/2 on the zero slots and 0 on the tensor's own slots. Junk layouts carry no such promise and are left alone
 * (their approximations must have 0 — masked junk — inside the domain, which `sim` checks).
 */
function fillZeroSlots(b: IrBuilder, x: Value, domain: [number, number]): Value {
  if (domain[0] <= 0 && 0 <= domain[1]) return x;
  const l = x.type.layout;
  let zero = false;
  for (let i = 0; i < b.slots && !zero; i++) zero = slotOf(l, i) === -1;
  if (!zero) return x;
  const { kind, fields } = layoutFields(l);
  const fill = b.encode({ kind: 'zero_slot_fill', layout: kind, fields, value: (domain[0] + domain[1]) / 2 }, l);
  return b.one('ckks.add_plain', [x, fill], {}, l);
}

/** The smallest degree 2^k − 1 above `from` (up to the cap) whose Newton plan reaches `tol`, if any. */
function lowestWorkingDegree(f: (x: number) => number, a: number, b: number, c: number, tol: number, from: number): number | undefined {
  for (let d = 2 * from + 1; d <= MAX_DEGREE_CAP; d = 2 * d + 1) {
    const { error } = fitToTolerance(f, a, b, 0, d, true);
    let e = error;
    for (let steps = 0; e > tol && e < 0.9 && steps < 40; steps++) e = Math.min(1, c * e * e);
    if (e <= tol) return d;
  }
  return undefined;
}

function expandOne(b: IrBuilder, op: Op, records: ApproximationRecord[], maxDegree: number): Value {
  const fn = op.attrs.fn as string;
  const [a, bnd] = domainOf(op);
  const x = fillZeroSlots(b, op.operands[0]!, [a, bnd]);
  const name = op.results[0]!.name;
  switch (fn) {
    case 'exp': {
      const s = typeof op.attrs.pre_scale === 'number' ? op.attrs.pre_scale : 1;
      const t = typeof op.attrs.pre_shift === 'number' ? op.attrs.pre_shift : 0;
      const f = (v: number) => Math.exp(s * v + t);
      const { series, error } = fitToTolerance(f, a, bnd, EXP_REL_TOL, maxDegree, true);
      records.push({ value: name, fn, domain: [a, bnd], degree: series.coeffs.length - 1, newtonSteps: 0, depth: polyDepth(series.coeffs.length - 1), maxError: error, errorKind: 'relative' });
      return polyOp(b, x, series, name);
    }
    case 'silu': {
      const silu = (t: number) => t / (1 + Math.exp(-t));
      const scale = Math.max(Math.abs(silu(a)), Math.abs(silu(bnd)), 1e-3);
      const { series, error } = fitToTolerance(silu, a, bnd, SILU_REL_TOL * scale, maxDegree);
      records.push({ value: name, fn, domain: [a, bnd], degree: series.coeffs.length - 1, newtonSteps: 0, depth: polyDepth(series.coeffs.length - 1), maxError: error / scale, errorKind: 'relative' });
      return polyOp(b, x, series, name);
    }
    case 'inv': {
      if (!(a > 0)) throw new HecError('HEC4101', `inv on %${name} needs a positive domain, got [${a}, ${bnd}]`);
      const tol = typeof op.attrs.rel_tol === 'number' ? op.attrs.rel_tol : INV_REL_TOL;
      const plan = planNewton((t) => 1 / t, a, bnd, 2, 1, tol, maxDegree, `inv on %${name}`);
      // Bounds for the magnitude analysis: every iterate is within a factor (1 ± e), e < 1, of 1/x, so
      // x·y ∈ (0, 2), 2 − x·y ∈ (0, 2) and |y| < 2/a.
      const yMax = 2 / a;
      let y = polyOp(b, x, plan.series);
      for (let i = 0; i < plan.steps; i++) {
        const xy = b.bound(b.mul(x, y, y.type.layout), 2);
        const twoMinus = b.bound(b.addConst(b.negate(xy), 2), 2);
        y = b.bound(b.mul(y, twoMinus, y.type.layout, i === plan.steps - 1 ? name : undefined), yMax);
      }
      records.push({ value: name, fn, domain: [a, bnd], degree: plan.series.coeffs.length - 1, newtonSteps: plan.steps, depth: plan.depth, maxError: plan.error, errorKind: 'relative' });
      return y;
    }
    case 'inv_sqrt': {
      const s = typeof op.attrs.pre_scale === 'number' ? op.attrs.pre_scale : 1;
      const eps = typeof op.attrs.pre_shift === 'number' ? op.attrs.pre_shift : 0;
      if (!(a * s + eps > 0)) throw new HecError('HEC4101', `inv_sqrt on %${name} needs s·x + ε > 0 on its domain`);
      const f = (t: number) => 1 / Math.sqrt(s * t + eps);
      const plan = planNewton(f, a, bnd, 3, 1.5, INV_REL_TOL, maxDegree, `inv_sqrt on %${name}`);
      // Bounds: iterates are within a factor (1 ± e), e < 0.9, of f, so y < 2·f_max, z·y² < 4, u ∈ (−0.5, 1.5).
      const fMax = Math.max(f(a), f(bnd));
      let y = polyOp(b, x, plan.series);
      if (plan.steps > 0) {
        const halfZ = b.addConst(b.mulConst(x, s / 2), eps / 2);
        for (let i = 0; i < plan.steps; i++) {
          const y2 = b.bound(b.mul(y, y, y.type.layout), 4 * fMax * fMax);
          const t = b.bound(b.mul(halfZ, y2, y.type.layout), 2);
          const u = b.bound(b.addConst(b.negate(t), 1.5), 1.5);
          y = b.bound(b.mul(y, u, y.type.layout, i === plan.steps - 1 ? name : undefined), 2 * fMax);
        }
      }
      records.push({ value: name, fn, domain: [a, bnd], degree: plan.series.coeffs.length - 1, newtonSteps: plan.steps, depth: plan.depth, maxError: plan.error, errorKind: 'relative' });
      return y;
    }
    default:
      throw new HecError('HEC4103', `poly-approx does not know fn '${fn}'`);
  }
}

/** Replace every use of `from` by `to` in the ops at or after index `start`. */
export function replaceUses(func: Func, from: Value, to: Value, start = 0): void {
  for (let i = start; i < func.ops.length; i++) {
    const ops = func.ops[i]!.operands;
    for (let k = 0; k < ops.length; k++) if (ops[k] === from) ops[k] = to;
  }
}

function runOnFunc(func: Func, slots: number, records: ApproximationRecord[], maxDegree: number): void {
  const b = new IrBuilder(func, slots);
  const original = func.ops;
  const out: Op[] = [];
  func.ops = out;
  const replaced = new Map<Value, Value>();
  for (const op of original) {
    op.operands = op.operands.map((v) => replaced.get(v) ?? v);
    if (op.name !== 'ckks.nonlinear') {
      out.push(op);
      continue;
    }
    b.loc = op.loc;
    replaced.set(op.results[0]!, expandOne(b, op, records, maxDegree));
  }
}

export const polyApproxPass: Pass<ApproximationRecord[]> = {
  name: 'poly-approx',
  summary: 'replace ckks.nonlinear (exp, silu, inv, inv_sqrt) by Chebyshev polynomials and Newton steps',
  description:
    'requires: ckks.nonlinear ops with calibrated domains. ensures: only ckks.poly and plain ckks arithmetic; the ' +
    'degree, Newton steps, depth and measured worst error of each approximation are the result (plan header).',
  options: [{ name: 'degree-cap', type: 'number', default: MAX_DEGREE_CAP, help: 'highest polynomial degree tried (2^k − 1)' }],
  run(module: Module, ctx: PassContext, options: PassOptionValues): ApproximationRecord[] {
    const records: ApproximationRecord[] = [];
    const maxDegree = maxDegreeFor(ctx, numberOption(options, 'degree-cap'));
    for (const f of module.funcs) runOnFunc(f, ctx.params.slots, records, maxDegree);
    return records;
  },
};
