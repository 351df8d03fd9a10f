import fs from 'node:fs/promises';
import path from 'node:path';
import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import { parsePackageName } from '../../schema/names';
import type { CommandModule } from '../command';
import { scaffoldFiles } from '../core/package/scaffold';
import { scaffoldAround } from '../core/package/scaffold-around';
import { withWorkspaceLock } from '../core/workspace/lock';

export const initCommand: CommandModule = {
  register(program, run) {
    program
      .command('init')
      .description('create a new skill folder (SKILL.md, skill.json, index.ts, fixtures/example.json) that validates and verifies')
      .argument('[dir]', 'the folder to create (default: ./skills/<name>)')
      .requiredOption('--name <@scope/name>', 'the package name; the folder name must equal the part after the slash')
      .option('--description <text>', 'what the skill does and when to use it')
      .option('--from <dir>', 'wrap existing code in <dir> (add SKILL.md and skill.json; mcp inferred from fixtures/)')
      .action((dir: string | undefined, options: { name: string; description?: string; from?: string }) =>
        run(async (ctx) => {
          const parsed = parsePackageName(options.name);
          if (!parsed) {
            throw new SkillsError('ENAMEINVALID', `"${options.name}" is not a valid skill name`, {
              hint: 'use @scope/name in lower case, words joined by single hyphens, e.g. @acme/csv-export',
            });
          }
          const target = path.resolve(ctx.cwd, options.from ?? dir ?? path.join('skills', parsed.name));
          if (path.basename(target) !== parsed.name) {
            throw new SkillsError('ENAMEFOLDER', `the folder ${target} must be named "${parsed.name}" to match ${options.name}`, {
              hint: `run \`skills init ${path.join(path.dirname(target), parsed.name)} --name ${options.name}\``,
            });
          }
          // Writing into this workspace's ./skills races installs (which may claim the same folder): take the lock.
          const inSkills = path.relative(path.join(ctx.cwd, 'skills'), target);
          const inWorkspace = !inSkills.startsWith('..') && !path.isAbsolute(inSkills);
          const write = () => scaffold(target, options);
          const result = inWorkspace ? await withWorkspaceLock(ctx.cwd, { command: 'skills init', env: ctx.env, progress: ctx.progress }, write) : await write();
          const { files, around } = result;
          return {
            data: { name: options.name, dir: target, files: [...files.keys()], ...(around ? { entry: around.entry, mcp: around.mcp, exports: around.exports, fixtures: around.fixtures } : {}) },
            human: [
              `${pc.green('created')} ${options.name} in ${target}`,
              ...[...files.keys()].map((f) => `  ${f}`),
              '',
              `next: skills validate ${target} && skills verify ${target}`,
            ].join('\n'),
          };
        }),
      );
  },
};

async function scaffold(target: string, options: { name: string; description?: string; from?: string }) {
  const around = options.from !== undefined ? await scaffoldAround(target, { name: options.name, description: options.description }) : undefined;
  const files = around?.files ?? scaffoldFiles(options.description === undefined ? { name: options.name } : { name: options.name, description: options.description });
  const existing = await existingFiles(target, [...files.keys()]);
  if (existing.length > 0) {
    throw new SkillsError('EEXIST', `${target} already has ${existing.join(', ')}; nothing was written`, {
      hint: 'choose an empty folder, or remove those files first',
    });
  }
  const written: string[] = [];
  try {
    for (const [file, content] of files) {
      const full = path.join(target, file);
      await fs.mkdir(path.dirname(full), { recursive: true });
      await fs.writeFile(full, content, { flag: 'wx' });
      written.push(full);
    }
  } catch (err) {
    await Promise.all(written.map((f) => fs.rm(f, { force: true })));
    throw new SkillsError('EWRITE', `could not write the skill into ${target}: ${(err as Error).message}`, { cause: err });
  }
  return { files, around };
}

async function existingFiles(dir: string, files: readonly string[]): Promise<string[]> {
  const found = await Promise.all(files.map(async (f) => ((await fs.lstat(path.join(dir, f)).catch(() => undefined)) ? f : undefined)));
  return found.filter((f): f is string => f !== undefined);
}
