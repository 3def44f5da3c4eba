/**
 * The built-in packs fire on the Stratus Red Team detonations they target, and on nothing else
 * among the 310 labelled detonation events. Expectations are (technique, event name) pairs read
 * off the labels, written here by hand. (The packs' own checks and their detections on the
 * in-repo corpus: builtin.test.ts.)
 */
import { expect, it } from 'vitest';
import { describeCorpus } from '../helpers/corpus.js';
import { loadRulePack } from '../../src/sigma/load.js';
import { createRuleMatcher } from '../../src/sigma/pack.js';
import { BUILTIN_PACKS } from '../../src/sigma/builtin/index.js';
import { corpus, jqKeys, repoRoot, useSharedCorpus } from './corpus.js';

useSharedCorpus();

/** Pack -> the detonation events it must match: technique -> event names (all others: no match). */
const TARGETS: Record<string, Record<string, string[]>> = {
  'trail-tampering': {
    'aws.defense-evasion.cloudtrail-stop': ['StopLogging'],
    'aws.defense-evasion.cloudtrail-delete': ['DeleteTrail'],
    'aws.defense-evasion.cloudtrail-event-selectors': ['PutEventSelectors'],
    'aws.defense-evasion.dns-delete-logs': ['DeleteResolverQueryLogConfig'],
    'aws.defense-evasion.vpc-remove-flow-logs': ['DeleteFlowLogs'],
  },
  // No detonation uses the root user.
  'root-usage': {},
  'iam-persistence': {
    'aws.persistence.iam-create-admin-user': ['CreateUser', 'AttachUserPolicy', 'CreateAccessKey'],
    'aws.persistence.iam-backdoor-user': ['CreateAccessKey'],
    // DeleteLoginProfile failed and GetCallerIdentity is not persistence.
    'aws.persistence.iam-create-user-login-profile': ['CreateLoginProfile'],
    'aws.privilege-escalation.iam-update-user-login-profile': ['UpdateLoginProfile'],
    // CreateRole alone is not flagged; attaching AdministratorAccess is.
    'aws.persistence.iam-create-backdoor-role': ['AttachRolePolicy'],
    'aws.persistence.iam-backdoor-role': ['UpdateAssumeRolePolicy'],
    'aws.persistence.rolesanywhere-create-trust-anchor': ['CreateTrustAnchor', 'CreateProfile'],
    'aws.persistence.sts-federation-token': ['GetFederationToken'],
  },
  'credential-access': {
    'aws.credential-access.secretsmanager-retrieve-secrets': ['GetSecretValue', 'ListSecrets'],
    'aws.credential-access.secretsmanager-batch-retrieve-secrets': ['BatchGetSecretValue'],
    'aws.credential-access.ec2-get-password-data': ['GetPasswordData'],
    'aws.credential-access.ssm-retrieve-securestring-parameters': ['GetParameters'],
  },
};

function stratusEvents(): {
  key: string;
  technique: string;
  eventName: string;
  event: Record<string, unknown>;
}[] {
  return corpus()
    .events.filter((e) => e.key.startsWith('stratus:'))
    .map((e) => ({ ...e, technique: e.key.split(':')[1] as string, eventName: String(e.event.eventName) }));
}

describeCorpus('built-in packs on the Stratus Red Team detonations', () => {
  it('every pack has its targets here', () => {
    expect(Object.keys(BUILTIN_PACKS).sort()).toEqual(Object.keys(TARGETS).sort());
  });

  it.each(Object.entries(TARGETS))(
    '%s fires on its techniques and on no other detonation event',
    async (name, targets) => {
      const pack = await loadRulePack([`builtin:${name}`], { cwd: repoRoot });
      const match = createRuleMatcher(pack);
      const events = stratusEvents();
      const expected = events.filter((e) => targets[e.technique]?.includes(e.eventName)).map((e) => e.key);
      const got = events.filter((e) => match(e.event).length > 0).map((e) => e.key);
      expect(got).toEqual(expected);
      const techniques = Object.keys(targets);
      // Each targeted technique is caught.
      for (const technique of techniques)
        expect(
          got.some((k) => k.includes(`:${technique}:`)),
          technique,
        ).toBe(true);
    },
  );

  it('trail-tampering finds the Invictus StopLogging, DeleteTrail and PutEventSelectors calls (jq)', async () => {
    const pack = await loadRulePack(['builtin:trail-tampering'], { cwd: repoRoot });
    const match = createRuleMatcher(pack);
    const expected = jqKeys(
      '(g("eventSource")|lc) == "cloudtrail.amazonaws.com" and ((g("eventName")|lc) as $n | ["stoplogging","deletetrail","puteventselectors","updatetrail"] | index($n) != null)',
    ).filter((k) => k.startsWith('invictus:'));
    expect(expected.length).toBeGreaterThanOrEqual(3);
    const got = corpus()
      .events.filter(
        (e) =>
          e.key.startsWith('invictus:') &&
          e.event.eventSource === 'cloudtrail.amazonaws.com' &&
          match(e.event).length > 0,
      )
      .map((e) => e.key)
      .sort();
    expect(got).toEqual(expected);
  });

  it("root-usage matches the root events of Panther's root tests that its rules describe", async () => {
    const pack = await loadRulePack(['builtin:root-usage'], { cwd: repoRoot });
    const match = createRuleMatcher(pack);
    const byTitle = (title: string): string => pack.rules.find((r) => r.title === title)!.id;
    // Panther's RootLogin tests that expect an alert are root console sign-ins.
    const logins = jqKeys(
      '(g("eventName")|lc) == "consolelogin" and (g("userIdentity")|g("type")|lc) == "root"',
    ).filter((k) => k.startsWith('panther:AWS.Console.RootLogin:'));
    expect(logins.length).toBeGreaterThan(0);
    const events = new Map(corpus().events.map((e) => [e.key, e.event]));
    for (const key of logins) expect(match(events.get(key)!)).toContain(byTitle('Root user console sign-in'));
    // Root creating its own access key (no userName in the request).
    const keys = jqKeys(
      '(g("eventName")|lc) == "createaccesskey" and (g("userIdentity")|g("type")|lc) == "root" and (g("requestParameters")|g("userName")) == null',
    );
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys)
      expect(match(events.get(key)!)).toContain(byTitle('Root user access key created'));
  });
});
