import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalNumber, numericValue, parseIpNetwork } from '../../src/query/values.js';

describe('parseIpNetwork', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8', 4],
    ['10.200.3.4/12', '10.192.0.0/12', 4],
    ['192.168.10.20', '192.168.10.20/32', 4],
    ['0.0.0.0/0', '0.0.0.0/0', 4],
    [' 172.16.5.4/16 ', '172.16.0.0/16', 4],
    ['2001:DB8::1/32', '2001:db8::/32', 6],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1/128', 6],
    ['fe80::1:2:3:4/64', 'fe80::/64', 6],
    ['::1', '::1/128', 6],
    ['::/0', '::/0', 6],
    ['::ffff:10.1.2.3/104', '::ffff:10.0.0.0/104', 6],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3/128', 6],
  ])('%s -> %s', (text, cidr, family) => {
    const network = parseIpNetwork(text);
    expect(network).toMatchObject({ cidr, family });
  });

  it.each([
    'AWS Internal',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    '10.0.0/8',
    '::1/129',
    'fe80::1%eth0/64',
    '10.0.0.0/ 8',
    '',
  ])('refuses %j', (text) => {
    expect(typeof parseIpNetwork(text)).toBe('string');
  });
});

describe('numericValue: query values that compare as numbers', () => {
  it.each([
    [243, 243],
    ['243', 243],
    ['243.0', 243],
    ['2.43E2', 243],
    ['-0.5e-1', -0.05],
    ['0', 0],
  ])('%j -> %d', (value, n) => expect(numericValue(value)).toBe(n));

  it.each([['0x10'], [' 243'], ['243 '], ['+5'], ['.5'], ['01'], ['1e400'], ['Infinity'], [''], [true]])(
    '%j is not a number (JSON number grammar)',
    (value) => expect(numericValue(value)).toBeUndefined(),
  );
});

describe('canonicalNumber: integer digits when integral, else Java Double.toString', () => {
  // Expected texts written by hand from java.lang.Double.toString's specification (plain decimal
  // from 10^-3 to 10^7, else computerized scientific notation with at least one fraction digit).
  it.each([
    [243, '243'],
    [0, '0'],
    [-0, '0'],
    [-5, '-5'],
    [Number('12345678901234567'), '12345678901234568'], // the double nearest the log's digits
    [999999999999999900, '999999999999999872'],
    [0.5, '0.5'],
    [243.5, '243.5'],
    [0.001, '0.001'],
    [0.0001, '1.0E-4'],
    [1.5e-7, '1.5E-7'],
    [-1.5e-7, '-1.5E-7'],
    [12345678.5, '1.23456785E7'],
    [1e21, '1.0E21'],
    [1.2345e20, '1.2345E20'],
  ])('%d -> %s', (n, text) => expect(canonicalNumber(n)).toBe(text));
});

describe('canonicalJson: compact, keys sorted by code unit, numbers canonical', () => {
  it('sorts keys at every level (uppercase before lowercase, digits first) and rewrites numbers', () => {
    const value = JSON.parse('{"b":{"y":1.0,"x":[0.0,2.5E0]},"a":"s","B":null,"10":true}') as unknown;
    expect(canonicalJson(value)).toBe('{"10":true,"B":null,"a":"s","b":{"x":[0,2.5],"y":1}}');
  });

  it('escapes strings as JSON does', () => {
    expect(canonicalJson({ k: 'a"b\\c\n' })).toBe('{"k":"a\\"b\\\\c\\n"}');
  });
});
