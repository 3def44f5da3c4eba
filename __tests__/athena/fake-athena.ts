/**
 * Test harness: Athena and S3 answered by aws-sdk-client-mock, scripted per query. DDL succeeds at
 * once; each SELECT follows the script of its region (states it passes through, rows it returns,
 * bytes scanned). A fake clock makes polling and backoff instant and observable.
 *
 * Every StartQueryExecution is held to Athena's documented limits on parameterized queries
 * (plan-check.ts): a query breaking one is refused as Athena refuses it (InvalidRequestException),
 * and the test that sent it fails in `afterEach`, whatever it asserts itself.
 */
import { afterEach } from 'vitest';
import { S3_READS_ENV } from '../../src/aws/settings.js';
import {
  InvalidRequestException,
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetTableMetadataCommand,
  GetWorkGroupCommand,
  MetadataException,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  TooManyRequestsException,
  type QueryExecutionState,
  type Row,
} from '@aws-sdk/client-athena';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { Clock } from '../../src/engines/athena/retry.js';
import type { Investigation } from '../../src/investigation.js';
import type { LogLocation } from '../../src/source/trail.js';
import { checkAthenaQuery } from './plan-check.js';

/** Queries sent during the current test that Athena would refuse. */
const refused: string[] = [];

/** Takes the refusals recorded so far (for a test that sends a refused query on purpose). */
export function takeRefused(): string[] {
  return refused.splice(0);
}

afterEach(() => {
  const problems = refused.splice(0);
  if (problems.length > 0) {
    throw new Error(`the Athena stand-in received queries Athena refuses:\n${problems.join('\n')}`);
  }
});

export interface RegionScript {
  /** States returned by successive GetQueryExecution calls; the last one repeats. */
  states: QueryExecutionState[];
  reason?: string;
  /** The rows; or computed when the query starts, from what it was sent (Athena reads S3 then). */
  rows?: Record<string, string | null>[] | ((query: StartedQuery) => Record<string, string | null>[]);
  bytesScanned?: number;
}

export interface StartedQuery {
  id: string;
  sql: string;
  parameters: string[] | undefined;
  outputLocation: string | undefined;
  workgroup: string | undefined;
}

export const COLUMNS = ['eventid', 'eventname', 'readonly', 'useridentity'];

export function fakeClock(): Clock & { sleeps: number[]; time(): number } {
  let t = 1_000_000;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      t += ms;
      await Promise.resolve();
    },
    random: () => 0.5,
    sleeps,
    time: () => t,
  };
}

const mockAthena = () => mockClient(AthenaClient);
const mockS3 = () => mockClient(S3Client);
const READS_AT_START = process.env[S3_READS_ENV];

export interface Harness {
  athena: ReturnType<typeof mockAthena>;
  s3: ReturnType<typeof mockS3>;
  started: StartedQuery[];
  stopped: string[];
  deleted: string[][];
  /** Region of each SELECT by query id. */
  regionOf: Map<string, string>;
  /** Key of the script each SELECT follows, by query id (`<table>:<region>` or `<region>`). */
  scriptOf: Map<string, string>;
  /** Rows computed at the start of a query whose script computes them, by query id. */
  rowsOf: Map<string, Record<string, string | null>[]>;
  /** Result objects in the output bucket, per key. */
  objects: Set<string>;
  polls: number;
  reset(): void;
}

interface HarnessOptions {
  /** By region, or by `<table>:<region>` for one table's region (several locations). */
  scripts: Record<string, RegionScript>;
  /** Table properties of an existing table; undefined = no table. */
  existingTable?: Record<string, string>;
  workgroupOutput?: string;
  pageSize?: number;
  /** Called on each GetQueryExecution (e.g. to abort mid-run). */
  onPoll?: (id: string, count: number) => void;
  /** StartQueryExecution answers TooManyRequestsException this many times first. */
  throttleStarts?: number;
}

export function harness(options: HarnessOptions): Harness {
  const athena = mockAthena();
  const s3 = mockS3();
  // S3 is mocked at the SDK: the engine's stores must call S3 through it, not with signed requests.
  process.env[S3_READS_ENV] = 'sdk';
  const h: Harness = {
    athena,
    s3,
    started: [],
    stopped: [],
    deleted: [],
    regionOf: new Map(),
    scriptOf: new Map(),
    rowsOf: new Map(),
    objects: new Set(),
    polls: 0,
    reset() {
      athena.restore();
      s3.restore();
      if (READS_AT_START === undefined) delete process.env[S3_READS_ENV];
      else process.env[S3_READS_ENV] = READS_AT_START;
    },
  };
  const pollCount = new Map<string, number>();
  let throttles = options.throttleStarts ?? 0;

  athena.on(GetWorkGroupCommand).resolves({
    WorkGroup: {
      Name: 'primary',
      Configuration: options.workgroupOutput
        ? { ResultConfiguration: { OutputLocation: options.workgroupOutput } }
        : {},
    },
  });
  athena.on(GetTableMetadataCommand).callsFake(() => {
    if (!options.existingTable) {
      throw new MetadataException({ message: 'EntityNotFoundException: Table not found', $metadata: {} });
    }
    return { TableMetadata: { Name: 't', Parameters: options.existingTable } };
  });
  athena
    .on(StartQueryExecutionCommand)
    .callsFake(
      (input: {
        QueryString: string;
        ExecutionParameters?: string[];
        ResultConfiguration?: { OutputLocation?: string };
        WorkGroup?: string;
      }) => {
        const problems = checkAthenaQuery(input.QueryString, input.ExecutionParameters);
        if (problems.length > 0) {
          refused.push(...problems.map((p) => `${p}\n  in: ${input.QueryString.slice(0, 200)}`));
          throw new InvalidRequestException({ message: problems.join('; '), $metadata: {} });
        }
        if (throttles > 0) {
          throttles--;
          throw new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} });
        }
        const id = `q-${h.started.length + 1}`;
        const query: StartedQuery = {
          id,
          sql: input.QueryString,
          parameters: input.ExecutionParameters,
          outputLocation: input.ResultConfiguration?.OutputLocation,
          workgroup: input.WorkGroup,
        };
        h.started.push(query);
        // The region is the first parameter that names a scripted region.
        const table = /FROM "[^"]+"\."([^"]+)"/.exec(input.QueryString)?.[1];
        const keyOf = (p: string) => [`${table}:${p}`, p].find((k) => k in options.scripts);
        const region = /^SELECT/.test(input.QueryString)
          ? input.ExecutionParameters?.map((p) => p.replace(/'/g, '')).find((p) => keyOf(p) !== undefined)
          : undefined;
        if (region) {
          h.regionOf.set(id, region);
          h.scriptOf.set(id, keyOf(region)!);
          const rows = options.scripts[keyOf(region)!]?.rows;
          if (typeof rows === 'function') h.rowsOf.set(id, rows(query));
        }
        const out = (input.ResultConfiguration?.OutputLocation ?? options.workgroupOutput ?? '').replace(
          /^s3:\/\/[^/]+\//,
          '',
        );
        h.objects.add(`${out}${id}.csv`);
        h.objects.add(`${out}${id}.csv.metadata`);
        return { QueryExecutionId: id };
      },
    );
  athena.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId: string }) => {
    const id = input.QueryExecutionId;
    const count = (pollCount.get(id) ?? 0) + 1;
    pollCount.set(id, count);
    h.polls++;
    options.onPoll?.(id, count);
    const region = h.scriptOf.get(id);
    const output = h.started.find((s) => s.id === id)?.outputLocation ?? options.workgroupOutput;
    const location = `${output}${id}.csv`;
    if (!region)
      return {
        QueryExecution: {
          QueryExecutionId: id,
          Status: { State: 'SUCCEEDED' },
          ResultConfiguration: { OutputLocation: location },
        },
      };
    const script = options.scripts[region] as RegionScript;
    const state = script.states[Math.min(count, script.states.length) - 1] as QueryExecutionState;
    return {
      QueryExecution: {
        QueryExecutionId: id,
        Status: { State: state, ...(script.reason ? { StateChangeReason: script.reason } : {}) },
        Statistics: { DataScannedInBytes: script.bytesScanned ?? 0 },
        ResultConfiguration: { OutputLocation: location },
      },
    };
  });
  athena.on(StopQueryExecutionCommand).callsFake((input: { QueryExecutionId: string }) => {
    h.stopped.push(input.QueryExecutionId);
    return {};
  });
  athena
    .on(GetQueryResultsCommand)
    .callsFake((input: { QueryExecutionId: string; NextToken?: string; MaxResults?: number }) => {
      const region = h.scriptOf.get(input.QueryExecutionId) as string;
      const scripted = options.scripts[region]?.rows;
      const rows = h.rowsOf.get(input.QueryExecutionId) ?? (Array.isArray(scripted) ? scripted : []);
      const columns = rows[0] ? Object.keys(rows[0]) : COLUMNS;
      const size = Math.min(options.pageSize ?? 1000, input.MaxResults ?? 1000);
      const start = input.NextToken ? Number(input.NextToken) : 0;
      const toRow = (values: (string | null)[]): Row => ({
        Data: values.map((v) => (v === null ? {} : { VarCharValue: v })),
      });
      // The first page starts with the header row and so holds one data row less.
      const header = start === 0 ? [toRow(columns)] : [];
      const take = size - header.length;
      const slice = rows.slice(start, start + take).map((r) => toRow(columns.map((c) => r[c] ?? null)));
      const next = start + take < rows.length ? String(start + take) : undefined;
      return {
        ResultSet: {
          Rows: [...header, ...slice],
          ResultSetMetadata: { ColumnInfo: columns.map((c) => ({ Name: c, Label: c, Type: 'varchar' })) },
        },
        ...(next ? { NextToken: next } : {}),
      };
    });
  s3.on(ListObjectsV2Command).callsFake((input: { Bucket: string; Prefix?: string }) => ({
    Contents: [...h.objects].filter((k) => k.startsWith(input.Prefix ?? '')).map((Key) => ({ Key, Size: 1 })),
    IsTruncated: false,
  }));
  s3.on(DeleteObjectsCommand).callsFake((input: { Delete: { Objects: { Key: string }[] } }) => {
    const keys = input.Delete.Objects.map((o) => o.Key);
    h.deleted.push(keys);
    for (const k of keys) h.objects.delete(k);
    return { Deleted: keys.map((Key) => ({ Key })) };
  });
  return h;
}

export const LOCATION: LogLocation = {
  bucket: 'trail-bucket',
  prefix: 'logs',
  bucketRegion: 'eu-west-1',
  accounts: ['111122223333'],
  regions: ['eu-west-1', 'us-east-1'],
  description: 's3://trail-bucket/logs',
  warnings: [],
};

export function investigation(
  overrides: Partial<Investigation['athena']> = {},
  extra: Partial<Investigation> = {},
): Investigation {
  return {
    source: { kind: 's3', bucket: 'trail-bucket', prefix: 'logs' },
    query: {
      kind: 'match',
      field: { segments: ['eventName'], display: 'eventName' },
      cond: { op: 'equals', values: ['ConsoleLogin'] },
      all: false,
      cased: false,
    },
    usesResources: false,
    window: { since: new Date('2024-03-01T00:00:00Z'), until: new Date('2024-03-02T00:00:00Z') },
    regions: 'all',
    accounts: 'all',
    engine: 'athena',
    output: { dir: '/tmp/out', format: 'jsonl', testId: '' },
    failOnMatch: false,
    dryRun: false,
    concurrency: 4,
    workers: 0,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', region: 'eu-west-1' },
    athena: {
      database: 'cloudtrail_investigate',
      workgroup: 'primary',
      outputLocation: 's3://results-bucket/athena/',
      cleanup: false,
      concurrency: 5,
      timeoutMs: 30 * 60 * 1000,
      ...overrides,
    },
    ...extra,
  };
}

export const clientFactories = {
  athena: (region: string) =>
    new AthenaClient({ region, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } }),
  s3: (region: string) =>
    new S3Client({ region, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } }),
};
