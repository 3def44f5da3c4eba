/**
 * Walks a field path through a CloudTrail record. Written for the hot path of the scan engine:
 * no allocation per record beyond what the tests themselves need.
 *
 * - Keys: the exact name first, then a case-insensitive match of the object's keys (real logs and
 *   hand-written events vary the case of some keys).
 * - Arrays met *before* the last segment are walked element by element (`resources.ARN` = the ARN
 *   of any resource); nested arrays are flattened.
 * - The value at the end of the path is handed to the test as is, even when it is an object or an
 *   array (string tests then use its JSON text). Absent and null values are never handed over.
 */

export interface CompiledPath {
  readonly names: readonly string[];
  readonly lowers: readonly string[];
  /** Names that exist on Object.prototype ("constructor", "toString"...) need an own-key check. */
  readonly guarded: readonly boolean[];
  readonly length: number;
}

export function compilePath(segments: readonly string[]): CompiledPath {
  return {
    names: [...segments],
    lowers: segments.map((s) => s.toLowerCase()),
    guarded: segments.map((s) => s in Object.prototype),
    length: segments.length,
  };
}

/** The value of key `name` in `obj`: exact spelling first, then ignoring case. */
export function getKey(obj: object, name: string, lower: string, guarded: boolean): unknown {
  const record = obj as Record<string, unknown>;
  const exact = record[name];
  if (exact !== undefined && (!guarded || Object.hasOwn(obj, name))) return exact;
  for (const key in record) {
    // The length test skips most keys without lowercasing them.
    if (key.length === lower.length && key !== name && key.toLowerCase() === lower) {
      return record[key];
    }
  }
  return undefined;
}

/** True when some value reached by `path` from `value` is present (not null) and passes `test`. */
export function someValue(
  value: unknown,
  path: CompiledPath,
  index: number,
  test: (reached: unknown) => boolean,
): boolean {
  if (index === path.length) return value !== undefined && value !== null && test(value);
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (someValue(value[i], path, index, test)) return true;
    }
    return false;
  }
  const next = getKey(
    value,
    path.names[index] as string,
    path.lowers[index] as string,
    path.guarded[index] as boolean,
  );
  return someValue(next, path, index + 1, test);
}
