import { describe, expect, it } from 'vitest';
import { parseAccounts, parseRegionName, parseRegions } from '../../src/config/scope.js';

describe('regions and accounts', () => {
  it('reads lists and "all"', () => {
    expect(parseRegions(undefined)).toBe('all');
    expect(parseRegions('all')).toBe('all');
    expect(parseRegions('us-east-1, eu-west-1,us-east-1')).toEqual(['us-east-1', 'eu-west-1']);
    expect(parseRegions(['us-gov-west-1', 'cn-north-1', 'us-isob-east-1'])).toEqual([
      'us-gov-west-1',
      'cn-north-1',
      'us-isob-east-1',
    ]);
    expect(parseAccounts('123456789012,210987654321')).toEqual(['123456789012', '210987654321']);
  });

  it('names the bad value and the expected form', () => {
    expect(() => parseRegions('us-east-1,useast1')).toThrow(/--regions: "useast1" is not an AWS region name/);
    expect(() => parseRegions('US-EAST-1')).toThrow(/not an AWS region/);
    expect(() => parseAccounts('12345')).toThrow(/--accounts: "12345" is not an AWS account id.*12-digit/);
  });

  it('checks a single region name (--aws-region)', () => {
    expect(parseRegionName(' eu-central-1 ', '--aws-region')).toBe('eu-central-1');
    expect(parseRegionName('us-gov-west-1', '--aws-region')).toBe('us-gov-west-1');
    expect(() => parseRegionName('eu-central', '--aws-region')).toThrow(/--aws-region: "eu-central" is not/);
    expect(() => parseRegionName('us-east-1,eu-west-1', '--aws-region')).toThrow(/not an AWS region name/);
  });
});
