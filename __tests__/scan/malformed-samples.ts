/**
 * What decoding makes of the TrailDiscover samples' shapes: a bare array of one event (1 record),
 * an empty array (0 records), JavaScript object syntax with unquoted keys (a DecodeError). Run on
 * in-repo files of those shapes (decode.test.ts) and the samples themselves (decode.corpus.test.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { decodeLogObject } from '../../src/engines/scan/decode.js';

export function expectMalformedSamplesRead(dir: string): void {
  const results = Object.fromEntries(
    readdirSync(dir).map((name) => {
      try {
        return [name, decodeLogObject(readFileSync(path.join(dir, name)), name).records.length];
      } catch (err) {
        return [name, (err as Error).name];
      }
    }),
  );
  expect(results['CreateApiKey.json']).toBe('DecodeError');
  expect(results['PutEventSelectors.json']).toBe(0);
  for (const name of ['DeleteTrail.json', 'LookupEvents.json', 'StopLogging.json', 'UpdateTrail.json']) {
    expect(results[name]).toBe(1);
  }
}
