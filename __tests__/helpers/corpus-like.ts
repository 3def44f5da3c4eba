/**
 * In-repository logs shaped like the external corpora's hard cases, so that `npm test` checks the
 * same things on a clone that has only the repository:
 * - `flatTrail()`: like the Invictus dataset — one account and region, CloudTrail file names, not
 *   gzipped (`{"Records":[...]}` on one line), all in one folder, some eventIDs delivered in two
 *   files, Stratus Red Team user agents among Terraform noise, sign-ins and trail tampering.
 * - `detonations()`: like the Stratus detonation logs — one bare JSON array per technique, file
 *   names that say nothing about account or region, anonymised accounts and fake region names.
 * - `malformedSamples()`: like the TrailDiscover samples — bare arrays of one event, an empty
 *   array, and a file that is not JSON (unquoted keys).
 * Built from the seeded generator (tools/generate): the same bytes on every run, written once per
 * content into the temporary folder. Tests compute their expectations with jq over these files.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateLogs } from '../../tools/generate/index.js';
import { Rng } from '../../tools/generate/prng.js';

export const FLAT_ACCOUNT = '210987654321';
export const FLAT_REGION = 'us-east-1';
/** The flat trail's files are stamped within this hour (as the Invictus files are, 11:42–12:37Z). */
export const FLAT_START = '2023-07-10T11:40:00Z';

type Rec = Record<string, unknown>;
const FIVE_MIN = 5 * 60_000;

/** Writes `files` (name → text) into a folder named for their content, once; returns the folder. */
function materialise(label: string, files: Map<string, string>): string {
  const hash = createHash('sha256');
  for (const [name, text] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(name).update(text);
  const dir = path.join(os.tmpdir(), `cloudtrail-investigate-${label}-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(dir)) return dir;
  const partial = `${dir}.${process.pid}.tmp`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  for (const [name, text] of files) writeFileSync(path.join(partial, name), text);
  try {
    renameSync(partial, dir);
  } catch {
    // Another test file wrote the same content first.
    rmSync(partial, { recursive: true, force: true });
  }
  return dir;
}

function uuid(rng: Rng): string {
  const hex = () => rng.int(0, 15).toString(16);
  const part = (n: number) => Array.from({ length: n }, hex).join('');
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}

const TERRAFORM =
  'APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) terraform-provider-aws/3.76.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.157 (go1.19.3; linux; amd64)';

let flat: string | undefined;

/** The Invictus-shaped folder (see the module comment). */
export function flatTrail(): string {
  if (flat) return flat;
  const rng = new Rng('flat-trail-v1');
  const logs = [
    ...generateLogs({
      seed: 'flat-trail-v1',
      accounts: [FLAT_ACCOUNT],
      regions: [FLAT_REGION],
      start: FLAT_START,
      hours: 1,
      filesPerHour: 12,
      recordsPerFile: [15, 40],
      globalDuplicateShare: 0,
      planted: [
        { eventName: 'ConsoleLogin', after: '2023-07-10T11:41:00Z', principalName: 'alice' },
        { eventName: 'ConsoleLogin', after: '2023-07-10T12:20:00Z', principalName: 'bob', failed: true },
        { eventName: 'StopLogging', after: '2023-07-10T12:01:00Z' },
        { eventName: 'DeleteTrail', after: '2023-07-10T12:03:00Z' },
        { eventName: 'PutEventSelectors', after: '2023-07-10T12:04:00Z' },
        { eventName: 'GetSecretValue', after: '2023-07-10T12:10:00Z' },
        { eventName: 'AssumeRole', after: '2023-07-10T11:50:00Z' },
        { eventName: 'AssumeRole', after: '2023-07-10T12:30:00Z' },
      ],
    }),
  ];
  const session = uuid(rng);
  const files = new Map<string, string>();
  logs.forEach((log, i) => {
    const records: Rec[] = log.records.map((r) => {
      // A detonation tool's and Terraform's user agents, as in the Invictus logs.
      const pick = rng.int(0, 9);
      if (pick < 2) return { ...r, userAgent: `stratus-red-team_${session}` };
      if (pick < 4)
        return {
          ...r,
          userAgent: `${TERRAFORM} stratus-red-team_${session} HashiCorp-terraform-exec/0.17.3`,
        };
      if (pick < 5) return { ...r, userAgent: TERRAFORM };
      return r;
    });
    // Real logs deliver some events again in a later file: the same eventID in two files.
    const next = logs[i + 1];
    if (next && i % 3 === 0) next.records.push(records[0] as never);
    // Several files per stamp, stamped on 5-minute marks, as the Invictus logs are: windows
    // ending on a mark must keep every file of that stamp.
    const stamp = new Date(Math.ceil(log.delivered.getTime() / FIVE_MIN) * FIVE_MIN);
    const mark = stamp.toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
    const [head, , , , suffix] = path.basename(log.key).split('_');
    const parts = 1 + (i % 3);
    for (let p = 0; p < parts; p++) {
      const chunk = records.filter((_, n) => n % parts === p);
      const name = `${head}_CloudTrail_${FLAT_REGION}_${mark}_${suffix!.slice(0, 15)}${p}.json`;
      files.set(name, JSON.stringify({ Records: chunk }));
    }
  });
  flat = materialise('flat-trail', files);
  return flat;
}

/** Fake, anonymised region names and accounts, as the Stratus detonation logs have. */
const FAKE_REGIONS = ['apiso-centralnorth-2r', 'mexo-southwest-1b'];
export const DETONATION_ACCOUNTS = ['017622104382', '751353041310'];

/** Technique file name → the event names its detonation records. */
const TECHNIQUES: Record<string, string[]> = {
  'aws.defense-evasion.cloudtrail-stop': ['StopLogging', 'DescribeTrails'],
  'aws.defense-evasion.cloudtrail-delete': ['DeleteTrail', 'DescribeTrails'],
  'aws.defense-evasion.vpc-remove-flow-logs': ['DeleteFlowLogs'],
  'aws.credential-access.secretsmanager-retrieve-secrets': [
    'ListSecrets',
    'GetSecretValue',
    'GetSecretValue',
  ],
  'aws.credential-access.ec2-get-password-data': ['GetPasswordData', 'DescribeInstances'],
  'aws.persistence.iam-create-admin-user': ['CreateUser', 'AttachUserPolicy', 'CreateAccessKey'],
  'aws.persistence.iam-backdoor-role': ['UpdateAssumeRolePolicy'],
  'aws.exfiltration.ec2-share-ebs-snapshot': ['CreateSnapshot', 'ModifySnapshotAttribute'],
};

let detonated: string | undefined;

/** The Stratus-shaped folder (see the module comment). */
export function detonations(): string {
  if (detonated) return detonated;
  const pool: Rec[] = [];
  for (const log of generateLogs({
    seed: 'detonations-v1',
    accounts: ['111111111111'],
    regions: [FLAT_REGION],
    start: '2024-06-05T09:00:00Z',
    hours: 2,
    filesPerHour: 12,
    recordsPerFile: [20, 40],
    globalDuplicateShare: 0,
  }))
    pool.push(...(log.records as Rec[]));
  const byName = new Map<string, Rec[]>();
  for (const r of pool) byName.set(String(r.eventName), [...(byName.get(String(r.eventName)) ?? []), r]);
  const rng = new Rng('detonations-v1');
  const files = new Map<string, string>();
  Object.entries(TECHNIQUES).forEach(([technique, names], t) => {
    const account = DETONATION_ACCOUNTS[t % DETONATION_ACCOUNTS.length] as string;
    const region = FAKE_REGIONS[t % FAKE_REGIONS.length] as string;
    const events = names.map((name, i) => {
      const candidates = byName.get(name) ?? pool;
      const base = candidates[rng.int(0, candidates.length - 1)] as Rec;
      const text = JSON.stringify({ ...base, eventName: name, eventID: uuid(rng) })
        .replaceAll('111111111111', account)
        .replaceAll(FLAT_REGION, region);
      const event = JSON.parse(text) as Rec;
      event.userAgent = `stratus-red-team_${uuid(rng)}`;
      event.eventTime = `2024-06-05T10:${String(10 + t).padStart(2, '0')}:${String(10 + i).padStart(2, '0')}Z`;
      return event;
    });
    // Pretty-printed, as the upstream files are.
    files.set(`${technique}.json`, JSON.stringify(events, null, 2));
  });
  detonated = materialise('detonations', files);
  return detonated;
}

let malformed: string | undefined;

/** The TrailDiscover-shaped bad-input folder (see the module comment). */
export function malformedSamples(): string {
  if (malformed) return malformed;
  const event = (name: string): Rec => ({
    awsRegion: 'us-east-1',
    errorCode: 'AccessDenied',
    eventID: `0000000${name.length}-37de-41f8-8dd0-19e73a21bd86`,
    eventName: name,
    eventSource: 'cloudtrail.amazonaws.com',
    eventTime: '2024-08-18T13:17:41Z',
    recipientAccountId: '192374575148',
  });
  const files = new Map<string, string>();
  for (const name of ['DeleteTrail', 'LookupEvents', 'StopLogging', 'UpdateTrail'])
    files.set(`${name}.json`, JSON.stringify([event(name)], null, 3));
  files.set('PutEventSelectors.json', '[]\n');
  // JavaScript object syntax, not JSON: keys without quotes.
  files.set(
    'CreateApiKey.json',
    '[ \n{\n    awsRegion: "us-east-1",\n    eventName: "CreateApiKey",\n    eventTime: "2024-08-18T13:17:41Z"\n}\n]\n',
  );
  malformed = materialise('malformed', files);
  return malformed;
}

/** The `.json` files of a folder, sorted, as full paths. */
export function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f));
}
