/**
 * Athena rows back to CloudTrail records as delivered (camelCase keys, nested objects, the
 * JSON-text columns parsed, `readOnly` a boolean), so the Athena engine returns what the scan
 * engine returns for the same event on every field the table has.
 *
 * Nulls: the table cannot tell an absent field from a null one (both read as NULL), so null
 * catalogue fields are dropped, as most delivered records leave them out. An object delivered
 * empty (`"webIdFederationData": {}`) reads as a struct of nulls and comes back as `{}`; inside the
 * free-form JSON columns everything is kept exactly as delivered, nulls included.
 */
import type { FieldDef } from '../../query/catalogue.js';
import { isNested, TABLE_COLUMNS } from './schema.js';
import type { ResultRow } from './results.js';

export function rowToRecord(row: ResultRow): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const { name, def } of TABLE_COLUMNS) {
    const raw = row[name];
    if (raw === null || raw === undefined) continue;
    const value = isNested(def) ? fromStructured(def, JSON.parse(raw) as unknown) : fromText(def, raw);
    if (value !== undefined) record[def.name] = value;
  }
  return record;
}

/** A STRING column's text as the record held it. */
function fromText(def: FieldDef, raw: string): unknown {
  switch (def.kind) {
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'number': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
    }
    case 'json':
      // The SerDe hands an object's (or array's) JSON text; a bare string value comes unquoted.
      if (raw.startsWith('{') || raw.startsWith('[')) {
        try {
          return JSON.parse(raw) as unknown;
        } catch {
          return raw;
        }
      }
      return raw;
    default:
      return raw;
  }
}

/** A struct/array/map value (parsed from Trino's JSON) with CloudTrail's key spelling. */
function fromStructured(def: FieldDef, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  switch (def.kind) {
    case 'map':
      return value;
    case 'array':
      return Array.isArray(value) ? value.map((element) => structFields(def, element)) : value;
    case 'struct':
      return structFields(def, value);
    default:
      return typeof value === 'string' ? fromText(def, value) : value;
  }
}

function structFields(def: FieldDef, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const child of def.children ?? []) {
    if (child.athena === undefined) continue;
    const converted = fromStructured(child, source[child.athena]);
    if (converted !== undefined) out[child.name] = converted;
  }
  return out;
}
