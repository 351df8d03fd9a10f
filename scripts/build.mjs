// Bundles the TypeScript entries to dist/ with esbuild so `npx skills` works right after
// `npm install` (this runs as the `prepare` script). Dependencies stay external.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: old ones would pile up beside the new.
rmSync('dist/chunks', { recursive: true, force: true });

await build({
  entryPoints: { cli: 'cli/main.ts', 'sandbox-worker': 'sandbox/worker.ts', 'audit-worker': 'registry-server/audit-worker.ts', demo: 'scripts/demo.ts', 'record-catalog': 'scripts/record-catalog.ts' },
  outdir: 'dist',
  bundle: true,
  // Commands load heavy parts (the sandbox, the MCP SDK, the registry) only when they run.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});
