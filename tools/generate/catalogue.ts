/**
 * The weighted catalogue of API calls the generator draws from: ~70 real eventSource/eventName
 * pairs, each with the principals that make it, its typical errors and a builder for its
 * requestParameters / responseElements / resources. Weights are relative; they are tuned so
 * that S3 is the broad class (~30% of records) and GetSecretValue the rare name (~1%), which
 * gives the benchmark a selective and an unselective query with known shares.
 */
import type { Rng } from './prng.js';
import type { Principal, PrincipalKind } from './identities.js';

export interface CallContext {
  rng: Rng;
  accountId: string;
  region: string;
  principal: Principal;
  timeMs: number;
  /** The error drawn for this call, if any (builders null the response then). */
  error: EventError | undefined;
}

export interface Resource {
  accountId?: string;
  type: string;
  ARN: string;
}

export interface CallDetails {
  requestParameters: unknown;
  responseElements?: unknown;
  additionalEventData?: Record<string, unknown>;
  resources?: Resource[];
}

export interface EventError {
  share: number;
  /** Absent for failed console sign-ins, which carry only errorMessage. */
  code?: string;
  message: string;
}

export interface EventSpec {
  source: string;
  name: string;
  weight: number;
  readOnly: boolean;
  /** Recorded in us-east-1 whatever the caller's region (IAM, STS global, sign-in, CloudFront). */
  global?: boolean;
  /** A data event (S3 object or Lambda invoke) rather than a management event. */
  data?: boolean;
  eventType?: 'AwsApiCall' | 'AwsConsoleSignIn';
  /** Relative odds of each kind of principal making this call. */
  actors: Partial<Record<PrincipalKind, number>>;
  errors?: EventError[];
  details(ctx: CallContext): CallDetails;
}

/** Shares the benchmark relies on (of all generated records, approximately). */
export const SELECTIVITY = {
  rare: { field: 'eventName', value: 'GetSecretValue', share: 0.01 },
  broad: { field: 'eventSource', value: 's3.amazonaws.com', share: 0.3 },
} as const;

const HUMAN = { user: 40, role: 58, root: 0.6 };
const MACHINE = { user: 30, role: 70 };
const ACCESS_DENIED = (share: number): EventError => ({
  share,
  code: 'AccessDenied',
  message: 'Access Denied',
});
const UNAUTHORIZED_OP = (share: number): EventError => ({
  share,
  code: 'Client.UnauthorizedOperation',
  message: 'You are not authorized to perform this operation.',
});
const IAM_DENIED = (action: string, share: number): EventError => ({
  share,
  code: 'AccessDenied',
  message: `User is not authorized to perform: ${action}`,
});

const OBJECT_KEYS = [
  'reports/2023/07/daily-revenue.csv',
  'exports/customers.parquet',
  'uploads/invoice-8841.pdf',
  'backups/db/orders-2023-07-09.sql.gz',
  'static/app.js',
  'config/settings.json',
];
const SECRETS = ['prod/orders/db-password', 'prod/github-token', 'staging/stripe-api-key'];
const PARAMETERS = ['/app/prod/db-url', '/app/prod/feature-flags', '/ci/deploy/bucket'];
const INSTANCE_TYPES = ['t3.micro', 't3.large', 'm5.xlarge', 'c6i.2xlarge'];

function buckets(accountId: string): string[] {
  return [
    `acme-app-data-${accountId}`,
    `acme-terraform-state-${accountId}`,
    `acme-public-assets-${accountId}`,
  ];
}

function bucketResource(accountId: string, bucket: string): Resource {
  return { accountId, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` };
}

/** additionalEventData of S3 calls; the `x-amz-id-2` key is the one that breaks naive JSON paths. */
function s3Extra(rng: Rng, bytesIn: number, bytesOut: number): Record<string, unknown> {
  return {
    SignatureVersion: 'SigV4',
    CipherSuite: 'ECDHE-RSA-AES128-GCM-SHA256',
    bytesTransferredIn: bytesIn,
    AuthenticationMethod: 'AuthHeader',
    'x-amz-id-2': rng.base64(56),
    bytesTransferredOut: bytesOut,
  };
}

function s3Object(readOnly: boolean, bytes: (rng: Rng) => [number, number]) {
  return ({ rng, accountId, region }: CallContext): CallDetails => {
    const bucket = rng.pick(buckets(accountId));
    const key = rng.pick(OBJECT_KEYS);
    const [bytesIn, bytesOut] = bytes(rng);
    return {
      requestParameters: { bucketName: bucket, Host: `${bucket}.s3.${region}.amazonaws.com`, key },
      responseElements: readOnly ? null : { 'x-amz-server-side-encryption': 'AES256' },
      additionalEventData: s3Extra(rng, bytesIn, bytesOut),
      resources: [
        { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
        bucketResource(accountId, bucket),
      ],
    };
  };
}

function s3Bucket(param: string, response: (ctx: CallContext, bucket: string) => unknown = () => null) {
  return (ctx: CallContext): CallDetails => {
    const bucket = ctx.rng.pick(buckets(ctx.accountId));
    return {
      requestParameters: {
        bucketName: bucket,
        Host: `${bucket}.s3.${ctx.region}.amazonaws.com`,
        [param]: '',
      },
      responseElements: ctx.error ? null : response(ctx, bucket),
      additionalEventData: s3Extra(ctx.rng, 0, ctx.rng.int(200, 900)),
      resources: [bucketResource(ctx.accountId, bucket)],
    };
  };
}

function instanceId(rng: Rng): string {
  return `i-0${rng.hex(16)}`;
}

function itemsOf<T>(values: T[]): { items: T[] } {
  return { items: values };
}

const none = (): CallDetails => ({ requestParameters: null });

function iamUser(param = 'userName') {
  return ({ rng }: CallContext): CallDetails => ({
    requestParameters: {
      [param]: rng.pick(['alice', 'bob', 'ci-deploy', 'backup-admin', 'temp-contractor']),
    },
  });
}

function roleSessionCredentials(ctx: CallContext, roleArnValue: string, session: string): unknown {
  if (ctx.error) return null;
  const expiry = new Date(ctx.timeMs + 3600_000);
  const roleName = roleArnValue.split('/').pop();
  return {
    credentials: {
      accessKeyId: `ASIA${ctx.rng.iamId(16)}`,
      sessionToken: `IQoJb3JpZ2luX2Vj${ctx.rng.base64(96)}`,
      expiration: expiry.toUTCString(),
    },
    assumedRoleUser: {
      assumedRoleId: `AROA${ctx.rng.iamId(17)}:${session}`,
      arn: `arn:aws:sts::${ctx.accountId}:assumed-role/${roleName}/${session}`,
    },
  };
}

const ROLE_TARGETS = [
  'OrganizationAccountAccessRole',
  'github-actions-deploy',
  'orders-processor',
  'ReadOnlyAudit',
];

export const CATALOGUE: readonly EventSpec[] = [
  // --- S3: the broad class -------------------------------------------------------------------
  {
    source: 's3.amazonaws.com',
    name: 'GetObject',
    weight: 110,
    readOnly: true,
    data: true,
    actors: { role: 70, user: 30 },
    errors: [
      ACCESS_DENIED(0.02),
      { share: 0.02, code: 'NoSuchKey', message: 'The specified key does not exist.' },
    ],
    details: s3Object(true, (rng) => [0, rng.int(500, 5_000_000)]),
  },
  {
    source: 's3.amazonaws.com',
    name: 'PutObject',
    weight: 55,
    readOnly: false,
    data: true,
    actors: MACHINE,
    errors: [ACCESS_DENIED(0.02)],
    details: s3Object(false, (rng) => [rng.int(500, 2_000_000), 0]),
  },
  {
    source: 's3.amazonaws.com',
    name: 'HeadObject',
    weight: 30,
    readOnly: true,
    data: true,
    actors: MACHINE,
    details: s3Object(true, () => [0, 0]),
  },
  {
    source: 's3.amazonaws.com',
    name: 'DeleteObject',
    weight: 8,
    readOnly: false,
    data: true,
    actors: MACHINE,
    errors: [ACCESS_DENIED(0.05)],
    details: s3Object(false, () => [0, 0]),
  },
  {
    source: 's3.amazonaws.com',
    name: 'ListObjects',
    weight: 25,
    readOnly: true,
    data: true,
    actors: MACHINE,
    details: s3Bucket('list-type'),
  },
  {
    source: 's3.amazonaws.com',
    name: 'ListBuckets',
    weight: 18,
    readOnly: true,
    actors: HUMAN,
    details: ({ rng, region }) => ({
      requestParameters: { Host: `s3.${region}.amazonaws.com` },
      additionalEventData: s3Extra(rng, 0, rng.int(400, 4000)),
    }),
  },
  {
    source: 's3.amazonaws.com',
    name: 'GetBucketAcl',
    weight: 14,
    readOnly: true,
    actors: { ...HUMAN, service: 40 },
    details: s3Bucket('acl'),
  },
  {
    source: 's3.amazonaws.com',
    name: 'GetBucketLocation',
    weight: 12,
    readOnly: true,
    actors: MACHINE,
    details: s3Bucket('location'),
  },
  {
    source: 's3.amazonaws.com',
    name: 'GetBucketPolicy',
    weight: 8,
    readOnly: true,
    actors: HUMAN,
    errors: [{ share: 0.3, code: 'NoSuchBucketPolicy', message: 'The bucket policy does not exist' }],
    details: s3Bucket('policy'),
  },
  {
    source: 's3.amazonaws.com',
    name: 'PutBucketPolicy',
    weight: 3,
    readOnly: false,
    actors: HUMAN,
    errors: [ACCESS_DENIED(0.1)],
    details: ({ rng, accountId, region }) => {
      const bucket = rng.pick(buckets(accountId));
      const policy = {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` },
        ],
      };
      return {
        requestParameters: {
          bucketPolicy: policy,
          bucketName: bucket,
          Host: `${bucket}.s3.${region}.amazonaws.com`,
          policy: '',
        },
        additionalEventData: s3Extra(rng, rng.int(150, 400), 0),
        resources: [bucketResource(accountId, bucket)],
      };
    },
  },
  {
    source: 's3.amazonaws.com',
    name: 'GetBucketEncryption',
    weight: 6,
    readOnly: true,
    actors: HUMAN,
    details: s3Bucket('encryption'),
  },
  {
    source: 's3.amazonaws.com',
    name: 'GetBucketVersioning',
    weight: 6,
    readOnly: true,
    actors: HUMAN,
    details: s3Bucket('versioning'),
  },
  {
    source: 's3.amazonaws.com',
    name: 'GetBucketPublicAccessBlock',
    weight: 5,
    readOnly: true,
    actors: HUMAN,
    errors: [
      {
        share: 0.2,
        code: 'NoSuchPublicAccessBlockConfiguration',
        message: 'The public access block configuration was not found',
      },
    ],
    details: s3Bucket('publicAccessBlock'),
  },
  {
    source: 's3.amazonaws.com',
    name: 'PutBucketAcl',
    weight: 1,
    readOnly: false,
    actors: HUMAN,
    details: s3Bucket('acl'),
  },

  // --- EC2 ---------------------------------------------------------------------------------------
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeInstances',
    weight: 120,
    readOnly: true,
    actors: { ...MACHINE, service: 8 },
    errors: [UNAUTHORIZED_OP(0.02)],
    details: ({ rng }) => ({
      requestParameters: rng.chance(0.5)
        ? { instancesSet: itemsOf([{ instanceId: instanceId(rng) }]), filterSet: {} }
        : {
            instancesSet: {},
            filterSet: itemsOf([{ name: 'instance-state-name', valueSet: itemsOf([{ value: 'running' }]) }]),
          },
    }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeSecurityGroups',
    weight: 30,
    readOnly: true,
    actors: MACHINE,
    details: () => ({ requestParameters: { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} } }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeVpcs',
    weight: 14,
    readOnly: true,
    actors: MACHINE,
    details: () => ({ requestParameters: { vpcSet: {}, filterSet: {} } }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeSubnets',
    weight: 12,
    readOnly: true,
    actors: MACHINE,
    details: () => ({ requestParameters: { subnetSet: {}, filterSet: {} } }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeVolumes',
    weight: 10,
    readOnly: true,
    actors: MACHINE,
    details: () => ({ requestParameters: { volumeSet: {}, filterSet: {} } }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeRegions',
    weight: 10,
    readOnly: true,
    actors: HUMAN,
    details: () => ({ requestParameters: { regionSet: {} } }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DescribeImages',
    weight: 8,
    readOnly: true,
    actors: MACHINE,
    details: () => ({
      requestParameters: {
        executableBySet: {},
        imagesSet: {},
        ownersSet: itemsOf([{ owner: 'self' }]),
        includeDeprecated: false,
      },
    }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'RunInstances',
    weight: 4,
    readOnly: false,
    actors: MACHINE,
    errors: [UNAUTHORIZED_OP(0.1)],
    details: ({ rng, accountId, region, error }) => {
      const id = instanceId(rng);
      const type = rng.pick(INSTANCE_TYPES);
      return {
        requestParameters: {
          instancesSet: itemsOf([{ imageId: `ami-0${rng.hex(16)}`, minCount: 1, maxCount: 1 }]),
          instanceType: type,
          blockDeviceMapping: {},
          monitoring: { enabled: false },
          disableApiTermination: false,
          disableApiStop: false,
          clientToken: rng.uuid(),
        },
        responseElements: error
          ? null
          : {
              requestId: rng.uuid(),
              reservationId: `r-0${rng.hex(16)}`,
              ownerId: accountId,
              instancesSet: itemsOf([
                { instanceId: id, instanceType: type, instanceState: { code: 0, name: 'pending' } },
              ]),
            },
        resources: error
          ? undefined
          : [
              {
                accountId,
                type: 'AWS::EC2::Instance',
                ARN: `arn:aws:ec2:${region}:${accountId}:instance/${id}`,
              },
            ],
      };
    },
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'StopInstances',
    weight: 3,
    readOnly: false,
    actors: HUMAN,
    details: ({ rng }) => ({
      requestParameters: { instancesSet: itemsOf([{ instanceId: instanceId(rng) }]), force: false },
    }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'TerminateInstances',
    weight: 2,
    readOnly: false,
    actors: HUMAN,
    details: ({ rng }) => ({
      requestParameters: { instancesSet: itemsOf([{ instanceId: instanceId(rng) }]) },
    }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'AuthorizeSecurityGroupIngress',
    weight: 2,
    readOnly: false,
    actors: HUMAN,
    details: ({ rng }) => ({
      requestParameters: {
        groupId: `sg-0${rng.hex(16)}`,
        ipPermissions: itemsOf([
          { ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: itemsOf([{ cidrIp: '0.0.0.0/0' }]) },
        ]),
      },
    }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'CreateSnapshot',
    weight: 1.5,
    readOnly: false,
    actors: MACHINE,
    details: ({ rng }) => ({
      requestParameters: { volumeId: `vol-0${rng.hex(16)}`, description: 'nightly backup' },
    }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'ModifySnapshotAttribute',
    weight: 0.5,
    readOnly: false,
    actors: HUMAN,
    details: ({ rng }) => ({
      requestParameters: {
        snapshotId: `snap-0${rng.hex(16)}`,
        createVolumePermission: { add: itemsOf([{ userId: '999988887777' }]) },
        attributeType: 'CREATE_VOLUME_PERMISSION',
      },
    }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'GetPasswordData',
    weight: 0.5,
    readOnly: true,
    actors: HUMAN,
    errors: [UNAUTHORIZED_OP(0.5)],
    details: ({ rng }) => ({ requestParameters: { instanceId: instanceId(rng) } }),
  },
  {
    source: 'ec2.amazonaws.com',
    name: 'DeleteFlowLogs',
    weight: 0.2,
    readOnly: false,
    actors: HUMAN,
    details: ({ rng }) => ({
      requestParameters: { DeleteFlowLogsRequest: { FlowLogId: { content: `fl-0${rng.hex(16)}`, tag: 1 } } },
    }),
  },

  // --- IAM (global) ------------------------------------------------------------------------------
  {
    source: 'iam.amazonaws.com',
    name: 'GetUser',
    weight: 12,
    readOnly: true,
    global: true,
    actors: HUMAN,
    details: iamUser(),
  },
  {
    source: 'iam.amazonaws.com',
    name: 'ListUsers',
    weight: 8,
    readOnly: true,
    global: true,
    actors: HUMAN,
    details: none,
  },
  {
    source: 'iam.amazonaws.com',
    name: 'ListRoles',
    weight: 8,
    readOnly: true,
    global: true,
    actors: HUMAN,
    details: none,
  },
  {
    source: 'iam.amazonaws.com',
    name: 'GetRole',
    weight: 8,
    readOnly: true,
    global: true,
    actors: MACHINE,
    details: ({ rng }) => ({ requestParameters: { roleName: rng.pick(ROLE_TARGETS) } }),
  },
  {
    source: 'iam.amazonaws.com',
    name: 'ListAccessKeys',
    weight: 6,
    readOnly: true,
    global: true,
    actors: HUMAN,
    details: iamUser(),
  },
  {
    source: 'iam.amazonaws.com',
    name: 'CreateUser',
    weight: 1.5,
    readOnly: false,
    global: true,
    actors: HUMAN,
    errors: [IAM_DENIED('iam:CreateUser', 0.2)],
    details: (ctx) => {
      const userName = ctx.rng.pick(['backup-admin', 'temp-contractor', 'svc-monitoring']);
      return {
        requestParameters: { userName },
        responseElements: ctx.error
          ? null
          : {
              user: {
                path: '/',
                userName,
                userId: `AIDA${ctx.rng.iamId(17)}`,
                arn: `arn:aws:iam::${ctx.accountId}:user/${userName}`,
                createDate: new Date(ctx.timeMs).toUTCString(),
              },
            },
      };
    },
  },
  {
    source: 'iam.amazonaws.com',
    name: 'CreateAccessKey',
    weight: 1.5,
    readOnly: false,
    global: true,
    actors: HUMAN,
    errors: [IAM_DENIED('iam:CreateAccessKey', 0.2)],
    details: (ctx) => {
      const userName = ctx.rng.pick(['backup-admin', 'ci-deploy', 'svc-legacy-backup']);
      return {
        requestParameters: { userName },
        responseElements: ctx.error
          ? null
          : {
              accessKey: {
                userName,
                accessKeyId: `AKIA${ctx.rng.iamId(16)}`,
                status: 'Active',
                createDate: new Date(ctx.timeMs).toUTCString(),
              },
            },
      };
    },
  },
  {
    source: 'iam.amazonaws.com',
    name: 'AttachUserPolicy',
    weight: 1.5,
    readOnly: false,
    global: true,
    actors: HUMAN,
    details: ({ rng }) => ({
      requestParameters: {
        userName: rng.pick(['backup-admin', 'temp-contractor']),
        policyArn: rng.pick([
          'arn:aws:iam::aws:policy/AdministratorAccess',
          'arn:aws:iam::aws:policy/ReadOnlyAccess',
        ]),
      },
    }),
  },
  {
    source: 'iam.amazonaws.com',
    name: 'PutUserPolicy',
    weight: 0.5,
    readOnly: false,
    global: true,
    actors: HUMAN,
    details: () => ({
      requestParameters: {
        userName: 'temp-contractor',
        policyName: 'inline-admin',
        policyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
        }),
      },
    }),
  },
  {
    source: 'iam.amazonaws.com',
    name: 'CreateLoginProfile',
    weight: 0.5,
    readOnly: false,
    global: true,
    actors: HUMAN,
    details: iamUser(),
  },
  {
    source: 'iam.amazonaws.com',
    name: 'DeleteUser',
    weight: 0.5,
    readOnly: false,
    global: true,
    actors: HUMAN,
    details: iamUser(),
  },
  {
    source: 'iam.amazonaws.com',
    name: 'UpdateAssumeRolePolicy',
    weight: 0.5,
    readOnly: false,
    global: true,
    actors: HUMAN,
    details: ({ rng }) => ({
      requestParameters: {
        roleName: rng.pick(ROLE_TARGETS),
        policyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::999988887777:root' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      },
    }),
  },
  {
    source: 'iam.amazonaws.com',
    name: 'GetAccountAuthorizationDetails',
    weight: 0.3,
    readOnly: true,
    global: true,
    actors: HUMAN,
    details: none,
  },

  // --- STS (global endpoint) ---------------------------------------------------------------------
  {
    source: 'sts.amazonaws.com',
    name: 'AssumeRole',
    weight: 45,
    readOnly: true,
    global: true,
    actors: { user: 20, role: 40, service: 40 },
    errors: [IAM_DENIED('sts:AssumeRole', 0.04)],
    details: (ctx) => {
      const target = ctx.rng.pick(ROLE_TARGETS);
      const arn = `arn:aws:iam::${ctx.accountId}:role/${target}`;
      const session =
        ctx.principal.kind === 'service' ? `i-0${ctx.rng.hex(16)}` : `session-${ctx.rng.int(1000, 9999)}`;
      return {
        requestParameters: { roleArn: arn, roleSessionName: session, durationSeconds: 3600 },
        responseElements: roleSessionCredentials(ctx, arn, session),
        resources: [{ accountId: ctx.accountId, type: 'AWS::IAM::Role', ARN: arn }],
      };
    },
  },
  {
    source: 'sts.amazonaws.com',
    name: 'GetCallerIdentity',
    weight: 35,
    readOnly: true,
    global: true,
    actors: MACHINE,
    details: none,
  },
  {
    source: 'sts.amazonaws.com',
    name: 'AssumeRoleWithWebIdentity',
    weight: 6,
    readOnly: true,
    global: true,
    actors: { role: 1 },
    details: (ctx) => {
      const arn = `arn:aws:iam::${ctx.accountId}:role/github-actions-deploy`;
      return {
        requestParameters: { roleArn: arn, roleSessionName: 'GitHubActions', durationSeconds: 3600 },
        responseElements: roleSessionCredentials(ctx, arn, 'GitHubActions'),
        resources: [{ accountId: ctx.accountId, type: 'AWS::IAM::Role', ARN: arn }],
      };
    },
  },
  {
    source: 'sts.amazonaws.com',
    name: 'GetSessionToken',
    weight: 1.5,
    readOnly: true,
    global: true,
    actors: { user: 1 },
    details: () => ({ requestParameters: { durationSeconds: 43200 } }),
  },

  // --- Console sign-in (global) ------------------------------------------------------------------
  {
    source: 'signin.amazonaws.com',
    name: 'ConsoleLogin',
    weight: 5,
    readOnly: false,
    global: true,
    eventType: 'AwsConsoleSignIn',
    actors: { user: 80, root: 6 },
    errors: [{ share: 0.2, message: 'Failed authentication' }],
    details: ({ principal, error, accountId }) => {
      const mfa = principal.kind === 'user' ? principal.mfa : principal.kind === 'root' && !error;
      const extra: Record<string, unknown> = {
        LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true',
        MobileVersion: 'No',
        MFAUsed: mfa ? 'Yes' : 'No',
      };
      if (mfa)
        extra.MFAIdentifier = `arn:aws:iam::${accountId}:mfa/${principal.kind === 'user' ? principal.userName : 'root-account-mfa-device'}`;
      return {
        requestParameters: null,
        responseElements: { ConsoleLogin: error ? 'Failure' : 'Success' },
        additionalEventData: extra,
      };
    },
  },

  // --- CloudFront (global) -----------------------------------------------------------------------
  {
    source: 'cloudfront.amazonaws.com',
    name: 'ListDistributions',
    weight: 3,
    readOnly: true,
    global: true,
    actors: HUMAN,
    details: none,
  },
  {
    source: 'cloudfront.amazonaws.com',
    name: 'GetDistribution',
    weight: 2,
    readOnly: true,
    global: true,
    actors: HUMAN,
    details: ({ rng }) => ({ requestParameters: { id: `E${rng.iamId(13)}` } }),
  },
  {
    source: 'cloudfront.amazonaws.com',
    name: 'CreateInvalidation',
    weight: 2,
    readOnly: false,
    global: true,
    actors: MACHINE,
    details: ({ rng }) => ({
      requestParameters: {
        distributionId: `E${rng.iamId(13)}`,
        invalidationBatch: { paths: { quantity: 1, items: ['/*'] }, callerReference: rng.uuid() },
      },
    }),
  },

  // --- CloudTrail --------------------------------------------------------------------------------
  {
    source: 'cloudtrail.amazonaws.com',
    name: 'DescribeTrails',
    weight: 5,
    readOnly: true,
    actors: { ...HUMAN, service: 10 },
    details: () => ({ requestParameters: { includeShadowTrails: false } }),
  },
  {
    source: 'cloudtrail.amazonaws.com',
    name: 'GetTrailStatus',
    weight: 4,
    readOnly: true,
    actors: HUMAN,
    details: ({ accountId }) => ({
      requestParameters: { name: `arn:aws:cloudtrail:us-east-1:${accountId}:trail/management-events` },
    }),
  },
  {
    source: 'cloudtrail.amazonaws.com',
    name: 'LookupEvents',
    weight: 4,
    readOnly: true,
    actors: HUMAN,
    details: () => ({
      requestParameters: {
        maxResults: 50,
        lookupAttributes: [{ attributeKey: 'ReadOnly', attributeValue: 'false' }],
      },
    }),
  },
  {
    source: 'cloudtrail.amazonaws.com',
    name: 'StopLogging',
    weight: 0.15,
    readOnly: false,
    actors: HUMAN,
    errors: [
      {
        share: 0.2,
        code: 'AccessDenied',
        message: 'User is not authorized to perform: cloudtrail:StopLogging',
      },
    ],
    details: ({ accountId }) => ({
      requestParameters: { name: `arn:aws:cloudtrail:us-east-1:${accountId}:trail/management-events` },
      resources: [
        {
          accountId,
          type: 'AWS::CloudTrail::Trail',
          ARN: `arn:aws:cloudtrail:us-east-1:${accountId}:trail/management-events`,
        },
      ],
    }),
  },
  {
    source: 'cloudtrail.amazonaws.com',
    name: 'DeleteTrail',
    weight: 0.1,
    readOnly: false,
    actors: HUMAN,
    details: ({ accountId }) => ({
      requestParameters: { name: `arn:aws:cloudtrail:us-east-1:${accountId}:trail/management-events` },
    }),
  },
  {
    source: 'cloudtrail.amazonaws.com',
    name: 'PutEventSelectors',
    weight: 0.15,
    readOnly: false,
    actors: HUMAN,
    details: () => ({
      requestParameters: {
        trailName: 'management-events',
        eventSelectors: [
          {
            readWriteType: 'ReadOnly',
            includeManagementEvents: false,
            dataResources: [],
            excludeManagementEventSources: [],
          },
        ],
      },
    }),
  },

  // --- KMS -------------------------------------------------------------------------------------
  {
    source: 'kms.amazonaws.com',
    name: 'Decrypt',
    weight: 140,
    readOnly: true,
    actors: { role: 40, user: 10, service: 50 },
    details: ({ rng, accountId, region }) => {
      const keyArn = `arn:aws:kms:${region}:${accountId}:key/${rng.uuid()}`;
      return {
        requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' },
        resources: [{ accountId, type: 'AWS::KMS::Key', ARN: keyArn }],
      };
    },
  },
  {
    source: 'kms.amazonaws.com',
    name: 'GenerateDataKey',
    weight: 50,
    readOnly: true,
    actors: { role: 40, service: 60 },
    details: ({ rng, accountId, region }) => ({
      requestParameters: { keyId: `alias/aws/s3`, keySpec: 'AES_256' },
      resources: [
        { accountId, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:${region}:${accountId}:key/${rng.uuid()}` },
      ],
    }),
  },
  {
    source: 'kms.amazonaws.com',
    name: 'ScheduleKeyDeletion',
    weight: 0.2,
    readOnly: false,
    actors: HUMAN,
    details: ({ rng, accountId, region }) => {
      const keyArn = `arn:aws:kms:${region}:${accountId}:key/${rng.uuid()}`;
      return {
        requestParameters: { keyId: keyArn, pendingWindowInDays: 7 },
        responseElements: { keyId: keyArn, keyState: 'PendingDeletion', pendingWindowInDays: 7 },
        resources: [{ accountId, type: 'AWS::KMS::Key', ARN: keyArn }],
      };
    },
  },

  // --- Secrets Manager (GetSecretValue is the rare name) --------------------------------------------
  {
    source: 'secretsmanager.amazonaws.com',
    name: 'GetSecretValue',
    weight: 10,
    readOnly: true,
    actors: MACHINE,
    errors: [
      {
        share: 0.1,
        code: 'AccessDeniedException',
        message: 'User is not authorized to perform: secretsmanager:GetSecretValue',
      },
    ],
    details: ({ rng, accountId, region }) => ({
      requestParameters: {
        secretId: `arn:aws:secretsmanager:${region}:${accountId}:secret:${rng.pick(SECRETS)}-${rng.alnum(6)}`,
      },
    }),
  },
  {
    source: 'secretsmanager.amazonaws.com',
    name: 'DescribeSecret',
    weight: 5,
    readOnly: true,
    actors: MACHINE,
    details: ({ rng }) => ({ requestParameters: { secretId: rng.pick(SECRETS) } }),
  },
  {
    source: 'secretsmanager.amazonaws.com',
    name: 'ListSecrets',
    weight: 3,
    readOnly: true,
    actors: HUMAN,
    details: none,
  },

  // --- SSM ---------------------------------------------------------------------------------------
  {
    source: 'ssm.amazonaws.com',
    name: 'GetParameter',
    weight: 45,
    readOnly: true,
    actors: MACHINE,
    details: ({ rng }) => ({
      requestParameters: { name: rng.pick(PARAMETERS), withDecryption: rng.chance(0.5) },
    }),
  },
  {
    source: 'ssm.amazonaws.com',
    name: 'GetParameters',
    weight: 8,
    readOnly: true,
    actors: MACHINE,
    details: () => ({ requestParameters: { names: PARAMETERS.slice(0, 2), withDecryption: true } }),
  },
  {
    source: 'ssm.amazonaws.com',
    name: 'UpdateInstanceInformation',
    weight: 30,
    readOnly: false,
    actors: { role: 1 },
    details: ({ principal, rng }) => ({
      requestParameters: {
        instanceId:
          principal.kind === 'role' && principal.ec2Instance ? principal.sessionName : instanceId(rng),
        agentVersion: '3.2.1297.0',
        platformType: 'Linux',
        agentName: 'amazon-ssm-agent',
      },
    }),
  },
  {
    source: 'ssm.amazonaws.com',
    name: 'SendCommand',
    weight: 0.4,
    readOnly: false,
    actors: HUMAN,
    details: ({ rng }) => ({
      requestParameters: {
        instanceIds: [instanceId(rng)],
        documentName: 'AWS-RunShellScript',
        interactive: false,
      },
    }),
  },

  // --- Other services ----------------------------------------------------------------------------
  {
    source: 'lambda.amazonaws.com',
    name: 'Invoke',
    weight: 35,
    readOnly: false,
    data: true,
    actors: { service: 30, role: 70 },
    details: ({ accountId, region }) => {
      const fn = `arn:aws:lambda:${region}:${accountId}:function:orders-processor`;
      return {
        requestParameters: {
          functionName: fn,
          invocationType: 'Event',
          sourceArn: `arn:aws:sqs:${region}:${accountId}:orders`,
        },
        additionalEventData: { functionVersion: `${fn}:$LATEST` },
        resources: [{ accountId, type: 'AWS::Lambda::Function', ARN: fn }],
      };
    },
  },
  {
    source: 'lambda.amazonaws.com',
    name: 'ListFunctions20150331',
    weight: 4,
    readOnly: true,
    actors: HUMAN,
    details: none,
  },
  {
    source: 'logs.amazonaws.com',
    name: 'CreateLogStream',
    weight: 40,
    readOnly: false,
    actors: { role: 1 },
    details: ({ rng }) => ({
      requestParameters: {
        logGroupName: '/aws/lambda/orders-processor',
        logStreamName: `2023/07/10/[$LATEST]${rng.hex(32)}`,
      },
    }),
  },
  {
    source: 'logs.amazonaws.com',
    name: 'DescribeLogGroups',
    weight: 5,
    readOnly: true,
    actors: HUMAN,
    details: none,
  },
  {
    source: 'dynamodb.amazonaws.com',
    name: 'DescribeTable',
    weight: 20,
    readOnly: true,
    actors: MACHINE,
    details: () => ({ requestParameters: { tableName: 'orders' } }),
  },
  {
    source: 'rds.amazonaws.com',
    name: 'DescribeDBInstances',
    weight: 12,
    readOnly: true,
    actors: MACHINE,
    details: none,
  },
  {
    source: 'ecr.amazonaws.com',
    name: 'GetAuthorizationToken',
    weight: 25,
    readOnly: true,
    actors: MACHINE,
    details: none,
  },
  {
    source: 'guardduty.amazonaws.com',
    name: 'ListDetectors',
    weight: 3,
    readOnly: true,
    actors: { ...HUMAN, service: 10 },
    details: none,
  },
  {
    source: 'guardduty.amazonaws.com',
    name: 'DeleteDetector',
    weight: 0.05,
    readOnly: false,
    actors: HUMAN,
    details: ({ rng }) => ({ requestParameters: { detectorId: rng.hex(32) } }),
  },
  {
    source: 'organizations.amazonaws.com',
    name: 'DescribeOrganization',
    weight: 2,
    readOnly: true,
    actors: HUMAN,
    details: none,
  },
];

export function findEvent(name: string): EventSpec {
  const spec = CATALOGUE.find((e) => e.name === name);
  if (!spec) throw new Error(`unknown event name in the generator catalogue: ${name}`);
  return spec;
}
