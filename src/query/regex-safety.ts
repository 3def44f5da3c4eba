/**
 * Refuses regular expressions that can backtrack catastrophically. A `|re` filter runs against
 * millions of attacker-controlled strings in a backtracking engine (V8), so one exponential
 * pattern would stall a whole investigation. The check is conservative, in the spirit of
 * `safe-regex` ("star height"):
 *
 * 1. No repeated group may contain another variable repetition: `(a+)+`, `(\d+\.){3}`, `(x*y)*`.
 * 2. A repeated group's alternatives must not be able to match the same text at the same place:
 *    `(a|aa)*`, `(.|\s)*`, `(\w|\d)+`. Literal alternatives are fine when none is a prefix of
 *    another (`(GET|PUT)+`); other alternatives are fine when they cannot start with the same
 *    character (`(\d|-)+`).
 *
 * 3. A repeated group may not contain an optional or variable-count part at all: `(?:a?){25}`
 *    tries 2^25 ways to place 25 characters.
 * 4. Two long repetitions in one sequence must not be able to share characters, counting what lies
 *    between them: `\d*\d*x`, `.*a.*b`, `x{0,999}x{0,999}y` split a long value in n^2 ways per
 *    start position. A repetition ending the pattern is exempt: nothing after it can fail, so it
 *    never backtracks (`.+:assumed-role/.+` is fine).
 *
 * What remains accepted runs in at most quadratic time in the value's length (the search tries
 * every start position, and one repetition may scan to the end from each): measured in
 * __tests__/hostile/regex-bounds.test.ts.
 *
 * Safe rewrites usually exist: a character class (`[\d.]+`, `[\w-]+`), or a single repetition.
 */

export const MAX_REGEX_LENGTH = 1000;

type CharClass = 'digit' | 'word' | 'space';

/** What a single character of the input may be, approximately. `any` = could be anything. */
interface FirstChars {
  chars: Set<string>;
  classes: Set<CharClass>;
  any: boolean;
}

interface Quantifier {
  min: number;
  max: number;
}

type Atom =
  | { t: 'char'; c: string }
  /** `src`: the class as written (`\\d`, `[a-z]`), to learn which characters it takes. */
  | { t: 'class'; cls: CharClass | 'any'; src?: string }
  /** Zero-width: anchors, word boundaries, lookarounds. */
  | { t: 'assert' }
  /** A back-reference: unknown text. */
  | { t: 'backref' }
  | { t: 'group'; alts: Term[][] };

interface Term {
  atom: Atom;
  q?: Quantifier;
}

/**
 * The pattern a search (RegExp.test) can run instead of `source`, with the same answer: a leading
 * `.*` matches nothing a search needs (`.*foo` finds exactly what `foo` finds) and a leading `.+`
 * only needs its last character (`.+:role` = `.:role`). Sigma rules often start so, and the
 * leading repetition makes every search quadratic in the value's length.
 */
export function searchEquivalent(source: string): string {
  return source.replace(/^(?:\.\*\??)+(?![*+?{])/, '').replace(/^\.\+\??(?![*+?{])/, '.');
}

/** Returns why `source` is refused, or undefined when it is acceptable. Syntax is checked elsewhere. */
export function regexSafetyProblem(source: string): string | undefined {
  if (source.length > MAX_REGEX_LENGTH) {
    return `the pattern is ${source.length} characters long; the limit is ${MAX_REGEX_LENGTH}`;
  }
  let alts: Term[][];
  try {
    alts = new RegexReader(source).readAlternatives(false);
  } catch {
    // Syntax errors are reported by the RegExp constructor with a better message.
    return undefined;
  }
  return findProblem(alts, true);
}

const OVERLAPPING_REPETITIONS =
  'two long repetitions in a row can match the same characters (like ".*a.*b" or "\\d*\\d*x"), which takes polynomial time on long values; make them unable to overlap (e.g. "[^:]*:" instead of ".*:"), or drop a ".*" (the pattern is searched anywhere in the value)';

/** `top`: the pattern's own alternatives, where a repetition at the very end cannot backtrack. */
function findProblem(alts: Term[][], top = false): string | undefined {
  for (const seq of alts) {
    if (overlappingRepetitions(flatten(seq), top)) return OVERLAPPING_REPETITIONS;
    for (const term of seq) {
      if (term.atom.t !== 'group') continue;
      if (term.q && term.q.max > 1) {
        if (containsVariableRepetition(term.atom.alts)) {
          return 'a repeated group contains another repetition (like "(a+)+"), which can take exponential time; repeat a character class instead (e.g. "[\\w.]+")';
        }
        if (alternativesOverlap(term.atom.alts)) {
          return 'a repeated group has alternatives that can match the same text (like "(a|aa)*" or "(.|\\s)*"), which can take exponential time; use a character class (e.g. "[\\w-]+") or alternatives that start differently';
        }
      }
      const inner = findProblem(term.atom.alts);
      if (inner) return inner;
    }
  }
  return undefined;
}

/** Any count that can vary, `?` included: under a repetition each choice multiplies the ways. */
function isVariableRepetition(q: Quantifier | undefined): boolean {
  return q !== undefined && q.max !== q.min;
}

/** A repetition long enough that splitting text between two of them costs real time. */
const LONG_REPETITION_SPAN = 16;

function isLong(term: Term): boolean {
  if (term.q && term.q.max - term.q.min >= LONG_REPETITION_SPAN) return true;
  // A group holding a long repetition is one, whatever its own count (`(a*)?`).
  return term.atom.t === 'group' && term.atom.alts.some((seq) => seq.some(isLong));
}

/** A term that can match the empty string. */
function isNullable(term: Term): boolean {
  if (term.atom.t === 'assert') return true;
  if (term.q && term.q.min === 0) return true;
  return term.atom.t === 'group' && term.atom.alts.some((seq) => seq.every(isNullable));
}

/** Plain groups (one alternative, no count) spliced into the sequence around them. */
function flatten(seq: Term[]): Term[] {
  return seq.flatMap((term) =>
    !term.q && term.atom.t === 'group' && term.atom.alts.length === 1
      ? flatten(term.atom.alts[0] as Term[])
      : [term],
  );
}

/**
 * Rule 4: a long repetition, then (past terms it could also have consumed) another long one
 * sharing characters with it. With `top`, a repetition that ends the pattern is exempt.
 */
function overlappingRepetitions(seq: Term[], top: boolean): boolean {
  let lastConsuming = seq.length - 1;
  while (lastConsuming >= 0 && seq[lastConsuming]?.atom.t === 'assert') lastConsuming--;
  for (let i = 0; i < seq.length; i++) {
    const first = seq[i] as Term;
    if (!isLong(first)) continue;
    const shared = charsOf(first);
    for (let j = i + 1; j < seq.length; j++) {
      const term = seq[j] as Term;
      if (term.atom.t === 'assert') continue;
      const chars = charsOf(term);
      if (isLong(term) && overlaps(shared, chars)) {
        const atEnd = top && j === lastConsuming && seq.length - 1 === lastConsuming;
        if (!atEnd) return true;
      }
      // The first repetition could have taken this term's text too: the ambiguity carries on.
      if (!isNullable(term) && !overlaps(shared, chars)) break;
    }
  }
  return false;
}

// Which characters a term can consume, as a bit set over a sample alphabet: ASCII, Latin-1 and
// a few characters with case-folding or class surprises. Approximate, erring towards overlap.
const SAMPLE: string[] = [
  ...Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)),
  '\u0100',
  '\u017f',
  '\u212a',
  '\u0416',
  '\u0436',
  '\u4e2d',
  '\u2028',
  '\ufeff',
];
const ALL_CHARS = new Uint8Array(SAMPLE.length).fill(1);

const charsCache = new Map<string, Uint8Array>();

function charsOfSource(src: string): Uint8Array {
  let chars = charsCache.get(src);
  if (!chars) {
    chars = sampleMatches(src);
    if (charsCache.size > 1000) charsCache.clear();
    charsCache.set(src, chars);
  }
  return chars;
}

function sampleMatches(src: string): Uint8Array {
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${src})$`, 'i');
  } catch {
    return ALL_CHARS;
  }
  return Uint8Array.from(SAMPLE, (ch) => (re.test(ch) ? 1 : 0));
}

function charsOf(term: Term): Uint8Array {
  const atom = term.atom;
  switch (atom.t) {
    case 'char':
      return charsOfSource(atom.c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'));
    case 'class':
      return atom.src === undefined ? ALL_CHARS : charsOfSource(atom.src);
    case 'assert':
      return new Uint8Array(SAMPLE.length);
    case 'backref':
      return ALL_CHARS;
    case 'group': {
      const union = new Uint8Array(SAMPLE.length);
      for (const seq of atom.alts) for (const t of seq) charsOf(t).forEach((v, k) => (union[k]! |= v));
      return union;
    }
  }
}

function overlaps(a: Uint8Array, b: Uint8Array): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] && b[k]) return true;
  return false;
}

function containsVariableRepetition(alts: Term[][]): boolean {
  return alts.some((seq) =>
    seq.some(
      (term) =>
        isVariableRepetition(term.q) ||
        (term.atom.t === 'group' && containsVariableRepetition(term.atom.alts)) ||
        // A back-reference can match text of any length, like a repetition.
        term.atom.t === 'backref',
    ),
  );
}

function alternativesOverlap(groupAlts: Term[][]): boolean {
  const alts = unwrap(groupAlts);
  if (alts.length < 2) return false;
  const literals = alts.map(literalText);
  if (literals.every((l): l is string => l !== undefined)) {
    // A prefix-free set of words splits any text in at most one way.
    for (let i = 0; i < literals.length; i++) {
      for (let j = 0; j < literals.length; j++) {
        if (i !== j && (literals[j] as string).startsWith(literals[i] as string)) return true;
      }
    }
    return false;
  }
  const firsts = alts.map(firstChars);
  for (let i = 0; i < firsts.length; i++) {
    for (let j = i + 1; j < firsts.length; j++) {
      if (mayOverlap(firsts[i] as FirstChars, firsts[j] as FirstChars)) return true;
    }
  }
  return false;
}

/** `(?:(a|b))` -> the alternatives `a`, `b`: a plain wrapper group does not change them. */
function unwrap(alts: Term[][]): Term[][] {
  const only = alts.length === 1 && alts[0]?.length === 1 ? alts[0][0] : undefined;
  return only && !only.q && only.atom.t === 'group' ? unwrap(only.atom.alts) : alts;
}

/** The lowercased text of an alternative made only of single literal characters. */
function literalText(seq: Term[]): string | undefined {
  let text = '';
  for (const term of seq) {
    if (term.q || term.atom.t !== 'char') return undefined;
    text += term.atom.c;
  }
  return text.toLowerCase();
}

function firstChars(seq: Term[]): FirstChars {
  const result: FirstChars = { chars: new Set(), classes: new Set(), any: false };
  for (const term of seq) {
    const atom = term.atom;
    if (atom.t === 'assert') continue;
    if (atom.t === 'char') result.chars.add(atom.c.toLowerCase());
    else if (atom.t === 'class') {
      if (atom.cls === 'any') result.any = true;
      else result.classes.add(atom.cls);
    } else if (atom.t === 'backref') result.any = true;
    else {
      for (const alt of atom.alts) {
        const inner = firstChars(alt);
        if (inner.any) result.any = true;
        inner.chars.forEach((c) => result.chars.add(c));
        inner.classes.forEach((c) => result.classes.add(c));
      }
    }
    // An optional term lets the next one start the match too.
    if (!term.q || term.q.min > 0) return result;
  }
  // Can match the empty string: overlaps with anything.
  result.any = true;
  return result;
}

const CLASS_TESTS: Record<CharClass, RegExp> = { digit: /\d/, word: /\w/, space: /\s/ };

function mayOverlap(a: FirstChars, b: FirstChars): boolean {
  if (a.any || b.any) return true;
  for (const c of a.chars) if (b.chars.has(c)) return true;
  for (const cls of a.classes) for (const c of b.chars) if (CLASS_TESTS[cls].test(c)) return true;
  for (const cls of b.classes) for (const c of a.chars) if (CLASS_TESTS[cls].test(c)) return true;
  for (const x of a.classes) for (const y of b.classes) if (classesOverlap(x, y)) return true;
  return false;
}

function classesOverlap(x: CharClass, y: CharClass): boolean {
  // \d is a subset of \w; \s shares nothing with either.
  return x === y || (x !== 'space' && y !== 'space');
}

/** A small reader of JavaScript regex syntax: just enough structure for the checks above. */
class RegexReader {
  private pos = 0;
  constructor(private readonly src: string) {}

  readAlternatives(inGroup: boolean): Term[][] {
    const alts: Term[][] = [[]];
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos] as string;
      if (ch === ')') {
        if (!inGroup) throw new Error('unbalanced )');
        this.pos++;
        return alts;
      }
      if (ch === '|') {
        this.pos++;
        alts.push([]);
        continue;
      }
      const atom = this.readAtom();
      const q = atom.t === 'assert' ? undefined : this.readQuantifier();
      (alts[alts.length - 1] as Term[]).push(q ? { atom, q } : { atom });
    }
    if (inGroup) throw new Error('unterminated group');
    return alts;
  }

  private readAtom(): Atom {
    const ch = this.src[this.pos++] as string;
    switch (ch) {
      case '(':
        return this.readGroup();
      case '[': {
        const start = this.pos - 1;
        this.skipClass();
        return { t: 'class', cls: 'any', src: this.src.slice(start, this.pos) };
      }
      case '.':
        return { t: 'class', cls: 'any' };
      case '^':
      case '$':
        return { t: 'assert' };
      case '\\':
        return this.readEscape();
      default:
        return { t: 'char', c: ch };
    }
  }

  private readGroup(): Atom {
    let lookaround = false;
    if (this.src[this.pos] === '?') {
      const rest = this.src.slice(this.pos, this.pos + 3);
      if (rest.startsWith('?:')) this.pos += 2;
      else if (rest.startsWith('?=') || rest.startsWith('?!')) {
        this.pos += 2;
        lookaround = true;
      } else if (rest === '?<=' || rest === '?<!') {
        this.pos += 3;
        lookaround = true;
      } else if (rest.startsWith('?<')) {
        const close = this.src.indexOf('>', this.pos);
        if (close === -1) throw new Error('bad group name');
        this.pos = close + 1;
      }
    }
    const alts = this.readAlternatives(true);
    return lookaround ? { t: 'assert' } : { t: 'group', alts };
  }

  private skipClass(): void {
    // In JavaScript `[]` is an empty class and `[^]` any character: `]` right away closes it.
    if (this.src[this.pos] === '^') this.pos++;
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos++];
      if (ch === '\\') this.pos++;
      else if (ch === ']') return;
    }
    throw new Error('unterminated class');
  }

  private readEscape(): Atom {
    const ch = this.src[this.pos++];
    if (ch === undefined) throw new Error('trailing backslash');
    switch (ch) {
      case 'd':
        return { t: 'class', cls: 'digit', src: '\\d' };
      case 'w':
        return { t: 'class', cls: 'word', src: '\\w' };
      case 's':
        return { t: 'class', cls: 'space', src: '\\s' };
      case 'D':
      case 'W':
      case 'S':
        return { t: 'class', cls: 'any', src: `\\${ch}` };
      case 'b':
      case 'B':
        return { t: 'assert' };
      case 'k':
        if (this.src[this.pos] === '<') {
          const close = this.src.indexOf('>', this.pos);
          if (close !== -1) this.pos = close + 1;
          return { t: 'backref' };
        }
        return { t: 'char', c: 'k' };
      case 'n':
        return { t: 'char', c: '\n' };
      case 't':
        return { t: 'char', c: '\t' };
      case 'r':
        return { t: 'char', c: '\r' };
      default:
        if (/[1-9]/.test(ch)) {
          while (/[0-9]/.test(this.src[this.pos] ?? '')) this.pos++;
          return { t: 'backref' };
        }
        if (/[a-zA-Z0]/.test(ch)) {
          // \xHH, \uHHHH, \cX, \0, \p{...}...: some character we do not decode.
          return { t: 'class', cls: 'any' };
        }
        return { t: 'char', c: ch };
    }
  }

  private readQuantifier(): Quantifier | undefined {
    const ch = this.src[this.pos];
    let q: Quantifier | undefined;
    if (ch === '*') q = { min: 0, max: Infinity };
    else if (ch === '+') q = { min: 1, max: Infinity };
    else if (ch === '?') q = { min: 0, max: 1 };
    if (q) this.pos++;
    else if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (!m) return undefined; // a literal "{" outside unicode mode
      this.pos += m[0].length;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      q = { min, max };
    }
    // A lazy quantifier backtracks just as much when the overall match fails.
    if (q && this.src[this.pos] === '?') this.pos++;
    return q;
  }
}
