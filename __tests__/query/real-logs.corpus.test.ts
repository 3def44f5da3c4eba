/** The predicate against jq (jq-agreement.ts) over the genuine Invictus logs: 55 delivered files. */
import path from 'node:path';
import { describeCorpus, sharedData } from '../helpers/corpus.js';
import { jsonFiles } from '../helpers/corpus-like.js';
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
    76,
  ],
  [
    'source IP in 10.0.0.0/12',
    { 'sourceipaddress|cidr': '10.0.0.0/12' },
    '(.sourceIPAddress | type == "string" and test("^[0-9]+\\\\.[0-9]+\\\\.[0-9]+\\\\.[0-9]+$")) and ((.sourceIPAddress | split(".") | map(tonumber)) as $o | $o[0] == 10 and $o[1] < 16)',
  ],
  [
    'source IP in one of two networks',
    { 'sourceIPAddress|cidr': ['192.168.0.0/16', '3.0.0.0/8'] },
    '(.sourceIPAddress | type == "string" and test("^(192\\\\.168|3)\\\\.[0-9.]+$"))',
  ],
  ['errorCode exists', { 'errorcode|exists': true }, '.errorCode != null', 300],
  ['errorCode absent (null)', { errorcode: null }, '.errorCode == null'],
  [
    'bucket name prefix',
    { 'requestParameters.bucketName|startswith': 'Stratus-Red-Team' },
    '(.requestParameters?.bucketName? | lc // "") | startswith("stratus-red-team")',
  ],
  [
    'any resource ARN contains',
    { 'resources.ARN|contains': 'stratus' },
    '[.resources[]?.ARN? | lc | select(. != null) | contains("stratus")] | any',
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
    { 'requestParameters.instancesSet.items.instanceId|startswith': 'i-0d' },
    '[.requestParameters?.instancesSet?.items? | if type == "array" then .[] else . end | .instanceId? | lc | select(. != null) | startswith("i-0d")] | any',
  ],
  [
    'array at the end of the path is tested as JSON text',
    { 'requestParameters.bucketPolicy.Statement.Resource|endswith': '/*' },
    '[.requestParameters?.bucketPolicy?.Statement? | if type == "array" then .[] else . end | .Resource? | lcjson | select(. != null) | endswith("/*")] | any',
  ],
  [
    'contains on a whole JSON object',
    { 'requestParameters|contains': '"bucketName":"stratus-red-team-bdbp' },
    '(.requestParameters | lcjson // "") | contains("\\"bucketname\\":\\"stratus-red-team-bdbp")',
  ],
  [
    'cased user name (exact)',
    { 'useridentity.username|cased': 'bert-jan' },
    '.userIdentity.userName? == "bert-jan"',
    2642,
  ],
  [
    'cased user name (other case)',
    { 'useridentity.username|cased': 'Bert-Jan' },
    '.userIdentity.userName? == "Bert-Jan"',
    0,
  ],
  [
    'contains all',
    { 'errorCode|contains|all': ['client.', 'notfound'] },
    '(.errorCode | lc // "") as $e | ($e | contains("client.")) and ($e | contains("notfound"))',
  ],
];

describeCorpus('the Invictus logs', () => {
  predicateAgreesWithJq({
    name: 'the Invictus logs',
    files: () => jsonFiles(path.join(sharedData, 'invictus-aws-dataset/CloudTrail')),
    fileCount: 55,
    cases,
    resourceNeedles: ['stratus-red-team/credentials-1', 'instance/i-0'],
  });
});
