/**
 * Sigma wildcard patterns (globs): `*` any text, `?` one character, `\*` `\?` `\\` the characters
 * themselves (a backslash before anything else is itself). Matched whole, not as a regex: with
 * attacker-written values, a regex made of `.*` runs backtracks (`a*a*a*…b` never finished; `aws*
 * cli*exec` was cubic), while this matcher finds each piece between stars at its leftmost place,
 * which is enough for globs. Inside a piece only literal characters are compared (a `?` costs
 * nothing): at most (value length x the pattern's literal characters) steps, usually one indexOf
 * per piece.
 */

/** A run of characters between stars; `any[i]` marks a `?` at position i. */
interface Piece {
  text: string;
  any: boolean[] | undefined;
  /** With `?`s: the literal runs between them (only these are compared), longest first. */
  runs?: Array<{ offset: number; text: string }>;
}

interface Glob {
  /** Pieces between stars. With no star, one piece that must be the whole value. */
  pieces: Piece[];
  starred: boolean;
}

/** `\` escapes these three; before anything else (or at the end) it is itself. */
function isEscapable(next: string | undefined): boolean {
  return next === '*' || next === '?' || next === '\\';
}

/** Writes literal text as a glob that matches exactly it. */
export function escapeGlob(text: string): string {
  return text.replace(/[\\*?]/g, '\\$&');
}

function parseGlob(pattern: string, fold: (s: string) => string): Glob {
  const pieces: Piece[] = [];
  let chars: string[] = [];
  let any: boolean[] = [];
  const flush = (): void => {
    // Folded per character so `?` keeps its place (a folded character may change length).
    const text = chars.map(fold).join('');
    const anyAt = any.includes(true) ? expandAny(chars, any, fold) : undefined;
    pieces.push({ text, any: anyAt, ...(anyAt ? { runs: literalRuns(text, anyAt) } : {}) });
    chars = [];
    any = [];
  };
  let stars = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && isEscapable(pattern[i + 1])) {
      chars.push(pattern[++i] as string);
      any.push(false);
    } else if (c === '*') {
      flush();
      stars++;
    } else {
      chars.push(c);
      any.push(c === '?');
    }
  }
  flush();
  return { pieces, starred: stars > 0 };
}

/** Per folded code unit: true where a `?` stands. */
function expandAny(chars: string[], any: boolean[], fold: (s: string) => string): boolean[] {
  const out: boolean[] = [];
  chars.forEach((c, i) => {
    const n = any[i] ? 1 : fold(c).length;
    for (let k = 0; k < n; k++) out.push(any[i] as boolean);
  });
  return out;
}

/** The literal runs of a piece with `?`s, longest first: a `?` needs no comparison. */
function literalRuns(text: string, any: boolean[]): Array<{ offset: number; text: string }> {
  const runs: Array<{ offset: number; text: string }> = [];
  for (let i = 0; i < text.length;) {
    if (any[i]) {
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !any[j]) j++;
    runs.push({ offset: i, text: text.slice(i, j) });
    i = j;
  }
  return runs.sort((a, b) => b.text.length - a.text.length);
}

function matchesAt(text: string, at: number, piece: Piece): boolean {
  const { text: p, runs } = piece;
  if (at < 0 || at + p.length > text.length) return false;
  if (!runs) return text.startsWith(p, at);
  for (const run of runs) if (!text.startsWith(run.text, at + run.offset)) return false;
  return true;
}

/**
 * Leftmost place of `piece` in text[from, limit), or -1. With `?`s, candidates are the places of
 * its longest literal run (found by indexOf); a piece of `?`s only fits wherever there is room.
 */
function find(text: string, piece: Piece, from: number, limit: number): number {
  const last = limit - piece.text.length;
  if (!piece.runs) {
    const at = text.indexOf(piece.text, from);
    return at !== -1 && at <= last ? at : -1;
  }
  const anchor = piece.runs[0];
  if (!anchor) return from <= last ? from : -1;
  for (
    let q = text.indexOf(anchor.text, from + anchor.offset);
    q !== -1;
    q = text.indexOf(anchor.text, q + 1)
  ) {
    const at = q - anchor.offset;
    if (at > last) return -1;
    if (matchesAt(text, at, piece)) return at;
  }
  return -1;
}

/**
 * A test of whole values against a Sigma wildcard pattern; `cased` false compares lowercased
 * text (as the other string tests do).
 */
export function compileGlob(pattern: string, cased: boolean): (value: string) => boolean {
  const fold = cased ? (s: string) => s : (s: string) => s.toLowerCase();
  const glob = parseGlob(pattern, fold);
  const { pieces } = glob;
  if (!glob.starred) {
    const only = pieces[0]!;
    return (value) => {
      const text = fold(value);
      return text.length === only.text.length && matchesAt(text, 0, only);
    };
  }
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  const middle = pieces.slice(1, -1);
  return (value) => {
    const text = fold(value);
    // The first piece is at the start, the last at the end, and the middle ones, in order, in
    // between: each at its leftmost place leaves the most room for the rest.
    const end = text.length - last.text.length;
    if (end < first.text.length || !matchesAt(text, 0, first) || !matchesAt(text, end, last)) return false;
    let at = first.text.length;
    for (const piece of middle) {
      const found = find(text, piece, at, end);
      if (found === -1) return false;
      at = found + piece.text.length;
    }
    return true;
  };
}

/** The same pattern as an anchored regular expression source (for Athena's regexp_like). */
export function globToRegexSource(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && isEscapable(pattern[i + 1])) out += escapeRegExp(pattern[++i] as string);
    else if (c === '*') out += '[\\s\\S]*';
    else if (c === '?') out += '[\\s\\S]';
    else out += escapeRegExp(c);
  }
  // A leading or trailing star needs no anchor (the same regex Sigma values compiled to before).
  const lead = out.startsWith('[\\s\\S]*');
  const trail = out.endsWith('[\\s\\S]*') && out.length > '[\\s\\S]*'.length;
  const body = out.slice(lead ? '[\\s\\S]*'.length : 0, trail ? -'[\\s\\S]*'.length : undefined);
  return `${lead ? '' : '^'}${body}${trail ? '' : '$'}`;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
