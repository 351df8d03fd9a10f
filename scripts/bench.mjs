// Runs a benchmark from bench/: `npm run bench -- sandbox` (or no name for all). Each bench is
// bundled with esbuild (dependencies external) into dist/bench/ and run in its own process.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const wanted = process.argv.slice(2);
const all = fs.readdirSync('bench').filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
const names = wanted.length > 0 ? wanted : all;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`no bench/${name}.ts; available: ${all.join(', ')}`);
    process.exit(2);
  }
  const outfile = path.join('dist', 'bench', `${name}.mjs`);
  await build({ entryPoints: [`bench/${name}.ts`], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  console.log(`\n== bench/${name}.ts ==`);
  const result = spawnSync(process.execPath, ['--expose-gc', outfile], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
