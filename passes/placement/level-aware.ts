/**
 * @fileoverview level-aware bootstrap placement (Cachemir §6, Equation 1; ../shared/CACHEMIR-NOTES.md §7): choose
 * where to bootstrap and to which level by a shortest path over (module, input level), minimising the cost model's
 * predicted time per token.
 *
 * - Modules: the decode step is cut at its residual-stream values (`embed`, `l<i>_resid_attn`, `l<i>_out`, names the
 *   lowering gives them), so a module is an attention block or an FFN block (each with its residual add), then the
 *   final norm and LM head. Each module reads only the chain value entering it (and arguments); otherwise the whole
 *   step is one module.
 * - Inside a module the walk of passes/bootstrap-placement.ts runs under the module's decisions: the slack of its
 *   bootstraps (bootstrap to need + slack instead of the full output level: the bootstraps inside softmax, norms and
 *   SiLU are choices) and, for attention, the stored level of its K and of its V cache (decision variables: the
 *   writer must deliver them and later steps read them there). The residual, the V path past Q·Kᵀ and softmax, and
 *   SwiGLU's up branch are the "augmented" edges: where they meet their partner the walk drops the higher side or
 *   bootstraps the lower, and that price is part of the module's cost for each choice.
 * - Level graph: vertex (module i, chain level x). Module i entered at x leaves at o with cost t_i(x, o) (the best
 *   over its choices, from passes/placement/level-sim.ts priced by passes/cost); the edge to (i + 1, y) costs
 *   t_i(x, o) + 𝟙{y > o}·t_boot(o) (+ a drop). Pruned as in the paper: besides y = o, only a chain value at its
 *   last usable level bootstraps (to any y); `prune: false` searches every (o, y).
 * - Identical modules (the same ops, levels and prices: repeated decoder layers) are solved once and reused.
 */
import type { Func } from '../../ir/module.ts';
import type { CkksParams } from '../../ir/params.ts';
import type { PlacementDecisions } from '../bootstrap-placement.ts';
import type { CostTable } from '../cost/table.ts';
import { compileLevelProgram, simulateRange, type LevelProgram, type SimDecisions, type SimResult } from './level-sim.ts';

const CHAIN = /^(embed|l\d+_resid_attn|l\d+_out)$/;

interface Module {
  from: number;
  to: number;
  /** Chain value entering (id), or -1 for the first module. */
  input: number;
  /** Chain value leaving (id), or -1 for the last module. */
  output: number;
  /** State names by cache kind (K states, V states), each group sharing one stored level. */
  stateGroups: string[][];
  signature: string;
}

interface Choice {
  ms: number;
  bootstraps: number;
  slack: number;
  stateLevels: number[];
}

export interface LevelAwareResult {
  decisions: PlacementDecisions;
  /** Predicted ms per token and bootstraps of the chosen placement (by the replay). */
  ms: number;
  bootstraps: number;
  modules: number;
  /** Distinct module shapes actually solved (the rest reused a solved one). */
  solved: number;
  /** Chain level entering each module, and each module's choices (for the plan header). */
  path: { module: number; entry: number; slack: number; state_levels: Record<string, number> }[];
}

function splitModules(prog: LevelProgram, func: Func): Module[] {
  const cuts: { op: number; value: number }[] = [];
  func.ops.forEach((op, i) => {
    for (const r of op.results) if (CHAIN.test(r.name)) cuts.push({ op: i, value: prog.ids.get(r.name)! });
  });
  const whole = (): Module[] => [{ from: 0, to: func.ops.length, input: -1, output: -1, stateGroups: stateGroups(prog, 0, func.ops.length), signature: '' }];
  if (cuts.length === 0) return whole();
  const mods: Module[] = [];
  let from = 0;
  let input = -1;
  for (const c of [...cuts, { op: func.ops.length - 1, value: -1 }]) {
    mods.push({ from, to: c.op + 1, input, output: c.value, stateGroups: stateGroups(prog, from, c.op + 1), signature: '' });
    from = c.op + 1;
    input = c.value;
  }
  // Independence: a module reads only its chain input, arguments and its own values.
  const defined = new Int32Array(prog.names.length).fill(-1);
  mods.forEach((m, k) => {
    for (let i = m.from; i < m.to; i++) for (const r of prog.ops[i]!.results) defined[r] = k;
  });
  for (const [k, m] of mods.entries()) {
    for (let i = m.from; i < m.to; i++) {
      const op = prog.ops[i]!;
      if (op.kind === 1) continue;
      for (const v of op.ct) if (defined[v]! >= 0 && defined[v] !== k && v !== m.input) return whole();
    }
  }
  for (const m of mods) m.signature = signature(prog, m);
  return mods;
}

/** State outputs defined in [from, to), grouped by cache kind: `kv.l<i>.k.*` and `kv.l<i>.v.*` (else one group each). */
function stateGroups(prog: LevelProgram, from: number, to: number): string[][] {
  const groups = new Map<string, string[]>();
  for (const [v, name] of prog.stateOut) {
    let defined = false;
    for (let i = from; i < to && !defined; i++) defined = prog.ops[i]!.results.includes(v);
    if (!defined) continue;
    const key = /^kv\.l\d+\.([kv])\./.exec(name)?.[1] ?? name;
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  return [...groups.values()];
}

/** Two modules with equal signatures have the same ops, wiring (relative ids), needs and prices. */
function signature(prog: LevelProgram, m: Module): string {
  const parts: string[] = [];
  for (let i = m.from; i < m.to; i++) {
    const op = prog.ops[i]!;
    const rel = (v: number): string => (v === m.input ? 'in' : prog.stateArg[v] !== undefined ? 's' : String(v - (prog.ops[m.from]!.results[0] ?? 0)));
    parts.push(`${op.kind}:${op.ct.map(rel).join(',')}:${op.pt.map(rel).join(',')}:${op.need}:${op.consume}:${priceKey(op.ms)}`);
  }
  parts.push(m.stateGroups.map((g) => g.length).join(','));
  return parts.join('|');
}

/** Ops share a price array exactly when they are priced alike (level-sim prices each kind once). */
const priceKeys = new WeakMap<Float64Array, number>();
function priceKey(ms: Float64Array): number {
  let k = priceKeys.get(ms);
  if (k === undefined) priceKeys.set(ms, (k = Array.from(ms).reduce((h, x) => (h * 31 + Math.round(x * 1e4)) % 2147483647, 7)));
  return k;
}

function* product(choices: number[][]): Generator<number[]> {
  if (choices.length === 0) {
    yield [];
    return;
  }
  const [first, ...rest] = choices;
  for (const x of first!) for (const tail of product(rest)) yield [x, ...tail];
}

/**
 * Best choice per output level for module m entered at chain level x. Slack is searched exhaustively; the stored
 * levels of the cache groups (K, V) one group at a time with the others fixed (their costs barely interact: K is
 * read by Q·Kᵀ, V by the probabilities × V), twice round, which reaches the joint optimum on the models tested
 * (test/unit/passes/level-aware.test.ts compares with the joint search). Pruning is not exact here (modules also
 * bootstrap inside, unlike the paper's): the test bounds its loss at 0.1% (tiny-gqa: 0.03%).
 */
function solveModule(prog: LevelProgram, m: Module, x: number, stateCandidates: number[], joint = false): Map<number, Choice> {
  const best = new Map<number, Choice>();
  const slacks = Array.from({ length: Math.max(1, prog.lb) }, (_, k) => k);
  const entry = new Map(m.input >= 0 ? [[m.input, x]] : []);
  const run = (slack: number, levels: number[]): number => {
    const byName = new Map<string, number>();
    m.stateGroups.forEach((g, k) => g.forEach((n) => byName.set(n, levels[k]!)));
    const r = simulateRange(prog, m.from, m.to, { slack, stateLevels: (n) => byName.get(n) ?? prog.lb, entry });
    if (!r.feasible) return Infinity;
    const o = m.output >= 0 ? r.levelOf(m.output) : 0;
    const prev = best.get(o);
    if (prev === undefined || r.ms < prev.ms - 1e-9 || (Math.abs(r.ms - prev.ms) <= 1e-9 && r.bootstraps < prev.bootstraps)) best.set(o, { ms: r.ms, bootstraps: r.bootstraps, slack, stateLevels: [...levels] });
    return r.ms;
  };
  for (const slack of slacks) {
    if (joint || m.stateGroups.length <= 1) {
      for (const levels of product(m.stateGroups.map(() => stateCandidates))) run(slack, levels);
      continue;
    }
    const levels = m.stateGroups.map(() => prog.lb);
    for (let round = 0; round < 2; round++) {
      for (let g = 0; g < levels.length; g++) {
        let bestMs = Infinity;
        let bestLevel = levels[g]!;
        for (const c of stateCandidates) {
          levels[g] = c;
          const ms = run(slack, levels);
          if (ms < bestMs) [bestMs, bestLevel] = [ms, c];
        }
        levels[g] = bestLevel;
      }
    }
  }
  return best;
}

interface Edge {
  to: number;
  ms: number;
  bootstraps: number;
}

/**
 * Boundary edges from chain level o (Equation 1's indicator term). Pruned (after Cachemir): keep the level (y = o),
 * drop it (y < o: cheaper ops downstream, a drop costs almost nothing), or bootstrap only a chain value at its last
 * usable level (to any y). Unpruned: also bootstrap from any o to any y > o.
 */
function edges(prog: LevelProgram, o: number, prune: boolean): Edge[] {
  const out: Edge[] = [{ to: o, ms: 0, bootstraps: 0 }];
  for (let y = prog.reserve; y < o; y++) out.push({ to: y, ms: prog.dropMs[o]!, bootstraps: 0 });
  if (prune && o > prog.reserve) return out;
  for (let y = Math.max(prog.reserve, o + 1); y <= prog.lb; y++) {
    out.push({ to: y, ms: prog.bootMs[Math.max(0, o)]! + (y < prog.lb ? prog.dropMs[prog.lb]! : 0), bootstraps: 1 });
  }
  return out;
}

export interface LevelAwareOptions {
  /** Cachemir's pruning rule (default true); false searches every boundary edge. */
  prune?: boolean;
  /** Search the cache groups' stored levels jointly instead of one group at a time (slower; for tests). */
  jointStates?: boolean;
}

/** The parameters cannot carry the function at any placement (the walk of greedy placement names the cause). */
export class NoFeasiblePlacement extends Error {
  constructor() {
    super('internal error: level-aware placement found no feasible path');
  }
}

export function solveLevelAware(func: Func, params: CkksParams, table: CostTable, opts: LevelAwareOptions = {}): LevelAwareResult {
  const prune = opts.prune ?? true;
  const prog = compileLevelProgram(func, params, table);
  const mods = splitModules(prog, func);
  const stateCandidates = Array.from({ length: Math.max(0, prog.lb - prog.reserve) }, (_, k) => prog.reserve + 1 + k);
  const solvedBySig = new Map<string, Map<number, Map<number, Choice>>>();
  const tableFor = (m: Module, x: number): Map<number, Choice> => {
    let perEntry = solvedBySig.get(m.signature);
    if (perEntry === undefined) solvedBySig.set(m.signature, (perEntry = new Map()));
    let t = perEntry.get(x);
    if (t === undefined) perEntry.set(x, (t = solveModule(prog, m, x, stateCandidates.length > 0 ? stateCandidates : [prog.lb], opts.jointStates === true)));
    return t;
  };
  // Forward DP over (module, entry level); back-pointers to rebuild the path.
  type Node = { ms: number; bootstraps: number; back: { entry: number; choice: Choice; exit: number; edge: Edge } | null };
  let frontier = new Map<number, Node>([[mods[0]!.input >= 0 ? params.levels : -1, { ms: 0, bootstraps: 0, back: null }]]);
  const layers: Map<number, Node>[] = [];
  for (const [k, m] of mods.entries()) {
    layers.push(frontier);
    const next = new Map<number, Node>();
    for (const [x, node] of frontier) {
      for (const [o, choice] of tableFor(m, x)) {
        const outs = k === mods.length - 1 ? [{ to: o, ms: 0, bootstraps: 0 }] : edges(prog, o, prune);
        for (const e of outs) {
          const ms = node.ms + choice.ms + e.ms;
          const bootstraps = node.bootstraps + choice.bootstraps + e.bootstraps;
          const prev = next.get(e.to);
          if (prev === undefined || ms < prev.ms - 1e-9 || (Math.abs(ms - prev.ms) <= 1e-9 && bootstraps < prev.bootstraps)) {
            next.set(e.to, { ms, bootstraps, back: { entry: x, choice, exit: o, edge: e } });
          }
        }
      }
    }
    frontier = next;
  }
  let endLevel = -2;
  let end: Node | undefined;
  for (const [y, n] of frontier) if (end === undefined || n.ms < end.ms) [endLevel, end] = [y, n];
  if (end === undefined) throw new NoFeasiblePlacement();
  // Walk back: module k's node at its exit level holds its choice and entry level.
  const slackAt = new Int32Array(func.ops.length).fill(prog.lb);
  const stateLevels = new Map<string, number>();
  const entryLevels = new Map<string, number>();
  const path: LevelAwareResult['path'] = [];
  let level = endLevel;
  for (let k = mods.length - 1; k >= 0; k--) {
    const node = k === mods.length - 1 ? end : layers[k + 1]!.get(level)!;
    const back = node.back!;
    const m = mods[k]!;
    for (let i = m.from; i < m.to; i++) slackAt[i] = back.choice.slack;
    const st: Record<string, number> = {};
    m.stateGroups.forEach((g, j) => g.forEach((n) => {
      stateLevels.set(n, back.choice.stateLevels[j]!);
      st[n] = back.choice.stateLevels[j]!;
    }));
    if (m.output >= 0 && back.edge.to !== back.exit) entryLevels.set(prog.names[m.output]!, back.edge.to);
    path.unshift({ module: k, entry: back.entry, slack: back.choice.slack, state_levels: st });
    level = back.entry;
  }
  return {
    decisions: { stateLevels, slack: (i) => slackAt[i] ?? prog.lb, entryLevels },
    ms: end.ms,
    bootstraps: end.bootstraps,
    modules: mods.length,
    solved: solvedBySig.size,
    path,
  };
}

/**
 * Greedy's decisions and price on the replay: full-level bootstraps, no chain refreshes, KV-cache levels iterated to
 * the fixed point the driver's greedy loop reaches (stored where the writer delivers them, at least one level above
 * the reserve).
 */
export function greedyReplay(func: Func, params: CkksParams, table: CostTable): { decisions: PlacementDecisions; ms: number; bootstraps: number } {
  const prog = compileLevelProgram(func, params, table);
  const levels = new Map<string, number>();
  const run = (used: Map<string, number>): SimResult => simulateRange(prog, 0, prog.ops.length, { stateLevels: (n) => used.get(n) ?? prog.lb, entry: new Map() });
  let used = new Map<string, number>();
  let r = run(used);
  for (let round = 1; round <= 4; round++) {
    let changed = false;
    for (const [name, out] of r.outgoing) {
      const want = Math.max(1 + prog.reserve, out);
      if (levels.get(name) !== want) {
        levels.set(name, want);
        changed = true;
      }
    }
    if (!changed || round === 4) break;
    used = new Map(levels);
    r = run(used);
  }
  return { decisions: { stateLevels: used }, ms: r.ms, bootstraps: r.bootstraps };
}
