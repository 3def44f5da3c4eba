/**
 * The Athena CloudTrail table's columns, derived from the field catalogue (the catalogue already
 * names each field's column as AWS documents the table), so the DDL, the SELECT list, the SQL
 * compiler and the row normaliser can never disagree about a name.
 */
import { CLOUDTRAIL_FIELDS, type FieldDef } from '../../query/catalogue.js';
import { quoteIdentifier } from '../../query/sql.js';

/** A top-level field that has a column. */
export interface TableColumn {
  /** Column name (lowercase). */
  name: string;
  def: FieldDef;
}

/** Top-level columns in catalogue order (which is AWS's documented order). */
export const TABLE_COLUMNS: readonly TableColumn[] = CLOUDTRAIL_FIELDS.filter(
  (f) => f.athena !== undefined,
).map((def) => ({ name: def.athena as string, def }));

/** The Hive type of a field: every leaf is STRING (including the JSON-text columns). */
export function hiveType(def: FieldDef): string {
  const children = (def.children ?? []).filter((c) => c.athena !== undefined);
  switch (def.kind) {
    case 'struct':
      return `STRUCT<${children.map((c) => `${c.athena}: ${hiveType(c)}`).join(', ')}>`;
    case 'array':
      return `ARRAY<STRUCT<${children.map((c) => `${c.athena}: ${hiveType(c)}`).join(', ')}>>`;
    case 'map':
      return 'MAP<STRING, STRING>';
    default:
      return 'STRING';
  }
}

/** True when the column comes back as JSON text (ROW/ARRAY/MAP serialised by the SELECT). */
export function isNested(def: FieldDef): boolean {
  return def.kind === 'struct' || def.kind === 'array' || def.kind === 'map';
}

/**
 * The SELECT list: scalar and JSON-string columns as they are; structs, arrays and maps as JSON
 * text (`json_format(CAST(x AS JSON))` — Trino writes a named ROW as an object with its field
 * names), so the normaliser gets every nested value as parseable JSON.
 */
export function selectList(): string {
  return TABLE_COLUMNS.map(({ name, def }) => {
    const column = quoteIdentifier(name);
    return isNested(def) ? `json_format(CAST(${column} AS JSON)) AS ${column}` : column;
  }).join(', ');
}
