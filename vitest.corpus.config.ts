import { defineConfig } from 'vitest/config';

/**
 * `npm run test:corpus`: the tests over the third-party CloudTrail corpora kept outside the
 * repository (../shared/data, or CORPUS_DIR). Without them every test is reported as skipped and
 * the global set-up says why (CORPUS_REQUIRED=1 makes their absence an error).
 */
export default defineConfig({
  test: {
    include: ['__tests__/**/*.corpus.test.ts'],
    globalSetup: ['__tests__/helpers/corpus-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
