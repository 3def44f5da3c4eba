/**
 * SigmaHQ's CloudTrail rules on real events (Stratus Red Team detonations, Panther's labelled
 * test events, the Invictus logs, AWS documentation examples). Each expectation is a jq select
 * written by hand from reading the rule (case-insensitive as Sigma is, `null` = absent or null),
 * never derived from the compiler.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { corpusPresent, describeCorpus } from '../helpers/corpus.js';
import { compilePredicate } from '../../src/query/predicate.js';
import { compileRule } from '../../src/sigma/compile.js';
import { parseRuleSource } from '../../src/sigma/parse.js';
import { jqKeysMany, jqLines, keysWhere, sigmaDir, sharedData, useSharedCorpus } from './corpus.js';

useSharedCorpus();

/** The rules' index (empty without the corpus: every test here is then skipped). */
function readIndex(): string {
  return corpusPresent ? readFileSync(path.join(sharedData, 'sigma-aws-cloudtrail-index.jsonl'), 'utf8') : '';
}

function ruleKeys(file: string): string[] {
  const full = path.join(sigmaDir, file);
  const [rule] = parseRuleSource({ file: full, text: readFileSync(full, 'utf8') });
  const result = compileRule(rule!);
  if (!result.ok) throw new Error(`${file}: ${result.unsupported.reason}`);
  return keysWhere(compilePredicate(result.rule.query));
}

const ev = (name: string): string => `(g("eventName")|lc) == "${name.toLowerCase()}"`;
const src = (name: string): string => `(g("eventSource")|lc) == "${name}"`;
const errorSuccessOrNull = `((g("errorCode")|lc) == "success" or g("errorCode") == null)`;

/** [rule file, jq select over one event, at least this many matches in the corpus]. */
const CASES: [string, string, number][] = [
  // A list of values is an OR.
  [
    'aws_cloudtrail_disable_logging.yml',
    `${src('cloudtrail.amazonaws.com')} and ((g("eventName")|lc) as $n | ["stoplogging","updatetrail","deletetrail"] | index($n) != null)`,
    3,
  ],
  // `and not`: absent eventType is not AwsServiceEvent.
  [
    'aws_root_account_usage.yml',
    `(g("userIdentity")|g("type")|lc) == "root" and ((g("eventType")|lc) != "awsserviceevent")`,
    5,
  ],
  // `1 of selection_status_*` with `errorCode: null`.
  ['aws_cloudtrail_vpc_flow_logs_deleted.yml', `${ev('DeleteFlowLogs')} and ${errorSuccessOrNull}`, 2],
  ['aws_cloudtrail_bucket_deleted.yml', `${ev('DeleteBucket')} and ${errorSuccessOrNull}`, 1],
  // Three groups: source and 1 of actions and 1 of statuses; a nested requestParameters value compared as text.
  [
    'aws_cloudtrail_guardduty_detector_deleted_or_updated.yml',
    `${src('guardduty.amazonaws.com')} and (${ev('DeleteDetector')} or (${ev('UpdateDetector')} and (g("requestParameters")|g("enable")|lc) == "false")) and ${errorSuccessOrNull}`,
    0,
  ],
  // `re` is case-sensitive; `not 1 of filter_main_*` excludes any of three fields.
  [
    'aws_cloudtrail_imds_malicious_usage.yml',
    `((g("userIdentity")|g("arn")|txt) as $a | $a != null and ($a | test(".+:assumed-role/aws:.+"))) and ((g("eventSource")|lc) != "ssm.amazonaws.com") and ((g("eventName")|lc) != "registermanagedinstance") and ((g("sourceIPAddress")|lc) != "aws internal")`,
    0,
  ],
  // fieldref: equal to another field of the same event (never, for an ARN and a user name).
  [
    'aws_update_login_profile.yml',
    `${src('iam.amazonaws.com')} and ${ev('UpdateLoginProfile')} and (((g("userIdentity")|g("arn")|lc) as $a | (g("requestParameters")|g("userName")|lc) as $u | $a != null and $u != null and $a == $u) | not)`,
    4,
  ],
  // contains on an object: its JSON text.
  [
    'aws_disable_bucket_versioning.yml',
    `${src('s3.amazonaws.com')} and ${ev('PutBucketVersioning')} and ((g("requestParameters")|ljt) as $t | $t != null and ($t | contains("suspended")))`,
    2,
  ],
  // Case-insensitive: the rule says MFAUsed 'NO', logs say 'No'.
  [
    'aws_cloudtrail_console_login_success_without_mfa.yml',
    `${ev('ConsoleLogin')} and (g("additionalEventData")|g("MFAUsed")|lc) == "no" and (g("responseElements")|g("ConsoleLogin")|lc) == "success"`,
    2,
  ],
  // startswith, and `contains: '*'` = any value present.
  [
    'aws_new_lambda_layer_attached.yml',
    `${src('lambda.amazonaws.com')} and ((g("eventName")|lc) as $n | $n != null and ($n | startswith("updatefunctionconfiguration"))) and ((g("requestParameters")|g("layers")) != null)`,
    1,
  ],
  // `1 of selection_*` over two selections.
  [
    'aws_susp_saml_activity.yml',
    `(${src('sts.amazonaws.com')} and ${ev('AssumeRoleWithSAML')}) or (${src('iam.amazonaws.com')} and ${ev('UpdateSAMLProvider')})`,
    1,
  ],
  // An array along the path (containerDefinitions[]) and an array at its end (command, as JSON text).
  [
    'aws_ecs_task_definition_cred_endpoint_query.yml',
    `${src('ecs.amazonaws.com')} and ((g("eventName")|lc) as $n | ["describetaskdefinition","registertaskdefinition","runtask"] | index($n) != null) and ([g("requestParameters")|g("containerDefinitions")|each|g("command")|ljt] | any(. != null and contains("$aws_container_credentials_relative_uri")))`,
    0,
  ],
  // `not 1 of filter*` with `contains: '*'` (present) on two fields.
  [
    'aws_ec2_vm_export_failure.yml',
    `${ev('CreateInstanceExportTask')} and ${src('ec2.amazonaws.com')} and ((g("errorMessage") != null or g("errorCode") != null or ((g("responseElements")|ljt) as $t | $t != null and ($t | contains("failure")))) | not)`,
    0,
  ],
  [
    'aws_enum_buckets.yml',
    `${src('s3.amazonaws.com')} and ${ev('ListBuckets')} and ((g("userIdentity")|g("type")|lc) != "assumedrole")`,
    1,
  ],
  // Three levels of struct.
  [
    'aws_sts_assumerole_misuse.yml',
    `(g("userIdentity")|g("type")|lc) == "assumedrole" and (g("userIdentity")|g("sessionContext")|g("sessionIssuer")|g("type")|lc) == "role"`,
    100,
  ],
  [
    'aws_snapshot_backup_exfiltration.yml',
    `${src('ec2.amazonaws.com')} and ${ev('ModifySnapshotAttribute')}`,
    2,
  ],
  // contains with a literal that looks like a field name (the rule compares text, as written).
  [
    'aws_iam_backdoor_users_keys.yml',
    `${src('iam.amazonaws.com')} and ${ev('CreateAccessKey')} and (((g("userIdentity")|g("arn")|lc) as $a | $a != null and ($a | contains("responseelements.accesskey.username"))) | not)`,
    3,
  ],
];

describeCorpus('SigmaHQ CloudTrail rules on real events agree with hand-written jq', () => {
  let expectedAll: string[][] | undefined;
  it.each(CASES.map((c, i) => [...c, i] as const))('%s', (file, _select, atLeast, i) => {
    expectedAll ??= jqKeysMany(CASES.map((c) => c[1]));
    const expected = expectedAll[i] as string[];
    expect(expected.length).toBeGreaterThanOrEqual(atLeast);
    expect(ruleKeys(file)).toEqual(expected);
  });
});

describeCorpus('every supported rule matches only the event names its index entry lists', () => {
  interface IndexEntry {
    file: string;
    eventNames: string[];
    condition: string;
    modifiers: string[];
  }
  const index = readIndex()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as IndexEntry)
    .filter((e) => !e.file.includes('_placeholder_and_unsupported') && e.eventNames.length > 0)
    // Wildcards and startswith (UpdateFunctionConfiguration*) match longer names by design.
    .filter((e) => !/\*/.test(e.eventNames.join('')) && !e.modifiers.includes('startswith'));
  // The event name of every corpus event, read by jq once: "key<TAB>lowercased name".
  let eventNames: Map<string, string> | undefined;
  const nameOf = (key: string): string | undefined => {
    eventNames ??= new Map(
      jqLines('.k + "\\t" + ((.e | g("eventName") | lc) // "")').map(
        (l) => l.split('\t') as [string, string],
      ),
    );
    return eventNames.get(key);
  };

  it.each(index.map((e) => [path.basename(e.file), e] as const))('%s', (name, entry) => {
    const full = path.join(sigmaDir, name);
    const [rule] = parseRuleSource({ file: full, text: readFileSync(full, 'utf8') });
    const result = compileRule(rule!);
    if (!result.ok) {
      // The one rule of the folder that tests a field CloudTrail does not have.
      expect(result.unsupported.reason).toMatch(/is not a CloudTrail field/);
      return;
    }
    const allowed = new Set(entry.eventNames.map((n) => n.toLowerCase()));
    const matched = keysWhere(compilePredicate(result.rule.query));
    expect(matched.filter((k) => !allowed.has(nameOf(k) ?? ''))).toEqual([]);
  });
});
