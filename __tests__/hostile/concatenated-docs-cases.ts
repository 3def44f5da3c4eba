/**
 * Whole CloudTrail documents inside one file (issue 17, item 2): an export made with
 * `jq -c . *.json > export.jsonl`, documents concatenated on lines of a `.json`, an array of
 * documents, documents nested in a document. Every event they hold is searched (counts from jq
 * over the same files), and anything that is neither an event nor a document makes the object
 * unreadable: the run is incomplete and exits 3, never complete with events silently skipped.
 * Built from a folder of delivered `{"Records":[...]}` files and one of bare event arrays: the
 * in-repository ones shaped like the corpora (concatenated-docs.test.ts) and the genuine Invictus
 * and Stratus logs (concatenated-docs.corpus.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createObjectScanner } from '../../src/engines/scan/scan-object.js';
import { specFor } from '../scan/scan-reference.js';

const WINDOW = ['--since', '2013-11-01T00:00:00Z', '--until', '2026-01-01T00:00:00Z'];

function jq(args: string[], input?: string): string {
  return execFileSync('jq', args, { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024 });
}

/** Events and unique eventIDs of plain CloudTrail files, by jq. */
function jqCounts(files: string[]): { events: number; unique: number } {
  const ids = jq(['-r', '(if type == "array" then .[] else .Records[] end) | .eventID', ...files])
    .split('\n')
    .filter((l) => l !== '');
  return { events: ids.length, unique: new Set(ids).size };
}

export interface DocumentFolders {
  /** Delivered `{"Records":[...]}` files (at least 10). */
  trail: () => string;
  /** Files each holding a bare JSON array of events (at least 4). */
  detonations: () => string;
}

/** The checks; call at the top of a test file (or inside a describe). */
export function concatenatedDocsCases(folders: DocumentFolders): void {
  let dir: string;
  let invictusFiles: string[];
  let stratusFiles: string[];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ct-concat-'));
    invictusFiles = (await readdir(folders.trail()))
      .filter((f) => f.endsWith('.json'))
      .map((f) => path.join(folders.trail(), f));
    stratusFiles = (await readdir(folders.detonations()))
      .filter((f) => f.endsWith('.json'))
      .map((f) => path.join(folders.detonations(), f));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function folderWith(name: string, content: string | Buffer): Promise<string> {
    const folder = await mkdtemp(path.join(dir, 'src-'));
    await writeFile(path.join(folder, name), content);
    return folder;
  }

  async function search(source: string) {
    const out = await mkdtemp(path.join(dir, 'out-'));
    const run = await runCli(['--source', source, ...WINDOW, '--out-dir', out], {
      bundle: true,
      timeoutMs: 60_000,
    });
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as {
      complete: boolean;
      matches: number;
      scanned: { records: number };
      failures: Array<{ key: string; reason: string }>;
      warnings: string[];
    };
    return { run, summary };
  }

  describe('files holding whole CloudTrail documents are read in full', () => {
    it('an export made with jq -c . *.json > export.jsonl (and gzipped)', async () => {
      const expected = jqCounts(invictusFiles);
      const jsonl = jq(['-c', '.', ...invictusFiles]);
      expect(jsonl.trim().split('\n')).toHaveLength(invictusFiles.length);
      for (const [name, content] of [
        ['export.jsonl', jsonl],
        ['export.jsonl.gz', gzipSync(jsonl)],
        // The same lines in a .json: not one JSON document, read line by line.
        ['export.json', jsonl],
      ] as const) {
        const { run, summary } = await search(await folderWith(name, content));
        expect(run.code, `${name}: ${run.stderr}`).toBe(0);
        expect(summary.complete).toBe(true);
        expect(summary.scanned.records, name).toBe(expected.events);
        expect(summary.matches, name).toBe(expected.unique);
        expect(summary.warnings.join(' ')).not.toMatch(/eventTime/);
      }
    });

    it('an array of documents, and documents nested in a document', async () => {
      const files = invictusFiles.slice(0, 10);
      const expected = jqCounts(files);
      const array = jq(['-s', '.', ...files]);
      const nested = jq(['-c', '{Records: [{Records: .[0:5]}, .[5:][]]}'], array);
      for (const [name, content] of [
        ['array.json', array],
        ['nested.json', nested],
      ] as const) {
        const { run, summary } = await search(await folderWith(name, content));
        expect(run.code, `${name}: ${run.stderr}`).toBe(0);
        expect(summary.scanned.records, name).toBe(expected.events);
        expect(summary.matches, name).toBe(expected.unique);
      }
    });

    it('stratus arrays wrapped as documents, one per line, mixed with plain events', async () => {
      const expected = jqCounts(stratusFiles);
      // Half the files as documents, the other half's events one per line.
      const half = Math.floor(stratusFiles.length / 2);
      const lines =
        jq(['-c', '{Records: .}', ...stratusFiles.slice(0, half)]) +
        jq(['-c', '.[]', ...stratusFiles.slice(half)]);
      const { run, summary } = await search(await folderWith('mixed.jsonl', lines));
      expect(run.code, run.stderr).toBe(0);
      expect(summary.scanned.records).toBe(expected.events);
      expect(summary.matches).toBe(expected.unique);
    });
  });

  describe('anything that is neither an event nor a document fails the object (exit 3)', () => {
    const doc = () => jq(['-c', '.', invictusFiles[0]!]).trim();
    const cases: Array<[string, string, () => string]> = [
      [
        'an array of arrays of events',
        'arrays.json',
        () => jq(['-c', '[.[0], .[1]]', '-s', ...stratusFiles]),
      ],
      ['a line holding an array', 'lines.jsonl', () => `${doc()}\n[${doc()}]\n`],
      ['a document whose Records is not an array', 'odd.jsonl', () => `${doc()}\n{"Records": {"a": 1}}\n`],
      [
        'null among events',
        'null.json',
        () => `{"Records": [${JSON.stringify({ eventID: 'x', eventTime: '2023-07-10T00:00:00Z' })}, null]}`,
      ],
      ['a number among documents', 'n.json', () => `[${doc()}, 5]`],
    ];
    it.each(cases)('%s', async (_name, file, content) => {
      const { run, summary } = await search(await folderWith(file, content()));
      expect(run.code, run.stderr).toBe(3);
      expect(summary.complete).toBe(false);
      expect(summary.failures).toEqual([
        {
          key: file,
          reason: expect.stringMatching(/neither an event nor a \{"Records": \[\.\.\.\]\} document/),
        },
      ]);
    });
  });

  describe('both readers (indexed and plain) agree on documents inside documents', () => {
    it('same counts and matches for nested documents, whatever the reader', () => {
      const events = JSON.parse(
        jq(['-c', '[.[]]', ...stratusFiles.slice(0, 4)].concat([]), undefined).split('\n')[0]!,
      ) as unknown[];
      const text = JSON.stringify([
        { Records: events.slice(0, 3) },
        ...events.slice(3),
        { Records: [{ Records: events.slice(0, 1) }] },
      ]);
      const spec = specFor({ kind: 'all' });
      const indexed = createObjectScanner(spec)(Buffer.from(text), 'k.json', false);
      const plain = createObjectScanner(spec, { indexed: false })(Buffer.from(text), 'k.json', false);
      expect(indexed.error).toBeUndefined();
      expect(indexed.records).toBe(events.length + 1);
      expect({ ...indexed, matches: indexed.matches.map((m) => m.eventID) }).toEqual({
        ...plain,
        matches: plain.matches.map((m) => m.eventID),
      });
    });
  });
}
