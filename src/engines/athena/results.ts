/**
 * Reads a succeeded query's rows completely: every GetQueryResults page (NextToken, at most 1000
 * rows each), streamed one row at a time, never capped. The first row of the first page is the
 * header Athena adds for SELECTs; it is recognised by equalling the column names.
 * A value Athena returns without VarCharValue is SQL NULL.
 */
import { GetQueryResultsCommand, type AthenaClient, type Row } from '@aws-sdk/client-athena';
import { SearchError } from '../../errors.js';
import { describeAwsError } from './query-runner.js';
import { withRetry, type Clock } from './retry.js';

export type ResultRow = Record<string, string | null>;

const PAGE_SIZE = 1000;

export async function* readResultRows(
  client: AthenaClient,
  queryExecutionId: string,
  clock: Clock,
  signal?: AbortSignal,
): AsyncGenerator<ResultRow> {
  let token: string | undefined;
  let columns: string[] | undefined;
  let first = true;
  do {
    const page = await withRetry(
      () =>
        client.send(
          new GetQueryResultsCommand({
            QueryExecutionId: queryExecutionId,
            MaxResults: PAGE_SIZE,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      { clock, ...(signal ? { signal } : {}) },
    ).catch((err: unknown) => {
      if (signal?.aborted) throw err;
      throw new SearchError(
        `Could not read the results of Athena query ${queryExecutionId}: ${describeAwsError(err, 'athena:GetQueryResults and s3:GetObject on the output location')}`,
        { cause: err },
      );
    });
    columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? c.Label ?? '');
    let rows: Row[] = page.ResultSet?.Rows ?? [];
    if (first && rows.length > 0 && isHeader(rows[0] as Row, columns)) rows = rows.slice(1);
    first = false;
    for (const row of rows) {
      const out: ResultRow = {};
      const data = row.Data ?? [];
      columns.forEach((name, i) => {
        out[name] = data[i]?.VarCharValue ?? null;
      });
      yield out;
    }
    token = page.NextToken;
  } while (token);
}

function isHeader(row: Row, columns: string[]): boolean {
  const values = (row.Data ?? []).map((d) => d.VarCharValue);
  return values.length === columns.length && values.every((v, i) => v === columns[i]);
}
