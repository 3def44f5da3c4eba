/**
 * One Athena query from start to a final state: StartQueryExecution (retried when throttled), then
 * GetQueryExecution polled with a growing interval (250 ms up to 5 s), until it succeeds, fails
 * (with Athena's StateChangeReason), passes the run's deadline, is cancelled through the abort
 * signal, or is told to stop (the scan budget). Every way out of a started query that is not a
 * final state sends StopQueryExecution, so nothing keeps running (and billing) behind us.
 */
import {
  GetQueryExecutionCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import { SearchError, errorMessage } from '../../errors.js';
import { executionParameters } from '../../query/sql-literal.js';
import { withRetry, type Clock } from './retry.js';

export interface QuerySpec {
  sql: string;
  /** Raw parameter values; quoted into literals here (sql-literal.ts). */
  parameters: string[];
  workgroup: string;
  /** Undefined = the workgroup's output location. */
  outputLocation?: string;
  database?: string;
}

export type QueryState = 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT' | 'ABORTED' | 'STOPPED';

export interface QueryOutcome {
  /** Undefined when the query was never started (aborted before). */
  id: string | undefined;
  state: QueryState;
  /** Why it did not succeed. */
  reason?: string;
  bytesScanned: number;
  /** Where Athena wrote the result (`s3://…/<id>.csv`), when it says. */
  resultLocation?: string;
}

export interface RunQueryOptions {
  clock: Clock;
  /** Epoch ms after which the query is stopped. */
  deadline: number;
  signal?: AbortSignal;
  /** Called once the query has an id (for cleanup of its results). */
  onStarted?: (id: string) => void;
  /** Called with DataScannedInBytes at every poll; a returned reason stops the query. */
  checkScanned?: (bytes: number) => string | undefined;
  pollInitialMs?: number;
  pollMaxMs?: number;
}

const POLL_GROWTH = 1.5;

export async function runQuery(
  client: AthenaClient,
  spec: QuerySpec,
  options: RunQueryOptions,
): Promise<QueryOutcome> {
  const { clock, deadline, signal } = options;
  if (signal?.aborted)
    return { id: undefined, state: 'ABORTED', reason: 'cancelled before it started', bytesScanned: 0 };
  if (clock.now() >= deadline) {
    return {
      id: undefined,
      state: 'TIMED_OUT',
      reason: 'not started: the Athena timeout had passed',
      bytesScanned: 0,
    };
  }

  const id = await startQuery(client, spec, options);
  options.onStarted?.(id);

  let delay = options.pollInitialMs ?? 250;
  const maxDelay = options.pollMaxMs ?? 5_000;
  let bytes = 0;
  let location: string | undefined;
  for (;;) {
    if (signal?.aborted) return stopped(client, clock, id, 'ABORTED', 'cancelled', bytes, location);
    if (clock.now() >= deadline) {
      return stopped(
        client,
        clock,
        id,
        'TIMED_OUT',
        'timed out: stopped after the Athena timeout',
        bytes,
        location,
      );
    }
    let execution: QueryExecution | undefined;
    try {
      execution = await getExecution(client, clock, id, signal);
    } catch (err) {
      if (!signal?.aborted) {
        // We can no longer follow it: do not leave it running.
        await stopped(client, clock, id, 'FAILED', '', bytes, location);
        throw err;
      }
    }
    if (execution) {
      bytes = execution.Statistics?.DataScannedInBytes ?? bytes;
      location = execution.ResultConfiguration?.OutputLocation ?? location;
      const state = execution.Status?.State;
      if (state === 'SUCCEEDED') return withLocation({ id, state, bytesScanned: bytes }, location);
      if (state === 'FAILED' || state === 'CANCELLED') {
        const reason =
          execution.Status?.StateChangeReason ??
          execution.Status?.AthenaError?.ErrorMessage ??
          state.toLowerCase();
        return withLocation({ id, state, reason, bytesScanned: bytes }, location);
      }
      const over = options.checkScanned?.(bytes);
      if (over) return stopped(client, clock, id, 'STOPPED', over, bytes, location);
    }
    try {
      await clock.sleep(Math.max(0, Math.min(delay, deadline - clock.now())), signal);
    } catch {
      // Aborted: the top of the loop stops the query.
    }
    delay = Math.min(maxDelay, delay * POLL_GROWTH);
  }
}

function withLocation(outcome: QueryOutcome, location: string | undefined): QueryOutcome {
  return location ? { ...outcome, resultLocation: location } : outcome;
}

async function startQuery(client: AthenaClient, spec: QuerySpec, options: RunQueryOptions): Promise<string> {
  const params = executionParameters(spec.parameters);
  try {
    const res = await withRetry(
      () =>
        client.send(
          new StartQueryExecutionCommand({
            QueryString: spec.sql,
            WorkGroup: spec.workgroup,
            // Athena rejects an empty list: send the field only when there are placeholders.
            ...(params.length > 0 ? { ExecutionParameters: params } : {}),
            ...(spec.database ? { QueryExecutionContext: { Database: spec.database } } : {}),
            ...(spec.outputLocation ? { ResultConfiguration: { OutputLocation: spec.outputLocation } } : {}),
          }),
        ),
      { clock: options.clock, ...(options.signal ? { signal: options.signal } : {}) },
    );
    if (!res.QueryExecutionId) throw new Error('StartQueryExecution returned no QueryExecutionId');
    return res.QueryExecutionId;
  } catch (err) {
    throw new SearchError(
      `Athena did not start the query: ${describeAwsError(err, 'athena:StartQueryExecution')}`,
      { cause: err },
    );
  }
}

async function getExecution(
  client: AthenaClient,
  clock: Clock,
  id: string,
  signal: AbortSignal | undefined,
): Promise<QueryExecution> {
  try {
    const res = await withRetry(() => client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })), {
      clock,
      ...(signal ? { signal } : {}),
    });
    return res.QueryExecution ?? {};
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new SearchError(
      `Could not follow Athena query ${id}: ${describeAwsError(err, 'athena:GetQueryExecution')}`,
      {
        cause: err,
      },
    );
  }
}

async function stopped(
  client: AthenaClient,
  clock: Clock,
  id: string,
  state: QueryState,
  reason: string,
  bytes: number,
  location: string | undefined,
): Promise<QueryOutcome> {
  let why = reason;
  try {
    // Not tied to the abort signal: stopping is exactly what cancellation must still do.
    await withRetry(() => client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })), {
      clock,
      maxAttempts: 4,
    });
  } catch (err) {
    why = `${reason}; stopping query ${id} failed too: ${describeAwsError(err, 'athena:StopQueryExecution')}`;
  }
  return withLocation({ id, state, reason: why, bytesScanned: bytes }, location);
}

/** An AWS error as text, naming the permission when access was denied. */
export function describeAwsError(err: unknown, permission: string): string {
  const e = (err ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  const denied =
    /AccessDenied/i.test(e.name ?? '') ||
    e.$metadata?.httpStatusCode === 403 ||
    /not authorized/i.test(errorMessage(err));
  const text = `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${errorMessage(err)}`;
  return denied ? `${text} (the credentials need ${permission})` : text;
}
