/**
 * readBody: an S3 object's body gathered into one buffer of its own, checked against Content-Length.
 * Expected bytes are the chunks as written; no S3 server needed.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBody } from '../../src/source/s3-body.js';

type Body = Parameters<typeof readBody>[0];

const chunks = [Buffer.from('first chunk, '), Buffer.alloc(70_000, 0x61), Buffer.from([0, 1, 2, 255])];
const whole = Buffer.concat(chunks);
const stream = (parts: Buffer[]) => Readable.from(parts, { objectMode: false }) as unknown as Body;

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('readBody', () => {
  it('joins the chunks into a buffer of exactly Content-Length bytes that owns its memory', async () => {
    const bytes = await readBody(stream(chunks), whole.length);
    expect(Buffer.from(bytes).equals(whole)).toBe(true);
    // Transferable to a worker without a copy: not a view into a larger (shared) buffer.
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(whole.length);
  });

  it('reads a body without Content-Length in full, into memory of its own even when small', async () => {
    const big = await readBody(stream(chunks), undefined);
    expect(Buffer.from(big).equals(whole)).toBe(true);
    const small = await readBody(stream([Buffer.from('ab'), Buffer.from('c')]), undefined);
    expect(Buffer.from(small).toString()).toBe('abc');
    expect(small.buffer.byteLength).toBe(3);
  });

  it('reports fewer bytes than Content-Length as a truncated body', async () => {
    const err = await failure(readBody(stream(chunks), whole.length + 10));
    expect(err.code).toBe('TruncatedBody');
    expect(err.message).toBe(`read ${whole.length} of ${whole.length + 10} bytes`);
  });

  it('reports more bytes than Content-Length too, without writing past the buffer', async () => {
    const err = await failure(readBody(stream(chunks), 20));
    expect(err.code).toBe('TruncatedBody');
    expect(err.message).toBe(`read ${whole.length} of 20 bytes`);
  });

  it('passes on a stream error (a connection reset mid-body)', async () => {
    const broken = new Readable({
      read() {
        this.push(Buffer.from('part'));
        this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      },
    }) as unknown as Body;
    const err = await failure(readBody(broken, 100));
    expect(err.code).toBe('ECONNRESET');
  });

  it('reports a body closed before its end without an error as a premature close (retryable)', async () => {
    const cut = new Readable({
      read() {
        this.push(Buffer.from('part'));
        this.destroy(); // no error: a proxy closing the connection
      },
    }) as unknown as Body;
    const err = await failure(readBody(cut, 100));
    expect(err.code).toBe('ERR_STREAM_PREMATURE_CLOSE');
  });

  it('settles at once for a body already closed when it is read, with its error if it had one', async () => {
    const reset = new Readable({ read() {} });
    reset.on('error', () => {});
    reset.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    const closed = new Readable({ read() {} });
    closed.destroy();
    // Its 'error' and 'close' events are behind it.
    await new Promise((resolve) => setImmediate(resolve));
    expect((await failure(readBody(reset as unknown as Body, 10))).code).toBe('ECONNRESET');
    expect((await failure(readBody(closed as unknown as Body, 10))).code).toBe('ERR_STREAM_PREMATURE_CLOSE');
  });

  it("falls back to the SDK's transformToByteArray for a body that is not a stream", async () => {
    const blobLike = { transformToByteArray: async () => new Uint8Array([1, 2, 3]) } as unknown as Body;
    expect([...(await readBody(blobLike, 3))]).toEqual([1, 2, 3]);
    expect((await failure(readBody(blobLike, 4))).code).toBe('TruncatedBody');
  });
});
