import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { malformedSamples } from '../helpers/corpus-like.js';
import { expectMalformedSamplesRead } from './malformed-samples.js';
import { DecodeError, decodeLogObject, gunzipIfNeeded } from '../../src/engines/scan/decode.js';
import { releaseBuffer } from '../../src/engines/release-buffer.js';

const ev = (id: string) => ({ eventID: id, eventName: 'X', eventTime: '2023-07-10T00:00:00Z' });
const bytes = (s: string) => new TextEncoder().encode(s);

describe('decoding log objects', () => {
  it('reads CloudTrail files, gzipped or not', () => {
    const text = JSON.stringify({ Records: [ev('a'), ev('b')] });
    expect(decodeLogObject(bytes(text), 'x.json').records).toHaveLength(2);
    const gz = decodeLogObject(gzipSync(text), 'x.json.gz');
    expect(gz.records).toHaveLength(2);
    expect(gz.uncompressedBytes).toBe(text.length);
  });

  it('detects gzip by its magic bytes, not the name', () => {
    const text = JSON.stringify({ Records: [ev('a')] });
    expect(decodeLogObject(gzipSync(text), 'misnamed.json').records).toHaveLength(1);
  });

  it('reads bare arrays, JSON Lines and a single event', () => {
    expect(
      decodeLogObject(bytes(JSON.stringify([ev('a'), ev('b'), ev('c')])), 'a.json').records,
    ).toHaveLength(3);
    const jsonl = `${JSON.stringify(ev('a'))}\n\n${JSON.stringify(ev('b'))}\n`;
    expect(decodeLogObject(bytes(jsonl), 'a.jsonl').records).toHaveLength(2);
    expect(decodeLogObject(bytes(jsonl), 'a.json').records).toHaveLength(2);
    expect(decodeLogObject(bytes(JSON.stringify(ev('a'), null, 2)), 'one.json').records).toHaveLength(1);
    expect(decodeLogObject(bytes(''), 'empty.json').records).toHaveLength(0);
    expect(decodeLogObject(bytes('[]'), 'empty.json').records).toHaveLength(0);
  });

  it('says why an object is not readable', () => {
    expect(() => decodeLogObject(bytes('{not json'), 'a.json')).toThrow(DecodeError);
    expect(() => decodeLogObject(bytes('{"foo": 1}'), 'a.json')).toThrow(/no "Records" array/);
    expect(() => decodeLogObject(bytes('hello'), 'a.json')).toThrow(/does not start with/);
    expect(() => decodeLogObject(bytes('{"a":1}\n{bad'), 'a.jsonl')).toThrow(/line 2 is not valid JSON/);
    const gz = gzipSync(JSON.stringify({ Records: [ev('a')] }));
    expect(() => decodeLogObject(gz.subarray(0, gz.length - 10), 'a.json.gz')).toThrow(
      /corrupt or truncated/,
    );
    expect(() => decodeLogObject(new Uint8Array([0x5b, 0xff, 0xfe, 0x5d]), 'a.json')).toThrow(/UTF-8/);
    // An empty .gz object is cut short or overwritten, never "no records"; an empty plain file is.
    expect(() => decodeLogObject(new Uint8Array(0), 'a.json.gz')).toThrow(/empty \(0 bytes\)/);
    expect(() => decodeLogObject(new Uint8Array(0), 'A.JSON.GZ')).toThrow(DecodeError);
    expect(decodeLogObject(new Uint8Array(0), 'a.json').records).toEqual([]);
  });

  it('caps the decompressed size (gzip bombs)', () => {
    const bomb = gzipSync(Buffer.alloc(2 * 1024 * 1024, 0x20));
    expect(() => gunzipIfNeeded(bomb, 1024 * 1024)).toThrow(/exceeds 1048576 bytes/);
  });

  it('reads samples shaped like the malformed third-party ones as documented', () => {
    expectMalformedSamplesRead(malformedSamples());
  });
});

describe('releasing decompressed buffers', () => {
  const canTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

  it('frees a buffer that owns its memory (Node 22+; a no-op before)', () => {
    const out = gunzipIfNeeded(gzipSync('x'.repeat(100_000)));
    releaseBuffer(out);
    expect(out.buffer.byteLength).toBe(canTransfer ? 0 : out.buffer.byteLength);
    expect(out.length).toBe(canTransfer ? 0 : 100_000);
    releaseBuffer(out); // twice: no error
  });

  it("never touches Buffer's shared pool, which later small buffers still use", () => {
    const small = Buffer.from('a small buffer from the pool');
    expect(small.buffer.byteLength).toBe(Buffer.poolSize); // it really is the pool
    releaseBuffer(small);
    expect(small.toString()).toBe('a small buffer from the pool');
    expect(Buffer.from('and the pool still works').toString()).toBe('and the pool still works');
  });
});
