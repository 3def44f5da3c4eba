/**
 * CloudTrail values are attacker-controlled (a userAgent, a bucket name, an error message…).
 * Before one reaches a terminal or a workflow log it must not be able to move the cursor, clear
 * the screen, change the title, forge a line or reorder text, nor start a workflow command.
 */

const NAMED: Record<string, string> = {
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\u001b': '\\e',
  '\u0007': '\\a',
};

// Controls (C0, DEL, C1: ESC, CSI, OSC, BEL, CR, LF, tab…), format characters (bidi overrides
// U+202A-202E and isolates U+2066-2069, zero-width characters) and line/paragraph separators.
const UNSAFE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

// The runner reads a line as a command when it starts with `::` after leading whitespace, and
// legacy `##[...]` anywhere. A zero-width space is not whitespace to it: it disarms both.
const ZWSP = '\u200B';

function visible(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.codePointAt(0)!;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Every control, format and separator character shown as a visible escape, nothing else changed:
 * for text that no runner reads as commands (the job summary).
 */
export function showControls(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** Disarms workflow-command prefixes in text that has no control characters left. */
function disarmCommands(line: string): string {
  const disarmed = line.replace(/##\[/g, `#${ZWSP}#[`);
  return /^\s*::/.test(disarmed) ? `${ZWSP}${disarmed}` : disarmed;
}

/**
 * One line of text safe to print: every control, format and separator character shown as a
 * visible escape (`\e`, `\r`, `\n`, `\x9b`, `\u202e`…), workflow-command prefixes disarmed.
 * With `multiline`, newlines are kept and every line is disarmed.
 */
export function sanitizeForTerminal(text: string, options: { multiline?: boolean } = {}): string {
  if (options.multiline) {
    return text
      .split('\n')
      .map((line) => sanitizeForTerminal(line))
      .join('\n');
  }
  return disarmCommands(showControls(text));
}
