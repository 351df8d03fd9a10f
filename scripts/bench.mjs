// Runs a benchmark from bench/: `npm run bench -- sandbox` (or no name for all). Each bench is
// bundled with esbuild (dependencies external) into dist/bench/ and run in its own process, with
// the processes it starts (bench/processes/*.ts, e.g. the registry under load) bundled beside it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

// Modules the benches import, not benches themselves.
const HELPERS = new Set(['stats', 'verdaccio']);
const wanted = process.argv.slice(2);
const all = fs.readdirSync('bench').filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).filter((n) => !HELPERS.has(n)).sort();
const names = wanted.length > 0 ? wanted : all;
const processes = fs.existsSync(path.join('bench', 'processes')) ? fs.readdirSync(path.join('bench', 'processes')).filter((f) => f.endsWith('.ts')) : [];
const options = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' };
// Files the bundled code loads from beside itself (testkit/s3.ts starts s3rver from its folder).
const BESIDE = [path.join('testkit', 's3rver-main.mjs')];
fs.mkdirSync(path.join('dist', 'bench'), { recursive: true });
for (const file of BESIDE) fs.copyFileSync(file, path.join('dist', 'bench', path.basename(file)));
for (const file of processes) {
  await build({ ...options, entryPoints: [path.join('bench', 'processes', file)], outfile: path.join('dist', 'bench', 'processes', file.replace(/\.ts$/, '.mjs')) });
}
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`no bench/${name}.ts; available: ${all.join(', ')}`);
    process.exit(2);
  }
  const outfile = path.join('dist', 'bench', `${name}.mjs`);
  await build({ ...options, entryPoints: [`bench/${name}.ts`], outfile });
  console.log(`\n== bench/${name}.ts ==`);
  const result = spawnSync(process.execPath, ['--expose-gc', outfile], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
