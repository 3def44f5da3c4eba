/**
 * Every SigmaHQ CloudTrail rule in ../shared/data parses; the ones that can run compile to a
 * predicate and to Trino SQL that the Trino grammar accepts; the others are reported with the
 * reason their index entry (condition, modifiers, timeframe) calls for.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { corpusPresent, describeCorpus } from '../helpers/corpus.js';
import { compilePredicate } from '../../src/query/predicate.js';
import { compileWhere } from '../../src/query/sql.js';
import { compileRule } from '../../src/sigma/compile.js';
import { parseRuleSource } from '../../src/sigma/parse.js';
import { trino } from '../athena/grammar.js';
import { sharedData, sigmaDir } from './corpus.js';

/** The rules' index (empty without the corpus: every test here is then skipped). */
function readIndex(): string {
  return corpusPresent ? readFileSync(path.join(sharedData, 'sigma-aws-cloudtrail-index.jsonl'), 'utf8') : '';
}

interface IndexEntry {
  file: string;
  id: string;
  title: string;
  level: string;
  condition: string;
  timeframe: string | null;
  modifiers: string[];
  fields: string[];
}

const index = readIndex()
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as IndexEntry);

/** Top-level fields of a CloudTrail record, from AWS's "CloudTrail record contents" page. */
const CLOUDTRAIL_RECORD_FIELDS = new Set(
  [
    'eventTime',
    'eventVersion',
    'userIdentity',
    'eventSource',
    'eventName',
    'awsRegion',
    'sourceIPAddress',
    'userAgent',
    'errorCode',
    'errorMessage',
    'requestParameters',
    'responseElements',
    'additionalEventData',
    'requestID',
    'eventID',
    'eventType',
    'apiVersion',
    'managementEvent',
    'readOnly',
    'resources',
    'recipientAccountId',
    'serviceEventDetails',
    'sharedEventID',
    'vpcEndpointId',
    'vpcEndpointAccountId',
    'eventCategory',
    'addendum',
    'sessionCredentialFromConsole',
    'edgeDeviceDetails',
    'tlsDetails',
    'insightDetails',
  ].map((f) => f.toLowerCase()),
);

/** The reason a rule cannot run, read off its index entry (null: it should run). */
function expectedReason(entry: IndexEntry): RegExp | null {
  if (/\|\s*near\b/.test(entry.condition)) return /"near"/;
  if (entry.condition.includes('|')) return /aggregates events/;
  if (entry.modifiers.includes('expand')) return /placeholders/;
  if (entry.timeframe !== null) return /timeframe/;
  const unknown = entry.fields.find((f) => !CLOUDTRAIL_RECORD_FIELDS.has(f.split('.')[0]!.toLowerCase()));
  if (unknown) return new RegExp(`"${unknown}" is not a CloudTrail field`);
  return null;
}

/** The rule files (none without the corpus: every test here is then skipped). */
function ruleFiles(): string[] {
  if (!corpusPresent) return [];
  const top = readdirSync(sigmaDir).filter((f) => f.endsWith('.yml'));
  const more = readdirSync(path.join(sigmaDir, '_placeholder_and_unsupported')).map(
    (f) => `_placeholder_and_unsupported/${f}`,
  );
  return [...top, ...more].sort();
}

describeCorpus('SigmaHQ CloudTrail rules', () => {
  it('the folder holds the 57 + 9 rules the index lists', () => {
    expect(ruleFiles()).toHaveLength(66);
    expect(index).toHaveLength(66);
  });

  const rows = ruleFiles().map((name) => {
    const entry = index.find((e) => e.file.endsWith(`/${name}`));
    return [name, entry] as const;
  });

  it.each(rows)('%s', (name, entry) => {
    expect(entry, 'an index entry').toBeDefined();
    const file = path.join(sigmaDir, name);
    const rules = parseRuleSource({ file, text: readFileSync(file, 'utf8') });
    expect(rules).toHaveLength(1);
    const [rule] = rules;
    expect(rule).toMatchObject({ id: entry!.id, title: entry!.title, level: entry!.level });

    const result = compileRule(rule!);
    const reason = expectedReason(entry!);
    if (reason) {
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(result.unsupported).toMatchObject({
          file,
          id: entry!.id,
          title: entry!.title,
          reason: expect.stringMatching(reason),
        });
      return;
    }
    expect(result.ok, result.ok ? '' : result.unsupported.reason).toBe(true);
    if (!result.ok) return;
    expect(typeof compilePredicate(result.rule.query)).toBe('function');
    const { sql, parameters } = compileWhere(result.rule.query);
    const statement = `SELECT "eventid" FROM "db"."cloudtrail" WHERE ${sql}`;
    expect(trino.validate(statement)).toEqual([]);
    expect(statement.split('?').length - 1).toBe(parameters.length);
  });

  it('the 9 rules set apart as placeholder/unsupported are all refused', () => {
    const dir = path.join(sigmaDir, '_placeholder_and_unsupported');
    const refused = readdirSync(dir).filter((f) => {
      const file = path.join(dir, f);
      const [rule] = parseRuleSource({ file, text: readFileSync(file, 'utf8') });
      return !compileRule(rule!).ok;
    });
    expect(refused).toHaveLength(9);
  });
});
