/**
 * @fileoverview The HE IR text grammar as a chevrotain CstParser (built once at module load, error recovery off).
 *
 * The grammar (EBNF in ir/README.md) is LL(2) except for one spot: an op without results is followed by the next
 * op on the next line, and newlines are not tokens, so an operand list is only taken when it is not the result
 * list of the following op (`%a, %b =`); a GATE looks ahead for the `=`.
 */
import { CstParser, type CstNode, type IToken } from 'chevrotain';
import { errorMessageProvider } from './errors.ts';
import * as T from './tokens.ts';

class HirParser extends CstParser {
  constructor() {
    super(T.ALL_TOKENS, { recoveryEnabled: false, maxLookahead: 3, errorMessageProvider, nodeLocationTracking: 'none' });
    this.performSelfAnalysis();
  }

  /** True when the tokens ahead are `%a (, %b)* =`, i.e. the result list of the next op. */
  private resultsAhead(): boolean {
    let k = 1;
    if (this.LA(k).tokenType !== T.ValueId) return false;
    while (this.LA(k + 1).tokenType === T.Comma && this.LA(k + 2).tokenType === T.ValueId) k += 2;
    return this.LA(k + 1).tokenType === T.Equals;
  }

  public module = this.RULE('module', () => {
    this.CONSUME(T.Header, { LABEL: 'header' });
    this.CONSUME(T.Version);
    this.CONSUME(T.Equals);
    this.CONSUME(T.NumberLit, { LABEL: 'version' });
    this.OPTION(() => {
      this.CONSUME(T.Attributes);
      this.SUBRULE(this.attrDict);
    });
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.func));
    this.CONSUME(T.RBrace);
  });

  public func = this.RULE('func', () => {
    this.CONSUME(T.Func);
    this.CONSUME(T.FuncId);
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.arg);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.arg);
      });
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.LBrace);
    this.MANY2(() => this.SUBRULE(this.op));
    this.CONSUME(T.RBrace);
  });

  public arg = this.RULE('arg', () => {
    this.CONSUME(T.ValueId);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.type);
    this.OPTION(() => this.SUBRULE(this.attrDict));
  });

  // Objects and closures that rules would otherwise rebuild on every call are made once (chevrotain's advice).
  private readonly operandsOption = {
    GATE: (): boolean => !this.resultsAhead(),
    DEF: (): void => {
      this.CONSUME3(T.ValueId, { LABEL: 'operand' });
      this.MANY2(() => {
        this.CONSUME2(T.Comma);
        this.CONSUME4(T.ValueId, { LABEL: 'operand' });
      });
    },
  };
  private readonly typeAlts = [{ ALT: (): unknown => this.CONSUME(T.TypeLit, { LABEL: 'whole' }) }, { ALT: (): unknown => this.SUBRULE(this.spelledType) }];
  private readonly valueAlts = [
    { ALT: (): unknown => this.CONSUME(T.Scalar, { LABEL: 'scalar' }) },
    { ALT: (): unknown => this.SUBRULE(this.array) },
    { ALT: (): unknown => this.SUBRULE(this.attrDict) },
  ];

  public op = this.RULE('op', () => {
    this.OPTION(() => {
      this.CONSUME(T.ValueId, { LABEL: 'result' });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.CONSUME2(T.ValueId, { LABEL: 'result' });
      });
      this.CONSUME(T.Equals);
    });
    this.CONSUME(T.DottedIdent, { LABEL: 'name' });
    this.OPTION2(this.operandsOption);
    this.OPTION3(() => this.SUBRULE(this.attrDict));
    this.OPTION4(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.type);
      this.MANY3(() => {
        this.CONSUME3(T.Comma);
        this.SUBRULE2(this.type);
      });
    });
    this.OPTION5(() => {
      this.CONSUME(T.Loc);
      this.CONSUME(T.LParen);
      this.CONSUME(T.StringLit, { LABEL: 'loc' });
      this.CONSUME(T.RParen);
    });
  });

  public type = this.RULE('type', () => {
    this.OR(this.typeAlts);
  });

  public spelledType = this.RULE('spelledType', () => {
    this.CONSUME(T.TypeKind, { LABEL: 'kind' });
    this.CONSUME(T.LAngle);
    this.CONSUME(T.Level);
    this.CONSUME(T.Equals);
    this.CONSUME(T.LevelValue, { LABEL: 'level' });
    this.CONSUME(T.Comma);
    this.CONSUME(T.Scale);
    this.CONSUME2(T.Equals);
    this.CONSUME2(T.NumberLit, { LABEL: 'scale' });
    this.OPTION(() => {
      this.CONSUME2(T.Comma);
      this.CONSUME(T.Size);
      this.CONSUME3(T.Equals);
      this.CONSUME3(T.NumberLit, { LABEL: 'size' });
    });
    this.CONSUME3(T.Comma);
    this.CONSUME(T.LayoutKw);
    this.CONSUME4(T.Equals);
    this.CONSUME(T.LayoutKind, { LABEL: 'layoutKind' });
    this.OPTION2(() => {
      this.CONSUME2(T.LAngle);
      this.CONSUME(T.Ident, { LABEL: 'fieldKey' });
      this.CONSUME5(T.Equals);
      this.CONSUME4(T.NumberLit, { LABEL: 'fieldValue' });
      this.MANY(() => {
        this.CONSUME4(T.Comma);
        this.CONSUME2(T.Ident, { LABEL: 'fieldKey' });
        this.CONSUME6(T.Equals);
        this.CONSUME5(T.NumberLit, { LABEL: 'fieldValue' });
      });
      this.CONSUME2(T.RAngle);
    });
    this.CONSUME(T.RAngle);
  });

  public attrDict = this.RULE('attrDict', () => {
    this.CONSUME(T.LBrace);
    this.OPTION(() => {
      this.entry(1);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.entry(2);
      });
    });
    this.CONSUME(T.RBrace);
  });

  private entry(i: 1 | 2): void {
    if (i === 1) {
      this.CONSUME(T.Key, { LABEL: 'key' });
      this.CONSUME(T.Equals);
      this.SUBRULE(this.attrValue, { LABEL: 'value' });
    } else {
      this.CONSUME2(T.Key, { LABEL: 'key' });
      this.CONSUME2(T.Equals);
      this.SUBRULE2(this.attrValue, { LABEL: 'value' });
    }
  }

  public attrValue = this.RULE('attrValue', () => {
    this.OR(this.valueAlts);
  });

  public array = this.RULE('array', () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.attrValue, { LABEL: 'item' });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.attrValue, { LABEL: 'item' });
      });
    });
    this.CONSUME(T.RBracket);
  });
}

/** The one parser instance (chevrotain parsers are reusable: set `input`, call a rule). */
export const hirParser = new HirParser();

export type { CstNode, IToken };
