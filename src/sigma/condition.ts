/**
 * Sigma's `condition` language, read by a small recursive-descent parser:
 *
 *   expr    := and ('or' and)*
 *   and     := unary ('and' unary)*
 *   unary   := 'not' unary | primary
 *   primary := '(' expr ')' | ('1' | 'any' | 'all') 'of' (pattern | 'them') | identifier
 *
 * `not` binds tighter than `and`, which binds tighter than `or` (as in the Sigma specification).
 * Constructs that need more than one event (`| count() ...` aggregations, `near`) are refused
 * with a RuleProblem saying so.
 */
import { RuleProblem } from './problem.js';

export type ConditionExpr =
  | { kind: 'ref'; name: string }
  /** `1 of pattern`, `all of pattern`; pattern `them` = every selection. */
  | { kind: 'of'; quantifier: 'any' | 'all'; pattern: string }
  | { kind: 'and'; children: ConditionExpr[] }
  | { kind: 'or'; children: ConditionExpr[] }
  | { kind: 'not'; child: ConditionExpr };

interface Token {
  text: string;
  /** Lowercased, for keywords. */
  lower: string;
  pos: number;
}

const TOKEN = /\s*(\(|\)|\||[^\s()|]+)/y;
const IDENTIFIER = /^[\w*.-]+$/;
const KEYWORDS = new Set(['and', 'or', 'not', 'of', 'them', 'all', 'any', 'near']);

export function parseCondition(text: string): ConditionExpr {
  return new ConditionParser(text).parse();
}

class ConditionParser {
  private readonly tokens: Token[] = [];
  private index = 0;

  constructor(private readonly source: string) {
    TOKEN.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = TOKEN.exec(source)) !== null) {
      const tokenText = match[1] as string;
      this.tokens.push({
        text: tokenText,
        lower: tokenText.toLowerCase(),
        pos: TOKEN.lastIndex - tokenText.length,
      });
    }
  }

  parse(): ConditionExpr {
    if (this.tokens.length === 0) throw new RuleProblem('the condition is empty');
    const expr = this.parseOr();
    const rest = this.peek();
    if (rest) throw this.unexpected(rest);
    return expr;
  }

  private parseOr(): ConditionExpr {
    const children = [this.parseAnd()];
    while (this.accept('or')) children.push(this.parseAnd());
    return children.length === 1 ? (children[0] as ConditionExpr) : { kind: 'or', children };
  }

  private parseAnd(): ConditionExpr {
    const children = [this.parseUnary()];
    while (this.accept('and')) children.push(this.parseUnary());
    return children.length === 1 ? (children[0] as ConditionExpr) : { kind: 'and', children };
  }

  private parseUnary(): ConditionExpr {
    if (this.accept('not')) return { kind: 'not', child: this.parseUnary() };
    return this.parsePrimary();
  }

  private parsePrimary(): ConditionExpr {
    const token = this.next('a selection name, "not", "(" or "1 of"');
    if (token.text === '(') {
      const inner = this.parseOr();
      const close = this.next('")"');
      if (close.text !== ')') throw this.unexpected(close);
      return inner;
    }
    const following = this.peek();
    if (following?.lower === 'of') {
      this.index++;
      const quantifier = this.quantifier(token);
      const target = this.next('a selection name pattern or "them"');
      if (!IDENTIFIER.test(target.text) || (KEYWORDS.has(target.lower) && target.lower !== 'them')) {
        throw this.unexpected(target);
      }
      return { kind: 'of', quantifier, pattern: target.lower === 'them' ? 'them' : target.text };
    }
    if (!IDENTIFIER.test(token.text) || KEYWORDS.has(token.lower)) throw this.unexpected(token);
    return { kind: 'ref', name: token.text };
  }

  private quantifier(token: Token): 'any' | 'all' {
    if (token.lower === 'all') return 'all';
    if (token.lower === '1' || token.lower === 'any') return 'any';
    if (/^\d+$/.test(token.text)) {
      throw new RuleProblem(
        `"${token.text} of" (at least ${token.text} selections) is not supported; use "1 of" or "all of"`,
      );
    }
    throw this.unexpected(token);
  }

  private accept(keyword: string): boolean {
    if (this.peek()?.lower !== keyword) return false;
    this.index++;
    return true;
  }

  private peek(): Token | undefined {
    const token = this.tokens[this.index];
    if (token?.text === '|') {
      if (this.tokens[this.index + 1]?.lower === 'near') return this.near();
      throw new RuleProblem(
        `the condition "${this.source.trim()}" aggregates events ("| ${this.source.slice(token.pos + 1).trim()}"); aggregations count events over time and cannot be decided on one event`,
      );
    }
    if (token?.lower === 'near') return this.near();
    return token;
  }

  private near(): never {
    throw new RuleProblem(
      `the condition "${this.source.trim()}" uses "near" (events close in time), which cannot be decided on one event`,
    );
  }

  private next(expected: string): Token {
    const token = this.peek();
    if (!token)
      throw new RuleProblem(`the condition "${this.source.trim()}" ends early: expected ${expected}`);
    this.index++;
    return token;
  }

  private unexpected(token: Token): RuleProblem {
    return new RuleProblem(
      `the condition "${this.source.trim()}" has an unexpected "${token.text}" at character ${token.pos + 1}`,
    );
  }
}

/** Regular expression for a Sigma selection-name pattern (`selection_*`): `*` = any characters. */
export function patternRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.\\+?^${}()|[\]-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
