/**
 * Attacker-controlled text (CloudTrail values, object keys, error messages) in GitHub-flavoured
 * Markdown: shown exactly as it is, never obeyed. Every character with a meaning in Markdown, GFM
 * or HTML becomes a numeric entity; GitHub's own filters (mentions, issue references, emoji,
 * e-mail autolinks), which run on the rendered text, are kept off by a `<wbr>` after `@`, `#`, `:`
 * and `/`: it splits the text where they would match, adds a line-break opportunity (long ARNs
 * wrap instead of widening a table), and copies as nothing, so a value pasted from the summary
 * into a filter is the original text.
 */
import { showControls } from './sanitize.js';

/** Element boundary without a character: see the module comment. */
export const WBR = '<wbr>';

/** Characters after which a line may break (and no GitHub filter can match across). */
const BREAK_AFTER = new Set(['@', '#', ':', '/', '=', ',', ';']);

/** A run this long without a break opportunity gets one, so no value forces a table wider. */
const MAX_UNBROKEN = 16;

// Every ASCII character with a meaning in inline Markdown, GFM tables, HTML or GitHub's
// extensions (math `$`, mentions `@`, references `#`, autolinks and emoji `:`).
const MD_SPECIAL = /[&<>"'\\`*_[\]()|~@#$:!{}+=^%]/;

/** Any value as text: strings as they are, other scalars as written, objects as JSON. */
export function valueText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  return JSON.stringify(value) ?? '';
}

/** Cuts to `max` code points (never inside a surrogate pair), marking the cut. */
export function truncateText(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * Any value -> text safe anywhere inline (table cell, list item, paragraph): controls made
 * visible (`\n`, `\u202e`), cut to `maxChars`, specials as entities, `<wbr>` break points.
 * Reads as the value itself; copies as the value itself.
 */
export function escapeMarkdown(value: unknown, maxChars = 120): string {
  const chars = Array.from(truncateText(showControls(valueText(value)), maxChars));
  let out = '';
  let run = 0;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    // `www.` would be an autolink: its dot is an entity, split from the `www`.
    const wwwDot =
      ch === '.' &&
      chars
        .slice(Math.max(0, i - 3), i)
        .join('')
        .toLowerCase() === 'www';
    out += MD_SPECIAL.test(ch) ? `&#${ch.codePointAt(0)};` : wwwDot ? `${WBR}&#46;` : ch;
    if (ch === ' ' || ch === '-') {
      run = 0;
    } else if (i + 1 < chars.length && (BREAK_AFTER.has(ch) || ++run >= MAX_UNBROKEN)) {
      out += WBR;
      run = 0;
    }
  }
  return out;
}

/** A cell: escaped text, or an em dash when there is nothing to show. */
export function cell(value: unknown, maxChars = 120): string {
  const text = escapeMarkdown(value, maxChars);
  return text === '' ? '—' : text;
}

/** A GFM table; `align` per column: `r` right-aligns (counts). Every header cell has text. */
export function table(header: string[], rows: string[][], align = ''): string {
  const rule = header.map((_, i) => (align[i] === 'r' ? ' --: ' : ' --- '));
  return [
    `| ${header.join(' | ')} |`,
    `|${rule.join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** A fenced code block that no backtick run inside `text` can close early. */
export function fenced(text: string, info = ''): string {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text}\n${fence}`;
}

/** A collapsed block; `summary` is our own text (escape any value in it first). */
export function details(summary: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}
