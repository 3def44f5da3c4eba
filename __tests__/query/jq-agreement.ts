/**
 * The predicate over delivered CloudTrail files (`{"Records":[...]}`), checked against the same
 * question asked with jq over the same files. Events are counted once per eventID across files, as
 * the product reports them. Run on the in-repository flat trail (real-logs.test.ts) and on the
 * Invictus logs (real-logs.corpus.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/query/parse-filter.js';
import { compilePredicate, matchedResources } from '../../src/query/predicate.js';

type Rec = Record<string, unknown>;

/** [name, filter, jq select, how many events jq must find (when known)]. */
export type AgreementCase = [string, unknown, string, number?];

export interface Agreement {
  /** What the files are, for the test titles. */
  name: string;
  files: () => string[];
  fileCount: number;
  cases: AgreementCase[];
  /** Needles for `resources.ARN|contains`; each must be found in some record. */
  resourceNeedles: string[];
}

/** jq helpers: text of a scalar (as JSON text for numbers/booleans), lowercased. */
const JQ_PRELUDE = `
def txt: if type == "string" then . elif type == "number" or type == "boolean" then tojson else null end;
def lc: txt | if . == null then null else ascii_downcase end;
def lcjson: if . == null then null elif type == "string" then ascii_downcase else tojson | ascii_downcase end;
`;

export function predicateAgreesWithJq(spec: Agreement): void {
  let files: string[] = [];
  let records: Rec[] = [];

  beforeAll(() => {
    files = spec.files();
    records = files.flatMap((f) => (JSON.parse(readFileSync(f, 'utf8')) as { Records: Rec[] }).Records);
  });

  function jq(program: string): string {
    return execFileSync('jq', ['-r', `${JQ_PRELUDE} ${program}`, ...files], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  }

  /** Unique eventIDs of the records jq selects. */
  function jqEventIds(select: string): string[] {
    const out = jq(`.Records[] | select(${select}) | .eventID`);
    return [...new Set(out.split('\n').filter(Boolean))].sort();
  }

  function ourEventIds(filter: unknown): string[] {
    const predicate = compilePredicate(parseFilter(filter).query);
    return [...new Set(records.filter(predicate).map((r) => r.eventID as string))].sort();
  }

  describe(`predicate over ${spec.name} agrees with jq`, () => {
    it('the files hold the expected records', () => {
      const count = Number(
        jq('.Records | length')
          .split('\n')
          .filter(Boolean)
          .reduce((a, b) => a + Number(b), 0),
      );
      expect(records.length).toBe(count);
      expect(files.length).toBe(spec.fileCount);
    });

    it.each(spec.cases)('%s', (_name, filter, select, knownCount) => {
      const expected = jqEventIds(select);
      if (knownCount !== undefined) expect(expected.length).toBe(knownCount);
      expect(ourEventIds(filter)).toEqual(expected);
    });
  });

  describe(`filtered_resource over ${spec.name} agrees with jq`, () => {
    it.each(spec.resourceNeedles.map((n) => [n]))('resources.ARN|contains %s', (needle) => {
      const lines = jq(
        `.Records[] | [.eventID, ([.resources[]?.ARN? | select(type == "string" and (ascii_downcase | contains("${needle}")))] | unique)] | select(.[1] | length > 0) | tojson`,
      );
      const expected = new Map<string, string[]>();
      for (const line of lines.split('\n').filter(Boolean)) {
        const [id, arns] = JSON.parse(line) as [string, string[]];
        expected.set(id, arns);
      }
      const parsed = parseFilter({ 'resources.ARN|contains': needle });
      expect(parsed.usesResources).toBe(true);
      const predicate = compilePredicate(parsed.query);
      const ours = new Map<string, string[]>();
      for (const record of records.filter(predicate)) {
        ours.set(record.eventID as string, [...matchedResources(parsed.query, record)].sort());
      }
      expect(expected.size).toBeGreaterThan(0);
      expect(ours).toEqual(expected);
    });
  });
}
