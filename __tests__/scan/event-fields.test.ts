/**
 * Who acted (principalOf): one rule for the terminal table, summary.json's top principals, the job
 * summary and the annotations, checked on each identity shape CloudTrail writes and on hostile ones.
 */
import { describe, expect, it } from 'vitest';
import { principalOf } from '../../src/engines/scan/event-fields.js';
import { eventFacts } from '../../src/report/job-summary.js';

const ROLE = 'arn:aws:iam::111122223333:role/deploy';

describe('principalOf', () => {
  it.each([
    [
      'an ARN first',
      { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', userName: 'alice' },
      'arn:aws:iam::111122223333:user/alice',
    ],
    [
      "the session issuer's ARN when the session has none",
      { type: 'AssumedRole', principalId: 'AROA1:s', sessionContext: { sessionIssuer: { arn: ROLE } } },
      ROLE,
    ],
    [
      'the user name of an identity without an ARN',
      { type: 'IdentityCenterUser', userName: 'bob', principalId: 'p-1' },
      'bob',
    ],
    ['the principal id', { type: 'AWSAccount', principalId: 'AIDA2', accountId: '444455556666' }, 'AIDA2'],
    ['the invoking service', { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' }, 'ec2.amazonaws.com'],
    ['the type, at last', { type: 'Unknown' }, 'Unknown'],
    [
      'no text in place of an ARN',
      { arn: { not: 'text' }, principalId: '', userName: 42, type: 'Root' },
      'Root',
    ],
    ['a session context that is not an object', { sessionContext: 'x', principalId: 'AIDA3' }, 'AIDA3'],
  ])('takes %s', (_what, userIdentity, expected) => {
    expect(principalOf({ userIdentity })).toBe(expected);
  });

  it('says (unknown) without a usable identity', () => {
    for (const userIdentity of [undefined, null, 'root', {}, { arn: '' }]) {
      expect(principalOf({ userIdentity })).toBe('(unknown)');
    }
  });

  it('is what the job summary and the annotations show', () => {
    const record = {
      eventName: 'PutObject',
      userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { arn: ROLE } } },
    };
    expect(eventFacts(record).principal).toBe(ROLE);
  });
});
