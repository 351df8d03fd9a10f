import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // Every file's temporary folders (testkit/temp.ts) are removed when the file ends.
    setupFiles: ['testkit/setup.ts'],
    // Guards against a hang, not speed claims: tests start real servers and CLI processes, and must
    // pass on a loaded 2-core machine (30 s was met by several multi-process tests under load).
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Both cores: most tests wait on real processes and sockets, and the suite stays under 10 minutes.
    maxWorkers: 2,
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
