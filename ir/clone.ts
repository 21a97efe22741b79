/**
 * @fileoverview Deep copy of a module (values re-linked), for passes that are re-run from a saved state.
 */
import type { Func, Module, Op, Value } from './module.ts';
import type { Attr, AttrDict, Type } from './types.ts';

function cloneAttr(a: Attr): Attr {
  if (Array.isArray(a)) return a.map(cloneAttr);
  if (typeof a === 'object') return cloneDict(a);
  return a;
}
function cloneDict(d: AttrDict): AttrDict {
  const out: AttrDict = {};
  for (const [k, v] of Object.entries(d)) out[k] = cloneAttr(v);
  return out;
}
function cloneType(t: Type): Type {
  return { ...t, layout: { ...t.layout } } as Type;
}

export function cloneFunc(f: Func): Func {
  const map = new Map<Value, Value>();
  const args = f.args.map((a) => {
    const v: Value = { name: a.value.name, type: cloneType(a.value.type), def: null };
    map.set(a.value, v);
    return { value: v, attrs: cloneDict(a.attrs) };
  });
  const ops = f.ops.map((op) => {
    const n: Op = { name: op.name, operands: op.operands.map((v) => map.get(v)!), results: [], attrs: cloneDict(op.attrs), loc: op.loc };
    n.results = op.results.map((r) => {
      const v: Value = { name: r.name, type: cloneType(r.type), def: n };
      map.set(r, v);
      return v;
    });
    return n;
  });
  return { name: f.name, args, ops };
}

export function cloneModule(m: Module): Module {
  return { version: m.version, attrs: cloneDict(m.attrs), funcs: m.funcs.map(cloneFunc) };
}
