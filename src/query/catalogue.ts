/**
 * The field catalogue: the CloudTrail record schema as delivered (camelCase names), with the
 * column each field maps to in the AWS-documented Athena table (docs/athena.md, "The table"). Used to resolve
 * user field paths case-insensitively, suggest spellings, and compile SQL.
 *
 * Kinds:
 * - string/boolean/number: a scalar leaf (in Athena every leaf is a STRING).
 * - struct: known sub-fields (`children`); an Athena STRUCT.
 * - json: a free-form object; in Athena a JSON *string* column (requestParameters...). Paths below
 *   it are not in the catalogue and keep the user's spelling.
 * - array: an array of structs (`resources`); an Athena ARRAY<STRUCT>.
 * - map: an Athena MAP<STRING,STRING> (webIdFederationData.attributes).
 */

export type FieldKind = 'string' | 'boolean' | 'number' | 'struct' | 'json' | 'array' | 'map';

export interface FieldDef {
  /** CloudTrail's spelling. */
  name: string;
  kind: FieldKind;
  /** Athena column / struct field name; undefined when the documented table has no column for it. */
  athena?: string;
  children?: FieldDef[];
}

const s = (name: string, kind: FieldKind = 'string'): FieldDef => ({
  name,
  kind,
  athena: name.toLowerCase(),
});
const struct = (name: string, children: FieldDef[]): FieldDef => ({
  name,
  kind: 'struct',
  athena: name.toLowerCase(),
  children,
});
/** In the record but not a column of the documented Athena table. */
const noColumn = (name: string, kind: FieldKind = 'string'): FieldDef => ({ name, kind });

export const CLOUDTRAIL_FIELDS: readonly FieldDef[] = [
  s('eventVersion'),
  struct('userIdentity', [
    s('type'),
    s('principalId'),
    s('arn'),
    s('accountId'),
    s('invokedBy'),
    s('accessKeyId'),
    s('userName'),
    noColumn('identityProvider'),
    noColumn('credentialId'),
    struct('onBehalfOf', [s('userId'), s('identityStoreArn')]),
    struct('sessionContext', [
      struct('attributes', [s('mfaAuthenticated'), s('creationDate')]),
      struct('sessionIssuer', [s('type'), s('principalId'), s('arn'), s('accountId'), s('userName')]),
      s('ec2RoleDelivery'),
      noColumn('sourceIdentity'),
      struct('webIdFederationData', [s('federatedProvider'), s('attributes', 'map')]),
      noColumn('assumedRoot'),
    ]),
  ]),
  s('eventTime'),
  s('eventSource'),
  s('eventName'),
  s('awsRegion'),
  s('sourceIPAddress'),
  s('userAgent'),
  s('errorCode'),
  s('errorMessage'),
  s('requestParameters', 'json'),
  s('responseElements', 'json'),
  s('additionalEventData', 'json'),
  s('requestID'),
  s('eventID'),
  s('readOnly', 'boolean'),
  {
    name: 'resources',
    kind: 'array',
    athena: 'resources',
    children: [s('ARN'), s('accountId'), s('type')],
  },
  s('eventType'),
  s('apiVersion'),
  noColumn('managementEvent', 'boolean'),
  s('recipientAccountId'),
  s('serviceEventDetails', 'json'),
  s('sharedEventID'),
  s('vpcEndpointId'),
  s('vpcEndpointAccountId'),
  s('eventCategory'),
  {
    name: 'addendum',
    kind: 'struct',
    athena: 'addendum',
    children: [s('reason'), s('updatedFields'), s('originalRequestID'), s('originalEventID')],
  },
  s('sessionCredentialFromConsole'),
  s('edgeDeviceDetails', 'json'),
  struct('tlsDetails', [s('tlsVersion'), s('cipherSuite'), s('clientProvidedHostHeader')]),
  noColumn('insightDetails', 'json'),
];

/** Case-insensitive lookup of a field among `fields` (CloudTrail or Athena spelling). */
export function findField(fields: readonly FieldDef[], name: string): FieldDef | undefined {
  const lower = name.toLowerCase();
  return fields.find((f) => f.name.toLowerCase() === lower || f.athena === lower);
}
