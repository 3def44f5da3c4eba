/**
 * The one place a value becomes SQL text.
 *
 * Athena's `ExecutionParameters` are not bound like driver parameters: Athena substitutes each one,
 * as written, for its `?` (the documented CLI form is `--execution-parameters "'value'"`). A
 * parameter is therefore a SQL *expression*; passed raw, `x' OR '1'='1` or `1) OR (1=1` would be
 * SQL. Every parameter we send is made a single Trino string literal here: wrapped in single quotes
 * with each quote doubled (Trino string literals have no backslash escapes), so whatever the
 * value holds, the parameter is exactly one VARCHAR constant.
 */
import { ConfigurationError } from '../errors.js';

/** Athena's limit on one execution parameter (API reference: 1 to 1024 characters). */
export const MAX_EXECUTION_PARAMETER_LENGTH = 1024;

/** `value` as one Trino/Hive-safe string literal: `'it''s'`. */
export function sqlStringLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** The `ExecutionParameters` to send for the compiler's raw parameter values, in order. */
export function executionParameters(values: readonly string[]): string[] {
  return values.map((value) => {
    const literal = sqlStringLiteral(value);
    if (literal.length > MAX_EXECUTION_PARAMETER_LENGTH) {
      throw new ConfigurationError(
        `filter value ${JSON.stringify(value.slice(0, 40))}... is too long for Athena: a query parameter holds at most ` +
          `${MAX_EXECUTION_PARAMETER_LENGTH} characters once quoted. Shorten it (e.g. use |contains on a part) or use --engine scan.`,
        'filter',
      );
    }
    return literal;
  });
}
