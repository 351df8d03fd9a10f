/** `npm run test:fast`: the fast tier (test/tiers.ts), the in-process tests, with the full suite's settings. */
import { defineConfig } from 'vitest/config';
import { FAST_TESTS } from './test/tiers';
import base from './vitest.config';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: FAST_TESTS.map((file) => `test/${file}`),
    // The fast files share no global state (no mocks, env or cwd changes), so each worker imports
    // the product modules once instead of once per file: most of this tier's CPU was imports.
    isolate: false,
  },
});
