import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMAND_NAMES } from '../cli/program';

const run = async () => undefined;
const quiet = { writeErr: () => undefined };

describe('the program loads only the command it runs', () => {
  it('lists every registered command and alias in its table, in help order', async () => {
    const program = await buildProgram(run, quiet, []);
    const registered = program.commands.map((c) => [c.name(), ...c.aliases()]);
    expect(registered).toEqual(COMMAND_NAMES.map((names) => [...names]));
  });

  it('registers just the named command, by name or alias, and everything for help or an unknown name', async () => {
    for (const [args, expected] of [
      [['install', 'x', '--json'], ['install']],
      [['--json', 'i'], ['install']],
      [['ls'], ['list']],
      [['unyank', '@a/b@1.0.0'], ['unyank']],
    ] as const) {
      const program = await buildProgram(run, quiet, args);
      expect(program.commands.map((c) => c.name())).toEqual(expected);
    }
    expect((await buildProgram(run, quiet, ['--version'])).commands).toEqual([]);
    for (const args of [[], ['--help'], ['help', 'install'], ['instal']]) {
      expect((await buildProgram(run, quiet, args)).commands).toHaveLength(COMMAND_NAMES.length);
    }
  });

  it('starts without the heavy parts, and installs from a warm cache without the sandbox or the MCP SDK', async () => {
    // The packages each module loads before any of its code runs (its static import graph).
    const staticPackages = async (entry: string): Promise<string[]> => {
      const { metafile } = await build({ entryPoints: [entry], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent' });
      const seen = new Set([entry]);
      const queue = [entry];
      const packages = new Set<string>();
      for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
        for (const imp of metafile.inputs[file]?.imports ?? []) {
          if (imp.kind !== 'import-statement') continue;
          if (imp.external) {
            if (!imp.path.startsWith('node:')) packages.add(imp.path.startsWith('@') ? imp.path.split('/').slice(0, 2).join('/') : (imp.path.split('/')[0] as string));
          } else if (!seen.has(imp.path)) {
            seen.add(imp.path);
            queue.push(imp.path);
          }
        }
      }
      return [...packages].sort();
    };
    expect(await staticPackages('cli/main.ts')).toEqual(['commander', 'picocolors']);
    // Verification, the audit and the live contract checks load when there is work for them.
    // jsonc-parser edits skills.json in place at commit time (no install without it).
    expect(await staticPackages('cli/core/install/install.ts')).toEqual(['jsonc-parser', 'semver', 'tar', 'yaml', 'zod']);
  });
});
