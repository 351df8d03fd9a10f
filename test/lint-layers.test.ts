/**
 * The layer lint (`npm run lint`, .dependency-cruiser.cjs): it passes over this repository, passes
 * a small tree whose imports all point the allowed way, and fails, naming the rule, on each
 * planted wrong import and on a circle of type-only imports. The small trees are built in a temp
 * folder with this repository's folder names; the real source tree is never written to.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../testkit/temp';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEPCRUISE = path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

interface LintRun {
  code: number;
  output: string;
  /** `rule from -> to` of every violation (a circle by its first step). */
  violations: string[];
}

/** The arguments of `npm run lint`, with the config named by its absolute path (so a temp tree can use it). */
async function lintArgs(): Promise<{ args: string[]; folders: string[] }> {
  const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...args] = (pkg.scripts.lint ?? '').split(/\s+/);
  expect(command).toBe('depcruise');
  const configAt = args.indexOf('--config') + 1;
  expect(args[configAt]).toBe('.dependency-cruiser.cjs');
  args[configAt] = CONFIG;
  const folders = args.filter((a, i) => !a.startsWith('-') && !args[i - 1]?.startsWith('-'));
  return { args, folders };
}

function lint(cwd: string, args: readonly string[]): Promise<LintRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DEPCRUISE, ...args], { cwd, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      const violations = [...output.matchAll(/^\s*error ([a-z-]+): (\S+) →\s+(\S+)/gm)].map((m) => `${m[1]} ${m[2]} -> ${m[3]}`);
      resolve({ code: typeof error?.code === 'number' ? error.code : error ? -1 : 0, output, violations });
    });
  });
}

/** A tree that imports only the allowed way, every kind of allowed import at least once. */
const CLEAN: Record<string, string> = {
  'schema/names.ts': `export const NAME_RE = /^[a-z]+$/;\n`,
  'schema/errors.ts': `import { NAME_RE } from './names';\nexport type Code = \`E\${string}\`;\nexport const valid = (s: string) => NAME_RE.test(s);\n`,
  'tarball/pack.ts': `import { gzipSync } from 'node:zlib';\nimport type { Code } from '../schema/errors';\nexport const pack = (code: Code) => gzipSync(code);\n`,
  'audit/rules.ts': `import { valid } from '../schema/errors';\nexport const rules = [valid];\n`,
  'sandbox/run.ts': `import { rules } from '../audit/rules';\nimport { valid } from '../schema/errors';\nimport { pack } from '../tarball/pack';\nexport const run = () => [rules, valid, pack];\n`,
  'registry-server/db.ts': `export const open = () => 1;\n`,
  'registry-server/index.ts': `import { run } from '../sandbox/run';\nimport { open } from './db';\nexport const startRegistry = () => [run, open];\n`,
  'cli/core/install.ts': `import { run } from '../../sandbox/run';\nimport { rules } from '../../audit/rules';\nimport { pack } from '../../tarball/pack';\nexport const install = () => [run, rules, pack];\n`,
  'cli/commands/serve.ts': `import { install } from '../core/install';\nexport async function serve() {\n  const { startRegistry } = await import('../../registry-server/index');\n  return [startRegistry, install];\n}\n`,
  'examples/workspace/servers/runtime.ts': `export const call = () => 1;\n`,
  'examples/workspace/servers/filesystem/index.ts': `import { call } from '../runtime';\nexport const read = call;\n`,
  'examples/workspace/skills/report/index.ts': `import { read } from '../../servers/filesystem/index';\nexport const report = read;\n`,
  'examples/workspace/skills/report-all/index.ts': `import { report } from '../report/index';\nexport const all = report;\n`,
  'testkit/registry.ts': `import { startRegistry } from '../registry-server/index';\nimport { install } from '../cli/core/install';\nexport const both = [startRegistry, install];\n`,
  'test/install.test.ts': `import { both } from '../testkit/registry';\nimport { open } from '../registry-server/db';\nexport const t = [both, open];\n`,
  'bench/install.ts': `import { both } from '../testkit/registry';\nimport { install } from '../cli/core/install';\nexport const b = [both, install];\n`,
  'scripts/demo.ts': `import path from 'node:path';\nexport const here = path.resolve('.');\n`,
  'types/extra.d.ts': `declare const EXTRA: number;\n`,
};

/** Wrong imports added to CLEAN, each a file of its own, and the violation each must produce. */
const PLANTED: Record<string, { source: string; violation: string }> = {
  'schema/up.ts': { source: `import { pack } from '../tarball/pack';\nexport const up = pack;\n`, violation: 'schema-is-the-base schema/up.ts -> tarball/pack.ts' },
  'schema/fs.ts': { source: `import fs from 'node:fs';\nexport const read = fs.readFileSync;\n`, violation: 'schema-no-node-builtins schema/fs.ts -> fs' },
  'tarball/audits.ts': { source: `import { rules } from '../audit/rules';\nexport const r = rules;\n`, violation: 'tarball-imports-only-schema tarball/audits.ts -> audit/rules.ts' },
  'audit/runs.ts': { source: `import type { run } from '../sandbox/run';\nexport type R = typeof run;\n`, violation: 'audit-imports-only-schema audit/runs.ts -> sandbox/run.ts' },
  'sandbox/serves.ts': { source: `import { open } from '../registry-server/db';\nexport const o = open;\n`, violation: 'sandbox-imports-only-lower-layers sandbox/serves.ts -> registry-server/db.ts' },
  'registry-server/installs.ts': { source: `import type { install } from '../cli/core/install';\nexport type I = typeof install;\n`, violation: 'registry-server-not-cli registry-server/installs.ts -> cli/core/install.ts' },
  'cli/core/serves.ts': { source: `import { startRegistry } from '../../registry-server/index';\nexport const s = startRegistry;\n`, violation: 'cli-registry-server-only-for-serve cli/core/serves.ts -> registry-server/index.ts' },
  'cli/core/skill-code.ts': { source: `import { read } from '../../examples/workspace/servers/filesystem/index';\nexport const r = read;\n`, violation: 'cli-imports-only-lower-layers cli/core/skill-code.ts -> examples/workspace/servers/filesystem/index.ts' },
  'cli/core/helpers.ts': { source: `import { both } from '../../testkit/registry';\nexport const h = both;\n`, violation: 'product-not-test-code cli/core/helpers.ts -> testkit/registry.ts' },
  'examples/workspace/servers/memory/index.ts': { source: `import { valid } from '../../../../schema/errors';\nexport const v = valid;\n`, violation: 'servers-stand-alone examples/workspace/servers/memory/index.ts -> schema/errors.ts' },
  'examples/workspace/skills/installer/index.ts': { source: `import { install } from '../../../../cli/core/install';\nexport const i = install;\n`, violation: 'skills-import-only-servers examples/workspace/skills/installer/index.ts -> cli/core/install.ts' },
  'testkit/from-test.ts': { source: `import { t } from '../test/install.test';\nexport const x = t;\n`, violation: 'test-helpers-not-tests testkit/from-test.ts -> test/install.test.ts' },
  'testkit/from-bench.ts': { source: `import { b } from '../bench/install';\nexport const x = b;\n`, violation: 'testkit-not-benches testkit/from-bench.ts -> bench/install.ts' },
  'bench/typo.ts': { source: `import { nothing } from './no-such-file';\nexport const x = nothing;\n`, violation: 'not-to-unresolvable bench/typo.ts -> ./no-such-file' },
};

let root: string;
beforeEach(async () => {
  root = await tempDir('lint');
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function writeTree(folders: readonly string[], files: Record<string, string>): Promise<void> {
  for (const folder of folders) await fs.mkdir(path.join(root, folder), { recursive: true });
  for (const [file, source] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await fs.writeFile(path.join(root, file), source);
  }
}

describe('the layer lint', () => {
  it('passes over this repository', async () => {
    const { args } = await lintArgs();
    const run = await lint(ROOT, args);
    expect(run.output).toContain('no dependency violations found');
    expect(run.code).toBe(0);
  });

  it('passes a tree whose imports all point the allowed way (cli/commands/serve.ts may import() the registry)', async () => {
    const { args, folders } = await lintArgs();
    await writeTree(folders, CLEAN);
    const run = await lint(root, args);
    // Every file was read: the modules are CLEAN's files and the two built-ins they import.
    expect(run.output).toContain(`no dependency violations found (${Object.keys(CLEAN).length + 2} modules`);
    expect(run.code).toBe(0);
  });

  it('fails on each planted wrong import, upward ones and type-only ones included, naming the rule it breaks', async () => {
    const { args, folders } = await lintArgs();
    await writeTree(folders, { ...CLEAN, ...Object.fromEntries(Object.entries(PLANTED).map(([file, p]) => [file, p.source])) });
    const run = await lint(root, args);
    expect(run.violations.sort(), run.output).toEqual(Object.values(PLANTED).map((p) => p.violation).sort());
    expect(run.code).toBe(Object.keys(PLANTED).length);
  });

  it('fails when skills serve imports the registry other than with import() of its entry', async () => {
    const { args, folders } = await lintArgs();
    await writeTree(folders, {
      ...CLEAN,
      'cli/commands/serve.ts': `import { startRegistry } from '../../registry-server/index';\nimport { open } from '../../registry-server/db';\nexport const serve = [startRegistry, open];\n`,
    });
    const run = await lint(root, args);
    expect(run.violations.sort(), run.output).toEqual(['cli-serve-imports-registry-entry cli/commands/serve.ts -> registry-server/db.ts', 'cli-serve-imports-registry-lazily cli/commands/serve.ts -> registry-server/index.ts']);
    expect(run.code).toBe(2);
  });

  it('fails on a circle, even one made of type-only imports', async () => {
    const { args, folders } = await lintArgs();
    await writeTree(folders, {
      ...CLEAN,
      'registry-server/db.ts': `import { MIGRATIONS } from './migrations';\nexport type Db = { file: string };\nexport const open = () => MIGRATIONS;\n`,
      'registry-server/migrations.ts': `import type { Db } from './db';\nexport const MIGRATIONS: ((db: Db) => void)[] = [];\n`,
    });
    const run = await lint(root, args);
    expect(run.violations, run.output).toHaveLength(1);
    expect(run.violations[0]).toMatch(/^no-circular registry-server\/(db|migrations)\.ts -> registry-server\/(db|migrations)\.ts$/);
    expect(run.code).toBe(1);
  });
});
