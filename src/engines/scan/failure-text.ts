/**
 * Failure reasons say why an object could not be read, never what it holds: they go into
 * summary.json, the terminal and the Action's annotations, and an object's bytes are untrusted
 * (a link could once point at a private file). V8's JSON.parse messages quote the text around the
 * error (`Unexpected token 'a', "abcdefghij"... is not valid JSON`): that part is replaced.
 */

/** From V8's "Unexpected token" through the last "is not valid JSON": greedy, so quoted text that itself holds the phrase is covered. */
const QUOTING_JSON_ERROR = /Unexpected token[\s\S]*is not valid JSON/g;

/** `reason` without any excerpt of the text that was parsed. */
export function withoutContent(reason: string): string {
  return reason.replace(QUOTING_JSON_ERROR, 'unexpected character');
}
