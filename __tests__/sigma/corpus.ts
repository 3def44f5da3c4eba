/**
 * The events the Sigma tests run on, each with a stable key. By default the in-repository ones:
 * the flat trail and detonation logs shaped like the real corpora (helpers/corpus-like.ts), the
 * example bucket, and events with Athena-style lowercase keys as Panther's tests have. Corpus test
 * files call `useSharedCorpus()` first for the real ones: the Stratus Red Team detonations (by
 * technique), Panther's labelled rule-test events, the Invictus logs and the AWS documentation
 * examples. The events are written once to a JSON Lines file so that jq, the independent oracle,
 * reads exactly what the code under test reads.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { detonations, flatTrail, jsonFiles } from '../helpers/corpus-like.js';
import { repoRoot, sharedData } from '../helpers/corpus-location.js';

export { repoRoot, sharedData };
export const sigmaDir = path.join(sharedData, 'sigma-aws-cloudtrail');

export type Rec = Record<string, unknown>;

export interface CorpusEvent {
  /**
   * Shared: `stratus:<technique>:<n>`, `panther:<rule>:<n>`, `invictus:<file>:<n>`, `awsdocs:<n>`.
   * In-repo: `flat:<file>:<n>`, `detonation:<technique>:<n>`, `example:<file>:<n>`, `lower:<n>`.
   */
  key: string;
  event: Rec;
}

function jsonl(file: string): Rec[] {
  return readFileSync(path.join(sharedData, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Rec);
}

let cached: { events: CorpusEvent[]; file: string } | undefined;
let shared = false;

/** Run this test file on the real corpora (call at the top of a `*.corpus.test.ts`). */
export function useSharedCorpus(): void {
  shared = true;
  cached = undefined;
}

/** Events as Athena-style exports and Panther's tests spell them: lowercase keys, partial events. */
const LOWERCASE_EVENTS: Rec[] = [
  {
    eventname: 'ConsoleLogin',
    eventsource: 'signin.amazonaws.com',
    useridentity: { type: 'Root', arn: 'arn:aws:iam::123456789012:root' },
    sourceipaddress: '198.51.100.7',
    responseelements: { ConsoleLogin: 'Success' },
    additionaleventdata: { MFAUsed: 'No' },
  },
  { eventname: 'StopLogging', eventsource: 'cloudtrail.amazonaws.com', useridentity: { type: 'IAMUser' } },
  { eventname: 'DeleteTrail', eventsource: 'cloudtrail.amazonaws.com', errorcode: 'AccessDenied' },
  { eventName: 'GetSecretValue', eventSource: 'secretsmanager.amazonaws.com', readOnly: true },
  {
    eventName: 'CreateAccessKey',
    eventSource: 'iam.amazonaws.com',
    userIdentity: { type: 'Root' },
    requestParameters: {},
  },
];

function inRepoEvents(): CorpusEvent[] {
  const events: CorpusEvent[] = [];
  for (const file of jsonFiles(flatTrail())) {
    const records = (JSON.parse(readFileSync(file, 'utf8')) as { Records: Rec[] }).Records;
    records.forEach((event, i) => events.push({ key: `flat:${path.basename(file)}:${i}`, event }));
  }
  for (const file of jsonFiles(detonations())) {
    const technique = path.basename(file, '.json');
    (JSON.parse(readFileSync(file, 'utf8')) as Rec[]).forEach((event, i) =>
      events.push({ key: `detonation:${technique}:${i}`, event }),
    );
  }
  const examples = execFileSync('find', [path.join(repoRoot, 'examples/cloudtrail'), '-name', '*.json.gz'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => /\/CloudTrail(-Insight)?\//.test(f))
    .sort();
  for (const file of examples) {
    const records = (JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { Records: Rec[] })
      .Records;
    records.forEach((event, i) => events.push({ key: `example:${path.basename(file)}:${i}`, event }));
  }
  LOWERCASE_EVENTS.forEach((event, i) => events.push({ key: `lower:${i}`, event }));
  return events;
}

export function corpus(): { events: CorpusEvent[]; file: string } {
  if (cached) return cached;
  const events: CorpusEvent[] = shared ? sharedEvents() : inRepoEvents();
  cached = { events, file: jsonlFile(events) };
  return cached;
}

function sharedEvents(): CorpusEvent[] {
  const events: CorpusEvent[] = [];
  jsonl('stratus-detonation-logs-labelled.jsonl').forEach((line, i) =>
    events.push({ key: `stratus:${String(line.stratus_technique)}:${i}`, event: line.event as Rec }),
  );
  jsonl('panther-cloudtrail-tests.jsonl').forEach((line, i) =>
    events.push({ key: `panther:${String(line.rule_id)}:${i}`, event: line.event as Rec }),
  );
  jsonl('awsdocs-cloudtrail-examples.jsonl').forEach((line, i) =>
    events.push({ key: `awsdocs:${i}`, event: line.event as Rec }),
  );
  const invictus = path.join(sharedData, 'invictus-aws-dataset/CloudTrail');
  for (const name of readdirSync(invictus)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const records = (JSON.parse(readFileSync(path.join(invictus, name), 'utf8')) as { Records: Rec[] })
      .Records;
    records.forEach((event, i) => events.push({ key: `invictus:${name}:${i}`, event }));
  }
  return events;
}

function jsonlFile(events: readonly CorpusEvent[]): string {
  // One file per distinct content, shared by the test files (no temporary folder left per run).
  const text = events.map((e) => JSON.stringify({ k: e.key, e: e.event })).join('\n') + '\n';
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const file = path.join(os.tmpdir(), `cloudtrail-investigate-sigma-corpus-${hash}.jsonl`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, text);
    renameSync(partial, file);
  }
  return file;
}

/**
 * jq helpers for rules as Sigma means them: `g(k)` reads a key in CloudTrail's spelling or in
 * lowercase (the two spellings the corpus holds: delivered logs and Athena-style test events), `lc` is a scalar's lowercased text (numbers and booleans as JSON text), `jt` the text
 * string tests see (objects and arrays as compact JSON), `each` spreads an array.
 */
export const JQ_PRELUDE = `
def g($k): if type == "object" then (if has($k) then .[$k] elif has($k|ascii_downcase) then .[$k|ascii_downcase] else null end) else null end;
def txt: if type == "string" then . elif type == "number" or type == "boolean" then tojson else null end;
def lc: txt | if . == null then null else ascii_downcase end;
def jt: if . == null then null elif type == "string" then . else tojson end;
def ljt: jt | if . == null then null else ascii_downcase end;
def each: if type == "array" then .[] else . end;
`;

/** Keys of the corpus events the jq boolean expression (over the event) selects, sorted. */
export function jqKeys(select: string): string[] {
  return jqLines(`select(.e | ${select}) | .k`).sort();
}

/**
 * `jqKeys` for many selects in one jq run (jq's start-up and parse of the corpus dominate):
 * one sorted key list per select, in order.
 */
export function jqKeysMany(selects: readonly string[]): string[][] {
  const tests = selects.map((sel, i) => `(if any($e | (${sel}); .) then "${i}\\t" + $k else empty end)`);
  const lists: string[][] = selects.map(() => []);
  for (const line of jqLines(`.k as $k | .e as $e | ${tests.join(', ')}`)) {
    const tab = line.indexOf('\t');
    lists[Number(line.slice(0, tab))]?.push(line.slice(tab + 1));
  }
  return lists.map((l) => l.sort());
}

/** Raw output lines of a jq program run over every `{k, e}` line of the corpus file. */
export function jqLines(program: string): string[] {
  const { file } = corpus();
  const out = execFileSync('jq', ['-r', `${JQ_PRELUDE} ${program}`, file], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return out.split('\n').filter((l) => l !== '');
}

/** Keys of the corpus events `test` accepts, sorted. */
export function keysWhere(test: (event: Rec) => boolean): string[] {
  return corpus()
    .events.filter((e) => test(e.event))
    .map((e) => e.key)
    .sort();
}
