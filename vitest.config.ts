import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Live-capture and privilege tests share network namespaces and system users.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // count-reporter: the CI summary line (scripts/test-summary.js), where a test whose setup failed counts as failed.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }], './test/helpers/count-reporter.ts'],
  },
});
