/**
 * `|re` patterns run in RE2 (re2js, a pure JavaScript port): time linear in the value's length
 * whatever the pattern, where V8's backtracking engine can take exponential time on an
 * attacker-chosen value. A guarantee instead of the heuristics that tried to recognise dangerous
 * shapes (they missed lookaround contents, `(?:a|a)` x 40, `a{0,15}` x 10, ...).
 *
 * Patterns keep JavaScript syntax and, where the engines differ, JavaScript's meaning: `\s` is
 * JavaScript's whitespace and `.` stops at \r, U+2028 and U+2029 as well as \n. What RE2 cannot
 * run in linear time is refused, with the fix: backreferences and lookaround.
 */
import { RE2JS } from 're2js';

export const MAX_REGEX_LENGTH = 1000;
/**
 * Largest RE2 program accepted. When its DFA gives up, RE2 simulates the program, costing up to
 * its size per character of the value: measured, 4,000 instructions (`x{0,999}x{0,999}y`) take
 * ~330 ms on a 32 KiB value, so this keeps the worst value under ~100 ms. Ordinary patterns
 * compile to tens of instructions.
 */
export const MAX_REGEX_PROGRAM = 1000;

export interface RegexFlags {
  caseless: boolean;
  /** Sigma's `re|m` / `re|s`: "m" (^ $ at line breaks), "s" (. matches line breaks). */
  flags?: string;
}

/** JavaScript's \s, written in JavaScript syntax (translated with the rest of the pattern). */
const JS_SPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** What RE2 refuses, found the way JavaScript reads the pattern (escapes and classes skipped). */
function unsupported(source: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || (next === 'k' && source[i + 2] === '<'))) {
        return `a backreference (\\${next}…) needs backtracking; match the repeated text itself, or test it with a second key`;
      }
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') inClass = true;
    else if (c === '(' && source[i + 1] === '?') {
      const kind = source.slice(i + 2, i + 4);
      if (kind[0] === '=' || kind[0] === '!' || kind === '<=' || kind === '<!') {
        return `lookaround ((?=…), (?!…), (?<=…), (?<!…)) needs backtracking; match the text itself (drop the lookahead, or put the excluded case in "not")`;
      }
    }
  }
  return undefined;
}

/** JavaScript's \s and . spelled out where RE2's differ. */
function withJsMeanings(source: string, dotAll: boolean): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      i++;
      if (next === 's') out += inClass ? JS_SPACE : `[${JS_SPACE}]`;
      else if (next === 'S' && !inClass) out += `[^${JS_SPACE}]`;
      else out += c + next;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      // `[]` and `[^]` are whole classes in JavaScript: the `]` right after closes them.
      if (source[i + 1] === '^') out += source[++i];
      if (source[i + 1] === ']') {
        out += source[++i];
        inClass = false;
      }
    } else if (c === '.' && !dotAll) out += '[^\\n\\r\\u2028\\u2029]';
    else out += c;
  }
  return out;
}

function re2Flags({ caseless, flags = '' }: RegexFlags): number {
  return (
    (caseless ? RE2JS.CASE_INSENSITIVE : 0) |
    (flags.includes('m') ? RE2JS.MULTILINE : 0) |
    (flags.includes('s') ? RE2JS.DOTALL : 0)
  );
}

/** A compiled pattern; throws RegexRefused when it cannot run in linear time or is not valid. */
export function compileLinearRegex(source: string, options: RegexFlags): (text: string) => boolean {
  const problem = unsupported(source);
  if (problem) throw new RegexRefused(problem);
  const dotAll = (options.flags ?? '').includes('s');
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(withJsMeanings(source, dotAll)), re2Flags(options));
  } catch (err) {
    throw new RegexRefused(`the linear-time engine cannot run it: ${(err as Error).message}`);
  }
  const size = programSize(re);
  if (size !== undefined && size > MAX_REGEX_PROGRAM) {
    throw new RegexRefused(
      `it compiles to ${size} steps per character, over the limit of ${MAX_REGEX_PROGRAM}; use smaller counts in repetitions such as {0,999}`,
    );
  }
  return (text) => re.test(text);
}

/** The compiled program's size (re2js keeps it on an internal field: absent, no limit applies). */
function programSize(re: RE2JS): number | undefined {
  const internal = re as unknown as { re2Input?: { prog?: { inst?: unknown[] } } };
  return internal.re2Input?.prog?.inst?.length;
}

export class RegexRefused extends Error {
  override readonly name = 'RegexRefused';
}

/** Why `source` cannot be used as a `|re` pattern, or undefined. JavaScript syntax is checked first by the caller. */
export function linearRegexProblem(source: string, options: RegexFlags): string | undefined {
  if (source.length > MAX_REGEX_LENGTH) {
    return `the pattern is ${source.length} characters long; the limit is ${MAX_REGEX_LENGTH}`;
  }
  try {
    compileLinearRegex(source, options);
    return undefined;
  } catch (err) {
    if (err instanceof RegexRefused) return err.message;
    throw err;
  }
}
