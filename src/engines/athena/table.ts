/**
 * Makes sure the location's table exists with the projection this run needs: creates the
 * database and table when missing, reuses a table whose projection already covers the accounts
 * and regions (reruns cost one metadata call), and recreates one that is outdated (other location
 * template, older schema, accounts or regions it does not project) with the union of both.
 */
import { GetTableMetadataCommand, type AthenaClient } from '@aws-sdk/client-athena';
import { SearchError } from '../../errors.js';
import { noun } from '../../report/format.js';
import {
  createDatabaseDdl,
  createTableDdl,
  dropTableDdl,
  locationTemplate,
  SCHEMA_PROPERTY,
  SCHEMA_VERSION,
  type TableSpec,
} from './ddl.js';
import { describeAwsError } from './query-runner.js';

export interface TableContext {
  athena: AthenaClient;
  workgroup: string;
  /** Runs one DDL statement to success or throws. */
  runDdl(sql: string): Promise<void>;
}

export interface EnsuredTable {
  spec: TableSpec;
  /** True when this run created (or recreated) the table: cleanup drops only such tables. */
  created: boolean;
  /** The DDL statements run, in order. */
  ddl: string[];
}

/** Table properties of an existing table, or undefined when there is none. */
async function existingProperties(
  ctx: TableContext,
  spec: TableSpec,
): Promise<Record<string, string> | undefined> {
  try {
    const res = await ctx.athena.send(
      new GetTableMetadataCommand({
        CatalogName: 'AwsDataCatalog',
        DatabaseName: spec.database,
        TableName: spec.table,
      }),
    );
    return res.TableMetadata?.Parameters ?? {};
  } catch (err) {
    const name = ((err ?? {}) as { name?: string }).name ?? '';
    // Athena answers MetadataException (EntityNotFound) for a table that does not exist.
    if (
      name === 'MetadataException' ||
      name === 'ResourceNotFoundException' ||
      name === 'EntityNotFoundException'
    ) {
      return undefined;
    }
    throw new SearchError(
      `Could not read table ${spec.database}.${spec.table}: ${describeAwsError(err, 'athena:GetTableMetadata and glue:GetTable')}`,
      { cause: err },
    );
  }
}

function values(props: Record<string, string>, key: string): string[] {
  return (props[key] ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Why an existing table cannot serve `spec` (undefined = it can). */
export function tableOutdated(props: Record<string, string>, spec: TableSpec): string | undefined {
  if (props[SCHEMA_PROPERTY] !== SCHEMA_VERSION) return 'it was made by another version of this tool';
  if (props['storage.location.template'] !== locationTemplate(spec)) return 'its location template differs';
  const accounts = values(props, 'projection.account.values');
  const missingAccounts = spec.accounts.filter((a) => !accounts.includes(a));
  if (missingAccounts.length > 0)
    return `it does not project ${noun(missingAccounts.length, 'account')} ${missingAccounts.join(', ')}`;
  const regions = values(props, 'projection.region.values');
  const missingRegions = spec.regions.filter((r) => !regions.includes(r));
  if (missingRegions.length > 0)
    return `it does not project ${noun(missingRegions.length, 'region')} ${missingRegions.join(', ')}`;
  return undefined;
}

export async function ensureTable(
  ctx: TableContext,
  spec: TableSpec,
  log: (m: string) => void,
): Promise<EnsuredTable> {
  const ddl: string[] = [];
  const run = async (sql: string): Promise<void> => {
    ddl.push(sql);
    await ctx.runDdl(sql);
  };
  await run(createDatabaseDdl(spec.database));
  const props = await existingProperties(ctx, spec);
  if (props === undefined) {
    await run(createTableDdl(spec));
    return { spec, created: true, ddl };
  }
  const why = tableOutdated(props, spec);
  if (why === undefined) return { spec, created: false, ddl };
  log(`recreating table ${spec.database}.${spec.table}: ${why}.`);
  const sameLayout = props['storage.location.template'] === locationTemplate(spec);
  const merged: TableSpec = sameLayout
    ? {
        ...spec,
        accounts: [...new Set([...values(props, 'projection.account.values'), ...spec.accounts])],
        regions: [...new Set([...values(props, 'projection.region.values'), ...spec.regions])],
      }
    : spec;
  await run(dropTableDdl(spec.database, spec.table));
  await run(createTableDdl(merged));
  return { spec: merged, created: true, ddl };
}
