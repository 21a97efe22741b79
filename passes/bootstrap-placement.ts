/**
 * @fileoverview bootstrap-placement: assign every value its level; insert level drops and bootstraps.
 *
 * requires: no `ckks.nonlinear` (run poly-approx first); levels unassigned (`?`).
 * ensures: every type has a level ≥ 0; binary ops see equal levels; plaintexts are encoded at their consumer's
 * level (an `ckks.encode` is cloned per level and placed right before its first use); state outputs (the KV cache)
 * leave at exactly the level they enter with, so the next step can read them.
 *
 * Placement is the simple one: walk in program order and bootstrap an operand when the op would need more levels
 * than it has ("bootstrap when the level runs out"); the bootstrapped value replaces the old one for all later uses.
 * Levels of cached ciphertexts are inputs (`ctx.stateLevels`); the driver iterates this pass so the cache is stored
 * at the level its writer delivers (and at least 1, so its readers can multiply). Bootstrap `range` attributes are
 * placeholders here; compiler/calibrate.ts measures them.
 * The level-aware DP placement of Cachemir §6 (arXiv 2602.11470) replaces this walk in a later issue.
 */
import { HecError } from '../ir/diagnostics.ts';
import type { Func, Module, Op, Value } from '../ir/module.ts';
import type { CkksParams } from '../ir/params.ts';
import { opInfo, polyDepth } from '../ir/ops.ts';
import type { Type } from '../ir/types.ts';
import type { Pass, PassContext } from './pass.ts';

/** Placeholder bootstrap range until calibration measures the real one. */
export const UNCALIBRATED_RANGE = 1;

interface Placer {
  /** Levels kept in reserve below every value (see levelReserve). */
  reserve: number;
  out: Op[];
  fresh: (hint: string) => string;
  lb: number;
  /** The parameters' name, for diagnostics. */
  paramsName: string;
  bootstrapped: Map<Value, Value>;
  drops: Map<Value, Map<number, Value>>;
  encodes: Map<Value, Map<number, Value>>;
  encodeOps: Map<Value, Op>;
  count: { bootstraps: number; drops: number };
  /** Levels each value must have when first used, looking through level-free unary ops (see levelDemand). */
  demand: Map<Value, number>;
  decisions: PlacementDecisions;
  /** Index (in the unplaced func) of the op being placed, for per-op decisions. */
  opIndex: number;
}

/**
 * What a placement strategy decides; the walk below carries it out. The greedy strategy decides nothing (every
 * bootstrap delivers the full bootstrap output level, no value is refreshed ahead of need); the level-aware one
 * (passes/placement/) chooses all three by a shortest path over levels.
 */
export interface PlacementDecisions {
  /** Levels of state arguments (the KV cache), by state name; state outputs leave at the same level. */
  stateLevels: ReadonlyMap<string, number>;
  /**
   * Bootstrap to level min(bootstrap output level, need + slack) — a bootstrap followed by a level drop — where
   * `need` is what the op that triggers it needs; by op index in the unplaced func. Absent: the full output level.
   */
  slack?: (opIndex: number) => number;
  /** After the op defining the named value, bring it to this level for all its uses (bootstrap, then drop). */
  entryLevels?: ReadonlyMap<string, number>;
}

/** Ops that keep their operand's level and have one ciphertext operand: a refresh may move above them. */
export const LEVEL_FREE_UNARY: ReadonlySet<string> = new Set(['ckks.rotate', 'ckks.rotate_hoisted', 'ckks.negate', 'ckks.add_const', 'ckks.conjugate']);

export function minLevelFor(op: Op): number {
  switch (op.name) {
    case 'ckks.mul':
    case 'ckks.mul_plain':
    case 'ckks.mul_const':
      return 1;
    case 'ckks.poly':
      return polyDepth((op.attrs.coeffs as number[]).length - 1);
    default:
      return 0;
  }
}

/**
 * Level 0 holds a message only up to q_0/(2Δ_0): with a bootstrapping chain (q_0 a few bits above Δ, for EvalMod
 * precision) that is a handful of units, less than a residual stream or a logit. When the headroom is under 2^16
 * every value is kept at level ≥ 1, so nothing but the final decryptable outputs could ever sit at level 0.
 */
export function levelReserve(params: CkksParams): number {
  return params.firstPrimeBits - params.logScale[0]! - 1 < 16 ? 1 : 0;
}

/**
 * For every value, the level its users need, seen through level-free unary ops: a matrix–vector input whose hoisted
 * baby-step rotations feed plaintext multiplications demands the multiplication's level, so the input is refreshed
 * once before its rotations instead of every rotated copy after them.
 */
export function levelDemand(func: Func, reserve: number): Map<Value, number> {
  const demand = new Map<Value, number>();
  for (let i = func.ops.length - 1; i >= 0; i--) {
    const op = func.ops[i]!;
    let need = minLevelFor(op) + reserve;
    if (LEVEL_FREE_UNARY.has(op.name)) for (const r of op.results) need = Math.max(need, demand.get(r) ?? 0);
    if (op.name === 'ckks.return') need = 0;
    // `?.`: an operand a broken pipeline left undefined is reported by the verifier (--verify-each), not here.
    for (const v of op.operands) if (v?.type.kind === 'ct') demand.set(v, Math.max(demand.get(v) ?? 0, need));
  }
  return demand;
}

function withLevel(t: Type, level: number): Type {
  return { ...t, level } as Type;
}

/** Refresh v; with a target below the bootstrap output level the result is dropped to it. */
function emitBootstrap(p: Placer, v: Value, loc: string | undefined, target: number = p.lb): Value {
  const op: Op = { name: 'ckks.bootstrap', operands: [v], results: [], attrs: { range: UNCALIBRATED_RANGE }, loc };
  const r: Value = { name: p.fresh(`${v.name}_bts`), type: withLevel(v.type, p.lb), def: op };
  op.results = [r];
  p.out.push(op);
  p.count.bootstraps++;
  return target < p.lb ? emitDrop(p, r, target, loc) : r;
}

/** The level a bootstrap triggered by a need of `need` levels delivers (see PlacementDecisions.slack). */
function bootstrapTarget(p: Placer, need: number): number {
  const slack = p.decisions.slack?.(p.opIndex);
  return slack === undefined ? p.lb : Math.min(p.lb, need + slack);
}

/** PlacementDecisions.entryLevels: bring a just-defined value to its chosen level for all later uses. */
function applyEntryLevel(p: Placer, r: Value, loc: string | undefined): void {
  const target = p.decisions.entryLevels?.get(r.name);
  if (target === undefined || r.type.kind !== 'ct' || r.type.level === target) return;
  const moved = r.type.level! < target ? emitBootstrap(p, r, loc, target) : emitDrop(p, r, target, loc);
  p.bootstrapped.set(r, moved);
}

function emitDrop(p: Placer, v: Value, level: number, loc: string | undefined): Value {
  let perLevel = p.drops.get(v);
  if (perLevel === undefined) p.drops.set(v, (perLevel = new Map()));
  const cached = perLevel.get(level);
  if (cached !== undefined) return cached;
  const op: Op = { name: 'ckks.level_drop', operands: [v], results: [], attrs: { level }, loc };
  const r: Value = { name: p.fresh(`${v.name}_l${level}`), type: withLevel(v.type, level), def: op };
  op.results = [r];
  p.out.push(op);
  p.count.drops++;
  perLevel.set(level, r);
  return r;
}

function encodeAt(p: Placer, pt: Value, level: number): Value {
  let perLevel = p.encodes.get(pt);
  if (perLevel === undefined) p.encodes.set(pt, (perLevel = new Map()));
  const cached = perLevel.get(level);
  if (cached !== undefined) return cached;
  const orig = p.encodeOps.get(pt)!;
  const op: Op = { name: 'ckks.encode', operands: [], results: [], attrs: orig.attrs, loc: orig.loc };
  const r: Value = { name: perLevel.size === 0 ? pt.name : p.fresh(`${pt.name}_l${level}`), type: withLevel(pt.type, level), def: op };
  op.results = [r];
  p.out.push(op);
  perLevel.set(level, r);
  return r;
}

function current(p: Placer, v: Value): Value {
  return p.bootstrapped.get(v) ?? v;
}

function placeOp(p: Placer, op: Op): void {
  if (op.name === 'ckks.encode') {
    p.encodeOps.set(op.results[0]!, op);
    return;
  }
  if (op.name === 'ckks.nonlinear') {
    throw new HecError('HEC4201', `bootstrap-placement found ckks.nonlinear on %${op.results[0]!.name}`, { fix: 'run poly-approx first' });
  }
  let need = minLevelFor(op) + p.reserve;
  if (LEVEL_FREE_UNARY.has(op.name)) for (const r of op.results) need = Math.max(need, p.demand.get(r) ?? 0);
  // `current` again for every operand: mul(x, x) refreshes x once, and both operands read the refreshed value.
  const operands0 = op.operands.map((v) => (v.type.kind === 'ct' ? current(p, v) : v));
  let operands = operands0.map((v0) => {
    const v = v0.type.kind === 'ct' ? current(p, v0) : v0;
    if (v.type.kind !== 'ct' || v.type.level! >= need) return v;
    const b = emitBootstrap(p, v, op.loc, bootstrapTarget(p, need));
    p.bootstrapped.set(v, b);
    for (const [orig, cur] of p.bootstrapped) if (cur === v) p.bootstrapped.set(orig, b);
    return b;
  });
  for (const v of operands) {
    if (v.type.kind === 'ct' && v.type.level! < need) {
      throw p.lb < 0
        ? new HecError('HEC4203', `${op.name} on %${v.name} needs ${need} levels, but the modulus chain of parameters '${p.paramsName}' is used up and they cannot bootstrap: the model is deeper than the chain`, {
            fix: 'use a bootstrapping preset such as N16_BOOT_DENSE (or, for measurements, fewer layers with --layers)',
          })
        : new HecError('HEC4203', `${op.name} on %${v.name} needs ${need} levels but a bootstrap of parameters '${p.paramsName}' delivers only ${p.lb}`, {
            fix: 'use a preset that leaves more levels after bootstrapping (e.g. N16_BOOT_DENSE)',
          });
    }
  }
  const ctLevels = operands.filter((v) => v.type.kind === 'ct').map((v) => v.type.level!);
  if (op.name !== 'ckks.return' && ctLevels.length > 1) {
    const target = Math.min(...ctLevels);
    operands = operands.map((v) => (v.type.kind === 'ct' && v.type.level! > target ? emitDrop(p, v, target, op.loc) : v));
  }
  const ctLevel = ctLevels.length > 0 ? Math.min(...ctLevels) : 0;
  operands = operands.map((v) => (v.type.kind === 'pt' ? encodeAt(p, v, ctLevel) : v));
  op.operands = operands;
  if (op.name !== 'ckks.return') {
    const types = opInfo(op.name).infer(op, operands.map((v) => v.type), { bootstrapOutputLevel: p.lb });
    types.forEach((t, i) => (op.results[i]!.type = t));
  }
  p.out.push(op);
  for (const r of op.results) applyEntryLevel(p, r, op.loc);
}

function placeReturn(p: Placer, ret: Op, stateLevels: Map<string, number>, outgoing: Map<string, number>): void {
  const names = ret.attrs.names as string[];
  ret.operands = ret.operands.map((v0, i) => {
    let v = current(p, v0);
    const target = stateLevels.get(names[i]!);
    if (target === undefined) return v;
    outgoing.set(names[i]!, v.type.level!);
    if (v.type.level! < target) v = emitBootstrap(p, v, ret.loc);
    return v.type.level! > target ? emitDrop(p, v, target, ret.loc) : v;
  });
  p.out.push(ret);
}

/** Place one function under the given decisions (in place); returns what the header records. */
export function placeFunc(func: Func, params: CkksParams, decisions: PlacementDecisions): { outgoing: Map<string, number>; bootstraps: number; drops: number } {
  const lb = params.bootstrapOutputLevel;
  const stateLevels = new Map<string, number>();
  for (const a of func.args) {
    let level = params.levels;
    if (a.attrs.role === 'state') {
      const name = a.attrs.state as string;
      level = decisions.stateLevels.get(name) ?? (lb >= 0 ? lb : params.levels);
      stateLevels.set(name, level);
    }
    a.value.type = withLevel(a.value.type, level);
  }
  const used = new Set<string>([...func.args.map((a) => a.value.name), ...func.ops.flatMap((o) => o.results.map((r) => r.name))]);
  const fresh = (hint: string) => {
    let n = hint;
    for (let k = 1; used.has(n); k++) n = `${hint}_${k}`;
    used.add(n);
    return n;
  };
  const p: Placer = { reserve: levelReserve(params), out: [], fresh, lb, paramsName: params.name, bootstrapped: new Map(), drops: new Map(), encodes: new Map(), encodeOps: new Map(), count: { bootstraps: 0, drops: 0 }, demand: levelDemand(func, levelReserve(params)), decisions, opIndex: 0 };
  const outgoing = new Map<string, number>();
  func.ops.forEach((op, i) => {
    p.opIndex = i;
    if (op.name === 'ckks.return') placeReturn(p, op, stateLevels, outgoing);
    else placeOp(p, op);
  });
  if (lb < 0 && p.count.bootstraps > 0) {
    throw new HecError('HEC4202', `the step needs ${p.count.bootstraps} bootstraps but parameters '${params.name}' cannot bootstrap`, {
      fix: 'use a bootstrapping preset such as N16_BOOT_DENSE, or a shallower model',
    });
  }
  func.ops = p.out;
  return { outgoing, bootstraps: p.count.bootstraps, drops: p.count.drops };
}

/** What placement did in one function (the plan header's `placement` entry). */
export type FuncPlacement = {
  bootstraps: number;
  level_drops: number;
  state_outgoing_levels: Record<string, number>;
  /** Set by level-aware-placement: what it chose and what the cost model predicts (ms per token) against greedy. */
  strategy?: string;
  state_levels?: Record<string, number>;
  predicted_ms?: number;
  greedy_predicted_ms?: number;
  greedy_bootstraps?: number;
  modules?: number;
  modules_solved?: number;
  cost_table?: string;
};
/** Placement per function name. */
export type PlacementSummary = Record<string, FuncPlacement>;

export const bootstrapPlacementPass: Pass<PlacementSummary> = {
  name: 'bootstrap-placement',
  summary: 'assign levels; insert level drops, per-level plaintext encodes and bootstraps where levels run out',
  description:
    'requires: poly-approx has run. ensures: every value has a level ≥ 0, binary ops have equal levels, state ' +
    'outputs leave at their entry level. Greedy: bootstrap an operand when an op needs more levels than it has.',
  options: [],
  run(module: Module, ctx: PassContext): PlacementSummary {
    const summary: PlacementSummary = {};
    for (const f of module.funcs) {
      const r = placeFunc(f, ctx.params, { stateLevels: ctx.stateLevels ?? new Map() });
      summary[f.name] = { bootstraps: r.bootstraps, level_drops: r.drops, state_outgoing_levels: Object.fromEntries(r.outgoing) };
    }
    return summary;
  },
};
