/**
 * The indexed reader (WebAssembly index + literal prefilter + original bytes) must return exactly
 * what the plain reader returns (parse everything, test every record), and both what an
 * independent reference returns: property tests over generated logs written with byte-level
 * hazards, over logs shaped like the real third-party ones (the real ones: indexed-scan.corpus.test.ts),
 * and over broken documents.
 */
import { describe, expect, it } from 'vitest';
import { createObjectScanner } from '../../src/engines/scan/scan-object.js';
import type { QueryNode } from '../../src/query/ast.js';
import { generateLogs } from '../../tools/generate/index.js';
import { Rng } from '../../tools/generate/prng.js';
import { PLAIN_STYLE, writeJson, type WriterStyle } from './json-writer.js';
import { randomQuery, samplePaths } from './random-query.js';
import { specFor } from './scan-reference.js';
import {
  compare,
  compareOnQueriesFromValues,
  compareResourcesQuery,
  folderDocs,
  prepare,
  type Doc,
} from './reader-compare.js';
import { detonations, flatTrail } from '../helpers/corpus-like.js';

/** Generated records with hazards in their values: case, non-ASCII look-alikes, JSON punctuation. */
function hazardousRecords(rng: Rng): Record<string, unknown>[] {
  const logs = [
    ...generateLogs({
      accounts: ['111111111111', '222222222222'],
      regions: ['us-east-1', 'eu-west-1'],
      start: '2023-07-10T00:00:00Z',
      hours: 1,
      filesPerHour: 3,
      recordsPerFile: [15, 30],
    }),
  ];
  const records = logs.flatMap((l) => l.records) as Record<string, unknown>[];
  for (const r of records) {
    if (rng.chance(0.1)) r.eventName = String(r.eventName).toUpperCase();
    // U+212A KELVIN SIGN and U+0130 lowercase to ASCII letters: "kms" matches "\u212Ams".
    if (rng.chance(0.05)) r.eventSource = String(r.eventSource).replace('k', '\u212a').replace('i', '\u0130');
    if (rng.chance(0.05)) r.userAgent = `${String(r.userAgent)} é "quoted" {x:1,y:[2]} back\\slash \u0001`;
    if (rng.chance(0.03))
      r.eventTime = rng.pick([
        '2023-07-10T00:30:00.000Z',
        '2023-07-10T00:30:00+00:00',
        'yesterday',
        5,
        null,
        { at: 1 },
      ]);
    if (rng.chance(0.02)) delete r.eventTime;
    if (rng.chance(0.03))
      r.additionalEventData = { bytes: rng.pick([100, 0, -0, 1e21, 2.5]), flag: true, none: null };
  }
  return records;
}

describe('indexed reader = plain reader = reference', () => {
  it('on generated logs written many ways, for random queries from their values', () => {
    const rng = new Rng('indexed-scan');
    const records = hazardousRecords(rng);
    const styles: Array<[string, WriterStyle]> = [
      ['plain', PLAIN_STYLE],
      ['escaped', { escape: 0.05, space: 0, number: 0.5, duplicate: 0.02 }],
      ['pretty', { escape: 0, space: 0.3, number: 0, duplicate: 0 }],
      ['everything', { escape: 0.2, space: 0.2, number: 0.5, duplicate: 0.05 }],
    ];
    const raw: Doc[] = [];
    for (const [name, style] of styles) {
      const chunk = (from: number, to: number) => records.slice(from, to);
      const extras = [null, 5, 'text', [], [1]];
      raw.push({ key: `${name}/records.json.gz`, text: writeJson({ Records: chunk(0, 60) }, style, rng) });
      raw.push({ key: `${name}/bare.json`, text: writeJson(chunk(60, 110), style, rng) });
      // Entries that are neither events nor documents: the object is unreadable, for both readers.
      raw.push({ key: `${name}/extras.json`, text: writeJson([...chunk(60, 70), ...extras], style, rng) });
      raw.push({
        key: `${name}/more.json`,
        text: writeJson({ Records: chunk(110, records.length), Other: 1 }, style, rng),
      });
    }
    const docs = prepare(raw);
    const samples = samplePaths(records);
    let matched = 0;
    let queries = 0;
    for (; queries < 40; queries++) {
      const query = randomQuery(samples, rng);
      matched += compare(specFor(query), docs);
    }
    // The queries are not all trivially empty or full.
    expect(matched).toBeGreaterThan(queries * 5);
    expect(matched).toBeLessThan(queries * docs.length * 60);
  });

  it('within a time window, for the same queries', () => {
    const rng = new Rng('window');
    const records = hazardousRecords(rng);
    const docs = prepare([{ key: 'w.json', text: JSON.stringify({ Records: records }) }]);
    const window = { since: '2023-07-10T00:20:00Z', until: '2023-07-10T00:40:00Z' };
    const samples = samplePaths(records);
    for (let i = 0; i < 30; i++) compare(specFor(randomQuery(samples, rng), window), docs, window);
  });

  it('on logs shaped like the real ones (flat trail, detonation arrays), for queries from their values', () => {
    compareOnQueriesFromValues(folderDocs(flatTrail(), detonations()));
  });

  it('adds filtered_resource to matches of resources queries', () => {
    compareResourcesQuery(folderDocs(flatTrail()));
  });
});

describe('each byte-level hazard on its own', () => {
  const base = '"eventID":"%ID%","eventTime":"2023-07-10T00:00:00Z","awsRegion":"us-east-1"';
  const record = (id: string, rest: string) => `{${base.replace('%ID%', id)},${rest}}`;
  const match = (
    segments: string[],
    op: 'equals' | 'contains' | 'startswith' | 'endswith',
    values: Array<string | number | boolean | null>,
  ): QueryNode => ({
    kind: 'match',
    field: { segments, display: segments.join('.') },
    cond: { op, values },
    all: false,
    cased: false,
  });
  const cases: Array<[string, string, QueryNode, number?]> = [
    [
      '\\u escapes spell a value',
      record('a', '"eventName":"Get\\u0053ecret\\u0056alue"'),
      match(['eventName'], 'equals', ['GetSecretValue']),
    ],
    [
      '\\/ spells a slash',
      record('a', '"userAgent":"aws-cli\\/2.0"'),
      match(['userAgent'], 'contains', ['cli/2.0']),
    ],
    [
      'KELVIN SIGN lowercases to k',
      record('a', '"eventSource":"\u212ams.amazonaws.com"'),
      match(['eventSource'], 'startswith', ['kms.amazon']),
    ],
    [
      'capital I with dot lowercases to i',
      record('a', '"eventName":"L\u0130stKeys"'),
      match(['eventName'], 'contains', ['listkeys'.slice(0, 2)]),
    ],
    [
      'object text across tokens, pretty-printed',
      record('a', '"additionalEventData":{ "bytes" : 100 , "x" : "y" }'),
      match(['additionalEventData'], 'contains', ['bytes":100,"x']),
    ],
    [
      'number spelled with an exponent',
      record('a', '"additionalEventData":{"bytes":1e2}'),
      match(['additionalEventData', 'bytes'], 'equals', ['100']),
    ],
    [
      'number text inside an object',
      record('a', '"additionalEventData":{"bytes":1.50}'),
      match(['additionalEventData'], 'contains', ['1.5}']),
    ],
    [
      'overflowing number becomes null in JSON text',
      record('a', '"additionalEventData":{"bytes":1e400}'),
      match(['additionalEventData'], 'contains', ['":null']),
    ],
    [
      'overflowing number is Infinity as a value',
      record('a', '"additionalEventData":{"bytes":1e400}'),
      match(['additionalEventData', 'bytes'], 'equals', ['infinity']),
    ],
    [
      'duplicate key: the last one counts',
      record('a', '"eventName":"GetSecretValue","eventName":"ListKeys"'),
      match(['eventName'], 'equals', ['ListKeys']),
    ],
    [
      'key in another case',
      record('a', '"EVENTNAME":"ListKeys"'),
      match(['eventName'], 'equals', ['listkeys']),
    ],
    [
      'quote and backslash in a value',
      record('a', '"userAgent":"say \\"hi\\" c:\\\\x"'),
      match(['userAgent'], 'contains', ['"hi" c:\\x']),
    ],
    ['boolean compared as text', record('a', '"readOnly":true'), match(['readOnly'], 'equals', [true])],
    [
      'boolean as a string in another case',
      record('a', '"readOnly":"TRUE"'),
      match(['readOnly'], 'equals', [true]),
    ],
    // Absent counts as null: the other record (no errorCode) matches too.
    [
      'null in a list',
      record('a', '"errorCode":null'),
      match(['errorCode'], 'equals', ['AccessDenied', null]),
      4,
    ],
    [
      'record split by a line break',
      `{${base.replace('%ID%', 'a')},\n"eventName":\r\n"ListKeys"}`,
      match(['eventName'], 'equals', ['ListKeys']),
    ],
  ];
  for (const [name, rec, query, expected = 2] of cases) {
    it(name, () => {
      const docs = prepare([
        { key: 'h.json', text: `{"Records":[${rec},${record('other', '"eventName":"Nothing"')}]}` },
        { key: 'h.json.gz', text: `[${record('other', '"eventName":"Nothing"')},${rec}]` },
      ]);
      expect(compare(specFor(query), docs)).toBe(expected);
    });
  }
});

describe('documents the indexed reader must not accept differently', () => {
  const ev = (id: string, extra = '') =>
    `{"eventID":"${id}","eventName":"GetSecretValue","eventTime":"2023-07-10T00:00:00Z"${extra}}`;
  const cases: Record<string, string> = {
    truncated: `{"Records":[${ev('a')},${ev('b')}`,
    'missing comma': `{"Records":[${ev('a')} ${ev('b')}]}`,
    'missing colon': `{"Records":[{"eventID" "a"}]}`,
    'bad literal': `{"Records":[${ev('a', ',"x":tru')}]}`,
    'bad number': `{"Records":[${ev('a', ',"x":01')}]}`,
    'number with dot only': `{"Records":[${ev('a', ',"x":1.')}]}`,
    'bad escape': `{"Records":[${ev('a', ',"x":"\\q"')}]}`,
    'short unicode escape': `{"Records":[${ev('a', ',"x":"\\u12"')}]}`,
    'raw control character': `{"Records":[${ev('a', ',"x":"a\u0001b"')}]}`,
    'trailing garbage': `{"Records":[${ev('a')}]} x`,
    'trailing comma': `{"Records":[${ev('a')},]}`,
    'two Records keys': `{"Records":[${ev('a')}],"Records":[${ev('b')}]}`,
    'Records not an array': `{"Records":{"a":1}}`,
    'escaped Records key': `{"Rec\\u006frds":[${ev('a')}]}`,
    'a single event': ev('a'),
    'JSON lines': `${ev('a')}\n${ev('b')}\n`,
    'byte order mark': `\ufeff{"Records":[${ev('a')}]}`,
    'non-breaking space': `\u00a0{"Records":[${ev('a')}]}`,
    'backslash outside strings': `{"Records":[${ev('a')}\\]}`,
    'unclosed string': `{"Records":[${ev('a')},"abc]}`,
    'mismatched brackets': `{"Records":[${ev('a')}}]`,
    empty: '',
    whitespace: ' \n ',
    'scalar document': '42',
    'empty array': '[]',
    'nested depth': `[${'['.repeat(2000)}${']'.repeat(2000)}]`,
    'escaped eventTime key': `[{"eventID":"a","eventName":"GetSecretValue","event\\u0054ime":"2023-07-10T00:00:00Z"}]`,
    'escaped time value': `[{"eventID":"a","eventName":"GetSecretValue","eventTime":"2023-07-10T00:00:00\\u005a"}]`,
    'duplicate eventTime': `[{"eventID":"a","eventName":"GetSecretValue","eventTime":"1999-01-01T00:00:00Z","eventTime":"2023-07-10T00:00:00Z"}]`,
  };
  const query: QueryNode = {
    kind: 'match',
    field: { segments: ['eventName'], display: 'eventName' },
    cond: { op: 'equals', values: ['getsecretvalue'] },
    all: false,
    cased: false,
  };
  for (const [name, text] of Object.entries(cases)) {
    it(name, () => {
      compare(
        specFor(query),
        prepare([
          { key: 'doc.json', text },
          { key: 'doc.json.gz', text },
        ]),
      );
    });
  }
  it('invalid UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from(`{"Records":[${ev('a', ',"x":"')}`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}]}'),
    ]);
    const spec = specFor(query);
    const plain = createObjectScanner(spec, { indexed: false })(bytes, 'u.json', false);
    expect(createObjectScanner(spec)(bytes, 'u.json', false)).toEqual(plain);
    expect(plain.error).toMatch(/UTF-8/);
  });

  it('random byte edits of a valid log', () => {
    const rng = new Rng('mutations');
    const logs = [
      ...generateLogs({
        accounts: ['111111111111'],
        regions: ['us-east-1'],
        start: '2023-07-10T00:00:00Z',
        hours: 1,
        filesPerHour: 1,
        recordsPerFile: [4, 4],
      }),
    ];
    const text = writeJson(
      { Records: logs[0]?.records ?? [] },
      { escape: 0.02, space: 0.05, number: 0, duplicate: 0 },
      rng,
    );
    const alphabet = '{}[]:,"\\ \n0123456789-.eEtrufalsn\u0001\u00e9ax';
    const docs: Doc[] = [];
    for (let i = 0; i < 250; i++) {
      const at = rng.int(0, text.length - 1);
      const ch = rng.pick([...alphabet]);
      const edit = rng.int(0, 2);
      const mutated =
        edit === 0
          ? text.slice(0, at) + text.slice(at + 1)
          : edit === 1
            ? text.slice(0, at) + ch + text.slice(at)
            : text.slice(0, at) + ch + text.slice(at + 1);
      docs.push({ key: `m${i}.json`, text: mutated });
    }
    const samples = samplePaths(logs[0]?.records ?? []);
    const prepared = prepare(docs);
    compare(specFor(query), prepared);
    compare(specFor({ kind: 'all' }), prepared);
    compare(specFor(randomQuery(samples, rng)), prepared);
  });
});
