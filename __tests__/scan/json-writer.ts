/**
 * Writes JSON the way other writers may, not the way JSON.stringify does: optional escapes
 * (`\u0041`, `\/`), whitespace and line breaks between tokens, numbers spelled differently
 * (`5.0`, `50e-1`), and a key repeated with a decoy value first (JSON.parse keeps the last).
 * The text always parses back to the same value as the input. For the indexed reader's tests.
 */
import { Rng } from '../../tools/generate/prng.js';

export interface WriterStyle {
  /** Chance that a character of a string is written as \uXXXX (and `/` as `\/`). */
  escape: number;
  /** Chance of whitespace (space, tab, line break) around each token. */
  space: number;
  /** Chance that an integer is written another way. */
  number: number;
  /** Chance that an object key is written twice, the first time with a decoy value. */
  duplicate: number;
}

export const PLAIN_STYLE: WriterStyle = { escape: 0, space: 0, number: 0, duplicate: 0 };

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function hex4(code: number, rng: Rng): string {
  const h = code.toString(16).padStart(4, '0');
  return `\\u${rng.chance(0.5) ? h : h.toUpperCase()}`;
}

function writeString(text: string, style: WriterStyle, rng: Rng): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (SHORT_ESCAPES[ch] !== undefined && !(code < 0x20 && rng.chance(style.escape))) {
      out += SHORT_ESCAPES[ch];
    } else if (code < 0x20) {
      out += hex4(code, rng);
    } else if (ch === '/' && rng.chance(style.escape)) {
      out += '\\/';
    } else if (rng.chance(style.escape)) {
      // Astral characters as a surrogate pair, like any \u writer.
      for (let i = 0; i < ch.length; i++) out += hex4(ch.charCodeAt(i), rng);
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

function writeNumber(n: number, style: WriterStyle, rng: Rng): string {
  if (!Number.isInteger(n) || !rng.chance(style.number)) return JSON.stringify(n);
  return rng.pick([`${n}.0`, `${n}e0`, `${n * 10}e-1`, `${n}E+0`, `${n}.000`]);
}

function space(style: WriterStyle, rng: Rng): string {
  return rng.chance(style.space) ? rng.pick([' ', '\n', '\t', '\r\n  ']) : '';
}

export function writeJson(value: unknown, style: WriterStyle, rng: Rng): string {
  const s = (): string => space(style, rng);
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') return writeNumber(value, style, rng);
  if (typeof value === 'string') return writeString(value, style, rng);
  if (Array.isArray(value))
    return `[${s()}${value.map((v) => writeJson(v, style, rng)).join(`${s()},${s()}`)}${s()}]`;
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (rng.chance(style.duplicate)) parts.push(`${writeString(key, style, rng)}${s()}:${s()}"decoy"`);
    parts.push(`${writeString(key, style, rng)}${s()}:${s()}${writeJson(v, style, rng)}`);
  }
  return `{${s()}${parts.join(`${s()},${s()}`)}${s()}}`;
}
