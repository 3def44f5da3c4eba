/**
 * The predicate against jq (jq-agreement.ts) over the in-repository flat trail: delivered files
 * shaped like the Invictus logs, with values of every kind the filters below test (IAM users and
 * assumed roles, private and public addresses, S3 resources, instance sets, bucket policies,
 * detonation and Terraform user agents). Counts are jq's, over the same files.
 */
import { flatTrail, jsonFiles } from '../helpers/corpus-like.js';
import { predicateAgreesWithJq, type AgreementCase } from './jq-agreement.js';

const cases: AgreementCase[] = [
  ['event name, any case', { eventname: 'consolelogin' }, '(.eventName | lc) == "consolelogin"', 2],
  [
    'Root identity (none in this data)',
    { 'useridentity.type': 'Root' },
    '(.userIdentity.type? | lc) == "root"',
    0,
  ],
  [
    'AssumedRole identity, Athena spelling upper-cased',
    { 'USERIDENTITY.TYPE': 'assumedrole' },
    '(.userIdentity.type? | lc) == "assumedrole"',
  ],
  [
    'source IP in 10.0.0.0/12',
    { 'sourceipaddress|cidr': '10.0.0.0/12' },
    '(.sourceIPAddress | type == "string" and test("^[0-9]+\\\\.[0-9]+\\\\.[0-9]+\\\\.[0-9]+$")) and ((.sourceIPAddress | split(".") | map(tonumber)) as $o | $o[0] == 10 and $o[1] < 16)',
  ],
  [
    'source IP in one of two networks',
    { 'sourceIPAddress|cidr': ['203.0.113.0/24', '3.0.0.0/8'] },
    '(.sourceIPAddress | type == "string" and test("^(203\\\\.0\\\\.113|3)\\\\.[0-9.]+$"))',
  ],
  ['errorCode exists', { 'errorcode|exists': true }, '.errorCode != null'],
  ['errorCode absent (null)', { errorcode: null }, '.errorCode == null'],
  [
    'bucket name prefix',
    { 'requestParameters.bucketName|startswith': 'ACME-Terraform' },
    '(.requestParameters?.bucketName? | lc // "") | startswith("acme-terraform")',
  ],
  [
    'any resource ARN contains',
    { 'resources.ARN|contains': 'terraform-state' },
    '[.resources[]?.ARN? | lc | select(. != null) | contains("terraform-state")] | any',
  ],
  [
    'resource type and event name prefix',
    { 'resources.type': 'AWS::S3::Bucket', 'eventName|startswith': 'get' },
    '([.resources[]?.type? | lc] | index("aws::s3::bucket") != null) and (.eventName | lc | startswith("get"))',
  ],
  [
    'S3 calls that succeeded (not)',
    { eventSource: 's3.amazonaws.com', not: { 'errorcode|exists': true } },
    '(.eventSource | lc) == "s3.amazonaws.com" and .errorCode == null',
  ],
  [
    'any of two maps, and a boolean as text',
    { any: [{ 'eventName|startswith': 'Delete' }, { 'userAgent|contains': 'stratus' }], readonly: 'FALSE' },
    '((.eventName | lc | startswith("delete")) or (.userAgent | lc // "" | contains("stratus"))) and .readOnly == false',
  ],
  [
    'regex on the user agent',
    { 'userAgent|re': '^stratus-red-team_[0-9a-f-]{36}$' },
    '.userAgent | type == "string" and test("^stratus-red-team_[0-9a-f-]{36}$"; "i")',
  ],
  [
    'path through an array (instancesSet.items)',
    { 'requestParameters.instancesSet.items.instanceId|startswith': 'i-0' },
    '[.requestParameters?.instancesSet?.items? | if type == "array" then .[] else . end | .instanceId? | lc | select(. != null) | startswith("i-0")] | any',
  ],
  [
    'array at the end of the path is tested as JSON text',
    { 'requestParameters.bucketPolicy.Statement.Resource|endswith': '/*' },
    '[.requestParameters?.bucketPolicy?.Statement? | if type == "array" then .[] else . end | .Resource? | lcjson | select(. != null) | endswith("/*")] | any',
  ],
  [
    'contains on a whole JSON object',
    { 'requestParameters|contains': '"bucketName":"acme-terraform-state' },
    '(.requestParameters | lcjson // "") | contains("\\"bucketname\\":\\"acme-terraform-state")',
  ],
  [
    'cased user name (exact)',
    { 'useridentity.username|cased': 'alice' },
    '.userIdentity.userName? == "alice"',
  ],
  [
    'cased user name (other case)',
    { 'useridentity.username|cased': 'Alice' },
    '.userIdentity.userName? == "Alice"',
    0,
  ],
  [
    'contains all',
    { 'errorCode|contains|all': ['client.', 'unauthorized'] },
    '(.errorCode | lc // "") as $e | ($e | contains("client.")) and ($e | contains("unauthorized"))',
  ],
];

predicateAgreesWithJq({
  name: 'the in-repo flat trail',
  files: () => jsonFiles(flatTrail()),
  fileCount: 24,
  cases,
  resourceNeedles: ['terraform-state-210987654321/', ':function:'],
});
