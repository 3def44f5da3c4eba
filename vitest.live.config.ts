import { defineConfig } from 'vitest/config';

/**
 * `npm run test:live`: tests against a real AWS account. They run only when AWS credentials and
 * CLOUDTRAIL_TEST_TRAIL are set (see __tests__/live/athena.live.test.ts) and are skipped, with
 * the missing variables named, otherwise.
 */
export default defineConfig({
  test: {
    include: ['__tests__/live/**/*.test.ts'],
    testTimeout: 40 * 60 * 1000,
    hookTimeout: 10 * 60 * 1000,
    pool: 'forks',
  },
});
