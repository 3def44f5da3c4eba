/**
 * The people and machines acting in a generated account, and how each appears in a record's
 * `userIdentity`, `sourceIPAddress` and `userAgent`. The pool of an account depends only on the
 * seed and the account id, so the same principal keeps its keys and ids across files.
 */
import { Rng } from './prng.js';

export type PrincipalKind = 'user' | 'role' | 'root' | 'service';

/** Where calls of a principal come from. */
interface Client {
  sourceIPs: readonly string[];
  userAgents: readonly string[];
}

export interface IamUserPrincipal extends Client {
  kind: 'user';
  userName: string;
  principalId: string;
  /** Long-term key (AKIA…) for programmatic calls. */
  accessKeyId: string;
  /** True for people who sign in to the console (their API calls use ASIA session keys). */
  console: boolean;
  mfa: boolean;
}

export interface RolePrincipal extends Client {
  kind: 'role';
  roleName: string;
  /** IAM path of the role, e.g. `/aws-reserved/sso.amazonaws.com/`. */
  path: string;
  roleId: string;
  sessionName: string;
  /** Set for EC2 instance profiles (`ec2RoleDelivery`). */
  ec2Instance?: boolean;
}

export interface RootPrincipal extends Client {
  kind: 'root';
}

export interface ServicePrincipal {
  kind: 'service';
  /** e.g. `ec2.amazonaws.com`; also the source IP and user agent of its calls. */
  service: string;
}

export type Principal = IamUserPrincipal | RolePrincipal | RootPrincipal | ServicePrincipal;

export interface AccountPool {
  accountId: string;
  users: IamUserPrincipal[];
  roles: RolePrincipal[];
  root: RootPrincipal;
  services: ServicePrincipal[];
}

// Documentation address ranges (RFC 5737 / RFC 3849) plus AWS-owned-looking public addresses.
const OFFICE_IPS = ['203.0.113.24', '203.0.113.77', '198.51.100.14'];
const HOME_IPV6 = ['2001:db8:4f2a:1200::1b', '2001:db8:85a3::8a2e:370:7334'];
const RUNNER_IPS = ['20.57.12.201', '52.234.118.9', '4.152.33.70'];
const LAMBDA_IPS = ['3.91.160.42', '54.164.12.87'];
const ATTACKER_IPS = ['185.220.101.47', '45.155.205.233'];

const BROWSERS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0',
];
const CONSOLE_AGENT = 'AWS Internal';
const CLI_AGENTS = [
  'aws-cli/2.13.1 Python/3.11.4 Linux/5.15.0-1041-azure exe/x86_64.ubuntu.22 prompt/off command/s3.cp',
  'aws-cli/2.12.6 Python/3.11.4 Darwin/22.5.0 exe/x86_64 prompt/off command/sts.get-caller-identity',
];
const TERRAFORM_AGENT =
  'APN/1.0 HashiCorp/1.0 Terraform/1.5.2 (+https://www.terraform.io) terraform-provider-aws/5.7.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.295 (go1.20.5; linux; amd64)';
const BOTO_LAMBDA_AGENT =
  'Boto3/1.26.90 md/Botocore#1.29.90 ua/2.0 os/linux#5.10.184-194.730.amzn2.x86_64 md/arch#x86_64 lang/python#3.10.11 md/pyimpl#CPython exec-env/AWS_Lambda_python3.10 cfg/retry-mode#legacy Botocore/1.29.90';
const SSM_AGENT = 'aws-sdk-go/1.44.260 (go1.19.10; linux; amd64) amazon-ssm-agent/3.2.1297.0';
const SUSPICIOUS_AGENT = 'python-requests/2.31.0';

export const SERVICE_HOSTS = [
  'ec2.amazonaws.com',
  'lambda.amazonaws.com',
  'cloudtrail.amazonaws.com',
  'config.amazonaws.com',
  'secretsmanager.amazonaws.com',
  'ssm.amazonaws.com',
] as const;

/** The fixed cast of an account; ids are random but stable for (seed, account). */
export function accountPool(seed: string | number, accountId: string): AccountPool {
  const rng = new Rng(`${seed}/identities/${accountId}`);
  const user = (userName: string, console: boolean, mfa: boolean, client: Client): IamUserPrincipal => ({
    kind: 'user',
    userName,
    principalId: `AIDA${rng.iamId(17)}`,
    accessKeyId: `AKIA${rng.iamId(16)}`,
    console,
    mfa,
    ...client,
  });
  const role = (
    roleName: string,
    path: string,
    sessionName: string,
    client: Client,
    ec2Instance = false,
  ): RolePrincipal => ({
    kind: 'role',
    roleName,
    path,
    roleId: `AROA${rng.iamId(17)}`,
    sessionName,
    ...client,
    ...(ec2Instance ? { ec2Instance } : {}),
  });
  const instanceId = `i-0${rng.hex(16)}`;
  return {
    accountId,
    users: [
      user('alice', true, true, {
        sourceIPs: [...OFFICE_IPS, HOME_IPV6[0]!],
        userAgents: [...BROWSERS, CONSOLE_AGENT],
      }),
      user('bob', true, false, {
        sourceIPs: [OFFICE_IPS[1]!, HOME_IPV6[1]!],
        userAgents: [BROWSERS[1]!, CLI_AGENTS[1]!],
      }),
      user('ci-deploy', false, false, { sourceIPs: RUNNER_IPS, userAgents: [CLI_AGENTS[0]!] }),
      user('terraform', false, false, { sourceIPs: [OFFICE_IPS[0]!], userAgents: [TERRAFORM_AGENT] }),
      user('svc-legacy-backup', false, false, {
        sourceIPs: ATTACKER_IPS,
        userAgents: [SUSPICIOUS_AGENT, CLI_AGENTS[1]!],
      }),
    ],
    roles: [
      role(
        `AWSReservedSSO_AdministratorAccess_${rng.hex(16)}`,
        '/aws-reserved/sso.amazonaws.com/',
        'alice@example.com',
        { sourceIPs: OFFICE_IPS, userAgents: [...BROWSERS, CONSOLE_AGENT] },
      ),
      role('orders-processor', '/service-role/', 'orders-processor', {
        sourceIPs: LAMBDA_IPS,
        userAgents: [BOTO_LAMBDA_AGENT],
      }),
      role(
        'app-server',
        '/',
        instanceId,
        { sourceIPs: ['10.0.12.34', '10.0.14.7'], userAgents: [SSM_AGENT] },
        true,
      ),
      role('github-actions-deploy', '/', 'GitHubActions', {
        sourceIPs: RUNNER_IPS,
        userAgents: [CLI_AGENTS[0]!],
      }),
    ],
    root: {
      kind: 'root',
      sourceIPs: [OFFICE_IPS[2]!, ATTACKER_IPS[0]!],
      userAgents: [BROWSERS[0]!, CONSOLE_AGENT],
    },
    services: SERVICE_HOSTS.map((service) => ({ kind: 'service' as const, service })),
  };
}

export function principalArn(accountId: string, p: Principal): string | undefined {
  switch (p.kind) {
    case 'user':
      return `arn:aws:iam::${accountId}:user/${p.userName}`;
    case 'role':
      return `arn:aws:sts::${accountId}:assumed-role/${p.roleName}/${p.sessionName}`;
    case 'root':
      return `arn:aws:iam::${accountId}:root`;
    case 'service':
      return undefined;
  }
}

export function roleArn(accountId: string, p: RolePrincipal): string {
  return `arn:aws:iam::${accountId}:role${p.path}${p.roleName}`;
}

/** ISO time without milliseconds, the way CloudTrail writes it. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The `userIdentity` object. `sessionKey` is the temporary key for console sessions and roles;
 * `sessionStartMs` feeds `sessionContext.attributes.creationDate`.
 */
export function userIdentity(
  accountId: string,
  p: Principal,
  rng: Rng,
  sessionStartMs: number,
  options: { consoleSignIn?: boolean } = {},
): Record<string, unknown> {
  const attributes = (mfa: boolean) => ({
    creationDate: isoSeconds(sessionStartMs),
    mfaAuthenticated: String(mfa),
  });
  switch (p.kind) {
    case 'user': {
      const base: Record<string, unknown> = {
        type: 'IAMUser',
        principalId: p.principalId,
        arn: principalArn(accountId, p),
        accountId,
      };
      if (options.consoleSignIn) return { ...base, userName: p.userName };
      if (p.console) {
        return {
          ...base,
          accessKeyId: `ASIA${rng.iamId(16)}`,
          userName: p.userName,
          sessionContext: { sessionIssuer: {}, webIdFederationData: {}, attributes: attributes(p.mfa) },
        };
      }
      return { ...base, accessKeyId: p.accessKeyId, userName: p.userName };
    }
    case 'role': {
      const sessionContext: Record<string, unknown> = {
        sessionIssuer: {
          type: 'Role',
          principalId: p.roleId,
          arn: roleArn(accountId, p),
          accountId,
          userName: p.roleName,
        },
        webIdFederationData: {},
        attributes: attributes(false),
      };
      if (p.ec2Instance) sessionContext.ec2RoleDelivery = '2.0';
      return {
        type: 'AssumedRole',
        principalId: `${p.roleId}:${p.sessionName}`,
        arn: principalArn(accountId, p),
        accountId,
        accessKeyId: `ASIA${rng.iamId(16)}`,
        sessionContext,
      };
    }
    case 'root': {
      const base = { type: 'Root', principalId: accountId, arn: principalArn(accountId, p), accountId };
      if (options.consoleSignIn) return { ...base, accessKeyId: '' };
      return {
        ...base,
        accessKeyId: `ASIA${rng.iamId(16)}`,
        sessionContext: { sessionIssuer: {}, webIdFederationData: {}, attributes: attributes(true) },
      };
    }
    case 'service':
      return { type: 'AWSService', invokedBy: p.service };
  }
}
