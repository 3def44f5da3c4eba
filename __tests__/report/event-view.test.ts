import { describe, expect, it } from 'vitest';
import { eventStatus, principalShort, principalTextShort } from '../../src/report/event-view.js';

describe('principalShort', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'IAM user with a path',
      { type: 'IAMUser', arn: 'arn:aws:iam::123456789012:user/ops/alice', userName: 'alice' },
      'alice',
    ],
    [
      'assumed role',
      { type: 'AssumedRole', arn: 'arn:aws:sts::123456789012:assumed-role/Deploy/gh-run-42' },
      'Deploy/gh-run-42',
    ],
    ['root', { type: 'Root', arn: 'arn:aws:iam::123456789012:root' }, 'root'],
    ['federated user', { type: 'FederatedUser', arn: 'arn:aws:sts::123456789012:federated-user/bob' }, 'bob'],
    ['service', { type: 'AWSService', invokedBy: 'cloudtrail.amazonaws.com' }, 'cloudtrail.amazonaws.com'],
    [
      'failed sign-in without an ARN',
      { type: 'IAMUser', userName: 'mallory', accountId: '123456789012' },
      'mallory',
    ],
  ];
  for (const [name, userIdentity, expected] of cases) {
    it(name, () => expect(principalShort({ userIdentity })).toBe(expected));
  }
  it('no identity', () => expect(principalShort({})).toBe('(unknown)'));
});

describe('eventStatus', () => {
  it('ok', () => expect(eventStatus({ eventName: 'ListBuckets' })).toEqual({ ok: true, text: 'ok' }));
  it('error code', () =>
    expect(eventStatus({ errorCode: 'AccessDenied' })).toEqual({ ok: false, text: 'AccessDenied' }));
  it('a failed console sign-in has no errorCode', () =>
    expect(
      eventStatus({
        eventName: 'ConsoleLogin',
        responseElements: { ConsoleLogin: 'Failure' },
        errorMessage: 'Failed authentication',
      }),
    ).toEqual({ ok: false, text: 'sign-in failed: Failed authentication' }));
  it('a successful console sign-in', () =>
    expect(eventStatus({ eventName: 'ConsoleLogin', responseElements: { ConsoleLogin: 'Success' } }).ok).toBe(
      true,
    ));
});

describe('principalTextShort (summary.json top principals)', () => {
  it.each([
    ['arn:aws:iam::123456789012:user/ops/alice', 'alice'],
    ['arn:aws:sts::123456789012:assumed-role/Deploy/gh-run-42', 'Deploy/gh-run-42'],
    ['arn:aws:iam::123456789012:role/deploy', 'deploy'],
    ['arn:aws:iam::123456789012:root', 'root'],
    ['mallory', 'mallory'],
    ['ec2.amazonaws.com', 'ec2.amazonaws.com'],
  ])('%s -> %s', (text, expected) => expect(principalTextShort(text)).toBe(expected));

  it('names the same principal as principalShort does from the record', () => {
    const userIdentity = { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/Admin/alice@example.com' };
    expect(principalTextShort(userIdentity.arn)).toBe(principalShort({ userIdentity }));
  });
});
