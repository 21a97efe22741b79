/**
 * @fileoverview Coded diagnostics shared by every layer of hec.
 *
 * Every expected failure is a `HecError` carrying a `HECnnnn` code, a message with the actual numbers, an optional
 * location (file:line:col of IR text, ONNX node name and op type) and a `fix:` line. Codes are grouped by phase:
 * 1xxx frontend, 2xxx IR syntax, 3xxx verifier, 4xxx passes, 5xxx runtime and backends, 6xxx parameters/security.
 * It lives in `ir/` because `ir/` imports nothing of hec, and every other folder may import `ir/`.
 * Every code is listed in ir/error-codes.ts with its meaning and a general fix, used when a raise site gives none.
 */
import { defaultFix } from './error-codes.ts';

export interface DiagnosticLocation {
  file?: string;
  line?: number;
  column?: number;
  /** ONNX node name, e.g. `/model/layers.0/self_attn/MatMul_1`. */
  onnxNode?: string;
  /** ONNX op type of that node, e.g. `MatMul`. */
  onnxOp?: string;
}

export interface Diagnostic {
  code: string;
  message: string;
  location?: DiagnosticLocation;
  fix?: string;
}

/** Render a diagnostic as one line (plus an optional `fix:` line), the way the CLI prints it. */
export function renderDiagnostic(d: Diagnostic): string {
  const where: string[] = [];
  const loc = d.location;
  if (loc?.file !== undefined) {
    let f = loc.file;
    if (loc.line !== undefined) f += `:${loc.line}`;
    if (loc.column !== undefined) f += `:${loc.column}`;
    where.push(f);
  }
  if (loc?.onnxNode !== undefined) {
    where.push(`onnx node ${loc.onnxNode}${loc.onnxOp !== undefined ? ` (${loc.onnxOp})` : ''}`);
  }
  const head = `error ${d.code}: ${d.message}${where.length > 0 ? ` --> ${where.join(', ')}` : ''}`;
  return d.fix !== undefined ? `${head}\nfix: ${d.fix}` : head;
}

/** The only exception type hec throws for expected failures. */
export class HecError extends Error {
  readonly diagnostic: Diagnostic;
  constructor(code: string, message: string, extra: { location?: DiagnosticLocation; fix?: string } = {}) {
    super(`${code}: ${message}`);
    this.name = 'HecError';
    const fix = extra.fix ?? defaultFix(code);
    this.diagnostic = { code, message, ...extra, ...(fix !== undefined ? { fix } : {}) };
  }
  get code(): string {
    return this.diagnostic.code;
  }
  render(): string {
    return renderDiagnostic(this.diagnostic);
  }
}

/** Close a switch over a discriminated union: the compiler proves this is never reached. */
export function assertUnreachable(x: never, what: string): never {
  throw new Error(`internal error: unhandled ${what}: ${JSON.stringify(x)}`);
}
