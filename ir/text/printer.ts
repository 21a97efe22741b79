/**
 * @fileoverview The canonical printer of the HE IR text (one printer for modules and plans).
 *
 * Canonical form: one op per line with its result types; attributes sorted by key; numbers in JavaScript's
 * shortest round-trip decimal (`nan`, `inf`, `-inf` as keywords, `-0` kept); strings JSON-quoted; two-space indent.
 * `parse(print(m))` gives back `m`, and `print(parse(text)) === text` for canonical text (test/unit/ir/text).
 *
 *   hec.module version = 1 attributes {slots = 8} {
 *     func @step(%x: !ct<level=3, scale=1, layout=#rep<n=4,period=4>> {role = "input"}) {
 *       %0 = ckks.rotate %x {offset = 1} : !ct<level=3, scale=1, layout=#junk>
 *       ckks.return %0 {names = ["y"]}
 *     }
 *   }
 */
import { printLayout } from '../layout.ts';
import type { Func, Module, Op } from '../module.ts';
import type { Attr, AttrDict, Type } from '../types.ts';

export interface PrintOptions {
  /** Append `loc("…")` to ops that carry a location. */
  printLocs?: boolean;
}

export function printNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

export function printAttr(a: Attr): string {
  if (typeof a === 'number') return printNumber(a);
  if (typeof a === 'string') return JSON.stringify(a);
  if (typeof a === 'boolean') return a ? 'true' : 'false';
  if (Array.isArray(a)) return `[${a.map(printAttr).join(', ')}]`;
  return printAttrDict(a);
}

export function printAttrDict(d: AttrDict): string {
  const keys = Object.keys(d).sort();
  // Keys that are not identifiers are JSON-quoted so that the text parses back.
  return `{${keys.map((k) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : JSON.stringify(k)} = ${printAttr(d[k]!)}`).join(', ')}}`;
}

export function printType(t: Type): string {
  const level = t.level === null ? '?' : String(t.level);
  const size = t.kind === 'ct' && t.size === 3 ? ', size=3' : '';
  return `!${t.kind}<level=${level}, scale=${t.scale}${size}, layout=${printLayout(t.layout)}>`;
}

export function printOp(op: Op, opts: PrintOptions = {}): string {
  let s = '';
  if (op.results.length > 0) s += `${op.results.map((r) => `%${r.name}`).join(', ')} = `;
  s += op.name;
  if (op.operands.length > 0) s += ` ${op.operands.map((v) => `%${v.name}`).join(', ')}`;
  if (Object.keys(op.attrs).length > 0) s += ` ${printAttrDict(op.attrs)}`;
  if (op.results.length > 0) s += ` : ${op.results.map((r) => printType(r.type)).join(', ')}`;
  if (opts.printLocs && op.loc !== undefined) s += ` loc(${JSON.stringify(op.loc)})`;
  return s;
}

export function printFunc(f: Func, opts: PrintOptions = {}): string {
  const args = f.args.map((a) => {
    const attrs = Object.keys(a.attrs).length > 0 ? ` ${printAttrDict(a.attrs)}` : '';
    return `%${a.value.name}: ${printType(a.value.type)}${attrs}`;
  });
  const lines = [`  func @${f.name}(${args.join(', ')}) {`];
  for (const op of f.ops) lines.push(`    ${printOp(op, opts)}`);
  lines.push('  }');
  return lines.join('\n');
}

/** Print a module; `header` is `hec.module` for IR files and `hec.plan` for execution plans. */
export function printModule(m: Module, opts: PrintOptions & { header?: 'hec.module' | 'hec.plan' } = {}): string {
  const header = opts.header ?? 'hec.module';
  const attrs = Object.keys(m.attrs).length > 0 ? ` attributes ${printAttrDict(m.attrs)}` : '';
  const parts = [`${header} version = ${m.version}${attrs} {`];
  for (const f of m.funcs) parts.push(printFunc(f, opts));
  parts.push('}');
  return `${parts.join('\n')}\n`;
}
