import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Guards against a hang, not speed claims: tests start real servers and CLI processes, and must
    // pass on a loaded 2-core machine (30 s was met by several multi-process tests under load).
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
