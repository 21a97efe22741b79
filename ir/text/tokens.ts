/**
 * @fileoverview The HE IR text's tokens (chevrotain), all in one place, each with a LABEL used in error messages.
 *
 * Keywords that are also plain words (`func`, `version`, `level`, `true`, …) belong to the `Ident` category, so an
 * attribute key may still be spelled `level` or `size`. Comments (`// …`) and whitespace are skipped.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED, line_breaks: true });
export const Comment = createToken({ name: 'Comment', pattern: /\/\/[^\n\r]*/, group: Lexer.SKIPPED });

// Categories: one CONSUME instead of an OR of alternatives (faster, and a clearer "expected …" label).
export const Header = createToken({ name: 'Header', pattern: Lexer.NA, label: "'hec.module' or 'hec.plan'" });
export const TypeKind = createToken({ name: 'TypeKind', pattern: Lexer.NA, label: "'!ct' or '!pt'" });
export const LevelValue = createToken({ name: 'LevelValue', pattern: Lexer.NA, label: "a level (integer or '?')" });
export const Key = createToken({ name: 'Key', pattern: Lexer.NA, label: 'an attribute name' });
export const Scalar = createToken({ name: 'Scalar', pattern: Lexer.NA, label: 'a value' });

/** Dotted lowercase-or-not names: op names (`ckks.add`); the lowercase rule is checked when building the IR. */
export const DottedIdent = createToken({ name: 'DottedIdent', pattern: /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+/, label: 'an op name (dialect.name)' });
export const HecModule = createToken({ name: 'HecModule', pattern: /hec\.module/, longer_alt: DottedIdent, categories: [Header], label: "'hec.module'" });
export const HecPlan = createToken({ name: 'HecPlan', pattern: /hec\.plan/, longer_alt: DottedIdent, categories: [Header], label: "'hec.plan'" });

export const Ident = createToken({ name: 'Ident', pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [Key], label: 'an identifier' });
function keyword(word: string, scalar = false): TokenType {
  const categories = scalar ? [Ident, Scalar] : [Ident];
  return createToken({ name: `Kw_${word}`, pattern: new RegExp(word), longer_alt: Ident, categories, label: `'${word}'` });
}
export const Func = keyword('func');
export const Version = keyword('version');
export const Attributes = keyword('attributes');
export const Loc = keyword('loc');
export const True = keyword('true', true);
export const False = keyword('false', true);
export const Nan = keyword('nan', true);
export const Inf = keyword('inf', true);
export const Level = keyword('level');
export const Scale = keyword('scale');
export const Size = keyword('size');
export const LayoutKw = keyword('layout');

export const ValueId = createToken({ name: 'ValueId', pattern: /%[A-Za-z0-9_.]+/, label: 'a value name (%name)' });
export const FuncId = createToken({ name: 'FuncId', pattern: /@[A-Za-z0-9_.]+/, label: 'a function name (@name)' });
export const LayoutKind = createToken({ name: 'LayoutKind', pattern: /#[A-Za-z_][A-Za-z0-9_]*/, label: 'a layout (#kind)' });
/**
 * A whole type in canonical spelling (`!ct<level=3, scale=1, layout=#rep<n=4,period=4>>`) as one token: types are
 * most of a plan's text, and one token instead of ~20 makes large plans parse several times faster. Any other
 * spelling (extra spaces, non-integer fields) falls through to the token-by-token `type` rule.
 */
export const TypeLit = createToken({
  name: 'TypeLit',
  pattern: /!(?:ct|pt)<level=(?:\?|-?\d+), scale=\d+(?:, size=\d+)?, layout=#[A-Za-z_][A-Za-z0-9_]*(?:<[A-Za-z_]+=-?\d+(?:,[A-Za-z_]+=-?\d+)*>)?>/,
  label: 'a type (!ct<…> or !pt<…>)',
});
export const CtKw = createToken({ name: 'CtKw', pattern: /!ct/, categories: [TypeKind], label: "'!ct'" });
export const PtKw = createToken({ name: 'PtKw', pattern: /!pt/, categories: [TypeKind], label: "'!pt'" });

export const NegInf = createToken({ name: 'NegInf', pattern: /-inf/, categories: [Scalar], label: "'-inf'" });
export const NumberLit = createToken({ name: 'NumberLit', pattern: /-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/, categories: [Scalar, LevelValue], label: 'a number' });
export const StringLit = createToken({
  name: 'StringLit',
  pattern: /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/,
  categories: [Scalar, Key],
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
export const Question = createToken({ name: 'Question', pattern: /\?/, categories: [LevelValue], label: "'?'" });

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
  TypeLit,
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
  Header,
  TypeKind,
  LevelValue,
  Key,
  Scalar,
];

/** Built once at module load. */
export const HirLexer = new Lexer(ALL_TOKENS, { positionTracking: 'onlyStart', ensureOptimizations: true });
