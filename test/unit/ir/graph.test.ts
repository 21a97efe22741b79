import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import { defUseGraph, findCycles, freeSchedule, lastUse, opCounts, peakLive, topoOrder, usersOf } from '../../../ir/graph.ts';
import type { Func } from '../../../ir/module.ts';
import { parseModule } from '../../../ir/text/index.ts';
import { randomModule } from '../../helpers/random-module.ts';

const T = '!ct<level=?, scale=1, layout=#junk>';
const TEXT = `hec.module version = 1 {
  func @f(%x: ${T} {role = "input"}, %unused: ${T} {role = "input"}) {
    %a = ckks.negate %x : ${T}
    %b = ckks.add %a, %a : ${T}
    %c = ckks.negate %x : ${T}
    %dead = ckks.negate %c : ${T}
    %d = ckks.add %b, %c : ${T}
    ckks.return %d {names = ["y"]}
  }
}
`;
const func = (): Func => parseModule(TEXT).module.funcs[0]!;
const byName = (f: Func, n: string) => [...f.args.map((a) => a.value), ...f.ops.flatMap((o) => o.results)].find((v) => v.name === n)!;

describe('ir/graph', () => {
  it('builds the def-use graph with one edge per (definition, user) labelled by value', () => {
    const g = defUseGraph(func());
    expect(g.nodeCount()).toBe(2 + 6);
    expect(g.edge('op:0', 'op:1')).toEqual(['a']);
    expect(g.successors('arg:x')!.sort()).toEqual(['op:0', 'op:2']);
    expect(g.successors('arg:unused')).toEqual([]);
    expect(g.edgeCount()).toBe(7);
  });

  it('keeps program order when it is already topological, and repairs a shuffled func', () => {
    const f = func();
    expect(topoOrder(f)).toEqual(f.ops);
    const shuffled: Func = { ...f, ops: [f.ops[4]!, f.ops[3]!, f.ops[1]!, f.ops[2]!, f.ops[0]!, f.ops[5]!] };
    const order = topoOrder(shuffled).map((o) => o.results[0]?.name ?? 'ret');
    expect(order.indexOf('a')).toBeLessThan(order.indexOf('b'));
    expect(order.indexOf('c')).toBeLessThan(order.indexOf('dead'));
    expect(order.indexOf('b')).toBeLessThan(order.indexOf('d'));
    expect(order[order.length - 1]).toBe('ret');
  });

  it('reports a cycle by value names (HEC3020)', () => {
    const f = func();
    // Make %a use %b: a → b → a.
    f.ops[0]!.operands = [byName(f, 'b')];
    expect(findCycles(f).length).toBe(1);
    try {
      topoOrder(f);
      expect.unreachable();
    } catch (e) {
      expect((e as HecError).code).toBe('HEC3020');
      expect((e as HecError).message).toMatch(/%a|%b/);
    }
  });

  it('computes last uses for buffer freeing', () => {
    const f = func();
    const last = lastUse(f);
    expect(last.get(byName(f, 'x'))).toBe(2);
    expect(last.get(byName(f, 'unused'))).toBe(-1);
    expect(last.get(byName(f, 'a'))).toBe(1);
    expect(last.get(byName(f, 'c'))).toBe(4);
    expect(last.get(byName(f, 'dead'))).toBe(3);
    expect(last.get(byName(f, 'd'))).toBe(5);
    const { freeAfter, unusedArgs } = freeSchedule(f);
    expect(unusedArgs.map((v) => v.name)).toEqual(['unused']);
    expect(freeAfter.map((vs) => vs.map((v) => v.name).sort())).toEqual([[], ['a'], ['x'], ['dead'], ['b', 'c'], ['d']]);
    expect(peakLive(f)).toBe(3);
  });

  it('lists users and counts ops per name', () => {
    const f = func();
    expect(usersOf(f).get(byName(f, 'a'))!.length).toBe(1);
    expect(usersOf(f).get(byName(f, 'x'))!.length).toBe(2);
    expect([...opCounts(f)]).toEqual([
      ['ckks.add', 2],
      ['ckks.negate', 3],
      ['ckks.return', 1],
    ]);
  });

  it('every random module is already in topological order and frees every value exactly once', () => {
    for (let seed = 1; seed <= 50; seed++) {
      for (const f of randomModule(seed).funcs) {
        expect(topoOrder(f)).toEqual(f.ops);
        const { freeAfter, unusedArgs } = freeSchedule(f);
        const freed = freeAfter.flat().length + unusedArgs.length;
        expect(freed).toBe(f.args.length + f.ops.reduce((s, o) => s + o.results.length, 0));
      }
    }
  });
});
