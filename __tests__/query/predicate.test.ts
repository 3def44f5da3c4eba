import { describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/query/parse-filter.js';
import { compilePredicate, describeQuery, matchedResources } from '../../src/query/predicate.js';

type Rec = Record<string, unknown>;

function matches(filter: unknown, record: Rec): boolean {
  return compilePredicate(parseFilter(filter).query)(record);
}

const s3Event: Rec = {
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', userName: 'Bob', accountId: '123456789012' },
  eventSource: 's3.amazonaws.com',
  eventName: 'PutBucketPolicy',
  sourceIPAddress: '10.8.8.10',
  readOnly: false,
  errorCode: null,
  requestParameters: {
    bucketName: 'prod-logs',
    bucketPolicy: {
      Statement: [
        { Effect: 'Allow', Resource: 'arn:aws:s3:::prod-logs/*', Action: 's3:PutObject' },
        {
          Effect: 'Deny',
          Resource: ['arn:aws:s3:::prod-logs', 'arn:aws:s3:::other'],
          Action: ['s3:GetObject', 's3:ListBucket'],
        },
      ],
    },
    maxItems: 5,
  },
  additionalEventData: { 'x-amz-id-2': 'AbC/123=', SignatureVersion: 'SigV4' },
  resources: [
    { type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::prod-logs', accountId: '123456789012' },
    { type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::prod-logs/key', accountId: '123456789012' },
    { type: 'AWS::KMS::Key', ARN: 'arn:aws:kms:us-east-1:123456789012:key/abc' },
  ],
};

describe('equality and type coercion', () => {
  it('ignores case by default, respects it with cased', () => {
    expect(matches({ eventname: 'putbucketpolicy' }, s3Event)).toBe(true);
    expect(matches({ 'eventname|cased': 'putbucketpolicy' }, s3Event)).toBe(false);
    expect(matches({ 'eventname|cased': 'PutBucketPolicy' }, s3Event)).toBe(true);
  });

  it.each([false, 'false', 'False', 'FALSE'])('record boolean false matches %j', (value) => {
    expect(matches({ readonly: value }, s3Event)).toBe(true);
    expect(matches({ readonly: value }, { ...s3Event, readOnly: true })).toBe(false);
  });

  it('a boolean value matches a string in the record', () => {
    expect(matches({ readOnly: false }, { readOnly: 'false' })).toBe(true);
    expect(matches({ readOnly: true }, { readOnly: 'True' })).toBe(true);
  });

  it('numbers and numeric strings match each other', () => {
    expect(matches({ 'requestParameters.maxItems': '5' }, s3Event)).toBe(true);
    expect(matches({ 'requestParameters.maxItems': 5 }, s3Event)).toBe(true);
    expect(matches({ 'requestParameters.maxItems': 6 }, s3Event)).toBe(false);
    expect(matches({ eventVersion: 1.08 }, s3Event)).toBe(true);
  });

  it('null matches absent and null fields, nothing else', () => {
    expect(matches({ errorcode: null }, s3Event)).toBe(true);
    expect(matches({ errormessage: null }, s3Event)).toBe(true);
    expect(matches({ eventName: null }, s3Event)).toBe(false);
    expect(matches({ errorCode: [null, 'AccessDenied'] }, { ...s3Event, errorCode: 'AccessDenied' })).toBe(
      true,
    );
    expect(matches({ errorCode: [null, 'AccessDenied'] }, { ...s3Event, errorCode: 'Throttling' })).toBe(
      false,
    );
  });

  it('equality never matches an object or array', () => {
    expect(matches({ 'requestParameters.bucketPolicy': '[object Object]' }, s3Event)).toBe(false);
    expect(matches({ resources: '' }, s3Event)).toBe(false);
  });

  it('lists OR; all requires every value', () => {
    expect(matches({ eventName: ['DeleteBucket', 'PutBucketPolicy'] }, s3Event)).toBe(true);
    expect(matches({ 'eventName|contains|all': ['bucket', 'policy'] }, s3Event)).toBe(true);
    expect(matches({ 'eventName|contains|all': ['bucket', 'acl'] }, s3Event)).toBe(false);
  });
});

describe('string operators', () => {
  it('contains / startswith / endswith', () => {
    expect(matches({ 'useridentity.username|startswith': 'BO' }, s3Event)).toBe(true);
    expect(matches({ 'useridentity.username|endswith': 'ob' }, s3Event)).toBe(true);
    expect(matches({ 'useridentity.username|contains': 'x' }, s3Event)).toBe(false);
    expect(matches({ 'useridentity.username|startswith|cased': 'bo' }, s3Event)).toBe(false);
  });

  it('regex is a case-insensitive search unless cased', () => {
    expect(matches({ 'eventname|re': 'bucket' }, s3Event)).toBe(true);
    expect(matches({ 'eventname|re': '^bucket' }, s3Event)).toBe(false);
    expect(matches({ 'eventname|re|cased': 'bucket' }, s3Event)).toBe(false);
    expect(matches({ 'eventname|re': ['^Delete', 'Policy$'] }, s3Event)).toBe(true);
    expect(matches({ 'readOnly|re': '^f' }, s3Event)).toBe(true);
  });

  it('tests objects and arrays at the end of the path by their canonical JSON text (compact, keys sorted)', () => {
    expect(matches({ 'requestParameters|contains': '"bucketName":"prod-logs"' }, s3Event)).toBe(true);
    // Delivered as {"x-amz-id-2":…,"SignatureVersion":…}: "S" sorts before "x".
    expect(
      matches({ 'additionalEventData|startswith': '{"SignatureVersion":"SigV4","x-amz-id-2"' }, s3Event),
    ).toBe(true);
    expect(matches({ 'additionalEventData|startswith': '{"x-amz-id-2"' }, s3Event)).toBe(false);
    expect(
      matches({ 'requestParameters.bucketPolicy.Statement.Action|startswith': '["s3:GetObject"' }, s3Event),
    ).toBe(true);
    // Keys sorted: each statement's "Action" now precedes its "Effect".
    expect(
      matches(
        {
          'requestParameters.bucketPolicy|re':
            '"Action":\\["s3:GetObject","s3:ListBucket"\\],"Effect":"Deny"',
        },
        s3Event,
      ),
    ).toBe(true);
    expect(matches({ 'requestParameters.bucketPolicy|re': 'Deny.*ListBucket' }, s3Event)).toBe(false);
  });

  it('keys with dashes under JSON fields', () => {
    expect(matches({ 'additionaleventdata.x-amz-id-2': 'abc/123=' }, s3Event)).toBe(true);
  });
});

describe('paths', () => {
  it('tries every element of arrays along the path', () => {
    expect(matches({ 'resources.ARN|endswith': '/key' }, s3Event)).toBe(true);
    expect(matches({ 'resources.type': 'AWS::KMS::Key' }, s3Event)).toBe(true);
    expect(matches({ 'requestParameters.bucketPolicy.Statement.Effect': 'deny' }, s3Event)).toBe(true);
    expect(
      matches({ 'requestParameters.bucketPolicy.Statement.Resource': 'arn:aws:s3:::prod-logs/*' }, s3Event),
    ).toBe(true);
    expect(matches({ 'resources.ARN': 'arn:aws:s3:::nothing' }, s3Event)).toBe(false);
  });

  it('matches keys case-insensitively when the exact spelling is absent', () => {
    const lower: Rec = {
      eventname: 'ConsoleLogin',
      useridentity: { type: 'Root' },
      requestparameters: { BucketName: 'b' },
    };
    expect(matches({ eventName: 'ConsoleLogin', 'userIdentity.type': 'root' }, lower)).toBe(true);
    expect(matches({ 'requestParameters.bucketName': 'B' }, lower)).toBe(true);
  });

  it('prefers the exact key over a differently cased one', () => {
    expect(matches({ eventName: 'A' }, { eventname: 'B', eventName: 'A' })).toBe(true);
    expect(matches({ eventName: 'B' }, { eventname: 'B', eventName: 'A' })).toBe(false);
  });

  it('does not see Object.prototype members as fields', () => {
    expect(matches({ 'requestParameters.constructor|exists': true }, s3Event)).toBe(false);
    expect(matches({ 'requestParameters.toString|contains': 'function' }, s3Event)).toBe(false);
    const parsed = JSON.parse('{"requestParameters": {"constructor": "x"}}') as Rec;
    expect(matches({ 'requestParameters.constructor': 'x' }, parsed)).toBe(true);
  });

  it('a path through a scalar reaches nothing', () => {
    expect(matches({ 'requestParameters.bucketName.x|exists': true }, s3Event)).toBe(false);
    expect(matches({ 'requestParameters.bucketName.x': null }, s3Event)).toBe(true);
  });
});

describe('exists and not', () => {
  it('exists true = present and not null', () => {
    expect(matches({ 'errorcode|exists': true }, s3Event)).toBe(false);
    expect(matches({ 'errorcode|exists': false }, s3Event)).toBe(true);
    expect(matches({ 'errorcode|exists': 'true' }, { ...s3Event, errorCode: 'AccessDenied' })).toBe(true);
    expect(matches({ 'requestParameters|exists': true }, s3Event)).toBe(true);
    expect(matches({ 'resources.accountId|exists': true }, s3Event)).toBe(true);
  });

  it('exists false over an array means no element has the field', () => {
    expect(matches({ 'resources.accountId|exists': false }, s3Event)).toBe(false);
    expect(
      matches(
        { 'resources.accountId|exists': false },
        { resources: [{ ARN: 'a' }, { ARN: 'b', accountId: null }] },
      ),
    ).toBe(true);
    expect(matches({ 'resources.accountId|exists': false }, { resources: [] })).toBe(true);
  });

  it('not negates a map; a list of maps means none of them', () => {
    expect(matches({ eventName: 'PutBucketPolicy', not: { 'errorcode|exists': true } }, s3Event)).toBe(true);
    expect(matches({ not: { eventName: 'PutBucketPolicy', readOnly: true } }, s3Event)).toBe(true);
    expect(matches({ not: [{ eventName: 'x' }, { readOnly: false }] }, s3Event)).toBe(false);
    expect(matches({ not: [{ eventName: 'x' }, { readOnly: true }] }, s3Event)).toBe(true);
  });

  it('any ORs maps', () => {
    expect(matches({ any: [{ eventName: 'x' }, { 'sourceIPAddress|cidr': '10.0.0.0/8' }] }, s3Event)).toBe(
      true,
    );
    expect(matches({ any: [{ eventName: 'x' }, { readOnly: true }] }, s3Event)).toBe(false);
  });
});

describe('cidr', () => {
  it('matches IPv4 and IPv6 networks', () => {
    expect(matches({ 'sourceipaddress|cidr': '10.0.0.0/12' }, s3Event)).toBe(true);
    expect(matches({ 'sourceipaddress|cidr': '10.16.0.0/12' }, s3Event)).toBe(false);
    expect(matches({ 'sourceipaddress|cidr': ['192.168.0.0/16', '10.8.8.10'] }, s3Event)).toBe(true);
    expect(matches({ 'sourceipaddress|cidr': '2001:db8::/32' }, { sourceIPAddress: '2001:DB8:0:1::5' })).toBe(
      true,
    );
    expect(matches({ 'sourceipaddress|cidr': '2001:db8::/32' }, { sourceIPAddress: '2001:db9::5' })).toBe(
      false,
    );
  });

  it('non-addresses simply do not match', () => {
    for (const sourceIPAddress of ['AWS Internal', 's3.amazonaws.com', '', 10, null]) {
      expect(matches({ 'sourceipaddress|cidr': '0.0.0.0/0' }, { sourceIPAddress })).toBe(false);
    }
  });

  it('gives the same answers when addresses repeat (cached)', () => {
    const predicate = compilePredicate(parseFilter({ 'sourceipaddress|cidr': '10.0.0.0/8' }).query);
    const answers = ['10.1.1.1', '11.1.1.1', '10.1.1.1', '11.1.1.1'].map((ip) =>
      predicate({ sourceIPAddress: ip }),
    );
    expect(answers).toEqual([true, false, true, false]);
  });
});

describe('matchedResources', () => {
  const arns = (filter: unknown, record: Rec = s3Event): string[] =>
    matchedResources(parseFilter(filter).query, record);

  it('returns the ARNs of the elements that satisfied the condition, one list per event', () => {
    expect(arns({ 'resources.ARN|contains': 'prod-logs' })).toEqual([
      'arn:aws:s3:::prod-logs',
      'arn:aws:s3:::prod-logs/key',
    ]);
    expect(arns({ 'resources.type': 'aws::kms::key' })).toEqual([
      'arn:aws:kms:us-east-1:123456789012:key/abc',
    ]);
  });

  it('within AND keeps the elements meeting every resources condition', () => {
    expect(
      arns({ 'resources.type': 'AWS::S3::Object', 'resources.ARN|startswith': 'arn:aws:s3:::' }),
    ).toEqual(['arn:aws:s3:::prod-logs/key']);
  });

  it('within AND falls back to the union when different elements met the conditions', () => {
    expect(arns({ 'resources.type': 'AWS::KMS::Key', 'resources.ARN|endswith': '/key' })).toEqual([
      'arn:aws:s3:::prod-logs/key',
      'arn:aws:kms:us-east-1:123456789012:key/abc',
    ]);
  });

  it('OR counts only the branches that matched the record', () => {
    const filter = {
      any: [
        { eventName: 'DeleteBucket', 'resources.type': 'AWS::S3::Bucket' },
        { eventName: 'PutBucketPolicy', 'resources.type': 'AWS::KMS::Key' },
      ],
    };
    expect(arns(filter)).toEqual(['arn:aws:kms:us-east-1:123456789012:key/abc']);
  });

  it('negated resource conditions contribute nothing', () => {
    expect(arns({ eventName: 'PutBucketPolicy', not: { 'resources.type': 'AWS::IAM::Role' } })).toEqual([]);
  });

  it('with all, keeps elements matching any of the values', () => {
    expect(arns({ 'resources.type|all': ['AWS::S3::Bucket', 'AWS::S3::Object'] })).toEqual([
      'arn:aws:s3:::prod-logs',
      'arn:aws:s3:::prod-logs/key',
    ]);
  });

  it('is empty for records that do not match or have no resources', () => {
    expect(arns({ 'resources.type': 'AWS::IAM::Role' })).toEqual([]);
    expect(arns({ 'resources.arn|exists': false }, { eventName: 'x' })).toEqual([]);
  });

  it('repeats no ARN', () => {
    const record: Rec = { resources: [{ ARN: 'a:1' }, { ARN: 'a:1' }, { arn: 'a:2' }] };
    expect(arns({ 'resources.arn|startswith': 'a:' }, record)).toEqual(['a:1', 'a:2']);
  });
});

describe('describeQuery', () => {
  it.each([
    [
      { eventname: 'ConsoleLogin', not: { 'errorcode|exists': true } },
      'eventName = "ConsoleLogin" AND NOT errorCode exists',
    ],
    [undefined, 'all events'],
    [{ eventName: ['A', 'B'], readOnly: false }, 'eventName in ("A", "B") AND readOnly = false'],
    [{ errorCode: null }, 'errorCode is null'],
    [{ 'errorCode|exists': false }, 'errorCode does not exist'],
    [
      { 'useridentity.arn|contains|all|cased': ['a', 'b'] },
      'userIdentity.arn contains all of ("a", "b") (case-sensitive)',
    ],
    [{ 'eventName|re': '^Delete\\w+' }, 'eventName matches /^Delete\\w+/'],
    [{ 'sourceIPAddress|cidr': ['10.0.0.0/8', '::1'] }, 'sourceIPAddress in any of (10.0.0.0/8, ::1/128)'],
    [
      {
        any: [{ eventName: 'A', readOnly: true }, { 'eventName|startswith': 'B' }],
        not: [{ eventName: 'C' }, { eventName: 'D' }],
      },
      '((eventName = "A" AND readOnly = true) OR eventName starts with "B") AND NOT (eventName = "C" OR eventName = "D")',
    ],
  ])('%j', (filter, text) => {
    expect(describeQuery(parseFilter(filter).query)).toBe(text);
  });

  it('stays on one line whatever the values hold', () => {
    const text = describeQuery(parseFilter({ eventName: 'a\nb\u2028', 'userAgent|re': 'x\ny' }).query);
    expect(text).toBe('eventName = "a\\nb\\u2028" AND userAgent matches /x\\u000ay/');
  });
});
