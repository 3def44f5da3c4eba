/**
 * Attacker-controlled CloudTrail values (user agents, ARNs, error codes, event names...) in the
 * terminal, the workflow log and the job summary: they never render as markup, never break a
 * table, never start a workflow command and never move the terminal cursor. Checked end to end
 * (the CLI and the Action over a folder of hostile records) and as a property over random
 * combinations rendered into a real summary.json's shape.
 */
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { runAction } from '../helpers/run-action.js';
import { renderJobSummary, renderFailureSummary } from '../../src/report/job-summary.js';
import { formatMatchesTable, formatSummaryLine } from '../../src/report/terminal.js';
import { annotationsFor, describeMatch } from '../../src/report/annotations.js';
import type { Summary } from '../../src/report/types.js';
import type { MatchedEvent } from '../../src/engines/types.js';
import { seededRandom } from '../../tools/generate/prng.js';
import { elementNames, renderGfm } from '../helpers/github-page.js';

const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  'a|b|c',
  '`rm -rf /`',
  '```\nfenced',
  'line1\nline2',
  'over\rwrite',
  '::set-output name=x::y',
  '::add-mask::EVILMASK',
  '::error::forged error',
  '  ::warning file=a.ts::indented',
  '%0A::error::encoded',
  '##[error]legacy command',
  '\u001b[2J\u001b[1;1Hcleared',
  '\u001b]0;pwned title\u0007',
  '\u009b2Jc1-csi',
  'abc\u202eevil\u202c',
  '\u2066isolate\u2069',
  'zero\u200bwidth',
  'line\u2028sep',
  '[click me](https://evil.example)',
  '![img](https://evil.example/p.png)',
  '<!-- hidden',
  '-->',
  '@octocat please look',
  '#1234',
  // GitHub's filters run on the rendered text: an e-mail, a cross-repository reference, an emoji.
  'alice@example.com',
  'octo-org/repo#12',
  ':rocket: :+1:',
  // Our own markup, from the data: escaped like any other.
  '<wbr><br><details><summary>',
  'www.evil.example',
  'https://evil.example/x',
  '"]\n    bar [99999]\n%%{init: {"theme":"dark"}}%%',
  'end\n```mermaid\ngraph TD',
  '&lt;b&gt;entity&lt;/b&gt;',
  '</td></tr></table><h1>x</h1>',
  '$\\sqrt{x}$',
  '~~strike~~ **bold** _it_',
  '\\| escaped pipe',
  'x'.repeat(5000),
];

const EVENT_TIME = '2023-07-10T01:00:00Z';

/** A record with hostile text in every field the table, annotations and summary show. */
function hostileRecord(i: number, pick: (k: number) => string): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    eventTime: EVENT_TIME,
    eventSource: `${pick(i)}.amazonaws.com`,
    eventName: `StopLogging${pick(i + 1)}`,
    awsRegion: 'us-east-1',
    sourceIPAddress: pick(i + 2),
    userAgent: pick(i + 3),
    errorCode: pick(i + 4),
    errorMessage: pick(i + 5),
    userIdentity: {
      type: 'IAMUser',
      arn: `arn:aws:iam::111122223333:user/${pick(i + 6)}`,
      userName: pick(i + 7),
    },
    eventID: `id-${i}-${pick(i + 8).slice(0, 200)}`,
    recipientAccountId: '111122223333',
  };
}

// ---- checks -------------------------------------------------------------------------------------

const CONTROL =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/u;

/** Terminal and log text: no control or bidi character, no line a runner would read as a command. */
function expectInertLog(text: string, where: string): void {
  for (const [n, line] of text.split('\n').entries()) {
    // A raw zero-width space is the sanitiser's (the data's own are shown as \u200b): it disarms.
    expect(CONTROL.test(line.replace(/\u200b/g, '')), `${where} line ${n}: ${JSON.stringify(line)}`).toBe(
      false,
    );
    expect(line.trimStart().startsWith('::'), `${where} line ${n}`).toBe(false);
    expect(line.includes('##['), `${where} line ${n}`).toBe(false);
  }
}

/** The Markdown's lines outside fenced code blocks, and the blocks (info string, lines). */
function splitFences(md: string): { lines: string[]; blocks: Array<{ info: string; lines: string[] }> } {
  const lines: string[] = [];
  const blocks: Array<{ info: string; lines: string[] }> = [];
  let fence: string | undefined;
  for (const line of md.split('\n')) {
    const m = /^(`{3,})(.*)$/.exec(line);
    if (fence) {
      if (m && m[1]!.length >= fence.length && m[2]!.trim() === '') fence = undefined;
      else blocks[blocks.length - 1]!.lines.push(line);
      continue;
    }
    if (m) {
      fence = m[1]!;
      blocks.push({ info: m[2]!.trim(), lines: [] });
      continue;
    }
    lines.push(line);
  }
  expect(fence, 'every code block is closed').toBeUndefined();
  return { lines, blocks };
}

/** Pipes that split GFM table cells: not escaped by a backslash. */
const cellPipes = (row: string): number => (row.match(/(?<!\\)\|/g) ?? []).length;

/** The only markup the summary writes itself: break opportunities, line breaks, collapsed blocks. */
const OUR_TAGS = /<wbr>|<br>|<details>|<\/details>|<summary>|<\/summary>/g;

/** Elements the rendered summary may hold: GFM's own for our Markdown, and OUR_TAGS. */
const RENDERED_ELEMENTS = new Set(
  'h2 h3 p strong ul li table thead tbody tr th td pre code a br wbr details summary'.split(' '),
);

function expectSafeMarkdown(md: string, options: { render?: boolean } = {}): void {
  // No invisible character at all: a raw zero-width space would be pasted with the value.
  expect(CONTROL.test(md), 'control or invisible characters in the summary').toBe(false);
  const { lines: withTags, blocks } = splitFences(md);
  const lines = withTags.map((line) => line.replace(OUR_TAGS, ''));
  for (const line of lines) {
    expect(line.trimStart().startsWith('::'), line).toBe(false);
    // Nothing from the data is raw HTML, a comment, inline code, a link, an image or a mention.
    expect(line, 'raw < outside code').not.toMatch(/</);
    expect(line, 'raw > outside code').not.toMatch(/>/);
    expect(line, 'backtick outside code').not.toMatch(/`/);
    // The one link is ours (the artifact), its target ours or "#"; the data makes none.
    expect(
      line.replace(/\]\((#|https:\/\/github\.com\/[\w./%-]*)\)/g, ']'),
      `link or image: ${line}`,
    ).not.toMatch(/\]\(/);
    expect(line, 'mention').not.toMatch(/@\w/);
    expect(line, 'math').not.toMatch(/\$/);
  }
  // Tables: every row has exactly the header's number of cell separators.
  let header: number | undefined;
  for (const line of lines) {
    if (!line.startsWith('|')) {
      header = undefined;
      continue;
    }
    if (header === undefined) header = cellPipes(line);
    else expect(cellPipes(line), `table row ${line.slice(0, 200)}`).toBe(header);
  }
  // Rendering is slow (micromark): the property test renders a share of its cases.
  if (options.render ?? true) expectInertHtml(renderGfm(md));
  // The chart holds only our labels and numbers.
  for (const block of blocks.filter((b) => b.info === 'mermaid')) {
    for (const line of block.lines) {
      expect(line).toMatch(
        // eslint-disable-next-line no-regex-spaces -- Mermaid's four-space indent, as written
        /^(xychart-beta|    title "Matches per (hour|day|week) \(UTC\)"|    x-axis \[("[0-9]{2}-[0-9]{2}( [0-9]{2}h)?"(, )?)*\]|    y-axis "Matches" 0 --> \d+|    bar \[[\d, ]*\])$/,
      );
    }
  }
}

/**
 * The summary rendered as GitHub parses it: only the elements we write, links only ours, and no
 * text that GitHub's filters (which run on the rendered text, outside code and links) would turn
 * into a mention, an issue reference, an emoji or a link.
 */
function expectInertHtml(html: string): void {
  expect(elementNames(html).filter((n) => !RENDERED_ELEMENTS.has(n))).toEqual([]);
  for (const [, href] of html.matchAll(/<a href="([^"]*)"/g)) {
    expect(href, 'a link made from the data').toMatch(
      /^(#|https:\/\/github\.com\/o\/r\/actions\/runs\/1\/artifacts\/42)$/,
    );
  }
  const textRuns = html.replace(/<pre>[\s\S]*?<\/pre>/g, '<pre>').split(/<[^>]*>/);
  for (const text of textRuns) {
    expect(text, 'a mention').not.toMatch(/(^|[^\w`])@[a-z0-9]/i);
    expect(text, 'an issue reference').not.toMatch(/#\d/);
    expect(text, 'an emoji shortcode').not.toMatch(/:[\w+-]*[a-z][\w+-]*:/i);
    expect(text, 'a link literal').not.toMatch(/www\.|https?:\/\//i);
  }
}

// ---- end to end ---------------------------------------------------------------------------------

let dataDir: string;
let summaryJson: Summary;
const RECORDS = HOSTILE.length;

beforeAll(async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ct-hostile-markup-'));
  dataDir = path.join(dir, 'data');
  await mkdir(dataDir);
  const pick = (k: number) => HOSTILE[k % HOSTILE.length]!;
  const records = Array.from({ length: RECORDS }, (_, i) => hostileRecord(i, pick));
  await writeFile(path.join(dataDir, 'hostile.json'), JSON.stringify({ Records: records }));
  // A file that cannot be read, whose name is hostile too: failure rows and error annotations.
  await writeFile(path.join(dataDir, '<img src=x onerror=alert(1)> ::error::x.json'), 'not json');
});

describe('hostile values end to end', () => {
  it('the CLI prints them inert: no cursor movement, no forged lines, no workflow commands', async () => {
    const out = path.join(path.dirname(dataDir), 'cli-out');
    const run = await runCli(
      [
        '--source',
        dataDir,
        '--since',
        '2023-07-10T00:00:00Z',
        '--until',
        '2023-07-11T00:00:00Z',
        '--out-dir',
        out,
        '--max-rows',
        '100',
        '--filter',
        '{"eventName|startswith": "StopLogging"}',
      ],
      { timeoutMs: 90_000 },
    );
    expect(run.code, run.stderr).toBe(3);
    // Every hostile record is a row of the table (one line each), plus the header.
    const rows = run.stdout.split('\n').filter((l) => l.startsWith(EVENT_TIME));
    expect(rows).toHaveLength(RECORDS);
    expectInertLog(run.stdout, 'stdout');
    expectInertLog(run.stderr, 'stderr');
    summaryJson = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as Summary;
  });

  it('the Action logs them inert, starts no command from them and keeps the summary well-formed', async () => {
    const run = await runAction({
      inputs: {
        source: dataDir,
        since: '2023-07-10T00:00:00Z',
        until: '2023-07-11T00:00:00Z',
        filters: 'eventName|startswith: StopLogging',
        'upload-artifact': 'false',
        'summary-max-rows': '100',
      },
      timeoutMs: 90_000,
    });
    expect(run.exitCode, run.stdout.slice(-3000)).toBe(3);
    // Only the commands the Action itself issues; none of the data's.
    const allowed = new Set(['warning', 'error', 'debug', 'group', 'endgroup']);
    for (const c of run.commands) expect(allowed.has(c.command), JSON.stringify(c)).toBe(true);
    // Error annotations: the unreadable file and the failed step only.
    const errors = run.commands.filter((c) => c.command === 'error');
    expect(errors.length).toBeLessThanOrEqual(3);
    // Lines that are not our commands must not look like one to the runner.
    const plain = run.stdout
      .split('\n')
      .filter((l) => !/^::(warning|error|debug|group|endgroup)( [^:]*)?::/.test(l))
      .join('\n');
    expectInertLog(plain, 'action stdout');
    // Command messages: no raw newline survives the encoding (%0A), no control characters.
    for (const c of run.commands)
      expect(CONTROL.test(c.message.replace(/\u200b/g, '')), JSON.stringify(c)).toBe(false);
    // Outputs are exactly the documented ones.
    expect(Object.keys(run.outputs).sort()).toEqual(
      [
        'artifact-id',
        'artifact-url',
        'bytes-scanned',
        'complete',
        'match-count',
        'matched',
        'results-file',
        'summary-file',
        'result',
        'gate-matches',
        'highest-level',
        'state-advanced',
      ].sort(),
    );
    expect(run.outputs['match-count']).toBe(String(RECORDS));
    expectSafeMarkdown(run.summary);
    expect(run.summary).toContain('### Matches');
  });
});

// ---- property: random hostile strings in every rendered field -------------------------------------

describe('random hostile combinations, rendered', () => {
  it('job summary, failure summary, terminal table, summary line and annotations stay inert', () => {
    expect(summaryJson, 'the CLI run above wrote summary.json').toBeDefined();
    const rand = seededRandom(42);
    const hostile = (): string => {
      const n = 1 + Math.floor(rand() * 4);
      return Array.from({ length: n }, () => HOSTILE[Math.floor(rand() * HOSTILE.length)]!).join('');
    };
    for (let i = 0; i < 60; i++) {
      const events: MatchedEvent[] = Array.from({ length: 5 }, (_, k) => {
        const record = hostileRecord(k, () => hostile());
        return {
          record,
          json: JSON.stringify(record),
          eventID: String(record.eventID),
          region: hostile(),
        } as MatchedEvent;
      });
      const summary: Summary = {
        ...summaryJson,
        source: hostile(),
        filter: hostile(),
        engineReason: hostile(),
        regions: [hostile(), 'us-east-1'],
        warnings: [hostile(), hostile()],
        failures: [{ key: hostile(), reason: hostile() }],
        regionBreakdown: summaryJson.regionBreakdown.map((r) => ({
          ...r,
          region: hostile(),
          errors: [hostile()],
        })),
        top: {
          principals: [{ value: hostile(), count: 2 }],
          sourceIPs: [{ value: hostile(), count: 1 }],
          eventNames: [{ value: hostile(), count: 3 }],
        },
      };
      const md = renderJobSummary({
        summary,
        firstMatches: events,
        maxRows: 50,
        failures: [hostile()],
        // The URL comes from GitHub's artifact service, not from the logs.
        artifact: { name: hostile(), url: 'https://github.com/o/r/actions/runs/1/artifacts/42' },
        files: { results: hostile(), summary: hostile() },
      });
      expectSafeMarkdown(md, { render: i % 4 === 0 });
      expectSafeMarkdown(renderFailureSummary(hostile()));
      expectInertLog(formatMatchesTable(events, { width: 160 }), 'table');
      expect(formatMatchesTable(events, { width: 160 }).split('\n')).toHaveLength(events.length + 1);
      expectInertLog(formatSummaryLine(summary), 'summary line');
      for (const a of annotationsFor(summary, events)) {
        expectInertLog(a.title, 'annotation title');
        expectInertLog(a.message, 'annotation message');
        expect(a.message.includes('\n')).toBe(false);
      }
      for (const e of events) expect(describeMatch(e).includes('\n')).toBe(false);
    }
  });
});
