/** Runs in every test file (vitest setupFiles): removes the file's temporary folders once its own afterAll hooks ran. */
import { afterAll } from 'vitest';
import { removeTempDirs } from './temp';

// Registered first, so with vitest's default "stack" order it runs after the file's own afterAll hooks
// (which close the servers and processes still using those folders).
afterAll(removeTempDirs);
