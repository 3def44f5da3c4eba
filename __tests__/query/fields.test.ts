import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { resolveField } from '../../src/query/fields.js';

function errorOf(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigurationError) return err;
    throw err;
  }
  throw new Error('expected a ConfigurationError');
}

describe('resolveField', () => {
  it.each([
    ['eventname', ['eventName']],
    ['eventName', ['eventName']],
    ['EVENTNAME', ['eventName']],
    ['useridentity.username', ['userIdentity', 'userName']],
    ['userIdentity.userName', ['userIdentity', 'userName']],
    [
      'useridentity.sessioncontext.sessionissuer.username',
      ['userIdentity', 'sessionContext', 'sessionIssuer', 'userName'],
    ],
    ['resources.arn', ['resources', 'ARN']],
    ['resources.ARN', ['resources', 'ARN']],
    ['tlsdetails.tlsversion', ['tlsDetails', 'tlsVersion']],
    ['sourceipaddress', ['sourceIPAddress']],
    ['readonly', ['readOnly']],
  ])('maps %s to CloudTrail spelling', (path, segments) => {
    expect(resolveField(path).segments).toEqual(segments);
  });

  it('keeps the user spelling below JSON fields and maps', () => {
    expect(resolveField('requestparameters.bucketName').segments).toEqual([
      'requestParameters',
      'bucketName',
    ]);
    expect(resolveField('additionaleventdata.x-amz-id-2').segments).toEqual([
      'additionalEventData',
      'x-amz-id-2',
    ]);
    expect(resolveField('requestParameters.containerDefinitions.command').segments).toEqual([
      'requestParameters',
      'containerDefinitions',
      'command',
    ]);
    expect(resolveField('useridentity.sessioncontext.webidfederationdata.attributes.Aud').segments).toEqual([
      'userIdentity',
      'sessionContext',
      'webIdFederationData',
      'attributes',
      'Aud',
    ]);
  });

  it('keeps what the user wrote for messages', () => {
    expect(resolveField(' useridentity.username ').display).toBe('useridentity.username');
  });

  it('suggests the closest top-level field for a typo', () => {
    const err = errorOf(() => resolveField('eventnme'));
    expect(err.message).toContain('unknown field "eventnme"');
    expect(err.message).toContain('Did you mean "eventName"?');
    expect(err.field).toBe('filter key "eventnme"');
  });

  it('suggests a known sub-field of a struct', () => {
    const err = errorOf(() => resolveField('userIdentity.usrName', 'userIdentity.usrName|contains'));
    expect(err.message).toContain('Did you mean "userIdentity.userName"?');
    expect(err.field).toBe('filter key "userIdentity.usrName|contains"');
    expect(errorOf(() => resolveField('resources.arm')).message).toContain('"resources.ARN"');
    expect(errorOf(() => resolveField('tlsDetails.tlsVersoin')).message).toContain('"tlsDetails.tlsVersion"');
  });

  it('suggests the full path when a nested name is used at the top level', () => {
    expect(errorOf(() => resolveField('userName')).message).toContain('"userIdentity.userName"');
  });

  it('points unknown names to requestParameters when nothing is close', () => {
    const err = errorOf(() => resolveField('bucketName'));
    expect(err.message).toContain('"requestParameters.bucketName"');
  });

  it('lists the sub-fields of a struct when nothing is close', () => {
    const err = errorOf(() => resolveField('tlsDetails.zzzzzzzz'));
    expect(err.message).toContain('tlsVersion, cipherSuite, clientProvidedHostHeader');
  });

  it('refuses sub-fields of a single value and empty segments', () => {
    expect(errorOf(() => resolveField('eventName.foo')).message).toContain('has no sub-field "foo"');
    expect(errorOf(() => resolveField('userIdentity..userName')).message).toContain('single dots');
    expect(errorOf(() => resolveField('')).message).toContain('not a field path');
  });
});
