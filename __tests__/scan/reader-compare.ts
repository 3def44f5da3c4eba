/**
 * The comparison behind the indexed-reader tests: the indexed reader (WebAssembly index + literal
 * prefilter + original bytes) must return exactly what the plain reader returns, and both what an
 * independent reference returns.
 */
import { gzipSync } from 'node:zlib';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { createObjectScanner, type MatcherSpec } from '../../src/engines/scan/scan-object.js';
import type { QueryNode } from '../../src/query/ast.js';
import { Rng } from '../../tools/generate/prng.js';
import { randomQuery, samplePaths } from './random-query.js';
import { referenceMatches, specFor, WIDE_WINDOW } from './scan-reference.js';

export interface Doc {
  key: string;
  text: string;
}

export interface PreparedDoc extends Doc {
  bytes: Uint8Array;
  /** The records, when the document is one JSON value of a shape both readers take. */
  records: unknown[] | undefined;
}

export function prepare(docs: readonly Doc[]): PreparedDoc[] {
  return docs.map((doc) => {
    let records: unknown[] | undefined;
    try {
      const v = JSON.parse(doc.text) as unknown;
      records = Array.isArray(v)
        ? v
        : Array.isArray((v as { Records?: unknown }).Records)
          ? (v as { Records: unknown[] }).Records
          : undefined;
    } catch {
      records = undefined;
    }
    // Not every entry an event: the object is unreadable (both readers must say so alike).
    if (records?.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) records = undefined;
    const bytes = doc.key.endsWith('.gz') ? gzipSync(doc.text) : Buffer.from(doc.text);
    return { ...doc, bytes, records };
  });
}

export function compare(spec: MatcherSpec, docs: readonly PreparedDoc[], window = WIDE_WINDOW): number {
  const plain = createObjectScanner(spec, { indexed: false });
  const indexed = createObjectScanner(spec);
  let matched = 0;
  for (const doc of docs) {
    const p = plain(doc.bytes, doc.key, false);
    const i = indexed(doc.bytes, doc.key, false);
    const label = `${doc.key} ${JSON.stringify(spec.query)}`;
    const { matches: pm, ...pStats } = p;
    const { matches: im, ...iStats } = i;
    expect(iStats, label).toEqual(pStats);
    expect(
      im.map((m) => m.eventID),
      label,
    ).toEqual(pm.map((m) => m.eventID));
    // The indexed reader writes a record's own bytes, the plain one JSON.stringify's: the same
    // record, except that JSON.stringify turns an overflowing number (1e400) into null.
    const normalised = (json: string): unknown => JSON.parse(JSON.stringify(JSON.parse(json)));
    expect(
      im.map((m) => normalised(m.json)),
      label,
    ).toEqual(pm.map((m) => JSON.parse(m.json) as unknown));
    for (const m of im) expect(m.json, label).not.toMatch(/[\r\n]/);
    // The fields sent along for summaries are the record's, as the summary itself reads them.
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
    expect(
      im.map((m) => m.fields),
      label,
    ).toEqual(
      im.map((m) => {
        const r = JSON.parse(m.json) as Record<string, unknown>;
        const { eventTime, eventName, sourceIPAddress, awsRegion, errorCode } = r;
        return {
          eventTime: text(eventTime),
          eventName: text(eventName),
          // The documented rule, written out: ARN, else the session issuer's ARN, else user name,
          // else principal id, else invoking service, else type.
          principal: referencePrincipal(r.userIdentity),
          sourceIPAddress: text(sourceIPAddress),
          awsRegion: text(awsRegion),
          errorCode: text(errorCode),
        };
      }),
    );
    if (doc.records) {
      const expected = referenceMatches(doc.records, spec.query, window);
      expect(
        im.map((m) => m.eventID),
        label,
      ).toEqual(expected.map((r) => r.eventID));
    }
    matched += im.length;
  }
  return matched;
}

/** Who acted, by the rule the reports document (event-fields.ts), written out independently. */
function referencePrincipal(identity: unknown): string {
  const u = (identity && typeof identity === 'object' ? identity : {}) as Record<string, unknown>;
  const context = u.sessionContext as { sessionIssuer?: { arn?: unknown } } | null | undefined;
  const issuer = context && typeof context === 'object' ? context.sessionIssuer : undefined;
  const candidates = [
    u.arn,
    issuer && typeof issuer === 'object' ? issuer.arn : undefined,
    u.userName,
    u.principalId,
    u.invokedBy,
    u.type,
  ];
  for (const c of candidates) if (typeof c === 'string' && c !== '') return c;
  return '(unknown)';
}

/** Every file of the folders, as documents. */
export function folderDocs(...dirs: string[]): PreparedDoc[] {
  return prepare(
    dirs.flatMap((dir) =>
      readdirSync(dir)
        .sort()
        .map((f) => ({ key: f, text: readFileSync(path.join(dir, f), 'utf8') })),
    ),
  );
}

/** Random queries from the documents' own values: readers and reference agree, and some match. */
export function compareOnQueriesFromValues(docs: readonly PreparedDoc[]): void {
  const records = docs.flatMap((d) => d.records ?? []);
  const rng = new Rng('real-logs');
  const samples = samplePaths(records, 8);
  let matched = 0;
  for (let i = 0; i < 40; i++) matched += compare(specFor(randomQuery(samples, rng)), docs);
  expect(matched).toBeGreaterThan(0);
}

/** A resources query on the documents: every match carries filtered_resource. */
export function compareResourcesQuery(docs: readonly PreparedDoc[]): void {
  const query: QueryNode = {
    kind: 'match',
    field: { segments: ['resources', 'ARN'], display: 'resources.ARN' },
    cond: { op: 'contains', values: ['arn:aws'] },
    all: false,
    cased: false,
  };
  const spec = { ...specFor(query), usesResources: true };
  expect(compare(spec, docs)).toBeGreaterThan(0);
  const matches = docs.flatMap((d) => createObjectScanner(spec)(d.bytes, d.key, false).matches);
  expect(matches.length).toBeGreaterThan(0);
  for (const m of matches) expect(JSON.parse(m.json)).toHaveProperty('filtered_resource');
}
