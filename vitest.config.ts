import { defineConfig } from 'vitest/config';

/**
 * `npm test`: everything the repository alone can run. Tests over the external corpora
 * (`*.corpus.test.ts`) are a suite of their own, `npm run test:corpus` (vitest.corpus.config.ts).
 */
export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    exclude: ['__tests__/live/**', '__tests__/**/*.corpus.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two test files at a time. Vitest's default is one fewer than the cores, so a single file on
    // a 2-core machine, while most files spend their time waiting on the processes and servers
    // they start.
    maxWorkers: 2,
    minWorkers: 1,
    env: {
      // The SDK warns once per process that its 2027 releases need Node 22; the CLI still supports
      // Node 20 (README), so in tests the warning is only noise. Users still see it.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
