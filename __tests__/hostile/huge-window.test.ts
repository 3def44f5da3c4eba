/**
 * Windows too large for any CloudTrail search (issue 17, item 8): a number of days or a duration
 * that overflows the date range or reaches back before CloudTrail existed. Each is invalid input:
 * exit 2, a message naming the flag or key and the limit, and no AWS call (every endpoint points
 * at a listener that counts connections).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startAwsListener, type AwsListener } from './aws-listener.js';

let aws: AwsListener;
let dir: string;
beforeAll(async () => {
  aws = await startAwsListener();
  dir = await mkdtemp(path.join(os.tmpdir(), 'ct-huge-window-'));
});
afterAll(() => aws.close());

const SOURCE = [
  '--source',
  's3://audit-bucket/trail',
  '--aws-access-key-id',
  'AKIAEXAMPLE',
  '--aws-secret-access-key',
  'x',
];

describe('a huge window is invalid input: exit 2 before any AWS call', () => {
  const cases: Array<[name: string, args: () => Promise<string[]>, message: RegExp]> = [
    [
      '--days 1e308',
      async () => ['--days', '1e308'],
      /--days 1e\+308 reaches back before 2013-11-01.*the limit is \d+ days/,
    ],
    [
      '--days 200000000',
      async () => ['--days', '200000000'],
      /--days 200000000 reaches back before 2013-11-01.*the limit is \d+ days/,
    ],
    [
      '--since 99999999999w',
      async () => ['--since', '99999999999w'],
      /--since "99999999999w" is before 2013-11-01/,
    ],
    [
      '--since 1900-01-01',
      async () => ['--since', '1900-01-01'],
      /--since "1900-01-01" is before 2013-11-01/,
    ],
    [
      '--until far in the future',
      async () => ['--since', '2024-01-01', '--until', '9999-01-01'],
      /--until \(9999-01-01T00:00:00Z\) is more than 1 day after now/,
    ],
    [
      'a config file with {"days":1e308}',
      async () => {
        const file = path.join(dir, 'config.json');
        await writeFile(file, '{"days":1e308}');
        return ['--file', file];
      },
      // Named by the file and the key written there.
      /config\.json: days 1e\+308 reaches back before 2013-11-01/,
    ],
    [
      'a filter map with "days": 1e308',
      async () => ['--filter', '{"eventName":"ConsoleLogin","days":1e308}'],
      /filter key "days" 1e\+308 reaches back before 2013-11-01/,
    ],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const before = aws.connections;
    const run = await runCli([...SOURCE, ...(await args()), '--out-dir', path.join(dir, 'out')], {
      bundle: true,
      env: aws.env,
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/Invalid time value|NaN|\n\s+at /);
    expect(aws.connections - before).toBe(0);
  });
});
