import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import type { Module, Op } from '../../../ir/module.ts';
import { OP_REGISTRY } from '../../../ir/ops.ts';
import { parseModule, printModule, printOp } from '../../../ir/text/index.ts';
import { verifyModule } from '../../../ir/verify.ts';
import { moduleShape, randomModule, RANDOM_CTX } from '../../helpers/random-module.ts';

const GOLDEN = join(import.meta.dirname, '../../golden/ir');

function stripComments(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('//'))
    .join('\n');
}

function parseError(text: string, file = 't.hir'): HecError {
  try {
    parseModule(text, file);
  } catch (e) {
    if (e instanceof HecError) return e;
    throw e;
  }
  throw new Error('expected a parse error');
}

describe('golden HE IR files', () => {
  const files = readdirSync(GOLDEN).filter((f) => f.endsWith('.hir'));
  it('has golden files', () => expect(files.length).toBeGreaterThanOrEqual(5));
  for (const f of files) {
    it(`print(parse(${f})) is the file`, () => {
      const text = readFileSync(join(GOLDEN, f), 'utf8');
      const { module, header } = parseModule(text, f);
      expect(printModule(module, { header, printLocs: true })).toBe(stripComments(text));
      expect(verifyModule(module, { bootstrapOutputLevel: 6, requireLevels: header === 'hec.plan' })).toEqual([]);
    });
  }
  it('together cover every op, every layout kind, plans and state arguments', () => {
    const ops = new Set<string>();
    const layouts = new Set<string>();
    const headers = new Set<string>();
    let states = 0;
    for (const f of files) {
      const { module, header } = parseModule(readFileSync(join(GOLDEN, f), 'utf8'), f);
      headers.add(header);
      for (const fn of module.funcs) {
        for (const a of fn.args) {
          layouts.add(a.value.type.layout.kind);
          if (a.attrs.role === 'state') states++;
        }
        for (const op of fn.ops) {
          ops.add(op.name);
          for (const r of op.results) layouts.add(r.type.layout.kind);
        }
      }
    }
    expect([...ops].sort()).toEqual([...OP_REGISTRY.keys()].sort());
    expect([...layouts].sort()).toEqual(['bcast', 'heads', 'junk', 'rep', 'tokens']);
    expect([...headers].sort()).toEqual(['hec.module', 'hec.plan']);
    expect(states).toBeGreaterThan(0);
  });
});

describe('random modules round-trip through text', () => {
  it('parse(print(m)) equals m for 250 seeded modules (which all verify)', () => {
    let ops = 0;
    for (let seed = 1; seed <= 250; seed++) {
      const m = randomModule(seed);
      expect(verifyModule(m, RANDOM_CTX), `seed ${seed}`).toEqual([]);
      const text = printModule(m, { printLocs: true });
      const back = parseModule(text, `random-${seed}.hir`);
      expect(moduleShape(back.module), `seed ${seed}`).toEqual(moduleShape(m));
      expect(printModule(back.module, { printLocs: true })).toBe(text);
      ops += m.funcs.reduce((s, f) => s + f.ops.length, 0);
    }
    expect(ops).toBeGreaterThan(2000);
  });
  it('covers every op across the seeds', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 250; seed++) for (const f of randomModule(seed).funcs) for (const op of f.ops) seen.add(op.name);
    expect([...seen].sort()).toEqual([...OP_REGISTRY.keys()].sort());
  });
  it('without printLocs, locations are dropped and nothing else changes', () => {
    const m = randomModule(7);
    const back = parseModule(printModule(m)).module;
    for (const f of back.funcs) for (const op of f.ops) expect(op.loc).toBeUndefined();
    expect(printModule(back)).toBe(printModule(m));
  });
});

describe('every op with levels "?" round-trips', () => {
  const ct = '!ct<level=?, scale=1, layout=#rep<n=4,period=8>>';
  const lines: Record<string, string> = {
    'ckks.encode': '%r = ckks.encode {src = {kind = "weight"}} : !pt<level=?, scale=2, layout=#junk>',
    'ckks.rotate_hoisted': `%r, %r2 = ckks.rotate_hoisted %x {offsets = [1, 2]} : ${ct}, ${ct}`,
    'ckks.return': 'ckks.return %x {names = ["y"]}',
  };
  for (const name of OP_REGISTRY.keys()) {
    it(name, () => {
      const info = OP_REGISTRY.get(name)!;
      const operands = info.operands === 2 ? ' %x, %x' : info.operands === 0 ? '' : ' %x';
      const line = lines[name] ?? `%r = ${name}${operands} {k = 1} : !ct<level=?, scale=2, size=3, layout=#junk>`;
      const text = `hec.module version = 1 {\n  func @f(%x: ${ct} {role = "input"}) {\n    ${line}\n  }\n}\n`;
      const { module } = parseModule(text);
      const op = module.funcs[0]!.ops[0]! as Op;
      expect(op.name).toBe(name);
      for (const r of op.results) expect(r.type.level).toBeNull();
      expect(printOp(op)).toBe(line);
      expect(printModule(module)).toBe(text);
    });
  }
});

describe('syntax', () => {
  it('accepts comments, free whitespace and non-canonical type spelling', () => {
    const text = `// header comment
hec.module   version=1 {   // trailing comment
  func @f( %x : !ct< level = 3 ,scale = 1, size=2, layout = #rep< n = 4 , period = 8 > > {role="input"} ) {
    %y = ckks.rotate %x {offset=-1} : !ct<level=3, scale=1, layout=#junk>   loc( "here" )
    ckks.return %y {names=["y"]}
  }
}`;
    const { module, header } = parseModule(text);
    expect(header).toBe('hec.module');
    const f = module.funcs[0]!;
    expect(f.args[0]!.value.type).toEqual({ kind: 'ct', level: 3, scale: 1, size: 2, layout: { kind: 'rep', n: 4, period: 8 } });
    expect(f.ops[0]!.loc).toBe('here');
    expect(f.ops[1]!.operands[0]).toBe(f.ops[0]!.results[0]);
    expect(f.ops[0]!.results[0]!.def).toBe(f.ops[0]);
  });

  it('reads special numbers, exponents, escapes, keyword-named and quoted keys', () => {
    const { module } = parseModule(
      'hec.module version = 1 attributes {a = [nan, inf, -inf, -0, 1.5e-7, 2E+3, .5, 7], "odd key" = "x\\u0041\\n", level = true, size = false, d = {e = {}}} {\n}\n',
    );
    const a = module.attrs;
    expect(Object.is((a.a as number[])[3], -0)).toBe(true);
    expect(a.a).toEqual([NaN, Infinity, -Infinity, -0, 1.5e-7, 2000, 0.5, 7]);
    expect(a['odd key']).toBe('xA\n');
    expect(a.level).toBe(true);
    expect(a.size).toBe(false);
    expect(a.d).toEqual({ e: {} });
  });

  it('reports file:line:col and expected/found on the first syntax error', () => {
    const e = parseError('hec.module version = 1 {\n  func @f(%x: !ct<level=1, scale=1 layout=#junk>) {\n  }\n}\n', 'bad.hir');
    expect(e.code).toBe('HEC2001');
    expect(e.message).toContain('bad.hir:2:36');
    expect(e.message).toContain("expected ',' but found 'layout'");
    expect(e.diagnostic.location).toEqual({ file: 'bad.hir', line: 2, column: 36 });
  });

  it('reports an unexpected end of input', () => {
    const e = parseError('hec.module version = 1 {\n  func @f() {\n');
    expect(e.code).toBe('HEC2001');
    expect(e.message).toMatch(/t\.hir:2:14: expected .* but found end of input/);
  });

  it('reports a missing header', () => {
    const e = parseError('func @f() {}');
    expect(e.message).toContain("t.hir:1:1: expected 'hec.module' or 'hec.plan' but found 'func'");
  });

  it('reports every lexical error at once', () => {
    const e = parseError('hec.module version = 1 {\n  $\n  func @f() { ^ }\n&}');
    expect(e.code).toBe('HEC2002');
    expect(e.message).toContain('3 lexical errors');
    expect(e.message).toContain('t.hir:2:3');
    expect(e.message).toContain('t.hir:3:15');
    expect(e.message).toContain('t.hir:4:1');
  });

  it('rejects an unknown major version, listing the supported ones', () => {
    const e = parseError('hec.plan version = 2 {\n}\n');
    expect(e.code).toBe('HEC2003');
    expect(e.message).toContain('t.hir:1:20');
    expect(e.message).toContain('reads version 1');
  });

  it('rejects a use before the definition, naming the value', () => {
    const text = `hec.module version = 1 {
  func @f(%x: !ct<level=?, scale=1, layout=#junk> {role = "input"}) {
    %a = ckks.add %x, %b : !ct<level=?, scale=1, layout=#junk>
    %b = ckks.negate %x : !ct<level=?, scale=1, layout=#junk>
    ckks.return %a {names = ["a"]}
  }
}`;
    const e = parseError(text);
    expect(e.code).toBe('HEC2004');
    expect(e.message).toContain('t.hir:3:23');
    expect(e.message).toContain('%b is used before its definition at t.hir:4:5');
    const e2 = parseError(text.replace('%x, %b', '%x, %nope'));
    expect(e2.message).toContain('use of undefined value %nope');
  });

  it('rejects duplicate value and function names', () => {
    const e = parseError(`hec.module version = 1 {
  func @f(%x: !ct<level=?, scale=1, layout=#junk> {role = "input"}) {
    %x = ckks.negate %x : !ct<level=?, scale=1, layout=#junk>
  }
}`);
    expect(e.code).toBe('HEC2005');
    expect(e.message).toContain('t.hir:3:5: value %x is already defined at t.hir:2:11');
    const e2 = parseError('hec.module version = 1 {\n  func @f() {\n  }\n  func @f() {\n  }\n}\n');
    expect(e2.code).toBe('HEC2005');
    expect(e2.message).toContain('t.hir:4:8');
  });

  it('rejects duplicate attribute keys', () => {
    expect(parseError('hec.module version = 1 attributes {a = 1, a = 2} {\n}').code).toBe('HEC2009');
  });

  it('leaves unknown ops to the verifier but wants lowercase dialect.name', () => {
    const { module } = parseModule('hec.module version = 1 {\n  func @f() {\n    foo.bar {names = []}\n  }\n}\n');
    expect(verifyModule(module, RANDOM_CTX).map((d) => d.code)).toContain('HEC3002');
    const e = parseError('hec.module version = 1 {\n  func @f() {\n    Ckks.Add\n  }\n}\n');
    expect(e.code).toBe('HEC2006');
    expect(e.message).toContain('t.hir:3:5');
  });

  it('checks types: scale, size, plaintext size, layout kinds and fields', () => {
    const arg = (t: string) => `hec.module version = 1 {\n  func @f(%x: ${t}) {\n  }\n}\n`;
    expect(parseError(arg('!ct<level=1, scale=3, layout=#junk>')).code).toBe('HEC2007');
    expect(parseError(arg('!ct<level=1, scale=1, size=4, layout=#junk>')).code).toBe('HEC2007');
    expect(parseError(arg('!pt<level=1, scale=1, size=3, layout=#junk>')).code).toBe('HEC2007');
    expect(parseError(arg('!ct<level=1.5, scale=1, layout=#junk>')).code).toBe('HEC2008');
    const kind = parseError(arg('!ct<level=1, scale=1, layout=#diag<n=4>>'));
    expect(kind.code).toBe('HEC2010');
    expect(kind.message).toContain('t.hir:2:44');
    expect(parseError(arg('!ct<level=1, scale=1, layout=#rep<n=4>>')).code).toBe('HEC2011');
    expect(parseError(arg('!ct<level=1, scale=1, layout=#rep<n=4,period=8,x=1>>')).code).toBe('HEC2011');
  });

  it('wants one result type per result name', () => {
    const e = parseError(`hec.module version = 1 {
  func @f(%x: !ct<level=?, scale=1, layout=#junk> {role = "input"}) {
    %a, %b = ckks.rotate_hoisted %x {offsets = [1, 2]} : !ct<level=?, scale=1, layout=#junk>
  }
}`);
    expect(e.code).toBe('HEC2012');
  });

  it('parses a 50k-line plan quickly', () => {
    const ty = '!ct<level=30, scale=1, layout=#rep<n=4,period=8>>';
    const lines = ['hec.plan version = 1 attributes {slots = 8} {', `  func @step(%x: ${ty} {role = "input"}) {`];
    let prev = 'x';
    for (let i = 0; i < 50000; i++) {
      lines.push(i % 2 === 0 ? `    %v${i} = ckks.add %${prev}, %${prev} : ${ty} loc("onnx:/model/layers.0/Add_${i}")` : `    %v${i} = ckks.rotate %${prev} {offset = ${i}} : ${ty}`);
      prev = `v${i}`;
    }
    lines.push(`    ckks.return %${prev} {names = ["y"]}`, '  }', '}', '');
    const text = lines.join('\n');
    parseModule(text); // warm up chevrotain's lookahead caches and the JIT
    const t0 = performance.now();
    const m: Module = parseModule(text).module;
    const ms = performance.now() - t0;
    expect(m.funcs[0]!.ops.length).toBe(50001);
    // < 1 s on an idle machine; the bound leaves room for a loaded CI box.
    expect(ms).toBeLessThan(5000);
  });
});

describe('printer and parser agree on awkward attribute keys', () => {
  it('quotes keys that are not identifiers', () => {
    const m: Module = { version: 1, attrs: { 'odd key': 1, '': 2, 'k.v': { '"q"': true }, plain: 3 }, funcs: [] };
    const text = printModule(m);
    expect(text).toBe('hec.module version = 1 attributes {"" = 2, "k.v" = {"\\"q\\"" = true}, "odd key" = 1, plain = 3} {\n}\n');
    expect(parseModule(text).module).toEqual(m);
  });
  it('reports no viable attribute value with expected/found', () => {
    const e = parseError('hec.module version = 1 attributes {a = %x} {\n}\n');
    expect(e.code).toBe('HEC2001');
    expect(e.message).toContain("t.hir:1:40: expected a value, '[' or '{' but found '%x'");
  });
});
