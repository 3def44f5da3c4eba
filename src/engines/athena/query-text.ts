/**
 * The SELECT one region runs: the table's columns (nested ones as JSON text), pruned to the
 * region's partition, the window's day partitions and the chosen accounts, then the exact window on
 * eventTime and the compiled filter. Every value is a parameter; only the shape is SQL text.
 */
import { ConfigurationError } from '../../errors.js';
import type { TimeWindow } from '../../investigation.js';
import type { QueryNode } from '../../query/ast.js';
import { compileCondition, SqlParams, type CompiledSql } from '../../query/sql.js';
import { DELIVERY_LAG_MS, dayFolders } from '../../source/layout.js';
import { validateDatabaseName } from './ddl.js';
import { selectList } from './schema.js';

/** Athena's limit on a query string, in bytes (API reference; not adjustable). */
export const MAX_QUERY_BYTES = 262_144;

export interface RegionQueryInput {
  database: string;
  table: string;
  region: string;
  /** Account partitions to read; 'all' = every account of the table. */
  accounts: string[] | 'all';
  window: TimeWindow;
  query: QueryNode;
  /**
   * Incremental mode: the log files delivered in `[from, to)` are read, whatever their events'
   * time. The day partitions are those of the delivery range, there is no eventTime predicate, and
   * each row carries its file (`"$path"`), by which the engine keeps only the files of the range.
   */
  delivery?: { from: Date; to: Date };
}

/** The column holding each row's S3 file (Athena's `"$path"` pseudo-column). */
export const PATH_COLUMN = '$path';

/**
 * Day partitions from day(since) to day(until + delivery lag): a file delivered after midnight can
 * still hold the last events of the window (the scan engine's rule, source/layout.ts: DELIVERY_LAG_MS).
 */
export function windowDays(window: TimeWindow): { first: string; last: string } {
  const days = dayFolders(window, DELIVERY_LAG_MS);
  return { first: days[0] as string, last: days[days.length - 1] as string };
}

/** Day partitions holding the files delivered in `[from, to)`: a file's day folder is its stamp's. */
export function deliveryDays(range: { from: Date; to: Date }): { first: string; last: string } {
  const days = dayFolders({ since: range.from, until: range.to }, 0);
  return { first: days[0] as string, last: days[days.length - 1] as string };
}

/**
 * The region's SELECT. Every placeholder stands in its WHERE clause: Athena accepts `?` nowhere
 * else (the select list holds column names only).
 */
export function regionQuery(input: RegionQueryInput): CompiledSql {
  const params = new SqlParams();
  const columns = selectList();
  const database = validateDatabaseName(input.database);
  if (!/^[a-z0-9_]{1,255}$/.test(input.table)) throw new Error(`bad table name ${input.table}`);
  const days = input.delivery ? deliveryDays(input.delivery) : windowDays(input.window);
  const where = [
    `"region" = ${params.add(input.region)}`,
    `"timestamp" >= ${params.add(days.first)}`,
    `"timestamp" <= ${params.add(days.last)}`,
  ];
  if (input.accounts !== 'all') {
    where.push(`"account" IN (${input.accounts.map((a) => params.add(a)).join(', ')})`);
  }
  if (!input.delivery) {
    where.push(
      `from_iso8601_timestamp("eventtime") >= from_iso8601_timestamp(${params.add(input.window.since.toISOString())})`,
      `from_iso8601_timestamp("eventtime") < from_iso8601_timestamp(${params.add(input.window.until.toISOString())})`,
    );
  }
  if (input.query.kind !== 'all') where.push(compileCondition(input.query, params));
  const select = input.delivery ? `${columns}, "${PATH_COLUMN}"` : columns;
  const query = params.finish(
    `SELECT ${select} FROM "${database}"."${input.table}" WHERE ${where.join(' AND ')}`,
  );
  const bytes = Buffer.byteLength(query.sql, 'utf8');
  if (bytes > MAX_QUERY_BYTES) {
    throw new ConfigurationError(
      `the filter and rules compile to ${bytes} bytes of SQL, over Athena's limit of ${MAX_QUERY_BYTES} per query. ` +
        'Use fewer rules or values per run, or --engine scan (no such limit).',
      'filter',
    );
  }
  return query;
}
