/**
 * @fileoverview The CST visitor that turns a parse tree into a Module: it resolves `%names` to Value objects
 * (definition before use, no redefinition), reads types and layouts (through layoutFromFields), attribute values and
 * locations, and checks what the grammar cannot (integers, scales, lowercase op names, the version).
 */
import type { CstNode, IToken } from 'chevrotain';
import { layoutFromFields, type Layout } from '../layout.ts';
import type { Func, FuncArg, Module, Op, Value } from '../module.ts';
import type { Attr, AttrDict, Type } from '../types.ts';
import { atPosition, posOf, SUPPORTED_VERSIONS, syntaxError, SyntaxCodes as C } from './errors.ts';
import { hirParser } from './parser.ts';

type Children = Record<string, (CstNode | IToken)[] | undefined>;

const OP_NAME = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;
/** Groups: kind, level, scale, size, layout kind, layout fields (the TypeLit token's pattern). */
const TYPE_RE = /^!(ct|pt)<level=(\?|-?\d+), scale=(\d+)(?:, size=(\d+))?, layout=#([A-Za-z_][A-Za-z0-9_]*)(?:<([^>]*)>)?>$/;
const BaseVisitor = hirParser.getBaseCstVisitorConstructor();

function toks(ctx: Children, key: string): IToken[] {
  return (ctx[key] as IToken[] | undefined) ?? [];
}
function nodes(ctx: Children, key: string): CstNode[] {
  return (ctx[key] as CstNode[] | undefined) ?? [];
}
function tok(ctx: Children, key: string): IToken {
  return (ctx[key] as IToken[])[0]!;
}

export interface ToIrResult {
  module: Module;
  header: 'hec.module' | 'hec.plan';
}

export class ToIrVisitor extends BaseVisitor {
  /** Values of the function being read, by name. */
  private scope = new Map<string, Value>();
  /** Where each value of the function being read was defined (for duplicate reports). */
  private defAt = new Map<string, IToken>();
  private opsOfFunc: CstNode[] = [];
  /** Canonical type text → its (validated) type, copied for each value. */
  private readonly typeCache = new Map<string, Type>();

  constructor(private readonly file: string) {
    super();
    this.validateVisitor();
  }

  private fail(code: string, at: IToken, message: string, fix?: string): never {
    syntaxError(code, this.file, posOf(at), message, fix);
  }

  private integer(t: IToken, what: string): number {
    const v = Number(t.image);
    if (!Number.isInteger(v)) this.fail(C.badNumber, t, `${what} must be an integer, found '${t.image}'`);
    return v;
  }

  private string(t: IToken): string {
    try {
      return JSON.parse(t.image) as string;
    } catch {
      this.fail(C.badNumber, t, `malformed string ${t.image}`);
    }
  }

  module(ctx: Children): ToIrResult {
    const header = tok(ctx, 'header').image as 'hec.module' | 'hec.plan';
    const vt = tok(ctx, 'version');
    const version = Number(vt.image);
    if (!SUPPORTED_VERSIONS.includes(Math.trunc(version)) || !Number.isInteger(version)) {
      this.fail(C.version, vt, `unsupported IR version ${vt.image}; this hec reads version ${SUPPORTED_VERSIONS.join(', ')}`, 'regenerate the file with this version of hec');
    }
    const dict = nodes(ctx, 'attrDict')[0];
    const attrs: AttrDict = dict ? (this.visit(dict) as AttrDict) : {};
    const funcs: Func[] = [];
    const seen = new Set<string>();
    for (const fnode of nodes(ctx, 'func')) {
      const f = this.visit(fnode) as Func;
      if (seen.has(f.name)) this.fail(C.duplicate, (fnode.children.FuncId as IToken[])[0]!, `function @${f.name} is defined twice`);
      seen.add(f.name);
      funcs.push(f);
    }
    return { module: { version, attrs, funcs }, header };
  }

  private define(t: IToken, type: Type, def: Op | null): Value {
    const name = t.image.slice(1);
    const prev = this.defAt.get(name);
    if (prev !== undefined) this.fail(C.duplicate, t, `value %${name} is already defined at ${this.file}:${prev.startLine}:${prev.startColumn}`);
    const v: Value = { name, type, def };
    this.scope.set(name, v);
    this.defAt.set(name, t);
    return v;
  }

  private use(t: IToken): Value {
    const name = t.image.slice(1);
    const v = this.scope.get(name);
    if (v !== undefined) return v;
    for (const o of this.opsOfFunc) {
      for (const r of toks(o.children, 'result')) {
        if (r.image === t.image && (r.startOffset ?? 0) > (t.startOffset ?? 0)) {
          this.fail(C.undefinedValue, t, `value %${name} is used before its definition at ${this.file}:${r.startLine}:${r.startColumn}`, 'define every value before its first use');
        }
      }
    }
    this.fail(C.undefinedValue, t, `use of undefined value %${name}`);
  }

  func(ctx: Children): Func {
    this.scope = new Map();
    this.defAt = new Map();
    this.opsOfFunc = nodes(ctx, 'op');
    const name = tok(ctx, 'FuncId').image.slice(1);
    const args = nodes(ctx, 'arg').map((a) => this.visit(a) as FuncArg);
    const ops = this.opsOfFunc.map((o) => this.visit(o) as Op);
    this.opsOfFunc = [];
    return { name, args, ops };
  }

  arg(ctx: Children): FuncArg {
    const type = this.visit(nodes(ctx, 'type')[0]!) as Type;
    const value = this.define(tok(ctx, 'ValueId'), type, null);
    const dict = nodes(ctx, 'attrDict')[0];
    return { value, attrs: dict ? (this.visit(dict) as AttrDict) : {} };
  }

  op(ctx: Children): Op {
    const nameTok = tok(ctx, 'name');
    if (!OP_NAME.test(nameTok.image)) {
      this.fail(C.opName, nameTok, `op name '${nameTok.image}' must be dialect.name in lowercase (e.g. ckks.add)`);
    }
    const operands = toks(ctx, 'operand').map((t) => this.use(t));
    const dict = nodes(ctx, 'attrDict')[0];
    const attrs: AttrDict = dict ? (this.visit(dict) as AttrDict) : {};
    const resultToks = toks(ctx, 'result');
    const typeNodes = nodes(ctx, 'type');
    if (resultToks.length !== typeNodes.length) {
      this.fail(C.resultCount, nameTok, `${nameTok.image} names ${resultToks.length} result(s) but gives ${typeNodes.length} result type(s)`);
    }
    const op: Op = { name: nameTok.image, operands, results: [], attrs };
    for (let i = 0; i < resultToks.length; i++) op.results.push(this.define(resultToks[i]!, this.visit(typeNodes[i]!) as Type, op));
    const loc = toks(ctx, 'loc')[0];
    if (loc !== undefined) op.loc = this.string(loc);
    return op;
  }

  type(ctx: Children): Type {
    const whole = toks(ctx, 'whole')[0];
    if (whole === undefined) return this.visit(nodes(ctx, 'spelledType')[0]!) as Type;
    let t = this.typeCache.get(whole.image);
    if (t === undefined) {
      t = this.wholeType(whole);
      this.typeCache.set(whole.image, t);
    }
    // A fresh object per value: passes may rewrite one value's type in place.
    return { ...t, layout: { ...t.layout } };
  }

  /** Read a canonical type token (see TypeLit); `at(field)` points errors at the field inside it. */
  private wholeType(w: IToken): Type {
    const m = TYPE_RE.exec(w.image)!;
    const at = (field: string): IToken => ({ ...w, startColumn: (w.startColumn ?? 0) + Math.max(0, w.image.indexOf(field)) });
    const fields: Record<string, number> = {};
    for (const kv of m[6] === undefined ? [] : m[6].split(',')) {
      const [k, v] = kv.split('=') as [string, string];
      if (Object.hasOwn(fields, k)) this.fail(C.duplicateKey, at(kv), `layout field '${k}' given twice`);
      fields[k] = Number(v);
    }
    const kindTok = at('#');
    return this.makeType(m[1]!, { ...at('level='), image: m[2]! }, { ...at('scale='), image: m[3]! }, m[4] === undefined ? undefined : { ...at('size='), image: m[4] }, () => {
      try {
        return layoutFromFields(m[5]!, fields);
      } catch (e) {
        atPosition(e, this.file, posOf(kindTok));
      }
    });
  }

  spelledType(ctx: Children): Type {
    return this.makeType(tok(ctx, 'kind').image.slice(1), tok(ctx, 'level'), tok(ctx, 'scale'), toks(ctx, 'size')[0], () => this.layout(ctx));
  }

  private makeType(kindName: string, lt: IToken, st: IToken, sz: IToken | undefined, layoutOf: () => Layout): Type {
    const kind = kindName === 'ct' ? 'ct' : 'pt';
    const level = lt.image === '?' ? null : this.integer(lt, 'level');
    if (st.image !== '1' && st.image !== '2') this.fail(C.badType, st, `scale must be 1 or 2 (powers of Δ), found ${st.image}`);
    const scale = st.image === '1' ? 1 : 2;
    let size: 2 | 3 = 2;
    if (sz !== undefined) {
      if (kind === 'pt') this.fail(C.badType, sz, 'a plaintext type has no size');
      if (sz.image !== '2' && sz.image !== '3') this.fail(C.badType, sz, `size must be 2 or 3, found ${sz.image}`);
      size = sz.image === '3' ? 3 : 2;
    }
    const layout = layoutOf();
    return kind === 'ct' ? { kind, level, scale, layout, size } : { kind, level, scale, layout };
  }

  private layout(ctx: Children): Layout {
    const kt = tok(ctx, 'layoutKind');
    const keys = toks(ctx, 'fieldKey');
    const vals = toks(ctx, 'fieldValue');
    const fields: Record<string, number> = {};
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if (Object.hasOwn(fields, k.image)) this.fail(C.duplicateKey, k, `layout field '${k.image}' given twice`);
      fields[k.image] = this.integer(vals[i]!, `layout field '${k.image}'`);
    }
    try {
      return layoutFromFields(kt.image.slice(1), fields);
    } catch (e) {
      atPosition(e, this.file, posOf(kt));
    }
  }

  attrDict(ctx: Children): AttrDict {
    const keys = toks(ctx, 'key');
    const values = nodes(ctx, 'value');
    const out: AttrDict = {};
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const key = k.image.startsWith('"') ? this.string(k) : k.image;
      if (Object.hasOwn(out, key)) this.fail(C.duplicateKey, k, `attribute '${key}' given twice`);
      const v = this.visit(values[i]!) as Attr;
      if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
    }
    return out;
  }

  attrValue(ctx: Children): Attr {
    const s = toks(ctx, 'scalar')[0];
    if (s === undefined) {
      const arr = nodes(ctx, 'array')[0];
      return this.visit(arr ?? nodes(ctx, 'attrDict')[0]!) as Attr;
    }
    switch (s.image) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'nan':
        return NaN;
      case 'inf':
        return Infinity;
      case '-inf':
        return -Infinity;
    }
    if (s.image.startsWith('"')) return this.string(s);
    return Number(s.image);
  }

  array(ctx: Children): Attr[] {
    return nodes(ctx, 'item').map((n) => this.visit(n) as Attr);
  }
}
