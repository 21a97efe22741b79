/**
 * @fileoverview Syntax diagnostics of the HE IR text (HEC2xxx) and chevrotain's custom error message provider.
 *
 * Every message carries `file:line:col` (1-based) both in its text and in its location, so a bare `e.message`
 * already points at the spot. The parser runs without error recovery: the first syntax error ends the parse.
 */
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import { tokenLabel } from 'chevrotain';
import { HecError } from '../diagnostics.ts';

/** HEC2xxx codes of the text front end (HEC2010/HEC2011 are layout errors raised by ir/layout.ts). */
export const SyntaxCodes = {
  /** Parser: the token found is not one the grammar allows here. */
  syntax: 'HEC2001',
  /** Lexer: characters that start no token (all of them are reported). */
  lexical: 'HEC2002',
  /** `version = N` names a major version this build cannot read. */
  version: 'HEC2003',
  /** A `%name` used before (or without) its definition. */
  undefinedValue: 'HEC2004',
  /** A `%name` defined twice in one function, or a function name repeated. */
  duplicate: 'HEC2005',
  /** An op name that is not `dialect.name` in lowercase. */
  opName: 'HEC2006',
  /** A malformed type: scale not 1|2, size not 2|3, size on a plaintext, level not an integer. */
  badType: 'HEC2007',
  /** A number where an integer is required (layout fields, version), or an unreadable number or string. */
  badNumber: 'HEC2008',
  /** An attribute key repeated in one dictionary. */
  duplicateKey: 'HEC2009',
  /** The number of result names and of result types differ. */
  resultCount: 'HEC2012',
} as const;

export const SUPPORTED_VERSIONS: readonly number[] = [1];

export interface Pos {
  line: number;
  column: number;
}

export function posOf(tok: IToken): Pos {
  return { line: tok.startLine ?? 0, column: tok.startColumn ?? 0 };
}

export function where(file: string, p: Pos): string {
  return `${file}:${p.line}:${p.column}`;
}

/** Throw a HEC2xxx error at a position; the message starts with `file:line:col:`. */
export function syntaxError(code: string, file: string, p: Pos, message: string, fix?: string): never {
  throw new HecError(code, `${where(file, p)}: ${message}`, { location: { file, line: p.line, column: p.column }, fix });
}

/** Re-throw a HecError raised without a position (e.g. by layoutFromFields) at `p`. */
export function atPosition(e: unknown, file: string, p: Pos): never {
  if (e instanceof HecError && e.diagnostic.location === undefined) syntaxError(e.code, file, p, e.diagnostic.message, e.diagnostic.fix);
  throw e;
}

/** How a found token is shown: its text, quoted, or `end of input`. */
export function describeToken(tok: IToken): string {
  if (tok.tokenType.name === 'EOF' || tok.image === '') return 'end of input';
  const img = tok.image.length > 40 ? `${tok.image.slice(0, 40)}…` : tok.image;
  return `'${img}'`;
}

function labels(types: TokenType[]): string {
  const ls = [...new Set(types.map((t) => tokenLabel(t)))];
  if (ls.length <= 1) return ls[0] ?? 'nothing';
  return `${ls.slice(0, -1).join(', ')} or ${ls[ls.length - 1]}`;
}

function alternatives(paths: TokenType[][][]): string {
  const firsts: TokenType[] = [];
  for (const alt of paths) for (const path of alt) if (path[0] !== undefined) firsts.push(path[0]);
  return labels(firsts);
}

export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${tokenLabel(expected)} but found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected end of input but found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, customUserDescription }) {
    const what = customUserDescription ?? alternatives(expectedPathsPerAlt);
    return `expected ${what} but found ${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, customUserDescription }) {
    const what = customUserDescription ?? alternatives([expectedIterationPaths]);
    return `expected at least one ${what} but found ${describeToken(actual[0]!)}`;
  },
};
