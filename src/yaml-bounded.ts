/**
 * YAML (and JSON) text read with a bound on what it expands to. yaml's own `maxAliasCount`
 * counts alias uses, not what they expand to: a few nested anchors (`&a [x, x]`, `&b [*a, *a]`, …)
 * stay under any alias count and still expand to gigabytes ("billion laughs"). So the expanded
 * size is computed first, on the parsed tree without expanding it (each node's size once, an
 * alias counting the size of what it names), and the document is refused past a limit before
 * anything is built. Used for config files and filters; Sigma rule files should use it too.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  parseDocument,
  type Document,
  type Node,
} from 'yaml';

/** yaml's alias-use limit, kept as a first line. */
export const MAX_YAML_ALIASES = 100;
/**
 * Expanded size allowed: nodes plus characters of scalars. A 1 MiB document without aliases is
 * at most about a million; real configs, filters and rules are a few thousand.
 */
export const MAX_YAML_EXPANDED_SIZE = 2_000_000;

/** The text expands past the limits: `reason` says how, for a ConfigurationError. */
export class YamlTooLargeError extends Error {
  override readonly name = 'YamlTooLargeError';
}

export interface BoundedYamlOptions {
  maxAliasCount?: number;
  maxExpandedSize?: number;
}

/**
 * The value of one YAML document. Throws the parser's first error (a YAMLParseError, with its
 * position) for invalid text, a YamlTooLargeError when the document would expand past the limits,
 * and a RangeError when it is nested too deeply for the stack.
 */
export function parseYamlBounded(text: string, options: BoundedYamlOptions = {}): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, logLevel: 'error' });
  return boundedValue(doc, options);
}

/** Every document of a multi-document text (Sigma rule files), each bounded as parseYamlBounded's. */
export function parseAllYamlBounded(text: string, options: BoundedYamlOptions = {}): unknown[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true, logLevel: 'error' });
  if (!Array.isArray(docs)) return [boundedValue(docs, options)]; // an empty stream
  return docs.map((doc) => boundedValue(doc, options));
}

function boundedValue(doc: Document, options: BoundedYamlOptions): unknown {
  const maxAliasCount = options.maxAliasCount ?? MAX_YAML_ALIASES;
  const maxExpanded = options.maxExpandedSize ?? MAX_YAML_EXPANDED_SIZE;
  if (doc.errors.length > 0) throw doc.errors[0];
  const sizes = new Map<unknown, number>();
  const open = new Set<unknown>();
  const sizeOf = (node: unknown): number => {
    if (node === null || node === undefined) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    // An alias inside the node it names: an endless structure.
    if (open.has(node)) throw new YamlTooLargeError('an alias refers to a node that contains it');
    open.add(node);
    let size = 1;
    if (isAlias(node)) size = sizeOf(node.resolve(doc));
    else if (isScalar(node)) size += typeof node.value === 'string' ? node.value.length : 1;
    else if (isPair(node)) size += sizeOf(node.key) + sizeOf(node.value);
    else if (isMap(node) || isSeq(node)) for (const item of node.items) size += sizeOf(item);
    open.delete(node);
    if (size > maxExpanded) {
      throw new YamlTooLargeError(
        `it expands YAML aliases (*name) past ${maxExpanded} values and characters, like an entity-expansion bomb`,
      );
    }
    sizes.set(node, size);
    return size;
  };
  sizeOf(doc.contents as Node | null);
  try {
    return doc.toJS({ maxAliasCount });
  } catch (err) {
    // yaml's ReferenceError "Excessive alias count indicates a resource exhaustion attack".
    if (err instanceof ReferenceError && /alias/i.test(err.message)) {
      throw new YamlTooLargeError(
        `it expands YAML aliases (*name) more than ${maxAliasCount} times, like an entity-expansion bomb`,
      );
    }
    throw err;
  }
}
