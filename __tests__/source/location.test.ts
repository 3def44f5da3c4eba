import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors.js';
import { parseSource } from '../../src/source/location.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'location-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function configError(text: string): ConfigurationError {
  try {
    parseSource(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error(`parseSource(${JSON.stringify(text)}) did not throw`);
}

describe('parseSource: s3://', () => {
  it('splits bucket and prefix, stripping slashes', () => {
    expect(parseSource('s3://my-trail-logs')).toEqual({ kind: 's3', bucket: 'my-trail-logs', prefix: '' });
    expect(parseSource('s3://my-trail-logs/')).toEqual({ kind: 's3', bucket: 'my-trail-logs', prefix: '' });
    expect(parseSource('s3://my-trail-logs/org/trails/')).toEqual({
      kind: 's3',
      bucket: 'my-trail-logs',
      prefix: 'org/trails',
    });
    expect(parseSource('  S3://logs.example.com//a/  ')).toEqual({
      kind: 's3',
      bucket: 'logs.example.com',
      prefix: 'a',
    });
  });

  it('rejects bucket names S3 does not allow, naming --source', () => {
    for (const bad of [
      's3://',
      's3://ab',
      's3://My_Bucket',
      's3://-bucket',
      's3://bucket-',
      's3://a..b',
      's3://192.168.1.1',
      's3://xn--bucket',
      `s3://${'a'.repeat(64)}`,
    ]) {
      const err = configError(bad);
      expect(err.field).toBe('--source');
      expect(err.message).toContain('--source');
    }
  });

  it('refuses a location inside AWSLogs/ and says what to use', () => {
    const err = configError('s3://logs/team/AWSLogs/111122223333/CloudTrail/us-east-1');
    expect(err.message).toContain('s3://logs/team ');
    expect(err.message).toContain('--regions');
  });

  it('turns an S3 ARN into advice', () => {
    expect(configError('arn:aws:s3:::logs/p').message).toContain('s3://logs/p');
  });
});

describe('parseSource: local', () => {
  it('accepts an existing folder or file as an absolute path', () => {
    const file = path.join(tmp, 'events.json');
    writeFileSync(file, '{"Records":[]}');
    expect(parseSource(tmp)).toEqual({ kind: 'local', path: tmp });
    expect(parseSource(path.relative(process.cwd(), file))).toEqual({ kind: 'local', path: file });
  });

  it('names --source when the path does not exist', () => {
    const err = configError(path.join(tmp, 'nope'));
    expect(err.field).toBe('--source');
    expect(err.message).toMatch(/--source .*does not exist/);
    expect(configError('').field).toBe('--source');
    expect(configError('https://example.com/logs').message).toContain('s3://');
  });
});
