/**
 * @fileoverview The verifier: structural SSA checks plus each op's typing rule from ir/ops.ts.
 *
 * It collects every error instead of stopping at the first. Levels are checked only where assigned (a module before
 * bootstrap-placement has `level=?` types); `requireLevels` makes unassigned levels an error (plans must have them).
 * The declared result type of every op must equal the type its rule infers, so the text can never lie about a
 * level, a scale or a layout.
 */
import { HecError, type Diagnostic } from './diagnostics.ts';
import { layoutsEqual } from './layout.ts';
import type { Func, Module, Value } from './module.ts';
import { opInfo, type InferContext } from './ops.ts';
import { printType } from './text/printer.ts';
import type { Type } from './types.ts';

export interface VerifyOptions extends InferContext {
  requireLevels?: boolean;
}

function typesEqual(a: Type, b: Type): boolean {
  if (a.kind !== b.kind || a.level !== b.level || a.scale !== b.scale) return false;
  if (a.kind === 'ct' && b.kind === 'ct' && a.size !== b.size) return false;
  return layoutsEqual(a.layout, b.layout);
}

export function verifyFunc(f: Func, opts: VerifyOptions): Diagnostic[] {
  const errors: Diagnostic[] = [];
  const defined = new Set<Value>();
  const names = new Set<string>();
  const where = (i: number) => `func @${f.name}, op #${i}`;
  for (const a of f.args) {
    if (names.has(a.value.name)) errors.push({ code: 'HEC3003', message: `duplicate value name %${a.value.name} in @${f.name}` });
    names.add(a.value.name);
    defined.add(a.value);
    const role = a.attrs.role;
    if (role !== 'input' && role !== 'state') {
      errors.push({ code: 'HEC3004', message: `argument %${a.value.name} of @${f.name} needs role = "input" or "state"` });
    }
    if (role === 'state' && typeof a.attrs.state !== 'string') {
      errors.push({ code: 'HEC3004', message: `state argument %${a.value.name} needs a state = "<name>" attribute` });
    }
  }
  f.ops.forEach((op, i) => {
    try {
      const info = opInfo(op.name);
      if (typeof info.operands === 'number' && op.operands.length !== info.operands) {
        throw new HecError('HEC3005', `${op.name} takes ${info.operands} operands, got ${op.operands.length}`);
      }
      if (typeof info.results === 'number' && op.results.length !== info.results) {
        throw new HecError('HEC3005', `${op.name} has ${info.results} results, got ${op.results.length}`);
      }
      for (const v of op.operands) {
        if (!defined.has(v)) throw new HecError('HEC3006', `${op.name} uses %${v.name} before its definition`);
      }
      const inferred = info.infer(op, op.operands.map((v) => v.type), opts);
      inferred.forEach((t, k) => {
        const r = op.results[k]!;
        if (!typesEqual(t, r.type)) {
          throw new HecError('HEC3007', `${op.name} result %${r.name} declared ${printType(r.type)} but its operands give ${printType(t)}`);
        }
      });
      for (const r of op.results) {
        if (opts.requireLevels && r.type.level === null) throw new HecError('HEC3008', `%${r.name} has no level assigned`, { fix: 'run bootstrap-placement' });
        if (r.type.level !== null && r.type.level < 0) throw new HecError('HEC3009', `%${r.name} at negative level ${r.type.level}`, { fix: 'bootstrap earlier' });
        if (names.has(r.name)) throw new HecError('HEC3003', `duplicate value name %${r.name}`);
        names.add(r.name);
        defined.add(r);
      }
      if (op.name === 'ckks.return' && i !== f.ops.length - 1) throw new HecError('HEC3010', 'ckks.return must be the last op');
    } catch (e) {
      if (!(e instanceof HecError)) throw e;
      errors.push({ ...e.diagnostic, message: `${e.diagnostic.message} (${where(i)})` });
      // Take the op's results as declared, so one bad op is one error, not a cascade of "used before definition".
      for (const r of op.results) {
        names.add(r.name);
        defined.add(r);
      }
    }
  });
  const last = f.ops[f.ops.length - 1];
  if (last?.name !== 'ckks.return') errors.push({ code: 'HEC3010', message: `func @${f.name} does not end with ckks.return` });
  else {
    const retNames = last.attrs.names;
    if (Array.isArray(retNames)) {
      for (const a of f.args) {
        if (a.attrs.role !== 'state') continue;
        const k = retNames.indexOf(a.attrs.state as string);
        if (k < 0) {
          errors.push({ code: 'HEC3011', message: `state '${String(a.attrs.state)}' is never returned by @${f.name}` });
          continue;
        }
        const out = last.operands[k]!;
        if (!typesEqual(out.type, a.value.type)) {
          errors.push({
            code: 'HEC3011',
            message: `state '${String(a.attrs.state)}' enters as ${printType(a.value.type)} but leaves as ${printType(out.type)}`,
            fix: 'the next step reads it back: drop it to the entry level (bootstrap-placement does this)',
          });
        }
      }
    }
  }
  return errors;
}

export function verifyModule(m: Module, opts: VerifyOptions): Diagnostic[] {
  return m.funcs.flatMap((f) => verifyFunc(f, opts));
}

/** Verify and throw one HecError: the first problem (the one to fix first), and how many more there are. */
export function assertValid(m: Module, opts: VerifyOptions): void {
  const errs = verifyModule(m, opts);
  const first = errs[0];
  if (first !== undefined) {
    const more = errs.length > 1 ? ` (and ${errs.length - 1} more problem${errs.length > 2 ? 's' : ''})` : '';
    throw new HecError(first.code, `IR verification failed: ${first.message}${more}`, first.fix !== undefined ? { fix: first.fix } : {});
  }
}
