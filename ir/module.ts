/**
 * @fileoverview The HE IR in memory: a Module holds Funcs; a Func holds a flat list of Ops in SSA form.
 *
 * Decoding steps are straight-line code (the KV cache's size is fixed by the plan's capacity), so there are no
 * regions or blocks: a Func is its arguments, its ops in program order and a `ckks.return`.
 * Function arguments carry attributes: `role = "input"` (encrypted by the client each step) or `role = "state"`
 * with `state = "<name>"` (server-held ciphertexts carried between steps, e.g. the KV cache); the return's
 * `names` attribute names each result, and a result whose name equals a state argument's name is that state's
 * next value.
 */
import type { Attr, AttrDict, Type } from './types.ts';

export interface Value {
  /** SSA name without the `%`. Unique within a Func. */
  name: string;
  type: Type;
  /** Defining op, or null for a function argument. */
  def: Op | null;
}

export interface Op {
  name: string;
  operands: Value[];
  results: Value[];
  attrs: AttrDict;
  /** Origin, e.g. `onnx:/model/layers.0/self_attn/MatMul` — printed with --print-locs. */
  loc?: string;
}

export interface FuncArg {
  value: Value;
  attrs: AttrDict;
}

export interface Func {
  name: string;
  args: FuncArg[];
  ops: Op[];
}

export interface Module {
  version: number;
  attrs: AttrDict;
  funcs: Func[];
}

export const IR_VERSION = 1;

/** Make a fresh name generator that never repeats names already used in `func`. */
export function nameAllocator(func?: Func): (hint?: string) => string {
  const used = new Set<string>();
  if (func) {
    for (const a of func.args) used.add(a.value.name);
    for (const op of func.ops) for (const r of op.results) used.add(r.name);
  }
  let counter = 0;
  return (hint?: string) => {
    if (hint !== undefined) {
      const base = sanitizeName(hint);
      if (!used.has(base)) {
        used.add(base);
        return base;
      }
      let k = 1;
      while (used.has(`${base}_${k}`)) k++;
      used.add(`${base}_${k}`);
      return `${base}_${k}`;
    }
    while (used.has(String(counter))) counter++;
    used.add(String(counter));
    return String(counter++);
  };
}

/** Value names are [A-Za-z0-9_.]+; anything else becomes `_`. */
export function sanitizeName(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_.]/g, '_');
  return t.length > 0 ? t : '_';
}

export function attrNumber(op: Op, key: string): number {
  const v = op.attrs[key];
  if (typeof v !== 'number') throw new Error(`internal error: ${op.name} attribute '${key}' is not a number`);
  return v;
}

export function attrOf(op: Op, key: string): Attr | undefined {
  return op.attrs[key];
}

/** The return op of a function (always its last op). */
export function returnOp(func: Func): Op {
  const last = func.ops[func.ops.length - 1];
  if (last === undefined || last.name !== 'ckks.return') throw new Error(`internal error: func @${func.name} has no ckks.return`);
  return last;
}
