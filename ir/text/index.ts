/**
 * @fileoverview The HE IR text front end: `parseModule` (lexer → CstParser → CST visitor) and the op table of the
 * IR spec (ir/README.md), generated from OP_REGISTRY so the docs cannot drift from the catalogue.
 */
import { HecError } from '../diagnostics.ts';
import type { Module } from '../module.ts';
import { OP_REGISTRY } from '../ops.ts';
import { SyntaxCodes, syntaxError, where } from './errors.ts';
import { hirParser } from './parser.ts';
import { HirLexer } from './tokens.ts';
import { ToIrVisitor, type ToIrResult } from './to-ir.ts';

export { printModule, printFunc, printOp, printType, printAttr, printAttrDict, printNumber, type PrintOptions } from './printer.ts';
export { SyntaxCodes, SUPPORTED_VERSIONS } from './errors.ts';

export interface ParseResult {
  module: Module;
  header: 'hec.module' | 'hec.plan';
}

/**
 * Parse HE IR text (a `hec.module` or a `hec.plan`). Throws a HecError (HEC2xxx) with `file:line:col`:
 * every lexical error at once (HEC2002), else the first syntax error (HEC2001) or naming error.
 * Op names are not checked against the catalogue here: that is the verifier's job (HEC3002).
 */
export function parseModule(text: string, file = '<input>'): ParseResult {
  const lexed = HirLexer.tokenize(text);
  if (lexed.errors.length > 0) {
    const lines = lexed.errors.map((e) => {
      const ch = text.slice(e.offset, e.offset + Math.min(e.length, 20));
      return `${where(file, { line: e.line ?? 0, column: e.column ?? 0 })}: unexpected character${e.length > 1 ? 's' : ''} ${JSON.stringify(ch)}`;
    });
    const first = lexed.errors[0]!;
    throw new HecError(SyntaxCodes.lexical, lines.length === 1 ? lines[0]! : `${lines.length} lexical errors:\n  ${lines.join('\n  ')}`, {
      location: { file, line: first.line ?? 0, column: first.column ?? 0 },
    });
  }
  hirParser.input = lexed.tokens;
  const cst = hirParser.module();
  const errs = hirParser.errors;
  hirParser.input = []; // drop the tokens; the parser instance is shared
  if (errs.length > 0) {
    const e = errs[0]!;
    const tok = e.token;
    // At end of input chevrotain reports the EOF token without a position: point just past the last token.
    if (tok.tokenType.name === 'EOF' || Number.isNaN(tok.startLine ?? NaN)) {
      const last = lexed.tokens[lexed.tokens.length - 1];
      syntaxError(SyntaxCodes.syntax, file, endOf(text, last ? last.startOffset + last.image.length : 0), e.message);
    }
    syntaxError(SyntaxCodes.syntax, file, { line: tok.startLine ?? 0, column: tok.startColumn ?? 0 }, e.message);
  }
  return new ToIrVisitor(file).visit(cst) as ToIrResult;
}

/** 1-based line and column of the character offset `end` (the spot just past the last token). */
function endOf(text: string, end: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: end - lineStart + 1 };
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** The op table of ir/README.md, generated from OP_REGISTRY (test/unit/ir/readme.test.ts keeps the README current). */
export function opTableMarkdown(): string {
  const rows = ['| op | operands | results | summary |', '| --- | --- | --- | --- |'];
  for (const info of OP_REGISTRY.values()) {
    rows.push(`| \`${info.name}\` | ${info.operands} | ${info.results} | ${escapeCell(info.summary)} |`);
  }
  return rows.join('\n');
}
