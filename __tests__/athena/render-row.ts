/**
 * Test helper: a CloudTrail record rendered the way Athena returns the engine's SELECT for it,
 * written from the documented behaviour, independently of the engine's code:
 *
 * - the Hive JSON SerDe maps JSON keys to the (lowercase) columns ignoring case; a STRING column
 *   gets a string as is, a number or boolean as its text, an object as its JSON text;
 * - a missing or null value is NULL (GetQueryResults: no VarCharValue -> null here);
 * - STRUCT/ARRAY/MAP columns are selected as `json_format(CAST(col AS JSON))`: Trino writes a
 *   named ROW as an object of *all* its fields in schema order, absent ones as null.
 *
 * The schema is the one in AWS's "Create the table for CloudTrail logs in Athena using partition
 * projection" (typed here from the documentation).
 */
type Schema = 'string' | 'map' | { [field: string]: Schema } | [Schema];

const S = 'string' as const;

export const AWS_SCHEMA: Record<string, Schema> = {
  eventversion: S,
  useridentity: {
    type: S,
    principalid: S,
    arn: S,
    accountid: S,
    invokedby: S,
    accesskeyid: S,
    username: S,
    onbehalfof: { userid: S, identitystorearn: S },
    sessioncontext: {
      attributes: { mfaauthenticated: S, creationdate: S },
      sessionissuer: { type: S, principalid: S, arn: S, accountid: S, username: S },
      ec2roledelivery: S,
      webidfederationdata: { federatedprovider: S, attributes: 'map' },
    },
  },
  eventtime: S,
  eventsource: S,
  eventname: S,
  awsregion: S,
  sourceipaddress: S,
  useragent: S,
  errorcode: S,
  errormessage: S,
  requestparameters: S,
  responseelements: S,
  additionaleventdata: S,
  requestid: S,
  eventid: S,
  readonly: S,
  resources: [{ arn: S, accountid: S, type: S }],
  eventtype: S,
  apiversion: S,
  recipientaccountid: S,
  serviceeventdetails: S,
  sharedeventid: S,
  vpcendpointid: S,
  vpcendpointaccountid: S,
  eventcategory: S,
  addendum: { reason: S, updatedfields: S, originalrequestid: S, originaleventid: S },
  sessioncredentialfromconsole: S,
  edgedevicedetails: S,
  tlsdetails: { tlsversion: S, ciphersuite: S, clientprovidedhostheader: S },
};

/** The SerDe's case-insensitive key lookup. */
function lookup(obj: Record<string, unknown>, column: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === column);
  return key === undefined ? undefined : obj[key];
}

function stringCell(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** A value as Trino's CAST(... AS JSON) would hold it. */
function jsonValue(schema: Schema, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (schema === 'string') return stringCell(value);
  if (schema === 'map') return value;
  if (Array.isArray(schema)) {
    return Array.isArray(value) ? value.map((v) => jsonValue(schema[0], v)) : null;
  }
  if (typeof value !== 'object' || Array.isArray(value)) return null;
  const out: Record<string, unknown> = {};
  for (const [field, sub] of Object.entries(schema))
    out[field] = jsonValue(sub, lookup(value as Record<string, unknown>, field));
  return out;
}

export function renderRow(record: Record<string, unknown>): Record<string, string | null> {
  const row: Record<string, string | null> = {};
  for (const [column, schema] of Object.entries(AWS_SCHEMA)) {
    const value = lookup(record, column);
    if (schema === 'string') {
      row[column] = stringCell(value);
    } else {
      const json = jsonValue(schema, value);
      row[column] = json === null ? null : JSON.stringify(json);
    }
  }
  return row;
}

/**
 * The record as the table can give it back: only fields with a column (matched ignoring case,
 * original spelling kept), null and absent fields dropped at every schema level, free-form JSON
 * columns untouched.
 */
export function projectOntoTable(record: Record<string, unknown>): Record<string, unknown> {
  return projectObject(AWS_SCHEMA, record);
}

function projectObject(
  schema: Record<string, Schema>,
  obj: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    const sub = schema[key.toLowerCase()];
    if (sub === undefined || value === null || value === undefined) continue;
    out[key] = projectValue(sub, value);
  }
  return out;
}

function projectValue(schema: Schema, value: unknown): unknown {
  if (schema === 'string' || schema === 'map') return value;
  if (Array.isArray(schema)) {
    return Array.isArray(value) ? value.map((v) => projectValue(schema[0], v)) : value;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? projectObject(schema, value as Record<string, unknown>)
    : value;
}
