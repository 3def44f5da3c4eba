/**
 * Many matches in one object (issue 17, item 6): finding whether each matched record spans lines
 * must cost work linear in the object, not in matches x object size. The work is counted (bytes
 * the reader looks through for line breaks, through an injected counter), never timed.
 */
import { describe, expect, it } from 'vitest';
import { createObjectScanner } from '../../src/engines/scan/scan-object.js';
import { LineBreakFinder } from '../../src/engines/scan/line-breaks.js';
import { seededRandom } from '../../tools/generate/prng.js';
import { specFor } from './scan-reference.js';

function record(i: number): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    eventTime: '2023-07-10T10:00:00Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'GetObject',
    awsRegion: 'us-east-1',
    eventID: `id-${i}`,
    requestParameters: { bucketName: 'b', key: `k/${i}` },
  };
}

const ALL = specFor({ kind: 'all' });

describe('line breaks in matched records', () => {
  it.each([20_000, 40_000])(
    'a one-line document of %i records that all match is looked through at most twice',
    (n) => {
      const text = JSON.stringify({ Records: Array.from({ length: n }, (_, i) => record(i)) });
      const bytes = Buffer.from(text);
      const counter = { scanned: 0 };
      const result = createObjectScanner(ALL, { lineBreakScan: counter })(bytes, 'big.json', false);
      expect(result.error).toBeUndefined();
      expect(result.matches).toHaveLength(n);
      // Every match is its own one-line bytes.
      expect(result.matches.every((m, i) => m.json === JSON.stringify(record(i)))).toBe(true);
      // LF and CR each looked for once over the document (the old search: ~n * size / 2 bytes).
      expect(counter.scanned).toBeLessThanOrEqual(2 * bytes.length);
    },
  );

  it('pretty-printed records (line breaks inside) are re-serialised, at linear cost', () => {
    const n = 20_000;
    const text = JSON.stringify({ Records: Array.from({ length: n }, (_, i) => record(i)) }, null, 1);
    const bytes = Buffer.from(text.replace(/\n/g, '\r\n'));
    const counter = { scanned: 0 };
    const result = createObjectScanner(ALL, { lineBreakScan: counter })(bytes, 'pretty.json', false);
    expect(result.matches).toHaveLength(n);
    expect(result.matches.every((m) => !/[\r\n]/.test(m.json))).toBe(true);
    expect(counter.scanned).toBeLessThanOrEqual(2 * bytes.length);
  });

  it('answers as a direct search would, for random records and breaks, in increasing order', () => {
    const random = seededRandom(17);
    for (let round = 0; round < 200; round++) {
      const size = 1 + Math.floor(random() * 300);
      const buf = Uint8Array.from({ length: size }, () => {
        const r = random();
        return r < 0.05 ? 0x0a : r < 0.1 ? 0x0d : 0x61;
      });
      const finder = new LineBreakFinder();
      finder.start(buf);
      let at = 0;
      while (at < size) {
        const start = at + Math.floor(random() * 5);
        const end = Math.min(size, start + Math.floor(random() * 20));
        const direct = buf.subarray(start, end).some((b) => b === 0x0a || b === 0x0d);
        expect(finder.has(start, end), `${round} ${start}-${end}`).toBe(direct);
        at = end + 1;
      }
    }
  });
});
