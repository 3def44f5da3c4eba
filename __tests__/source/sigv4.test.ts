/**
 * The GET signer (src/source/sigv4.ts) against the SDK's own SigV4 signer (@smithy/signature-v4),
 * an independent implementation: the same headers, byte for byte, for awkward paths, queries,
 * session tokens, regions and dates, and a signing key that follows the date, region and secret.
 * (s3-signed.test.ts also has botocore verify what the server receives.)
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { EMPTY_PAYLOAD_SHA256, GetSigner, amzDate, sigv4Encode } from '../../src/source/sigv4.js';
import type { SigningIdentity } from '../../src/source/sigv4.js';

/** The SDK's hash interface over Node's crypto. */
class NodeSha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key =
      secret === undefined || typeof secret === 'string'
        ? secret
        : ArrayBuffer.isView(secret)
          ? Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength)
          : Buffer.from(secret);
    this.h = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(
      typeof data === 'string'
        ? data
        : ArrayBuffer.isView(data)
          ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
          : Buffer.from(data),
    );
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
}

async function sdkHeaders(
  host: string,
  path: string,
  query: Record<string, string>,
  region: string,
  identity: SigningIdentity,
  date: Date,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: identity,
    region,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const [hostname, port] = host.split(':');
  const signed = await signer.sign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: hostname!,
      ...(port ? { port: Number(port) } : {}),
      path,
      query,
      headers: { host, 'x-amz-content-sha256': EMPTY_PAYLOAD_SHA256 },
    },
    { signingDate: date },
  );
  return signed.headers;
}

const encodePath = (key: string) => `/bucket/${key.split('/').map(sigv4Encode).join('/')}`;
const encodeQuery = (q: Record<string, string>) =>
  Object.entries(q).map(([k, v]) => [sigv4Encode(k), sigv4Encode(v)] as [string, string]);

const KEY = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const PATHS = [
  'AWSLogs/111122223333/CloudTrail/us-east-1/2024/02/29/111122223333_CloudTrail_us-east-1_20240229T1000Z_a.json.gz',
  'AWSLogs/with space/a+b=c&d;e,f@g:h$i.json.gz',
  "AWSLogs/sub-delims/!'()*~._-.json.gz",
  'AWSLogs/query-like/what?is#this[0].json.gz',
  'AWSLogs/percent/100%25 sure%.json.gz',
  'AWSLogs/ünïcödé/日本語/😀.json.gz',
];
const QUERIES: Record<string, string>[] = [
  {},
  { 'list-type': '2', prefix: 'AWSLogs/', 'max-keys': '1000', delimiter: '/' },
  // Sorted by name: continuation-token < delimiter < list-type < max-keys < prefix.
  { prefix: 'AWSLogs/o-abc/ü é/', 'list-type': '2', 'continuation-token': 'a+b/c==', 'max-keys': '2' },
];

describe('GetSigner', () => {
  it('signs exactly as the SDK signer does, for awkward paths, queries, tokens, regions and dates', async () => {
    const identities: SigningIdentity[] = [
      KEY,
      { ...KEY, sessionToken: 'FwoGZXIvYXdzE//token+with/slashes==' },
    ];
    const dates = [new Date('2024-02-29T23:59:59.999Z'), new Date('2026-11-28T00:00:00Z')];
    const cases = [];
    for (const path of PATHS)
      for (const query of QUERIES)
        for (const identity of identities)
          for (const region of ['us-east-1', 'ap-southeast-2'])
            for (const date of dates) cases.push({ path: encodePath(path), query, identity, region, date });
    // One signer for every case: its cached signing key must follow the date, region and secret.
    const ours = new GetSigner();
    for (const c of cases) {
      const host = c.region === 'us-east-1' ? 'bucket.s3.amazonaws.com' : '127.0.0.1:9000';
      const theirs = await sdkHeaders(host, c.path, c.query, c.region, c.identity, c.date);
      const mine = ours.sign(
        { host, path: c.path, query: encodeQuery(c.query), region: c.region, service: 's3' },
        c.identity,
        c.date,
      );
      for (const [name, value] of Object.entries(mine)) {
        expect(value, `${name} for ${c.path} ${JSON.stringify(c.query)} ${c.region}`).toBe(theirs[name]);
      }
      expect(Object.keys(mine).sort()).toEqual(
        Object.keys(theirs)
          .filter((h) => h !== 'host')
          .sort(),
      );
    }
    expect(cases.length).toBeGreaterThan(100);
  });

  it('changes its signature with the secret, the date, the region and the path', () => {
    const signer = new GetSigner();
    const req = { host: 'h', path: '/b/k', query: [], region: 'us-east-1', service: 's3' };
    const at = new Date('2026-11-28T10:00:00Z');
    const base = signer.sign(req, KEY, at).authorization;
    const variants = [
      signer.sign(req, { ...KEY, secretAccessKey: 'other' }, at).authorization,
      signer.sign(req, KEY, new Date('2026-11-29T10:00:00Z')).authorization,
      signer.sign({ ...req, region: 'eu-west-1' }, KEY, at).authorization,
      signer.sign({ ...req, path: '/b/k2' }, KEY, at).authorization,
    ];
    for (const v of variants) expect(v).not.toBe(base);
    // And back to the first: the cached key is not stuck on the last one.
    expect(signer.sign(req, KEY, at).authorization).toBe(base);
  });

  it('writes dates in the basic ISO 8601 form and encodes RFC 3986 unreserved characters only as themselves', () => {
    expect(amzDate(new Date('2024-02-29T07:08:09.123Z'))).toBe('20240229T070809Z');
    expect(sigv4Encode("AZaz09-._~ !'()*/+=&%ü")).toBe('AZaz09-._~%20%21%27%28%29%2A%2F%2B%3D%26%25%C3%BC');
  });
});
