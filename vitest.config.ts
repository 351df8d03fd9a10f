import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { LongestFirst } from './test/sequencer.ts';
import { FAST_TESTS, SLOW_TESTS } from './test/tiers.ts';

// What both tiers share (projects do not inherit the root's test options unless told to, and
// inheriting would also run the global setup's build once per project).
const common: TestProjectInlineConfiguration['test'] = {
  // Every file's temporary folders (testkit/temp.ts) are removed when the file ends.
  setupFiles: ['testkit/setup.ts'],
  // Guards against a hang, not speed claims: tests start real servers and CLI processes, and must
  // pass on a loaded 2-core machine (30 s was met by several multi-process tests under load).
  testTimeout: 120_000,
  hookTimeout: 180_000,
  pool: 'forks',
};

export default defineConfig({
  test: {
    // Runs once for the whole run, whichever tiers it runs.
    globalSetup: ['test/global-setup.ts'],
    // Both cores: most tests wait on real processes and sockets, and the suite stays under 10 minutes.
    maxWorkers: 2,
    // Longest files first, the fast tier last (test/sequencer.ts), whatever vitest's results cache holds.
    sequence: { sequencer: LongestFirst },
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
    // `npm test` runs both; `npm run test:fast` runs `--project fast` (test/tiers.ts lists the files).
    projects: [
      {
        test: {
          ...common,
          name: 'fast',
          include: FAST_TESTS.map((file) => `test/${file}`),
          // The fast files share no global state (no mocks, env or cwd changes), so each worker
          // imports the product modules once instead of once per file: most of their CPU was imports.
          isolate: false,
        },
      },
      {
        test: {
          ...common,
          name: 'slow',
          include: SLOW_TESTS.map((file) => `test/${file}`),
          // One PostgreSQL for the run, started when a file first asks (testkit/shared-postgres.ts).
          globalSetup: ['test/global-postgres.ts'],
        },
      },
    ],
  },
});
