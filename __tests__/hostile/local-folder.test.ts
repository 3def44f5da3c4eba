/**
 * Hostile local folders against the shipped CLI: entries named like logs that are no regular
 * file (FIFO, dangling link), links that lead outside `--source` (to files and to folders), a
 * sub-folder that cannot be listed, and unreadable files whose content must never be quoted in a
 * failure reason. Each is a failure naming the entry (exit 3, incomplete), the rest is searched,
 * and nothing outside the folder is read.
 *
 * The CLI is the bundle (dist/cli.js); HOSTILE_FROM_SOURCE=1 runs src/cli.ts instead.
 */
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalStore } from '../../src/source/local-store.js';
import { planObjects } from '../../src/source/planner.js';
import type { PlannedObject } from '../../src/source/types.js';
import { runCli } from '../helpers/cli.js';

const bundle = process.env.HOSTILE_FROM_SOURCE !== '1';
const ACCOUNT = '111122223333';
const DAY = `AWSLogs/${ACCOUNT}/CloudTrail/us-east-1/2024/05/01`;

function logName(hour: number): string {
  const hh = String(hour).padStart(2, '0');
  return `${ACCOUNT}_CloudTrail_us-east-1_20240501T${hh}05Z_abcdefghijklmnop.json.gz`;
}

function logBody(hour: number): Buffer {
  const hh = String(hour).padStart(2, '0');
  return gzipSync(
    JSON.stringify({
      Records: [
        {
          eventTime: `2024-05-01T${hh}:01:00Z`,
          eventName: 'CreateUser',
          awsRegion: 'us-east-1',
          eventID: `ev-${hour}`,
        },
      ],
    }),
  );
}

/** The one record of hour `hour`'s log, as JSON text. */
function logBodyText(hour: number): string {
  return JSON.stringify(
    (JSON.parse(gunzipSync(logBody(hour)).toString()) as { Records: unknown[] }).Records[0],
  );
}

/** A folder with real logs at hours 1 and 2; `extra` adds the hostile entries. */
function folder(extra: (root: string, day: string) => void): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ct-hostile-local-'));
  const day = path.join(root, ...DAY.split('/'));
  mkdirSync(day, { recursive: true });
  for (const hour of [1, 2]) writeFileSync(path.join(day, logName(hour)), logBody(hour));
  extra(root, day);
  return root;
}

async function search(root: string) {
  const out = mkdtempSync(path.join(os.tmpdir(), 'ct-hostile-local-out-'));
  const run = await runCli(
    [
      '--source',
      root,
      '--since',
      '2024-05-01T00:00:00Z',
      '--until',
      '2024-05-02T00:00:00Z',
      '--out-dir',
      out,
      '--max-rows',
      '0',
    ],
    { bundle, timeoutMs: 60_000 },
  );
  const summaryText = readFileSync(path.join(out, 'summary.json'), 'utf8');
  const summary = JSON.parse(summaryText) as {
    complete: boolean;
    failures: Array<{ key: string; reason: string }>;
  };
  const ids = readFileSync(path.join(out, 'results.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { eventID: string }).eventID)
    .sort();
  return { run, summary, summaryText, ids };
}

describe('entries named like logs that are not regular files are failures, not skipped', () => {
  it('a FIFO named like a CloudTrail log (and the run does not block on it)', async () => {
    const root = folder((_, day) => execFileSync('mkfifo', [path.join(day, logName(3))]));
    const { run, summary, ids } = await search(root);
    expect(run.code, run.stderr).toBe(3);
    expect(summary.complete).toBe(false);
    expect(summary.failures).toEqual([
      { key: `${DAY}/${logName(3)}`, reason: expect.stringMatching(/FIFO/) },
    ]);
    expect(ids).toEqual(['ev-1', 'ev-2']);
  });

  it('a dangling symbolic link named like a log, and a FIFO named like an export', async () => {
    const root = folder((r, day) => {
      symlinkSync(path.join(r, 'gone.json.gz'), path.join(day, logName(3)));
      execFileSync('mkfifo', [path.join(r, 'export.jsonl')]);
    });
    const { run, summary } = await search(root);
    expect(run.code, run.stderr).toBe(3);
    expect(summary.failures.map((f) => f.key).sort()).toEqual([`${DAY}/${logName(3)}`, 'export.jsonl']);
  });

  it('a FIFO named like nothing the search reads is still skipped quietly', async () => {
    const root = folder((r) => execFileSync('mkfifo', [path.join(r, 'notes.txt')]));
    const { run, summary, ids } = await search(root);
    expect(run.code, run.stderr).toBe(0);
    expect(summary.complete).toBe(true);
    expect(ids).toEqual(['ev-1', 'ev-2']);
  });
});

describe('links never lead outside --source', () => {
  it('a link to a log file outside the folder is a failure; the file is not read', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'ct-hostile-outside-'));
    writeFileSync(path.join(outside, logName(3)), logBody(3));
    const root = folder((_, day) => symlinkSync(path.join(outside, logName(3)), path.join(day, logName(3))));
    const { run, summary, ids } = await search(root);
    expect(run.code, run.stderr).toBe(3);
    expect(summary.failures).toEqual([
      { key: `${DAY}/${logName(3)}`, reason: expect.stringMatching(/leads outside/) },
    ]);
    expect(ids).toEqual(['ev-1', 'ev-2']);
  });

  it('a link to a folder outside is a failure naming it; nothing below it is read', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'ct-hostile-outside-'));
    writeFileSync(path.join(outside, logName(3)), logBody(3));
    const root = folder((_, day) => symlinkSync(outside, path.join(day, 'more')));
    const { run, summary, ids } = await search(root);
    expect(run.code, run.stderr).toBe(3);
    expect(summary.failures).toEqual([
      { key: `${DAY}/more/`, reason: expect.stringMatching(/leads outside/) },
    ]);
    expect(ids).toEqual(['ev-1', 'ev-2']);
  });

  it('links inside the folder are still followed', async () => {
    const root = folder((r, day) => {
      mkdirSync(path.join(r, 'store'));
      writeFileSync(path.join(r, 'store', 'h3.json.gz'), logBody(3));
      symlinkSync(path.join(r, 'store', 'h3.json.gz'), path.join(day, logName(3)));
    });
    const { run, ids } = await search(root);
    expect(run.code, run.stderr).toBe(0);
    // ev-3 twice (the link and its target, a generic .json.gz), de-duplicated.
    expect(ids).toEqual(['ev-1', 'ev-2', 'ev-3']);
  });
});

describe('failure reasons never quote file content', () => {
  const MARK = 'SECRETMARK';
  const contents = [
    `{"a": ${MARK}${MARK}}`,
    `${MARK} is not valid JSON "${MARK}"`,
    `[1, 2, "x", ${MARK}]`,
    `{"Records": [{"eventTime": "2024-05-01T01:00:00Z"}, ${MARK}]}`,
    `{"eventName": "A"}\n{${MARK}}\n`,
    `{"x": "${MARK}" ${MARK}}`,
    `"${MARK}`,
  ];
  it('for every shape of unreadable JSON, in .json and .jsonl', async () => {
    const root = folder((r) =>
      contents.forEach((text, i) => {
        writeFileSync(path.join(r, `bad-${i}.json`), text);
        writeFileSync(path.join(r, `bad-${i}.jsonl`), text.replace(/\n/g, ' '));
      }),
    );
    const { run, summary, summaryText } = await search(root);
    expect(run.code, run.stderr).toBe(3);
    expect(summary.failures.length).toBe(contents.length * 2);
    expect(summaryText).not.toContain('SECRET');
    expect(run.stdout + run.stderr).not.toContain('SECRET');
  });
});

describe('an eventID repeated with other content', () => {
  it('keeps the first record, counts and warns about the conflicting copy', async () => {
    const event = {
      eventTime: '2024-05-01T03:00:00Z',
      eventName: 'CreateUser',
      awsRegion: 'us-east-1',
      eventID: 'ev-1',
    };
    const root = folder((r) => {
      // Same id as hour 1's event: once identical (a second delivery), once altered.
      writeFileSync(path.join(r, 'a-copy.json'), JSON.stringify([JSON.parse(logBodyText(1))]));
      writeFileSync(
        path.join(r, 'b-forged.json'),
        JSON.stringify([{ ...event, userIdentity: { type: 'Root' } }]),
      );
    });
    const { run, summaryText, ids } = await search(root);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(summaryText) as {
      duplicatesDropped: number;
      conflictingDuplicates: number;
      warnings: string[];
    };
    expect(ids).toEqual(['ev-1', 'ev-2']);
    expect(summary.duplicatesDropped).toBe(2);
    expect(summary.conflictingDuplicates).toBe(1);
    expect(
      summary.warnings.some((w) =>
        /1 record repeated an earlier record's eventID with different content/.test(w),
      ),
    ).toBe(true);
  });
});

describe('a sub-folder that cannot be listed', () => {
  afterEach(() => vi.restoreAllMocks());

  it('is reported as unread and the rest is searched (tests run as root: readdir fails by injection)', async () => {
    const root = folder((r) => {
      mkdirSync(path.join(r, 'locked'));
      writeFileSync(path.join(r, 'locked', 'x.json'), '[]');
      writeFileSync(path.join(r, 'z.json'), '[]');
    });
    const realReaddir = fsp.readdir.bind(fsp);
    vi.spyOn(fsp, 'readdir').mockImplementation((async (dir: string, options: unknown) => {
      if (dir === path.join(root, 'locked')) {
        throw Object.assign(new Error(`EACCES: permission denied, scandir '${dir}'`), { code: 'EACCES' });
      }
      return realReaddir(dir, options as never);
    }) as typeof fsp.readdir);
    const store = await LocalStore.open(root);
    const plan = planObjects(
      store,
      { kind: 'local', prefix: '' },
      {
        window: { since: new Date('2024-05-01T00:00:00Z'), until: new Date('2024-05-02T00:00:00Z') },
        regions: 'all',
        accounts: 'all',
        lagMs: 0,
      },
    );
    const objects: PlannedObject[] = [];
    for await (const o of plan.objects) objects.push(o);
    expect(objects.map((o) => [o.key, o.unreadable])).toEqual([
      [`${DAY}/${logName(1)}`, undefined],
      [`${DAY}/${logName(2)}`, undefined],
      ['locked/', expect.stringMatching(/could not be listed \(EACCES\); nothing in it was searched/)],
      ['z.json', undefined],
    ]);
    expect(readdirSync(root).sort()).toEqual(['AWSLogs', 'locked', 'z.json']);
  });
});
