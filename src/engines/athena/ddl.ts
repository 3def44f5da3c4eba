/**
 * DDL for the per-location CloudTrail table (AWS's documented table: CloudTrailInputFormat + the
 * Hive JSON SerDe, partition projection on account, region and day). DDL cannot take parameters,
 * so every value placed in it is validated against a strict character set first; the user-facing
 * values that fail (an odd key prefix) get a ConfigurationError pointing at the scan engine.
 */
import { ConfigurationError } from '../../errors.js';
import { ACCOUNT_ID, ORG_ID, awsLogsPrefix } from '../../source/layout.js';
import { hiveType, TABLE_COLUMNS } from './schema.js';

/** What one table covers. */
export interface TableSpec {
  database: string;
  table: string;
  bucket: string;
  /** Key prefix without leading/trailing slashes; may be empty. */
  prefix: string;
  /** Organization trails put `o-…/` above the accounts. */
  orgId?: string;
  /** Values of the `account` and `region` enum projections. */
  accounts: string[];
  regions: string[];
}

/** Bumped when the DDL changes shape: tables of an older version are recreated. */
export const SCHEMA_VERSION = '1';
export const SCHEMA_PROPERTY = 'cloudtrail_investigate.schema';
/**
 * Start of the day projection. CloudTrail began in November 2013; a fixed start keeps the table
 * the same from run to run (queries always bound the day, so the range costs nothing).
 */
export const DAY_RANGE_START = '2013/11/01';

const REGION_NAME = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Characters a key prefix may hold to be written into a table location. */
const PREFIX_CHARS = /^[A-Za-z0-9!_.*()/=+@-]*$/;
const DATABASE_NAME = /^[a-z0-9_]{1,255}$/;

export function isRegionName(name: string): boolean {
  return REGION_NAME.test(name);
}

/** The database name as Athena will store it (lowercase), or a ConfigurationError. */
export function validateDatabaseName(name: string): string {
  const lower = name.trim().toLowerCase();
  if (!DATABASE_NAME.test(lower)) {
    throw new ConfigurationError(
      `--athena-database "${name}" is not a valid Athena database name: use 1-255 letters, digits and underscores.`,
      '--athena-database',
    );
  }
  return lower;
}

function checkSpec(spec: TableSpec): void {
  validateDatabaseName(spec.database);
  if (!/^[a-z0-9_]{1,255}$/.test(spec.table)) throw new Error(`bad table name ${spec.table}`);
  if (!BUCKET_NAME.test(spec.bucket) || spec.bucket.includes('..')) {
    throw new ConfigurationError(`bucket "${spec.bucket}" is not a valid S3 bucket name.`, '--source');
  }
  if (
    !PREFIX_CHARS.test(spec.prefix) ||
    spec.prefix.startsWith('/') ||
    spec.prefix.endsWith('/') ||
    spec.prefix.includes('//')
  ) {
    throw new ConfigurationError(
      `the key prefix "${spec.prefix}" holds characters an Athena table location cannot take safely ` +
        '(allowed: letters, digits and !_.*()/=+@-). Use --engine scan for this location.',
      '--source',
    );
  }
  if (spec.orgId !== undefined && !ORG_ID.test(spec.orgId))
    throw new Error(`bad organization id ${spec.orgId}`);
  const badAccount = spec.accounts.find((a) => !ACCOUNT_ID.test(a));
  if (badAccount !== undefined) throw new Error(`bad account id ${badAccount}`);
  const badRegion = spec.regions.find((r) => !REGION_NAME.test(r));
  if (badRegion !== undefined) throw new Error(`bad region name ${badRegion}`);
  if (spec.accounts.length === 0 || spec.regions.length === 0) {
    throw new Error('a table needs at least one account and one region');
  }
}

/** `s3://bucket/<prefix>/AWSLogs/[<org>/]` */
export function tableLocation(spec: Pick<TableSpec, 'bucket' | 'prefix' | 'orgId'>): string {
  return `s3://${spec.bucket}/${awsLogsPrefix(spec.prefix)}${spec.orgId ? `${spec.orgId}/` : ''}`;
}

export function locationTemplate(spec: Pick<TableSpec, 'bucket' | 'prefix' | 'orgId'>): string {
  return `${tableLocation(spec)}\${account}/CloudTrail/\${region}/\${timestamp}`;
}

/** TBLPROPERTIES, in a stable order. */
export function tableProperties(spec: TableSpec): [string, string][] {
  return [
    ['projection.enabled', 'true'],
    ['projection.account.type', 'enum'],
    ['projection.account.values', [...spec.accounts].sort().join(',')],
    ['projection.region.type', 'enum'],
    ['projection.region.values', [...spec.regions].sort().join(',')],
    ['projection.timestamp.type', 'date'],
    ['projection.timestamp.format', 'yyyy/MM/dd'],
    ['projection.timestamp.interval', '1'],
    ['projection.timestamp.interval.unit', 'DAYS'],
    ['projection.timestamp.range', `${DAY_RANGE_START},NOW`],
    ['storage.location.template', locationTemplate(spec)],
    [SCHEMA_PROPERTY, SCHEMA_VERSION],
  ];
}

/** Hive string literal for a value already checked to hold no quote or backslash. */
function literal(value: string): string {
  if (/['\\\n\r]/.test(value)) throw new Error(`unsafe DDL literal: ${value}`);
  return `'${value}'`;
}

export function createTableDdl(spec: TableSpec): string {
  checkSpec(spec);
  const columns = TABLE_COLUMNS.map(({ name, def }) => `  ${name} ${hiveType(def)}`).join(',\n');
  const props = tableProperties(spec)
    .map(([k, v]) => `  ${literal(k)}=${literal(v)}`)
    .join(',\n');
  return [
    `CREATE EXTERNAL TABLE IF NOT EXISTS \`${spec.database}\`.\`${spec.table}\` (`,
    columns,
    ')',
    `COMMENT ${literal(`CloudTrail logs in ${tableLocation(spec)} (cloudtrail-investigate)`)}`,
    'PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)',
    "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'",
    "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'",
    "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
    `LOCATION ${literal(tableLocation(spec))}`,
    'TBLPROPERTIES (',
    props,
    ')',
  ].join('\n');
}

export function createDatabaseDdl(database: string): string {
  return `CREATE DATABASE IF NOT EXISTS \`${validateDatabaseName(database)}\``;
}

export function dropTableDdl(database: string, table: string): string {
  if (!/^[a-z0-9_]{1,255}$/.test(table)) throw new Error(`bad table name ${table}`);
  return `DROP TABLE IF EXISTS \`${validateDatabaseName(database)}\`.\`${table}\``;
}
