/**
 * The table DDL (validated by the Hive grammar Athena DDL uses), its projection, table naming and
 * the dry-run plan.
 */
import { describe, expect, it } from 'vitest';
import { hive, trino } from './grammar.js';
import { ConfigurationError } from '../../src/errors.js';
import type { Investigation } from '../../src/investigation.js';
import {
  createDatabaseDdl,
  createTableDdl,
  dropTableDdl,
  tableProperties,
  type TableSpec,
} from '../../src/engines/athena/ddl.js';
import { planAthena } from '../../src/engines/athena/plan.js';
import { tableNameFor } from '../../src/engines/athena/table-name.js';
import { tableOutdated } from '../../src/engines/athena/table.js';
import type { LogLocation } from '../../src/source/trail.js';

const base: TableSpec = {
  database: 'cloudtrail_investigate',
  table: 'cloudtrail_trail_bucket_0123456789ab',
  bucket: 'trail-bucket',
  prefix: 'org/logs',
  accounts: ['111122223333', '444455556666'],
  regions: ['us-east-1', 'eu-west-1'],
};

/**
 * The columns of AWS's "Create the table for CloudTrail logs in Athena using partition projection"
 * (Athena user guide), typed from the documentation, in its order.
 */
const AWS_COLUMNS = [
  'eventversion STRING',
  'useridentity STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, invokedby: STRING, accesskeyid: STRING, username: STRING, onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>, sessioncontext: STRUCT<attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>, sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>, ec2roledelivery: STRING, webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING, STRING>>>>',
  'eventtime STRING',
  'eventsource STRING',
  'eventname STRING',
  'awsregion STRING',
  'sourceipaddress STRING',
  'useragent STRING',
  'errorcode STRING',
  'errormessage STRING',
  'requestparameters STRING',
  'responseelements STRING',
  'additionaleventdata STRING',
  'requestid STRING',
  'eventid STRING',
  'readonly STRING',
  'resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>',
  'eventtype STRING',
  'apiversion STRING',
  'recipientaccountid STRING',
  'serviceeventdetails STRING',
  'sharedeventid STRING',
  'vpcendpointid STRING',
  'vpcendpointaccountid STRING',
  'eventcategory STRING',
  'addendum STRUCT<reason: STRING, updatedfields: STRING, originalrequestid: STRING, originaleventid: STRING>',
  'sessioncredentialfromconsole STRING',
  'edgedevicedetails STRING',
  'tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>',
];

describe('CREATE TABLE', () => {
  const layouts: [string, TableSpec][] = [
    ['account trail with prefix', base],
    ['organization trail', { ...base, orgId: 'o-abc123def4' }],
    ['empty prefix', { ...base, prefix: '' }],
    ['one account, one region', { ...base, accounts: ['111122223333'], regions: ['ap-southeast-2'] }],
  ];

  it.each(layouts)('%s: valid Hive DDL', (_name, spec) => {
    expect(hive.validate(createTableDdl(spec))).toEqual([]);
  });

  it('has the documented columns, SerDe, input format and partitions', () => {
    const ddl = createTableDdl(base);
    const body = ddl.slice(ddl.indexOf('(\n') + 2, ddl.indexOf('\n)'));
    expect(body.split(',\n').map((c) => c.trim())).toEqual(AWS_COLUMNS);
    expect(ddl).toContain("ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'");
    expect(ddl).toContain("STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'");
    expect(ddl).toContain('PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)');
    expect(ddl).toMatch(
      /^CREATE EXTERNAL TABLE IF NOT EXISTS `cloudtrail_investigate`\.`cloudtrail_trail_bucket_0123456789ab`/,
    );
  });

  it('projects account and region (enums without whitespace) and the day, with the location template', () => {
    const props = Object.fromEntries(tableProperties({ ...base, orgId: 'o-abc123def4' }));
    expect(props).toMatchObject({
      'projection.enabled': 'true',
      'projection.account.type': 'enum',
      'projection.account.values': '111122223333,444455556666',
      'projection.region.type': 'enum',
      'projection.region.values': 'eu-west-1,us-east-1',
      'projection.timestamp.type': 'date',
      'projection.timestamp.format': 'yyyy/MM/dd',
      'projection.timestamp.interval': '1',
      'projection.timestamp.interval.unit': 'DAYS',
      'storage.location.template':
        's3://trail-bucket/org/logs/AWSLogs/o-abc123def4/${account}/CloudTrail/${region}/${timestamp}',
    });
    expect(props['projection.timestamp.range']).toMatch(/^\d{4}\/\d{2}\/\d{2},NOW$/);
    for (const v of Object.values(props)) expect(v).not.toMatch(/\s/);
    const noPrefix = Object.fromEntries(tableProperties({ ...base, prefix: '' }));
    expect(noPrefix['storage.location.template']).toBe(
      's3://trail-bucket/AWSLogs/${account}/CloudTrail/${region}/${timestamp}',
    );
    expect(createTableDdl({ ...base, prefix: '' })).toContain("LOCATION 's3://trail-bucket/AWSLogs/'");
  });

  it.each([["it's"], ['a b'], ['x\\y'], ['${account}'], ['/lead'], ['a//b']])(
    'refuses a prefix that cannot be written into DDL safely: %j',
    (prefix) => {
      expect(() => createTableDdl({ ...base, prefix })).toThrow(ConfigurationError);
    },
  );

  it('database and drop statements are valid Hive; a bad database name is a ConfigurationError', () => {
    expect(hive.validate(createDatabaseDdl('cloudtrail_investigate'))).toEqual([]);
    expect(hive.validate(dropTableDdl('cloudtrail_investigate', base.table))).toEqual([]);
    expect(createDatabaseDdl('Cloudtrail_Investigate')).toBe(
      'CREATE DATABASE IF NOT EXISTS `cloudtrail_investigate`',
    );
    expect(() => createDatabaseDdl('x`; DROP DATABASE y; --')).toThrow(ConfigurationError);
  });
});

describe('table names', () => {
  it('are deterministic, distinct per bucket, prefix and organization, and plain identifiers', () => {
    const a = tableNameFor({ bucket: 'my.trail-bucket', prefix: '' });
    expect(a).toBe(tableNameFor({ bucket: 'my.trail-bucket', prefix: '' }));
    expect(a).toMatch(/^cloudtrail_my_trail_bucket_[0-9a-f]{12}$/);
    const names = new Set([
      a,
      tableNameFor({ bucket: 'my-trail-bucket', prefix: '' }), // same sanitised name, other bucket
      tableNameFor({ bucket: 'my.trail-bucket', prefix: 'p' }),
      tableNameFor({ bucket: 'my.trail-bucket', prefix: '', orgId: 'o-abc123def4' }),
    ]);
    expect(names.size).toBe(4);
  });
});

describe('reusing a table', () => {
  const props = Object.fromEntries(tableProperties(base));
  it('reuses one that projects every account and region needed', () => {
    expect(tableOutdated(props, { ...base, accounts: ['111122223333'] })).toBeUndefined();
  });
  it('recreates one missing an account or region, or made for another layout or schema', () => {
    expect(tableOutdated(props, { ...base, regions: ['us-west-2'] })).toMatch(/us-west-2/);
    expect(tableOutdated(props, { ...base, accounts: ['999988887777'] })).toMatch(/999988887777/);
    expect(tableOutdated(props, { ...base, orgId: 'o-abc123def4' })).toMatch(/template/);
    expect(tableOutdated({ ...props, 'cloudtrail_investigate.schema': '0' }, base)).toMatch(/version/);
  });
});

describe('planAthena (dry run)', () => {
  const location: LogLocation = {
    bucket: 'trail-bucket',
    prefix: '',
    bucketRegion: 'eu-west-1',
    accounts: ['111122223333'],
    regions: ['eu-west-1', 'us-east-1'],
    description: 's3://trail-bucket',
    warnings: [],
  };
  const inv = {
    query: {
      kind: 'match',
      field: { segments: ['eventName'], display: 'eventName' },
      cond: { op: 'equals', values: ["it's"] },
      all: false,
      cased: false,
    },
    window: { since: new Date('2024-03-01T00:00:00Z'), until: new Date('2024-03-01T12:00:00Z') },
    regions: ['us-east-1', 'ap-south-1'],
    accounts: 'all',
    athena: {
      database: 'cloudtrail_investigate',
      workgroup: 'primary',
      cleanup: false,
      concurrency: 5,
      timeoutMs: 1000,
    },
  } as unknown as Investigation;

  it('lists the DDL and one query per region that has logs, parameters as sent', () => {
    const plan = planAthena(inv, [location]);
    expect(plan.engine).toBe('athena');
    expect(plan.ddl).toHaveLength(2);
    expect(plan.ddl[1]).toContain(tableNameFor(location));
    expect(plan.queries.map((q) => q.region)).toEqual(['us-east-1']);
    expect(plan.warnings.join(' ')).toMatch(/ap-south-1/);
    const [q] = plan.queries;
    expect(trino.validate(q!.sql)).toEqual([]);
    expect(q!.parameters).toEqual([
      "'us-east-1'",
      "'2024/03/01'",
      "'2024/03/01'",
      "'2024-03-01T00:00:00.000Z'",
      "'2024-03-01T12:00:00.000Z'",
      "'it''s'",
    ]);
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});
