/**
 * Load: a day of three regions holding a million realistic records (load-fixture.ts), searched
 * twice by the bundled CLI (`dist/cli.js`, what users run; CI checks it is built from this
 * source). Proves bounded memory (peak RSS under 300 MB, as the kernel counts it for the whole
 * process, worker threads included), exact de-duplication of duplicates planted across files and
 * regions (counts known by construction), and that two runs give identical files. An export of
 * every record (a million unique events: more than de-duplication keeps in memory, so the ids seen
 * spill to sorted files in TMPDIR) drops exactly the planted copies, stays under the same memory
 * bound, leaves TMPDIR as it found it, and writes its results in time order (a gigabyte of rows
 * sorted in runs on disk beside the results and merged).
 *
 * Peak RSS is `process.resourceUsage().maxRSS` (getrusage's ru_maxrss), written on exit by a
 * module preloaded with --import: nothing of the code under test is involved in measuring it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { writeLoadFixture, type LoadFixture } from './load-fixture.js';

const RECORDS = 1_000_000;
const MAX_RSS_BYTES = 300 * 1024 * 1024;
/** Global services: their events are the ones CloudTrail delivers into several regions. */
const SOURCES = ['signin.amazonaws.com', 'iam.amazonaws.com'];
const FILTER = JSON.stringify({ eventSource: SOURCES });

/** Writes the process's peak RSS (kilobytes) to $RSS_FILE when it exits. */
const RSS_PROBE =
  'data:text/javascript,' +
  encodeURIComponent(
    "import { writeFileSync } from 'node:fs';" +
      "process.on('exit', () => writeFileSync(process.env.RSS_FILE, String(process.resourceUsage().maxRSS)));",
  );

let root: string;
let fixture: LoadFixture;

interface Measured {
  code: number | null;
  stderr: string;
  maxRssBytes: number;
  resultsPath: string;
  summary: Record<string, any>;
}

/** Runs the bundled CLI over the fixture's day with `filter` (none: every record). */
async function measuredSearch(
  name: string,
  filter?: string,
  env: Record<string, string> = {},
): Promise<Measured> {
  const out = path.join(root, name);
  const rssFile = path.join(root, `${name}.rss`);
  const args = [
    '--import',
    RSS_PROBE,
    path.join(repoRoot, 'dist/cli.js'),
    '--source',
    fixture.dir,
    '--since',
    '2024-05-01T00:00:00Z',
    '--until',
    '2024-05-02T00:00:00Z',
    ...(filter ? ['--filter', filter] : []),
    '--out-dir',
    out,
    '--max-rows',
    '0',
  ];
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), RSS_FILE: rssFile, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stderr: err }));
  });
  if (code !== 0) throw new Error(`the CLI exited with ${code}:\n${stderr}`);
  return {
    code,
    stderr,
    maxRssBytes: Number(await readFile(rssFile, 'utf8')) * 1024,
    resultsPath: path.join(out, 'results.jsonl'),
    summary: JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')),
  };
}

/**
 * Whether the lines of a JSONL file are in time order, then eventID, read as it streams by. The
 * fixture writes eventTime in CloudTrail's canonical form, which sorts as text in time order.
 */
async function outOfOrderLines(file: string): Promise<number> {
  const key = (line: string): [string, string] => [
    /"eventTime":"([^"]*)"/.exec(line)?.[1] ?? '',
    /"eventID":"([^"]*)"/.exec(line)?.[1] ?? '',
  ];
  let previous: [string, string] = ['', ''];
  let bad = 0;
  for await (const line of createInterface({ input: createReadStream(file) })) {
    const k = key(line);
    if (k[0] < previous[0] || (k[0] === previous[0] && k[1] < previous[1])) bad++;
    previous = k;
  }
  return bad;
}

/** Lines of a file, counted as it streams by (an export's results are too big to hold). */
async function lineCount(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
  }
  return lines;
}

function expectBoundedMemory(run: Measured): void {
  const mb = Math.round(run.maxRssBytes / 2 ** 20);
  expect(run.maxRssBytes, `peak RSS ${mb} MB (Node ${process.versions.node})`).toBeGreaterThan(50 * 2 ** 20);
  expect(run.maxRssBytes, `peak RSS ${mb} MB (Node ${process.versions.node})`).toBeLessThan(MAX_RSS_BYTES);
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'ct-load-'));
  fixture = await writeLoadFixture(path.join(root, 'logs'), {
    records: RECORDS,
    recordsPerFile: 1000,
    matchingDuplicates: 3000,
    otherDuplicates: 1000,
    matches: (r) => SOURCES.includes(String(r.eventSource)),
  });
}, 90_000);

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('a million records', () => {
  it('bounded memory, exact de-duplication across files and regions, identical repeated runs', async () => {
    // The fixture is what the test says it is.
    expect(fixture.recordsWritten).toBe(RECORDS + 3000 + 1000);
    expect(fixture.crossRegionDuplicates).toBeGreaterThan(1000);
    expect(fixture.crossRegionDuplicates).toBeLessThan(3000);

    const first = await measuredSearch('run-1', FILTER);
    expect(first.code, first.stderr).toBe(0);

    const s = first.summary;
    expect(s.complete).toBe(true);
    expect(s.scanned.objects).toBe(fixture.files);
    expect(s.scanned.records).toBe(fixture.recordsWritten);
    expect(s.matches).toBe(fixture.expectedIds.length);
    // Every planted copy of a matching event, and only those, was dropped.
    expect(s.duplicatesDropped).toBe(fixture.matchingDuplicates);
    const firstResults = await readFile(first.resultsPath);
    const ids = firstResults
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { eventID: string }).eventID);
    expect(ids.length).toBe(fixture.expectedIds.length);
    expect(ids.sort()).toEqual(fixture.expectedIds);

    const second = await measuredSearch('run-2', FILTER);
    expect(second.code, second.stderr).toBe(0);
    expect(sha256(await readFile(second.resultsPath))).toBe(sha256(firstResults));
    for (const field of ['matches', 'duplicatesDropped', 'complete'] as const) {
      expect(second.summary[field]).toEqual(s[field]);
    }
    expect(second.summary.scanned.records).toBe(s.scanned.records);

    // Memory last, so a failure here comes with everything above already verified.
    for (const run of [first, second]) expectBoundedMemory(run);
  }, 120_000);

  it('an export of every record: ids spilled to TMPDIR, exactly the planted copies dropped, TMPDIR left clean', async () => {
    const tmp = path.join(root, 'tmp');
    await mkdir(tmp);
    // What appears in TMPDIR while the export runs.
    const seen = new Set<string>();
    const watch = setInterval(() => {
      readdir(tmp).then(
        (names) => names.forEach((n) => seen.add(n)),
        () => {},
      );
    }, 50);
    const run = await measuredSearch('export', undefined, { TMPDIR: tmp }).finally(() =>
      clearInterval(watch),
    );
    expect(run.code, run.stderr).toBe(0);
    const s = run.summary;
    expect(s.complete).toBe(true);
    expect(s.scanned.records).toBe(fixture.recordsWritten);
    // Known by construction: a million unique events, and every other record a planted copy.
    expect(s.matches).toBe(RECORDS);
    expect(s.duplicatesDropped).toBe(fixture.recordsWritten - RECORDS);
    expect(await lineCount(run.resultsPath)).toBe(RECORDS);
    // In time order: its rows were sorted in runs on disk and merged, and nothing of that is left.
    expect(await outOfOrderLines(run.resultsPath)).toBe(0);
    expect((await readdir(path.dirname(run.resultsPath))).sort()).toEqual(['results.jsonl', 'summary.json']);
    // The planted copies are byte-identical: none conflicts with the record kept.
    expect(s.conflictingDuplicates).toBe(0);
    // The spill folders were made there (more ids than memory keeps: one for the ids, one for the
    // (id, content) pairs that tell conflicting copies), and removed.
    expect([...seen]).toEqual([
      expect.stringMatching(/^cloudtrail-investigate-ids-/),
      expect.stringMatching(/^cloudtrail-investigate-ids-/),
    ]);
    expect(await readdir(tmp)).toEqual([]);
    expectBoundedMemory(run);
  }, 120_000);
});
