/**
 * Records shaped like the real ones the terminal tests were first written on (a Stratus Red Team
 * detonation's role session and the AWS documentation's failed console sign-in), with values of
 * our own: a role session whose short form is 68 characters, a failed sign-in with no errorCode
 * and no ARN. The corpus suite runs the same checks on the real records
 * (terminal-table.corpus.test.ts).
 */
const ROLE_SESSION = 'detonation-ec2-launch-role-q7wzk2mfpa/aws-go-sdk-1722511821294449000';
const AGENT = 'stratus-red-team_5b0c4e1a-2d3f-4a6b-9c8d-7e6f5a4b3c2d';

export const ROLE_RECORDS: Array<Record<string, unknown>> = [
  {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEROLEID0001:aws-go-sdk-1722511821294449000',
      arn: `arn:aws:sts::444455556666:assumed-role/${ROLE_SESSION}`,
      accountId: '444455556666',
      accessKeyId: 'ASIAEXAMPLEKEY000001',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEROLEID0001',
          arn: 'arn:aws:iam::444455556666:role/detonation-ec2-launch-role-q7wzk2mfpa',
          accountId: '444455556666',
          userName: 'detonation-ec2-launch-role-q7wzk2mfpa',
        },
      },
    },
    eventTime: '2024-08-01T11:30:23Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'RunInstances',
    awsRegion: 'eu-west-3',
    sourceIPAddress: '198.51.100.23',
    userAgent: AGENT,
    errorCode: 'Client.UnauthorizedOperation',
    errorMessage: `You are not authorized to perform this operation. User: arn:aws:sts::444455556666:assumed-role/${ROLE_SESSION} is not authorized to perform: ec2:RunInstances`,
    eventID: '5f0e6a2b-1c3d-4e5f-8a9b-0c1d2e3f4a5b',
    recipientAccountId: '444455556666',
  },
  ...['2024-08-01T11:30:22Z', '2024-08-01T11:30:21Z'].map((eventTime, i) => ({
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLEUSERID0001',
      arn: 'arn:aws:iam::444455556666:user/morgan',
      accountId: '444455556666',
      accessKeyId: 'AKIAEXAMPLEKEY000002',
      userName: 'morgan',
    },
    eventTime,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: 'eu-west-3',
    sourceIPAddress: '198.51.100.23',
    userAgent: AGENT,
    eventID: `7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0${i}`,
    recipientAccountId: '444455556666',
  })),
];

/** A failed console sign-in as AWS documents it: no errorCode, no ARN, the reason in errorMessage. */
export const FAILED_SIGN_IN: Record<string, unknown> = {
  eventVersion: '1.05',
  userIdentity: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLEUSERID0002',
    accountId: '444455556666',
    accessKeyId: '',
    userName: 'jordan',
  },
  eventTime: '2022-11-10T16:24:34Z',
  eventSource: 'signin.amazonaws.com',
  eventName: 'ConsoleLogin',
  awsRegion: 'us-east-1',
  sourceIPAddress: '203.0.113.9',
  userAgent:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  errorMessage: 'Failed authentication',
  requestParameters: null,
  responseElements: { ConsoleLogin: 'Failure' },
  additionalEventData: {
    LoginTo: 'https://console.aws.amazon.com/console/home',
    MobileVersion: 'No',
    MFAUsed: 'No',
  },
  eventID: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
  eventType: 'AwsConsoleSignIn',
  recipientAccountId: '444455556666',
};

/** The short principals and statuses a person expects of those records, written out by hand. */
export const EXPECTED = {
  principals: [ROLE_SESSION, 'morgan', 'morgan', 'jordan'],
  statuses: ['Client.UnauthorizedOperation', 'ok', 'ok', 'sign-in failed: Failed authentication'],
};
