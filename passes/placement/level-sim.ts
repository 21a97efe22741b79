/**
 * @fileoverview The placement walk of passes/bootstrap-placement.ts replayed on levels and prices only, fast enough
 * for the level-aware search to try thousands of decisions per module.
 *
 * The walk's rules, as they are there: an operand below its op's need (levels consumed + the reserve, seen through
 * level-free unary ops) is bootstrapped to min(bootstrap output level, need + slack), once, and the refreshed value
 * replaces it for every later use; binary ops drop the higher operand to the lower level (one drop per value and
 * level); a plaintext is encoded once per level it is used at; state outputs are bootstrapped (to the bootstrap output
 * level) when below their state level and dropped when above. Each op is priced at its operand's level with the
 * cost model (passes/cost). test/unit/passes/level-aware.test.ts checks that this replay and the real walk priced by
 * predictPlan agree on cost and bootstrap count.
 */
import type { Func, Value } from '../../ir/module.ts';
import type { CkksParams } from '../../ir/params.ts';
import { LEVEL_FREE_UNARY, levelDemand, levelReserve, minLevelFor } from '../bootstrap-placement.ts';
import { opMsAt } from '../cost/predict.ts';
import { polyDepth } from '../../ir/ops.ts';
import { pricesByLevel, type CostTable } from '../cost/table.ts';

const ENCODE = 0;
const RETURN = 1;
const OTHER = 2;

interface SimOp {
  kind: number;
  /** Ciphertext operand ids; plaintext operand ids. */
  ct: number[];
  pt: number[];
  results: number[];
  /** Levels the op needs of its ciphertext operands (with the reserve and level-free demand). */
  need: number;
  /** Levels it consumes (rescale 1, poly its depth). */
  consume: number;
  /** ms at each operand level 0 … L. */
  ms: Float64Array;
}

export interface LevelProgram {
  ops: SimOp[];
  /** Value id of each name (arguments and op results). */
  ids: Map<string, number>;
  names: string[];
  /** For each value id: the state name if it is a state argument. */
  stateArg: (string | undefined)[];
  /** State outputs: value id → state name (from the return's names). */
  stateOut: Map<number, string>;
  params: CkksParams;
  reserve: number;
  lb: number;
  bootMs: Float64Array;
  dropMs: Float64Array;
  encodeMs: Float64Array;
}

export function compileLevelProgram(func: Func, params: CkksParams, table: CostTable): LevelProgram {
  const L = params.levels;
  const ids = new Map<Value, number>();
  const names: string[] = [];
  const stateArg: (string | undefined)[] = [];
  const id = (v: Value): number => {
    let i = ids.get(v);
    if (i === undefined) {
      ids.set(v, (i = names.length));
      names.push(v.name);
      stateArg.push(undefined);
    }
    return i;
  };
  for (const a of func.args) {
    const i = id(a.value);
    if (a.attrs.role === 'state') stateArg[i] = a.attrs.state as string;
  }
  const reserve = levelReserve(params);
  const demand = levelDemand(func, reserve);
  const perLevel = (f: (l: number) => number): Float64Array => Float64Array.from({ length: L + 1 }, (_, l) => f(l));
  const prices = pricesByLevel(table, params.logN, L);
  /** Ops with the same name and attributes cost the same: price each kind once (a step has ~6,000 mul_plain). */
  const priced = new Map<string, Float64Array>();
  const msOf = (op: Func['ops'][number]): Float64Array => {
    const key = op.name === 'ckks.poly' ? `poly:${(op.attrs.coeffs as number[]).join(',')}` : op.name === 'ckks.rotate_hoisted' ? `hoisted:${op.results.length}` : op.name;
    let ms = priced.get(key);
    if (ms === undefined) priced.set(key, (ms = perLevel((l) => opMsAt(op, l, params, table))));
    return ms;
  };
  const stateOut = new Map<number, string>();
  const ops: SimOp[] = func.ops.map((op) => {
    const ct = op.operands.filter((v) => v.type.kind === 'ct').map(id);
    const pt = op.operands.filter((v) => v.type.kind === 'pt').map(id);
    const results = op.results.map(id);
    if (op.name === 'ckks.return') {
      const names = op.attrs.names as string[];
      op.operands.forEach((v, k) => {
        if (func.args.some((a) => a.attrs.role === 'state' && a.attrs.state === names[k])) stateOut.set(id(v), names[k]!);
      });
      return { kind: RETURN, ct, pt, results, need: 0, consume: 0, ms: new Float64Array(L + 1) };
    }
    if (op.name === 'ckks.encode') return { kind: ENCODE, ct, pt, results, need: 0, consume: 0, ms: new Float64Array(L + 1) };
    let need = minLevelFor(op) + reserve;
    if (LEVEL_FREE_UNARY.has(op.name)) for (const r of op.results) need = Math.max(need, demand.get(r) ?? 0);
    const consume = op.name === 'ckks.rescale' ? 1 : op.name === 'ckks.poly' ? polyDepth((op.attrs.coeffs as number[]).length - 1) : 0;
    return { kind: OTHER, ct, pt, results, need, consume, ms: msOf(op) };
  });
  const lb = params.bootstrapOutputLevel;
  return {
    ops, ids: new Map([...ids].map(([v, i]) => [v.name, i])), names, stateArg, stateOut, params, reserve, lb,
    bootMs: prices.bootstrap,
    dropMs: prices.level_drop,
    encodeMs: prices.encode,
  };
}

export interface SimDecisions {
  /** Slack of bootstraps inside [from, to) (see PlacementDecisions.slack); undefined = full output level. */
  slack?: number;
  stateLevels: (name: string) => number;
  /** Levels of values defined outside the range (the chain value entering it); arguments default to the top level. */
  entry: Map<number, number>;
  /** Bring these values (defined in the range) to a level right after their definition. */
  entryLevels?: Map<number, number>;
}

export interface SimResult {
  ms: number;
  bootstraps: number;
  /** Level of every value defined in the range after the walk (the refreshed one where it was refreshed). */
  levelOf: (valueId: number) => number;
  /** Levels state outputs defined in the range leave with before being fitted to their state level. */
  outgoing: Map<string, number>;
  feasible: boolean;
}

/**
 * Walk ops [from, to) under `d`. State outputs defined in the range are fitted to their state level at the end of
 * the range (the real walk does it at the return; the price is the same), and the return op prices nothing else.
 */
export function simulateRange(prog: LevelProgram, from: number, to: number, d: SimDecisions): SimResult {
  const { lb, params } = prog;
  const sc = scratchOf(prog);
  const gen = ++sc.gen;
  const L1 = params.levels + 1;
  let fresh = prog.names.length;
  const drops = new Map<number, number>();
  let ms = 0;
  let boots = 0;
  let feasible = true;
  const levelOf = (v: number): number => {
    if (sc.levelStamp[v] === gen) return sc.level[v]!;
    const e = d.entry.get(v);
    if (e !== undefined) return e;
    const st = prog.stateArg[v];
    return st !== undefined ? d.stateLevels(st) : params.levels;
  };
  const setLevel = (v: number, l: number): void => {
    sc.levelStamp[v] = gen;
    sc.level[v] = l;
  };
  const current = (v: number): number => {
    let c = v;
    while (sc.nextStamp[c] === gen) c = sc.next[c]!;
    return c;
  };
  const setNext = (v: number, n: number): void => {
    sc.nextStamp[v] = gen;
    sc.next[v] = n;
  };
  const newValue = (l: number): number => {
    const v = fresh++;
    if (v >= sc.level.length) sc.grow(v + 1);
    setLevel(v, l);
    return v;
  };
  const drop = (v: number, to: number): number => {
    const key = v * 64 + to;
    const cached = drops.get(key);
    if (cached !== undefined) return cached;
    ms += prog.dropMs[levelOf(v)]!;
    const r = newValue(to);
    drops.set(key, r);
    return r;
  };
  const bootstrap = (v: number, target: number): number => {
    ms += prog.bootMs[Math.max(0, levelOf(v))]!;
    boots++;
    const r = newValue(lb);
    return target < lb ? drop(r, target) : r;
  };
  const cts: number[] = [];
  for (let i = from; i < to; i++) {
    const op = prog.ops[i]!;
    if (op.kind !== OTHER) continue;
    const need = op.need;
    cts.length = 0;
    for (const v0 of op.ct) {
      let v = current(v0);
      if (levelOf(v) < need) {
        const target = d.slack === undefined ? lb : Math.min(lb, need + d.slack);
        if (target < need) feasible = false;
        const b = bootstrap(v, target);
        setNext(v, b);
        v = b;
      }
      cts.push(v);
    }
    let lvl = cts.length > 0 ? levelOf(cts[0]!) : 0;
    for (const v of cts) lvl = Math.min(lvl, levelOf(v));
    if (cts.length > 1) for (const v of cts) if (levelOf(v) > lvl) drop(v, lvl);
    for (const p of op.pt) {
      const key = p * L1 + lvl;
      if (sc.encodeStamp[key] !== gen) {
        sc.encodeStamp[key] = gen;
        ms += prog.encodeMs[lvl]!;
      }
    }
    ms += op.ms[Math.max(0, lvl)]!;
    const out = lvl - op.consume;
    if (out < 0) feasible = false;
    for (const r of op.results) {
      setLevel(r, out);
      const target = d.entryLevels?.get(r);
      if (target !== undefined && target !== out) setNext(r, target > out ? bootstrap(r, target) : drop(r, target));
    }
  }
  const outgoing = new Map<string, number>();
  for (const [v0, name] of prog.stateOut) {
    if (sc.levelStamp[v0] !== gen) continue;
    let v = current(v0);
    const target = d.stateLevels(name);
    outgoing.set(name, levelOf(v));
    if (levelOf(v) < target) v = bootstrap(v, lb);
    if (levelOf(v) > target) drop(v, target);
  }
  const finalLevels = new Map<number, number>();
  const levelAfter = (v: number): number => {
    let l = finalLevels.get(v);
    if (l === undefined) finalLevels.set(v, (l = levelOf(current(v))));
    return l;
  };
  return { ms, bootstraps: boots, levelOf: levelAfter, outgoing, feasible };
}

/**
 * Reusable per-program buffers: a value's level (and its refreshed replacement) is valid only where its stamp equals
 * the current walk's number, so a walk over a module costs that module's size, not the step's.
 */
class Scratch {
  gen = 0;
  level: Int32Array;
  levelStamp: Int32Array;
  next: Int32Array;
  nextStamp: Int32Array;
  encodeStamp: Int32Array;
  constructor(values: number, levels: number) {
    this.level = new Int32Array(values);
    this.levelStamp = new Int32Array(values);
    this.next = new Int32Array(values);
    this.nextStamp = new Int32Array(values);
    this.encodeStamp = new Int32Array(values * (levels + 1));
  }
  grow(n: number): void {
    const size = Math.max(n, this.level.length * 2);
    const g = (a: Int32Array): Int32Array => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.level = g(this.level);
    this.levelStamp = g(this.levelStamp);
    this.next = g(this.next);
    this.nextStamp = g(this.nextStamp);
  }
}

const scratches = new WeakMap<LevelProgram, Scratch>();
function scratchOf(prog: LevelProgram): Scratch {
  let s = scratches.get(prog);
  if (s === undefined) scratches.set(prog, (s = new Scratch(prog.names.length * 2 + 1024, prog.params.levels)));
  return s;
}
