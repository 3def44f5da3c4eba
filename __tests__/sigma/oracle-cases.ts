/**
 * Sigma modifiers and conditions on a corpus of events, each rule's matches checked against a
 * hand-written jq select over the same events (corpus.ts). The counts are what the real corpus
 * holds at least; `minimum` scales them for a smaller corpus.
 */
import { describe, expect, it } from 'vitest';
import { compilePredicate } from '../../src/query/predicate.js';
import { compileRule } from '../../src/sigma/compile.js';
import { parseRuleSource } from '../../src/sigma/parse.js';
import { jqKeys, jqKeysMany, keysWhere, type Rec } from './corpus.js';

/** A CloudTrail rule around `detection` (YAML, indented under `detection:`). */
export function ruleText(detection: string, extra = ''): string {
  const body = detection
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `title: test rule\nid: 5d2c7c43-7a55-4a36-9f0b-3b0f4c1e2a10\n${extra}logsource:\n    product: aws\n    service: cloudtrail\ndetection:\n${body}\n`;
}

export function compile(detection: string, extra = ''): ReturnType<typeof compileRule> {
  const [rule] = parseRuleSource({ file: 'test.yml', text: ruleText(detection, extra) });
  return compileRule(rule!);
}

export function predicate(detection: string): (event: Rec) => boolean {
  const result = compile(detection);
  if (!result.ok) throw new Error(result.unsupported.reason);
  return compilePredicate(result.rule.query);
}

/** The checks; call at the top of a test file. */
export function oracleCases(minimum: (atLeast: number) => number): void {
  describe('modifiers on the corpus (jq oracle)', () => {
    const cases: [string, string, string, number][] = [
      [
        're|i is case-insensitive',
        "userAgent|re|i: 'STRATUS-RED-TEAM_[0-9A-F]{8}-'",
        '(g("userAgent")|txt) as $u | $u != null and ($u | test("stratus-red-team_[0-9a-f]{8}-"; "i"))',
        100,
      ],
      [
        're is case-sensitive',
        "userAgent|re: 'STRATUS-RED-TEAM_'",
        '(g("userAgent")|txt) as $u | $u != null and ($u | test("STRATUS-RED-TEAM_"))',
        0,
      ],
      [
        'an inline (?i) is a flag',
        "userAgent|re: '(?i)^APN/1\\.0 hashicorp'",
        '(g("userAgent")|txt) as $u | $u != null and ($u | test("^APN/1\\\\.0 hashicorp"; "i"))',
        100,
      ],
      ['cased compares exactly', 'eventName|cased: stoplogging', '(g("eventName")|txt) == "stoplogging"', 0],
      [
        'cased still matches the exact spelling',
        'eventName|cased: StopLogging',
        '(g("eventName")|txt) == "StopLogging"',
        1,
      ],
      ['without cased, case is ignored', 'eventName: STOPLOGGING', '(g("eventName")|lc) == "stoplogging"', 1],
      [
        'cidr (IPv4 /16 and /8)',
        "sourceIPAddress|cidr:\n    - '10.248.0.0/16'\n    - '198.0.0.0/8'",
        '(g("sourceIPAddress")|txt) as $ip | $ip != null and ($ip | test("^(10\\\\.248|198)(\\\\.[0-9]{1,3}){2,3}$"))',
        50,
      ],
      ['exists: true', 'errorCode|exists: true', 'g("errorCode") != null', 50],
      ['exists: false', 'errorCode|exists: false', 'g("errorCode") == null', 1000],
      ['null means absent or null', 'errorCode: null', 'g("errorCode") == null', 1000],
      [
        'a list with null: value or absent',
        'errorCode:\n    - AccessDenied\n    - null',
        '(g("errorCode") == null) or ((g("errorCode")|lc) == "accessdenied")',
        1000,
      ],
      [
        'startswith',
        'eventName|startswith: Delete',
        '(g("eventName")|lc) as $n | $n != null and ($n | startswith("delete"))',
        10,
      ],
      [
        'endswith',
        'eventName|endswith: trail',
        '(g("eventName")|lc) as $n | $n != null and ($n | endswith("trail"))',
        2,
      ],
      [
        'wildcard prefix x*',
        "eventName: 'delete*'",
        '(g("eventName")|lc) as $n | $n != null and ($n | startswith("delete"))',
        10,
      ],
      [
        'wildcard suffix *x',
        "eventName: '*Trail'",
        '(g("eventName")|lc) as $n | $n != null and ($n | endswith("trail"))',
        2,
      ],
      [
        'wildcard ? is one character',
        "eventName: 'Get?ecretValue'",
        '(g("eventName")|lc) as $n | $n != null and ($n | test("^get.ecretvalue$"))',
        10,
      ],
      [
        'wildcards inside the value become a regex',
        "userAgent: 'aws-cli/*Python/3*'",
        '(g("userAgent")|lc) as $u | $u != null and ($u | test("^aws-cli/.*python/3.*$"))',
        1,
      ],
      [
        'contains|all: every value',
        'userAgent|contains|all:\n    - terraform\n    - stratus-red-team',
        '(g("userAgent")|lc) as $u | $u != null and ($u | contains("terraform")) and ($u | contains("stratus-red-team"))',
        100,
      ],
      [
        'contains (any value)',
        'userAgent|contains:\n    - Boto3\n    - aws-cli',
        '(g("userAgent")|lc) as $u | $u != null and (($u | contains("boto3")) or ($u | contains("aws-cli")))',
        10,
      ],
      [
        'arrays along the path: resources.ARN',
        "resources.ARN|contains: ':instance/i-'",
        '[g("resources")|each|g("ARN")|lc] | any(. != null and contains(":instance/i-"))',
        10,
      ],
      [
        'a list of maps is an OR of the maps',
        '- eventName: StopLogging\n  eventSource: cloudtrail.amazonaws.com\n- eventName: DeleteTrail',
        '((g("eventName")|lc) == "stoplogging" and (g("eventSource")|lc) == "cloudtrail.amazonaws.com") or (g("eventName")|lc) == "deletetrail"',
        2,
      ],
      ['numbers and booleans compare by their text', 'readOnly: true', '(g("readOnly")|lc) == "true"', 1000],
    ];

    let expectedAll: string[][] | undefined;
    it.each(cases.map((c, i) => [...c, i] as const))('%s', (_name, item, _select, atLeast, i) => {
      expectedAll ??= jqKeysMany(cases.map((c) => c[2]));
      const detection = item.startsWith('- ')
        ? `selection:\n${item.replace(/^/gm, '    ')}\ncondition: selection`
        : `selection:\n    ${item.replace(/\n/g, '\n    ')}\ncondition: selection`;
      const expected = expectedAll[i] as string[];
      expect(expected.length).toBeGreaterThanOrEqual(minimum(atLeast));
      expect(keysWhere(predicate(detection))).toEqual(expected);
    });
  });

  describe('conditions on the corpus (jq oracle)', () => {
    const selections = `
sel_stop:
    eventName: StopLogging
sel_delete:
    eventName: DeleteTrail
sel_source:
    eventSource: cloudtrail.amazonaws.com
filter_user:
    userIdentity.type: IAMUser
_helper:
    eventName: DeleteFlowLogs`;
    const stop = '((g("eventName")|lc) == "stoplogging")';
    const del = '((g("eventName")|lc) == "deletetrail")';
    const source = '((g("eventSource")|lc) == "cloudtrail.amazonaws.com")';
    const user = '((g("userIdentity")|g("type")|lc) == "iamuser")';
    const helper = '((g("eventName")|lc) == "deleteflowlogs")';
    const cases: [string, string][] = [
      ['sel_stop or sel_delete and not filter_user', `${stop} or (${del} and (${user} | not))`],
      ['(sel_stop or sel_delete) and not filter_user', `(${stop} or ${del}) and (${user} | not)`],
      ['not sel_stop and sel_source', `(${stop} | not) and ${source}`],
      ['not (sel_stop and sel_source)', `((${stop} and ${source}) | not)`],
      ['1 of sel_*', `${stop} or ${del} or ${source}`],
      ['all of sel_*', `${stop} and ${del} and ${source}`],
      ['1 of them', `${stop} or ${del} or ${source} or ${user}`],
      ['all of them', `${stop} and ${del} and ${source} and ${user}`],
      ['_helper or (1 of sel_s* and filter_user)', `${helper} or ((${stop} or ${source}) and ${user})`],
      ['sel_stop OR sel_delete', `${stop} or ${del}`],
    ];
    let expectedAll: string[][] | undefined;
    it.each(cases.map((c, i) => [...c, i] as const))('%s', (condition, _select, i) => {
      expectedAll ??= jqKeysMany(cases.map((c) => c[1]));
      const expected = expectedAll[i] as string[];
      expect(keysWhere(predicate(`${selections}\ncondition: ${condition}`))).toEqual(expected);
    });

    it('a list of conditions is an OR', () => {
      const expected = jqKeys(`${stop} or ${del}`);
      expect(expected.length).toBeGreaterThan(1);
      expect(keysWhere(predicate(`${selections}\ncondition:\n    - sel_stop\n    - sel_delete`))).toEqual(
        expected,
      );
    });
  });
}
