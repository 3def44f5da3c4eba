/**
 * The fixed options of examples/cloudtrail/ (written by `npm run examples`), kept apart from the
 * script so tests can regenerate the folder and compare it with the committed copy.
 */
import type { GenerateOptions } from './options.js';

const PROD = '111122223333';
const DEV = '444455556666';

export const EXAMPLE_OPTIONS: GenerateOptions = {
  seed: 'examples-v1',
  accounts: [PROD, DEV],
  regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
  start: '2023-07-10T00:00:00Z',
  days: 2,
  // One file every 8 hours per account and region keeps the folder small (36 log files).
  filesPerHour: 1 / 8,
  recordsPerFile: [8, 20],
  // No random duplicates: exactly one, planted below.
  globalDuplicateShare: 0,
  digests: true,
  digestEveryHours: 24,
  insights: true,
  foreignObjects: true,
  bucket: 'acme-cloudtrail-logs',
  planted: [
    { eventName: 'ConsoleLogin', after: '2023-07-10T07:45:00Z', account: PROD, principal: 'root' },
    { eventName: 'CreateAccessKey', after: '2023-07-10T07:50:00Z', account: PROD, principal: 'root' },
    { eventName: 'ConsoleLogin', after: '2023-07-10T15:45:00Z', account: DEV, principalName: 'alice' },
    {
      eventName: 'ConsoleLogin',
      after: '2023-07-10T15:45:00Z',
      account: PROD,
      principalName: 'bob',
      failed: true,
      duplicateIn: 'eu-west-1',
    },
    // Signed in late on the 10th, delivered in a file stamped on the 11th.
    {
      eventName: 'ConsoleLogin',
      after: '2023-07-10T23:50:00Z',
      before: '2023-07-11T00:00:00Z',
      account: DEV,
      principalName: 'bob',
    },
    {
      eventName: 'StopLogging',
      after: '2023-07-10T15:50:00Z',
      account: PROD,
      principalName: 'svc-legacy-backup',
    },
    {
      eventName: 'ListBuckets',
      after: '2023-07-11T07:45:00Z',
      account: DEV,
      region: 'eu-west-1',
      principal: 'root',
    },
    { eventName: 'ConsoleLogin', after: '2023-07-11T07:45:00Z', account: PROD, principalName: 'alice' },
  ],
};
