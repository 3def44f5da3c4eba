/**
 * Resolves a user's field path (`eventname`, `userIdentity.userName`, `resources.arn`,
 * `requestParameters.bucketName`, `additionaleventdata.x-amz-id-2`) against the field catalogue.
 * Names the catalogue knows are matched case-insensitively in either spelling (CloudTrail camelCase
 * or Athena lowercase) and returned in CloudTrail's spelling; below free-form JSON fields
 * (`requestParameters`, `responseElements`...) and maps any sub-path is accepted as written.
 */
import { ConfigurationError } from '../errors.js';
import type { FieldRef } from './ast.js';
import { CLOUDTRAIL_FIELDS, findField, type FieldDef } from './catalogue.js';
import { closestMatch } from './suggest.js';

/** The `field` of errors about a filter key, e.g. `filter key "eventname|re"`. */
export function filterKeyLabel(key: string): string {
  return `filter key ${JSON.stringify(key)}`;
}

/**
 * Resolves `path`; `key` is the whole filter key it came from (with modifiers), for messages.
 * Throws a ConfigurationError with a "did you mean" suggestion for unknown catalogue names.
 */
export function resolveField(path: string, key: string = path): FieldRef {
  const label = filterKeyLabel(key);
  const display = path.trim();
  const parts = display.split('.').map((p) => p.trim());
  if (display === '' || parts.some((p) => p === '')) {
    throw new ConfigurationError(
      `${label}: "${display}" is not a field path; write names separated by single dots, e.g. "userIdentity.userName".`,
      label,
    );
  }

  const segments: string[] = [];
  let level: readonly FieldDef[] = CLOUDTRAIL_FIELDS;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const def = findField(level, part);
    if (!def) throw unknownField(label, parts, i, level, segments);
    segments.push(def.name);
    if (def.kind === 'json' || def.kind === 'map') {
      // Free-form: keep the user's spelling; records are walked case-insensitively anyway.
      segments.push(...parts.slice(i + 1));
      break;
    }
    if (def.kind === 'struct' || def.kind === 'array') {
      level = def.children ?? [];
      continue;
    }
    if (i < parts.length - 1) {
      throw new ConfigurationError(
        `${label}: "${segments.join('.')}" is a single value and has no sub-field "${parts[i + 1]}"; use "${segments.join('.')}" itself.`,
        label,
      );
    }
  }
  return { segments, display };
}

function unknownField(
  label: string,
  parts: string[],
  index: number,
  level: readonly FieldDef[],
  resolved: string[],
): ConfigurationError {
  const part = parts[index] as string;
  const rest = parts.slice(index + 1);
  const names = level.map((f) => f.name);
  const close = closestMatch(part, names);
  const where = index === 0 ? 'the CloudTrail record' : `"${resolved.join('.')}"`;
  let hint: string;
  if (close) {
    hint = `Did you mean "${[...resolved, close, ...rest].join('.')}"?`;
  } else if (index === 0) {
    const nested = nestedPathsNamed(part);
    hint =
      nested.length > 0
        ? `Did you mean ${nested.map((p) => `"${[p, ...rest].join('.')}"`).join(' or ')}?`
        : `Fields of a request or response go under requestParameters, responseElements or additionalEventData (e.g. "requestParameters.${part}"). Known fields: ${names.join(', ')}.`;
  } else {
    hint = `Known sub-fields of "${resolved.join('.')}": ${names.join(', ')}.`;
  }
  return new ConfigurationError(`${label}: unknown field "${part}" in ${where}. ${hint}`, label);
}

/** Full paths of catalogue fields below the top level whose name is (nearly) `name`. */
function nestedPathsNamed(name: string): string[] {
  const found: string[] = [];
  const visit = (defs: readonly FieldDef[], prefix: string[]): void => {
    for (const def of defs) {
      const path = [...prefix, def.name];
      if (prefix.length > 0 && closestMatch(name, [def.name])) found.push(path.join('.'));
      if (def.children) visit(def.children, path);
    }
  };
  visit(CLOUDTRAIL_FIELDS, []);
  return found.slice(0, 3);
}
