/**
 * @fileoverview Two ways to execute one HE IR function on real slot vectors, for tests that compare a module before
 * and after a pass:
 *
 * - `runOnSim`: the function as a plan, through runtime/executor.ts on `sim` (levels, scales, keys, bootstrap input
 *   bounds all checked). Every level must be assigned and no `ckks.nonlinear` may remain.
 * - `slotReference`: the function's meaning with levels and scales ignored — what a module *before* level assignment
 *   or polynomial approximation computes. Written here from the op definitions (ir/README.md), independently of
 *   `sim` and of passes/approx: Chebyshev terms by the three-term recurrence, `ckks.nonlinear` by the exact function
 *   (`exp` of pre_scale·x + pre_shift, `silu`, `inv`, `inv_sqrt` of pre_scale·x + pre_shift), `rescale`,
 *   `relinearize`, `level_drop` and `bootstrap` as the identity on values.
 *
 * Inputs are real tensors packed by the argument's layout (`pack`); results come back as the full real slot vectors.
 */
import { pack } from '../../ir/layout.ts';
import type { Func, Module, Value } from '../../ir/module.ts';
import type { CkksParams } from '../../ir/params.ts';
import { evaluateSource, type WeightStore } from '../../ir/plaintext-sources.ts';
import type { AttrDict } from '../../ir/types.ts';
import type { KeyRequest } from '../../runtime/backend.ts';
import { createSimBackend } from '../../runtime/backends/sim/index.ts';
import { StepExecutor } from '../../runtime/executor.ts';

/** A weight store for modules without weights: any read is a test error. */
const NO_WEIGHTS: WeightStore = {
  get: (name: string) => {
    throw new Error(`this test module reads weight '${name}' but none are loaded`);
  },
};

const num = (attrs: AttrDict, key: string, fallback: number): number => {
  const v = attrs[key];
  return typeof v === 'number' ? v : fallback;
};

function nonlinear(fn: string, attrs: AttrDict, x: number): number {
  const s = num(attrs, 'pre_scale', 1);
  const t = num(attrs, 'pre_shift', 0);
  switch (fn) {
    case 'exp':
      return Math.exp(s * x + t);
    case 'silu':
      return x / (1 + Math.exp(-x));
    case 'inv':
      return 1 / x;
    case 'inv_sqrt':
      return 1 / Math.sqrt(s * x + t);
    default:
      throw new Error(`slotReference: unknown nonlinear fn '${fn}'`);
  }
}

/** Σ c_k·T_k(u), u the point mapped from [a, b] to [−1, 1]; T_k by T_{k+1} = 2u·T_k − T_{k−1}. */
function chebyshevSum(coeffs: readonly number[], a: number, b: number, x: number): number {
  const u = (2 * x - a - b) / (b - a);
  let prev = 1;
  let cur = u;
  let sum = coeffs[0] ?? 0;
  for (let k = 1; k < coeffs.length; k++) {
    sum += coeffs[k]! * cur;
    const next = 2 * u * cur - prev;
    prev = cur;
    cur = next;
  }
  return sum;
}

const rotateLeft = (v: Float64Array, k: number): Float64Array => {
  const n = v.length;
  return v.map((_x, i) => v[(((i + k) % n) + n) % n]!);
};

/** Slot vectors of the function's arguments: each input tensor packed by its argument's layout. */
export function packArguments(func: Func, slots: number, tensors: ReadonlyMap<string, ArrayLike<number>>): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const a of func.args) {
    const t = tensors.get(a.value.name);
    if (t === undefined) throw new Error(`no input values for %${a.value.name}`);
    out.set(a.value.name, a.value.type.layout.kind === 'junk' ? Float64Array.from(t) : pack(a.value.type.layout, t, slots));
  }
  return out;
}

/** The function's results (by return name) with levels and scales ignored; see the file comment. */
export function slotReference(func: Func, slots: number, args: ReadonlyMap<string, Float64Array>, weights: WeightStore = NO_WEIGHTS): Map<string, Float64Array> {
  const env = new Map<Value, Float64Array>();
  const get = (v: Value): Float64Array => {
    const x = env.get(v);
    if (x === undefined) throw new Error(`slotReference: %${v.name} has no value`);
    return x;
  };
  for (const a of func.args) {
    const x = args.get(a.value.name);
    if (x === undefined || x.length !== slots) throw new Error(`slotReference: argument %${a.value.name} needs ${slots} slot values`);
    env.set(a.value, x);
  }
  for (const op of func.ops) {
    const [a, b] = op.operands.map(get);
    const zip = (f: (x: number, y: number) => number) => a!.map((x, i) => f(x, b![i]!));
    let out: Float64Array[];
    switch (op.name) {
      case 'ckks.encode': out = [evaluateSource(op.attrs.src as AttrDict, slots, weights, 0)]; break;
      case 'ckks.add': case 'ckks.add_plain': out = [zip((x, y) => x + y)]; break;
      case 'ckks.sub': out = [zip((x, y) => x - y)]; break;
      case 'ckks.mul': case 'ckks.mul_plain': out = [zip((x, y) => x * y)]; break;
      case 'ckks.negate': out = [a!.map((x) => -x)]; break;
      case 'ckks.add_const': out = [a!.map((x) => x + (op.attrs.value as number))]; break;
      case 'ckks.mul_const': out = [a!.map((x) => x * (op.attrs.value as number))]; break;
      case 'ckks.relinearize': case 'ckks.rescale': case 'ckks.level_drop': case 'ckks.bootstrap': case 'ckks.conjugate':
        // Real slots: conjugation is the identity on them, as are the bookkeeping ops.
        out = [a!];
        break;
      case 'ckks.rotate': out = [rotateLeft(a!, op.attrs.offset as number)]; break;
      case 'ckks.rotate_hoisted': out = (op.attrs.offsets as number[]).map((k) => rotateLeft(a!, k)); break;
      case 'ckks.poly': {
        const [lo, hi] = op.attrs.domain as number[];
        out = [a!.map((x) => chebyshevSum(op.attrs.coeffs as number[], lo!, hi!, x))];
        break;
      }
      case 'ckks.nonlinear': out = [a!.map((x) => nonlinear(op.attrs.fn as string, op.attrs, x))]; break;
      case 'ckks.return': {
        const names = op.attrs.names as string[];
        return new Map(op.operands.map((v, k) => [names[k]!, get(v)]));
      }
      default:
        throw new Error(`slotReference: no reference semantics for ${op.name}`);
    }
    op.results.forEach((r, k) => env.set(r, out[k]!));
  }
  throw new Error(`slotReference: @${func.name} has no ckks.return`);
}

/** Exactly the keys the function's ops use. */
function keysUsed(func: Func): KeyRequest {
  const rotations = new Set<number>();
  for (const op of func.ops) {
    if (op.name === 'ckks.rotate') rotations.add(op.attrs.offset as number);
    if (op.name === 'ckks.rotate_hoisted') for (const k of op.attrs.offsets as number[]) rotations.add(k);
  }
  const uses = (name: string) => func.ops.some((o) => o.name === name);
  return { relinearize: uses('ckks.mul'), conjugate: uses('ckks.conjugate'), bootstrap: uses('ckks.bootstrap'), rotations: [...rotations] };
}

/** Run the module's function on `sim` as a plan: arguments encrypted at their declared levels, results decrypted. */
export async function runOnSim(module: Module, params: CkksParams, args: ReadonlyMap<string, Float64Array>, weights: WeightStore = NO_WEIGHTS): Promise<Map<string, Float64Array>> {
  const func = module.funcs[0]!;
  const sim = createSimBackend();
  const client = await sim.createClient(params);
  const server = await sim.createServer(params, await client.evaluationKeys(keysUsed(func)));
  try {
    const cts = new Map(func.args.map((a) => {
      const level = a.value.type.level;
      if (level === null) throw new Error(`runOnSim: argument %${a.value.name} has no level`);
      return [a.value.name, server.deserialize(client.encrypt({ re: args.get(a.value.name)! }, level))] as const;
    }));
    const out = new StepExecutor(func, server, params, weights).run(cts, 0);
    return new Map([...out].map(([name, ct]) => [name, client.decrypt(server.serialize(ct)).re]));
  } finally {
    server.dispose();
    client.dispose();
  }
}
