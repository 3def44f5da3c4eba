import { describe, expect, it } from 'vitest';
import {
  DELIVERY_LAG_MS,
  accountPrefix,
  awsLogsPrefix,
  classifyKey,
  dayFolders,
  parseLogFileName,
  regionPrefix,
  stampInWindow,
} from '../../src/source/layout.js';

const t = (iso: string) => new Date(iso);
const HOUR = 3_600_000;

describe('parseLogFileName', () => {
  it('reads account, region and delivery minute from a real file name', () => {
    expect(
      parseLogFileName('218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json'),
    ).toEqual({
      account: '218007301253',
      region: 'us-east-1',
      delivered: t('2023-07-10T11:45:00Z'),
    });
    expect(
      parseLogFileName('111122223333_CloudTrail_us-gov-west-1_20240229T2359Z_abcdefghijklmnop.json.gz'),
    ).toEqual({
      account: '111122223333',
      region: 'us-gov-west-1',
      delivered: t('2024-02-29T23:59:00Z'),
    });
  });

  it('rejects digests, Insight files, impossible stamps and other names', () => {
    for (const name of [
      '111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240229T000000Z.json.gz',
      '111122223333_CloudTrail-Insight_us-east-1_20240229T0100Z_abcdefghijklmnop.json.gz',
      '111122223333_CloudTrail_us-east-1_20230229T0100Z_abcdefghijklmnop.json.gz', // 2023 is not a leap year
      '111122223333_CloudTrail_us-east-1_20231301T0100Z_abcdefghijklmnop.json.gz',
      '111122223333_CloudTrail_us-east-1_20230101T2400Z_abcdefghijklmnop.json.gz',
      '111122223333_CloudTrail_us-east-1_20230101T0060Z_abcdefghijklmnop.json.gz',
      '11112222333_CloudTrail_us-east-1_20230101T0100Z_abcdefghijklmnop.json.gz', // 11 digits
      '111122223333_CloudTrail_us-east-1_20230101T0100Z_abcdefghijklmnop.txt',
      '111122223333_Config_us-east-1_ConfigHistory_AWS::S3::Bucket_20230101T010000Z_20230101T020000Z_1.json.gz',
    ]) {
      expect(parseLogFileName(name), name).toBeUndefined();
    }
  });
});

describe('classifyKey', () => {
  it('tells logs from digests, Insight files and foreign objects', () => {
    const root = 'p/AWSLogs/111122223333';
    expect(
      classifyKey(
        `${root}/CloudTrail/us-east-1/2024/02/29/111122223333_CloudTrail_us-east-1_20240229T0100Z_abcdefghijklmnop.json.gz`,
      ),
    ).toBe('log');
    expect(
      classifyKey(
        `${root}/CloudTrail-Digest/us-east-1/2024/02/29/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240229T010000Z.json.gz`,
      ),
    ).toBe('digest');
    expect(
      classifyKey('digests/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240229T010000Z.json.gz'),
    ).toBe('digest');
    expect(
      classifyKey(
        `${root}/CloudTrail-Insight/us-east-1/2024/02/29/111122223333_CloudTrail-Insight_us-east-1_20240229T0100Z_abcdefghijklmnop.json.gz`,
      ),
    ).toBe('insight');
    // A log-like name inside an Insight folder is still not an event file.
    expect(
      classifyKey(
        `${root}/CloudTrail-Insight/us-east-1/111122223333_CloudTrail_us-east-1_20240229T0100Z_abcdefghijklmnop.json.gz`,
      ),
    ).toBe('insight');
    expect(classifyKey(`${root}/Config/us-east-1/2024/2/29/ConfigHistory/x.json.gz`)).toBe('other');
    expect(classifyKey('events.jsonl')).toBe('other');
  });
});

describe('stampInWindow (delivery-time semantics)', () => {
  const window = { since: t('2023-07-10T12:00:00Z'), until: t('2023-07-10T13:00:00Z') };

  it('keeps a file stamped exactly at since, skips one stamped a minute before', () => {
    expect(stampInWindow(t('2023-07-10T12:00:00Z'), window, 0)).toBe(true);
    expect(stampInWindow(t('2023-07-10T11:59:00Z'), window, 0)).toBe(false);
  });

  it('keeps the file of the minute holding since when since is mid-minute', () => {
    const midMinute = { since: t('2023-07-10T12:00:30Z'), until: window.until };
    // Stamped 12:00 = delivered 12:00:00-12:00:59: may hold events of 12:00:30-12:00:59.
    expect(stampInWindow(t('2023-07-10T12:00:00Z'), midMinute, 0)).toBe(true);
    expect(stampInWindow(t('2023-07-10T11:59:00Z'), midMinute, 0)).toBe(false);
  });

  it('keeps files stamped up to until + lag (inclusive), not a minute later', () => {
    expect(stampInWindow(t('2023-07-10T14:00:00Z'), window, HOUR)).toBe(true);
    expect(stampInWindow(t('2023-07-10T14:01:00Z'), window, HOUR)).toBe(false);
    expect(stampInWindow(t('2023-07-10T13:00:00Z'), window, 0)).toBe(true);
    expect(stampInWindow(t('2023-07-10T13:01:00Z'), window, 0)).toBe(false);
  });

  it('uses one hour of delivery lag by default', () => {
    expect(DELIVERY_LAG_MS).toBe(HOUR);
  });
});

describe('dayFolders', () => {
  it('lists one day for a window inside a day', () => {
    expect(dayFolders({ since: t('2023-07-10T11:00:00Z'), until: t('2023-07-10T12:00:00Z') }, HOUR)).toEqual([
      '2023/07/10',
    ]);
  });

  it('adds the next day when the delivery lag crosses midnight', () => {
    const w = { since: t('2023-07-10T22:00:00Z'), until: t('2023-07-10T23:30:00Z') };
    expect(dayFolders(w, HOUR)).toEqual(['2023/07/10', '2023/07/11']);
    expect(dayFolders(w, 0)).toEqual(['2023/07/10']);
  });

  it('includes the day of an until at midnight (files delivered at 00:00 hold the last events)', () => {
    expect(dayFolders({ since: t('2023-07-10T00:00:00Z'), until: t('2023-07-11T00:00:00Z') }, 0)).toEqual([
      '2023/07/10',
      '2023/07/11',
    ]);
  });

  it('crosses month and year ends, leap day included', () => {
    expect(dayFolders({ since: t('2024-02-28T12:00:00Z'), until: t('2024-03-01T10:00:00Z') }, HOUR)).toEqual([
      '2024/02/28',
      '2024/02/29',
      '2024/03/01',
    ]);
    expect(dayFolders({ since: t('2023-12-31T23:30:00Z'), until: t('2024-01-01T00:10:00Z') }, HOUR)).toEqual([
      '2023/12/31',
      '2024/01/01',
    ]);
  });
});

describe('prefixes', () => {
  it('builds account and organization layouts with and without a trail prefix', () => {
    expect(awsLogsPrefix('')).toBe('AWSLogs/');
    expect(regionPrefix('', undefined, '111122223333', 'us-east-1')).toBe(
      'AWSLogs/111122223333/CloudTrail/us-east-1/',
    );
    expect(regionPrefix('team/trails', 'o-abcdefghij', '111122223333', 'eu-west-1')).toBe(
      'team/trails/AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-1/',
    );
    expect(accountPrefix('p', undefined, '111122223333')).toBe('p/AWSLogs/111122223333/CloudTrail/');
  });
});
