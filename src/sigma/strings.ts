/**
 * Sigma string values: wildcards (`*` any text, `?` one character, `\*` `\?` `\\` escapes), the
 * value-transforming modifiers (base64, base64offset, wide/utf16, windash), and the mapping of a
 * finished pattern onto the query AST's string tests: a plain value is `equals`, `x*` is
 * `startswith`, `*x` `endswith`, `*x*` `contains`, `*` alone "exists", anything else a regex.
 */
import { escapeGlob } from '../query/glob.js';
import { RuleProblem } from './problem.js';

const STAR = Symbol('*');
const QMARK = Symbol('?');
type Piece = string | typeof STAR | typeof QMARK;

/** A Sigma string: literal runs and wildcards. */
export interface SigmaString {
  pieces: Piece[];
}

/** Parses Sigma's wildcard syntax. A backslash escapes `*`, `?` and itself, and is literal before anything else. */
export function parseSigmaString(text: string): SigmaString {
  const pieces: Piece[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') pieces.push(literal);
    literal = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        literal += next;
        i++;
      } else literal += c;
    } else if (c === '*' || c === '?') {
      flush();
      pieces.push(c === '*' ? STAR : QMARK);
    } else literal += c;
  }
  flush();
  return { pieces };
}

/** A value without any wildcard. */
export function plainString(text: string): SigmaString {
  return { pieces: text === '' ? [] : [text] };
}

export function hasWildcards(value: SigmaString): boolean {
  return value.pieces.some((p) => typeof p !== 'string');
}

function literalOf(value: SigmaString, modifier: string): string {
  if (hasWildcards(value)) {
    throw new RuleProblem(
      `the "${modifier}" modifier cannot encode a value with wildcards (* or ?); escape them as \\* or \\?`,
    );
  }
  return value.pieces.join('');
}

// ---------------------------------------------------------------------------------------------
// Transforming modifiers. Encodings work on bytes: text is UTF-8 unless `wide`/`utf16*` came first.

/** A value on its way through the transforming modifiers. */
export type Transformed = { kind: 'text'; value: SigmaString } | { kind: 'bytes'; value: Buffer };

export type TransformName = 'base64' | 'base64offset' | 'wide' | 'utf16le' | 'utf16be' | 'utf16' | 'windash';
export const TRANSFORMS: readonly TransformName[] = [
  'base64',
  'base64offset',
  'wide',
  'utf16le',
  'utf16be',
  'utf16',
  'windash',
];

function bytesOf(value: Transformed, modifier: string): Buffer {
  return value.kind === 'bytes' ? value.value : Buffer.from(literalOf(value.value, modifier), 'utf8');
}

/** Applies one transforming modifier; may expand one value into several (ORed). */
export function applyTransform(name: TransformName, value: Transformed): Transformed[] {
  switch (name) {
    case 'base64':
      return [text(bytesOf(value, name).toString('base64'))];
    case 'base64offset':
      return base64Offsets(bytesOf(value, name)).map(text);
    case 'wide':
    case 'utf16le':
      return [{ kind: 'bytes', value: Buffer.from(literalOf(textOf(value, name), name), 'utf16le') }];
    case 'utf16be':
      return [
        { kind: 'bytes', value: Buffer.from(literalOf(textOf(value, name), name), 'utf16le').swap16() },
      ];
    case 'utf16': {
      // With a byte order mark, as Sigma's utf16 modifier writes it (little-endian).
      const body = Buffer.from(literalOf(textOf(value, name), name), 'utf16le');
      return [{ kind: 'bytes', value: Buffer.concat([Buffer.from([0xff, 0xfe]), body]) }];
    }
    case 'windash':
      return windashVariants(textOf(value, name)).map((v) => ({ kind: 'text', value: v }));
  }
}

function text(value: string): Transformed {
  return { kind: 'text', value: plainString(value) };
}

function textOf(value: Transformed, modifier: string): SigmaString {
  if (value.kind === 'text') return value.value;
  throw new RuleProblem(
    `the "${modifier}" modifier needs text, but an earlier modifier produced bytes; put it first`,
  );
}

/** The value as a Sigma string once all transforms ran (bytes read back as Latin-1, one char per byte). */
export function finished(value: Transformed): SigmaString {
  return value.kind === 'text' ? value.value : plainString(value.value.toString('latin1'));
}

/**
 * The three base64 forms of `bytes` as it may appear inside a longer base64 text, one per offset
 * of its start modulo 3, trimmed to the characters that do not depend on the neighbouring bytes
 * (Sigma's base64offset, as pySigma computes it).
 */
export function base64Offsets(bytes: Buffer): string[] {
  const starts = [0, 2, 3];
  const ends = [0, -3, -2];
  return [0, 1, 2].map((shift) => {
    const encoded = Buffer.concat([Buffer.alloc(shift, 0x20), bytes]).toString('base64');
    const end = ends[(bytes.length + shift) % 3] as number;
    return encoded.slice(starts[shift] as number, end === 0 ? undefined : end);
  });
}

/** The dashes Windows command lines accept for an option: -, /, en dash, em dash, horizontal bar. */
export const WINDASH_CHARACTERS = ['-', '/', '\u2013', '\u2014', '\u2015'];
const WINDASH_LIMIT = 4;

/**
 * windash: each `-` or `/` that starts an option (not preceded by a word character, followed by
 * one) may be written with any of the five dashes. Every combination is generated.
 */
function windashVariants(value: SigmaString): SigmaString[] {
  // Wildcards stand in as private-use characters so word boundaries see them as non-words.
  const marks = new Map<string, Piece>([
    ['\uE000', STAR],
    ['\uE001', QMARK],
  ]);
  const flat = value.pieces.map((p) => (p === STAR ? '\uE000' : p === QMARK ? '\uE001' : p)).join('');
  const positions: number[] = [];
  for (const m of flat.matchAll(/(?<!\w)[-/](?=\w)/g)) positions.push(m.index);
  if (positions.length > WINDASH_LIMIT) {
    throw new RuleProblem(
      `the "windash" modifier on a value with ${positions.length} option dashes would make ${5 ** positions.length} variants; the limit is ${WINDASH_LIMIT} dashes per value`,
    );
  }
  let variants = [flat];
  for (const pos of positions) {
    variants = variants.flatMap((v) => WINDASH_CHARACTERS.map((d) => v.slice(0, pos) + d + v.slice(pos + 1)));
  }
  return variants.map((v) => {
    const pieces: Piece[] = [];
    let literal = '';
    for (const c of v) {
      const mark = marks.get(c);
      if (mark === undefined) literal += c;
      else {
        if (literal !== '') pieces.push(literal);
        literal = '';
        pieces.push(mark);
      }
    }
    if (literal !== '') pieces.push(literal);
    return { pieces };
  });
}

// ---------------------------------------------------------------------------------------------
// Patterns -> tests

export type StringTest =
  | { op: 'equals' | 'contains' | 'startswith' | 'endswith'; value: string }
  /** Wildcards inside the text: a whole-value glob (src/query/glob.ts), never a regex. */
  | { op: 'glob'; value: string }
  /** `*` alone: any present value. */
  | { op: 'exists' };

/** Applies a match-type modifier: contains = `*v*`, startswith = `v*`, endswith = `*v`. */
export function withMatchType(
  value: SigmaString,
  type: 'equals' | 'contains' | 'startswith' | 'endswith',
): SigmaString {
  const lead: Piece[] = type === 'contains' || type === 'endswith' ? [STAR] : [];
  const trail: Piece[] = type === 'contains' || type === 'startswith' ? [STAR] : [];
  return { pieces: [...lead, ...value.pieces, ...trail] };
}

export function toStringTest(value: SigmaString): StringTest {
  // `**` is `*`.
  const pieces = value.pieces.filter((p, i, all) => !(p === STAR && all[i - 1] === STAR));
  const leading = pieces[0] === STAR;
  const trailing = pieces.length > 1 && pieces[pieces.length - 1] === STAR;
  const core = pieces.slice(leading ? 1 : 0, trailing ? -1 : undefined);
  if (core.length === 0) return leading ? { op: 'exists' } : { op: 'equals', value: '' };
  if (core.length === 1 && typeof core[0] === 'string') {
    const op = leading ? (trailing ? 'contains' : 'endswith') : trailing ? 'startswith' : 'equals';
    return { op, value: core[0] };
  }
  const glob = pieces.map((p) => (p === STAR ? '*' : p === QMARK ? '?' : escapeGlob(p))).join('');
  return { op: 'glob', value: glob };
}
