/**
 * Sigma rule files -> typed rules. A file may hold several YAML documents: each is a rule, a
 * correlation rule or a filter (Sigma 2), or a Sigma 1 collection action (`action: global`,
 * `reset`, `repeat`) that shapes the documents after it. Broken YAML and documents that are not
 * Sigma rules are the user's mistake (ConfigurationError naming the file); whether a well-formed
 * rule can run on CloudTrail is decided later, per rule, by the compiler.
 */
import { parseAllDocuments } from 'yaml';
import { parseAllYamlBounded, YamlTooLargeError } from '../yaml-bounded.js';
import { ConfigurationError } from '../errors.js';
import { isPlainObject } from '../query/values.js';
import { SIGMA_LEVELS, ruleFileLabel, type RuleSource, type SigmaLevel, type SigmaRule } from './types.js';

type Doc = Record<string, unknown>;

/**
 * Refuses a file whose YAML expands past the bounds (an alias bomb under yaml's alias count),
 * before any document is turned into values. Other YAML errors are reported below, per document.
 */
function checkExpansion(text: string, label: string): void {
  try {
    parseAllYamlBounded(text);
  } catch (err) {
    if (err instanceof YamlTooLargeError || err instanceof RangeError) {
      const reason = err instanceof RangeError ? 'it is nested too deeply' : err.message;
      throw new ConfigurationError(`${label} cannot be read: ${reason}.`, label);
    }
  }
}

/** Every rule document of one source, in file order. */
export function parseRuleSource(source: RuleSource): SigmaRule[] {
  const label = ruleFileLabel(source.file);
  checkExpansion(source.text, label);
  const docs = parseAllDocuments(source.text, { prettyErrors: false });
  if (!Array.isArray(docs)) return [];
  const rules: SigmaRule[] = [];
  let global: Doc = {};
  let previous: Doc | undefined;
  docs.forEach((doc, index) => {
    const where = docs.length > 1 ? ` (document ${index + 1})` : '';
    const [error] = doc.errors;
    if (error) {
      throw new ConfigurationError(
        `${label}${where} is not valid YAML: ${error.message}. Fix the file or leave it out of --rules.`,
        label,
      );
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (!isPlainObject(value)) {
      throw new ConfigurationError(
        `${label}${where} is not a Sigma rule: a rule is a YAML map with "title" and "detection".`,
        label,
      );
    }
    // Sigma 1 rule collections: `global` is merged into each following rule, `repeat` reuses
    // the previous rule with changes, `reset` forgets the global part.
    switch (value.action) {
      case 'global':
        global = withoutAction(value);
        return;
      case 'reset':
        global = {};
        return;
      case 'repeat':
        if (!previous) {
          throw new ConfigurationError(
            `${label}${where}: "action: repeat" needs a rule before it in the same file.`,
            label,
          );
        }
        previous = deepMerge(previous, withoutAction(value));
        break;
      case undefined:
        previous = deepMerge(global, value);
        break;
      default:
        throw new ConfigurationError(
          `${label}${where}: unknown "action: ${String(value.action)}"; Sigma rule collections use global, reset or repeat.`,
          label,
        );
    }
    rules.push(toRule(previous, source.file, index, label + where));
  });
  return rules;
}

function toRule(doc: Doc, file: string, document: number, label: string): SigmaRule {
  const kind = isPlainObject(doc.correlation)
    ? 'correlation'
    : isPlainObject(doc.filter)
      ? 'filter'
      : 'detection';
  if (kind === 'detection' && !isPlainObject(doc.detection)) {
    throw new ConfigurationError(`${label} is not a Sigma rule: it has no "detection" map.`, label);
  }
  const logsource = isPlainObject(doc.logsource) ? doc.logsource : {};
  return {
    file,
    document,
    id: text(doc.id) ?? `${file}#${document + 1}`,
    title: text(doc.title) ?? text(doc.name) ?? `${file}#${document + 1}`,
    level: parseLevel(doc.level, label),
    status: text(doc.status),
    description: text(doc.description),
    references: textList(doc.references),
    tags: textList(doc.tags),
    logsource: {
      ...optional('product', text(logsource.product)),
      ...optional('service', text(logsource.service)),
      ...optional('category', text(logsource.category)),
    },
    detection: isPlainObject(doc.detection) ? doc.detection : {},
    kind,
    name: text(doc.name),
    correlation: isPlainObject(doc.correlation) ? doc.correlation : {},
    generate: doc.generate,
    fingerprint: canonicalJson(doc),
  };
}

/** JSON with object keys sorted, so equal content gives equal text whatever the key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isPlainObject(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function parseLevel(value: unknown, label: string): SigmaLevel | undefined {
  if (value === undefined || value === null) return undefined;
  const level = String(value).toLowerCase();
  if ((SIGMA_LEVELS as readonly string[]).includes(level)) return level as SigmaLevel;
  throw new ConfigurationError(
    `${label}: unknown level ${JSON.stringify(value)}; Sigma levels are ${SIGMA_LEVELS.join(', ')}.`,
    label,
  );
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function textList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map(text).filter((t): t is string => t !== undefined);
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function withoutAction(doc: Doc): Doc {
  const { action: _action, ...rest } = doc;
  return rest;
}

/** Maps merge key by key (later wins); anything else is replaced. */
function deepMerge(base: Doc, over: Doc): Doc {
  const out: Doc = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const old = out[key];
    out[key] = isPlainObject(old) && isPlainObject(value) ? deepMerge(old, value) : value;
  }
  return out;
}
