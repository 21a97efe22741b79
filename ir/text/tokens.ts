/**
 * @fileoverview The HE IR text's tokens (chevrotain), all in one place, each with a LABEL used in error messages.
 *
 * Keywords that are also plain words (`func`, `version`, `level`, `true`, …) belong to the `Ident` category, so an
 * attribute key may still be spelled `level` or `size`. Comments (`// …`) and whitespace are skipped.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, line_breaks: true });
export const Comment = createToken({ name: 'Comment', pattern: /\/\/[^\n\r]*/, group: Lexer.SKIPPED });

/** Dotted lowercase-or-not names: op names (`ckks.add`); the lowercase rule is checked when building the IR. */
export const DottedIdent = createToken({ name: 'DottedIdent', pattern: /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+/, label: 'an op name (dialect.name)' });
export const HecModule = createToken({ name: 'HecModule', pattern: /hec\.module/, longer_alt: DottedIdent, label: "'hec.module'" });
export const HecPlan = createToken({ name: 'HecPlan', pattern: /hec\.plan/, longer_alt: DottedIdent, label: "'hec.plan'" });

export const Ident = createToken({ name: 'Ident', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'an identifier' });
function keyword(word: string): TokenType {
  return createToken({ name: `Kw_${word}`, pattern: new RegExp(word), longer_alt: Ident, categories: [Ident], label: `'${word}'` });
}
export const Func = keyword('func');
export const Version = keyword('version');
export const Attributes = keyword('attributes');
export const Loc = keyword('loc');
export const True = keyword('true');
export const False = keyword('false');
export const Nan = keyword('nan');
export const Inf = keyword('inf');
export const Level = keyword('level');
export const Scale = keyword('scale');
export const Size = keyword('size');
export const LayoutKw = keyword('layout');

export const ValueId = createToken({ name: 'ValueId', pattern: /%[A-Za-z0-9_.]+/, label: 'a value name (%name)' });
export const FuncId = createToken({ name: 'FuncId', pattern: /@[A-Za-z0-9_.]+/, label: 'a function name (@name)' });
export const LayoutKind = createToken({ name: 'LayoutKind', pattern: /#[A-Za-z_][A-Za-z0-9_]*/, label: 'a layout (#kind)' });
export const CtKw = createToken({ name: 'CtKw', pattern: /!ct/, label: "'!ct'" });
export const PtKw = createToken({ name: 'PtKw', pattern: /!pt/, label: "'!pt'" });

export const NegInf = createToken({ name: 'NegInf', pattern: /-inf/, label: "'-inf'" });
export const NumberLit = createToken({ name: 'NumberLit', pattern: /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/, label: 'a number' });
export const StringLit = createToken({
  name: 'StringLit',
  pattern: /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/,
  label: 'a string',
});

export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: "'{'" });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: "'}'" });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: "'('" });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: "')'" });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: "'['" });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: "']'" });
export const LAngle = createToken({ name: 'LAngle', pattern: /</, label: "'<'" });
export const RAngle = createToken({ name: 'RAngle', pattern: />/, label: "'>'" });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: "'='" });
export const Comma = createToken({ name: 'Comma', pattern: /,/, label: "','" });
export const Colon = createToken({ name: 'Colon', pattern: /:/, label: "':'" });
export const Question = createToken({ name: 'Question', pattern: /\?/, label: "'?'" });

/** Order matters: keywords before the identifiers they are carved out of, `-inf` before numbers. */
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace,
  Comment,
  HecModule,
  HecPlan,
  DottedIdent,
  Func,
  Version,
  Attributes,
  Loc,
  True,
  False,
  Nan,
  Inf,
  Level,
  Scale,
  Size,
  LayoutKw,
  Ident,
  ValueId,
  FuncId,
  LayoutKind,
  CtKw,
  PtKw,
  NegInf,
  NumberLit,
  StringLit,
  LBrace,
  RBrace,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LAngle,
  RAngle,
  Equals,
  Comma,
  Colon,
  Question,
];

/** Built once at module load. */
export const HirLexer = new Lexer(ALL_TOKENS, { positionTracking: 'full', ensureOptimizations: true });
