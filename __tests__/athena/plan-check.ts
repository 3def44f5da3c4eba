/**
 * Test helper: the documented limits of an Athena query with execution parameters, checked on
 * the exact text and parameters sent to StartQueryExecution (docs/athena.md, "What Athena
 * accepts"):
 *
 * - `?` parameters only in SELECT, INSERT INTO, CTAS and UNLOAD statements;
 * - `?` only in a WHERE clause ("Syntax like SELECT ? FROM table is not supported"); a lambda
 *   or function call inside a WHERE clause is part of it, a subquery has its own clauses;
 * - never inside quotes (`'?'` and `"?"` are not parameters);
 * - the query string at most 262,144 bytes;
 * - one ExecutionParameter per `?`, each 1 to 1024 characters (API reference).
 *
 * A tokenizer written for this check (not the product's code): it knows Trino's string literals
 * ('' doubles a quote, no backslash escapes), quoted identifiers ("" doubles), comments, and
 * follows clauses per parenthesis level.
 */
export const MAX_QUERY_BYTES = 262_144;
export const MAX_PARAMETER_CHARS = 1024;

/** True for SELECT (WITH ... SELECT), INSERT INTO, CREATE TABLE ... AS SELECT and UNLOAD. */
function acceptsParameters(tokens: readonly Token[]): boolean {
  const words = tokens
    .filter((t) => t.kind !== 'comment' && t.kind !== 'open')
    .map((t) => t.text.toUpperCase());
  const [first, second] = words;
  if (first === 'SELECT' || first === 'WITH' || first === 'UNLOAD') return true;
  if (first === 'INSERT') return second === 'INTO';
  if (first !== 'CREATE' || second !== 'TABLE') return false;
  // CTAS: a top-level AS followed by the query.
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'open') depth++;
    else if (t.kind === 'close') depth--;
    else if (depth === 0 && t.kind === 'word' && t.text.toUpperCase() === 'AS') {
      const next = tokens[i + 1];
      return next !== undefined && (next.kind === 'open' || /^(SELECT|WITH)$/i.test(next.text));
    }
  }
  return false;
}

/** Keywords that open a clause of the query at their parenthesis level. */
const CLAUSES = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'HAVING',
  'ORDER',
  'LIMIT',
  'OFFSET',
  'ON',
  'JOIN',
  'WITH',
  'UNION',
  'INTERSECT',
  'EXCEPT',
  'VALUES',
  'WINDOW',
  'FETCH',
]);

interface Token {
  kind: 'word' | 'string' | 'identifier' | 'comment' | 'param' | 'open' | 'close' | 'other';
  text: string;
  at: number;
}

function tokenize(sql: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  const quoted = (quote: string, kind: Token['kind']): string | undefined => {
    const start = i;
    i++;
    for (;;) {
      const end = sql.indexOf(quote, i);
      if (end === -1) return `unterminated ${kind} at ${start}`;
      if (sql[end + 1] === quote) {
        i = end + 2;
        continue;
      }
      i = end + 1;
      tokens.push({ kind, text: sql.slice(start, i), at: start });
      return undefined;
    }
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      const error = quoted(c, c === "'" ? 'string' : 'identifier');
      if (error) return error;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      tokens.push({ kind: 'comment', text: sql.slice(i, stop), at: i });
      i = stop;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) return `unterminated comment at ${i}`;
      tokens.push({ kind: 'comment', text: sql.slice(i, end + 2), at: i });
      i = end + 2;
    } else if (c === '?') {
      tokens.push({ kind: 'param', text: c, at: i++ });
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'open' : 'close', text: c, at: i++ });
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i, i + 64)) as RegExpExecArray;
      tokens.push({ kind: 'word', text: m[0], at: i });
      i += m[0].length;
    } else {
      tokens.push({ kind: 'other', text: c, at: i++ });
    }
  }
  return tokens;
}

/** Problems with one StartQueryExecution (none = Athena's documented limits hold). */
export function checkAthenaQuery(sql: string, parameters: readonly string[] | undefined = []): string[] {
  const problems: string[] = [];
  const params = parameters ?? [];
  const bytes = Buffer.byteLength(sql, 'utf8');
  if (bytes > MAX_QUERY_BYTES)
    problems.push(`query string is ${bytes} bytes, over Athena's ${MAX_QUERY_BYTES}`);
  const tokens = tokenize(sql);
  if (typeof tokens === 'string') return [...problems, tokens];

  for (const t of tokens) {
    if (t.kind !== 'param' && t.kind !== 'other' && t.text.includes('?')) {
      problems.push(`a ? inside a ${t.kind} at ${t.at}: ${t.text.slice(0, 40)}`);
    }
  }
  const placeholders = tokens.filter((t) => t.kind === 'param');
  if (placeholders.length !== params.length) {
    problems.push(`${placeholders.length} placeholder(s) but ${params.length} ExecutionParameters`);
  }
  params.forEach((p, i) => {
    if (p.length < 1 || p.length > MAX_PARAMETER_CHARS) {
      problems.push(
        `ExecutionParameter ${i + 1} is ${p.length} characters (Athena: 1 to ${MAX_PARAMETER_CHARS})`,
      );
    }
  });
  if (placeholders.length === 0) return problems;

  if (!acceptsParameters(tokens)) {
    problems.push(`parameters in a statement other than SELECT/INSERT INTO/CTAS/UNLOAD: ${sql.slice(0, 40)}`);
  }

  // The clause each parenthesis level is in: a nested level starts in its parent's clause (a
  // function call or lambda belongs to it) until a keyword of its own opens a clause (a subquery).
  const clause: string[] = ['NONE'];
  for (const t of tokens) {
    if (t.kind === 'open') clause.push(clause[clause.length - 1] as string);
    else if (t.kind === 'close') {
      if (clause.length > 1) clause.pop();
    } else if (t.kind === 'word' && CLAUSES.has(t.text.toUpperCase())) {
      clause[clause.length - 1] = t.text.toUpperCase();
    } else if (t.kind === 'param' && clause[clause.length - 1] !== 'WHERE') {
      problems.push(
        `a ? outside a WHERE clause (in ${clause[clause.length - 1]}) at ${t.at}: …${sql.slice(Math.max(0, t.at - 40), t.at + 1)}`,
      );
    }
  }
  return problems;
}
