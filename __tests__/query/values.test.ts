import { describe, expect, it } from 'vitest';
import { parseIpNetwork } from '../../src/query/values.js';

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
