/**
 * @fileoverview Graph utilities over a Func's def-use relation: the only file of hec that touches @dagrejs/graphlib.
 *
 * Nodes are op indices (`"op:3"`) and function arguments (`"arg:x"`); an edge runs from a value's definition to each
 * op that uses it (one edge per pair, labelled with the value names carried). Used by the passes (topological order,
 * cycle reports) and by the executor (liveness: after which op a buffer can be freed).
 */
import { alg, Graph } from '@dagrejs/graphlib';
import { HecError } from './diagnostics.ts';
import type { Func, Module, Op, Value } from './module.ts';

const opNode = (i: number): string => `op:${i}`;
const argNode = (name: string): string => `arg:${name}`;

/** The def-use graph of `func`. Operands defined outside the function (a malformed Func) get no edge. */
export function defUseGraph(func: Func): Graph {
  const g = new Graph({ directed: true, multigraph: false });
  const defNode = new Map<Value, string>();
  for (const a of func.args) {
    const n = argNode(a.value.name);
    g.setNode(n, { kind: 'arg', value: a.value });
    defNode.set(a.value, n);
  }
  func.ops.forEach((op, i) => {
    g.setNode(opNode(i), { kind: 'op', op, index: i });
    for (const r of op.results) defNode.set(r, opNode(i));
  });
  func.ops.forEach((op, i) => {
    for (const v of op.operands) {
      const from = defNode.get(v);
      if (from === undefined) continue;
      const label = (g.edge(from, opNode(i)) as string[] | undefined) ?? [];
      if (!label.includes(v.name)) label.push(v.name);
      g.setEdge(from, opNode(i), label);
    }
  });
  return g;
}

/** Every cycle of the def-use graph, each as the value names along it (empty for a well-formed Func). */
export function findCycles(func: Func): string[][] {
  const g = defUseGraph(func);
  return alg.findCycles(g).map((cycle) =>
    cycle.map((n) => {
      const label = g.node(n) as { kind: string; op?: Op; value?: Value };
      return label.op !== undefined ? label.op.results.map((r) => `%${r.name}`).join(',') || label.op.name : `%${label.value!.name}`;
    }),
  );
}

/**
 * The ops of `func` in a topological order of the def-use graph that keeps program order wherever it may (a stable
 * Kahn order: among ready ops the earliest comes first), so a Func already in order comes back unchanged.
 * Throws HEC3020 naming the values on a cycle.
 */
export function topoOrder(func: Func): Op[] {
  const g = defUseGraph(func);
  const n = func.ops.length;
  const indeg = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    for (const p of g.predecessors(opNode(i)) ?? []) if (p.startsWith('op:')) indeg[i]!++;
  }
  const heap = new MinHeap();
  for (let i = 0; i < n; i++) if (indeg[i] === 0) heap.push(i);
  const out: Op[] = [];
  while (heap.size > 0) {
    const i = heap.pop();
    out.push(func.ops[i]!);
    for (const s of g.successors(opNode(i)) ?? []) {
      const j = Number(s.slice(3));
      if (--indeg[j]! === 0) heap.push(j);
    }
  }
  if (out.length < n) {
    const cycles = findCycles(func).map((c) => c.join(' → '));
    throw new HecError('HEC3020', `func @${func.name} has a def-use cycle: ${cycles.join('; ')}`, { fix: 'an op may only use values defined before it' });
  }
  return out;
}

/**
 * Liveness for buffer freeing: the index of the last op that uses each value. A value nobody uses maps to the index
 * of its defining op (free it right after), an unused argument to -1 (free it before the first op).
 */
export function lastUse(func: Func): Map<Value, number> {
  const last = new Map<Value, number>();
  for (const a of func.args) last.set(a.value, -1);
  func.ops.forEach((op, i) => {
    for (const v of op.operands) last.set(v, i);
    for (const r of op.results) if (!last.has(r)) last.set(r, i);
  });
  return last;
}

/** `freeAfter[i]`: the values whose last use is op i (free them once it ran); `freeAfter[-1]` is not used: see `unusedArgs`. */
export function freeSchedule(func: Func): { freeAfter: Value[][]; unusedArgs: Value[] } {
  const freeAfter: Value[][] = func.ops.map(() => []);
  const unusedArgs: Value[] = [];
  for (const [v, i] of lastUse(func)) {
    if (i < 0) unusedArgs.push(v);
    else freeAfter[i]!.push(v);
  }
  return { freeAfter, unusedArgs };
}

/** The largest number of values alive at once (after each op's results exist, before its dead operands are freed). */
export function peakLive(func: Func): number {
  const { freeAfter, unusedArgs } = freeSchedule(func);
  let live = func.args.length - unusedArgs.length;
  let peak = live;
  func.ops.forEach((op, i) => {
    live += op.results.length;
    peak = Math.max(peak, live);
    live -= freeAfter[i]!.length;
  });
  return peak;
}

/** Number of ops per op name in a Func or a whole Module, sorted by name. */
export function opCounts(f: Func | Module): Map<string, number> {
  const funcs = 'funcs' in f ? f.funcs : [f];
  const counts = new Map<string, number>();
  for (const fn of funcs) for (const op of fn.ops) counts.set(op.name, (counts.get(op.name) ?? 0) + 1);
  return new Map([...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/** Users of every value (ops that take it as an operand, in program order, once each). */
export function usersOf(func: Func): Map<Value, Op[]> {
  const users = new Map<Value, Op[]>();
  for (const a of func.args) users.set(a.value, []);
  for (const op of func.ops) for (const r of op.results) users.set(r, []);
  for (const op of func.ops) {
    for (const v of op.operands) {
      const list = users.get(v);
      if (list !== undefined && list[list.length - 1] !== op) list.push(op);
    }
  }
  return users;
}

class MinHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(x: number): void {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const x = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const c = l + 1 < a.length && a[l + 1]! < a[l]! ? l + 1 : l;
        if (a[c]! >= x) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = x;
    }
    return top;
  }
}
