import pc from 'picocolors';
import type { CommandModule } from '../command';
import { catalogInstalled, writeCatalog } from '../core/workspace/catalog';
import { needsRecovery, recover, type Recovered } from '../core/install/journal';
import { emptyLockfile, loadWorkspace } from '../core/workspace/files';
import { withWorkspaceLock } from '../core/workspace/lock';
import { ensureGlobalStore } from '../core/agents/scope';
import { renderTrust, table } from '../render';

export const listCommand: CommandModule = {
  register(program, run) {
    program
      .command('list')
      .alias('ls')
      .description('list the skills in ./skills (installed and local) and refresh skills/INDEX.md')
      .option('-g, --global', 'the user\'s global skills (the global store)')
      .action((options: { global?: boolean }) =>
        run(async (ctx) => {
          const global = options.global === true;
          let root = ctx.cwd;
          if (global) {
            const store = await ensureGlobalStore(ctx.env, false).catch((error: unknown) => {
              if ((error as { code?: string }).code === 'ENOTINSTALLED') return undefined;
              throw error;
            });
            if (!store) return { data: { recovered: 'none', skills: [], catalog: null }, human: 'no global skills' };
            root = store.dir;
          }
          // Listing reads; finishing an interrupted install writes, so only that takes the workspace lock.
          const scan = async (recovered: Recovered) => {
            const { lockfile } = await loadWorkspace(root);
            return { recovered, catalog: await writeCatalog(root, catalogInstalled(lockfile ?? emptyLockfile())) };
          };
          const { recovered, catalog } = (await needsRecovery(root))
            ? await withWorkspaceLock(root, { command: 'skills list', env: ctx.env, progress: ctx.progress }, async () => scan(await recover(root, ctx.env)))
            : await scan('none');
          if (catalog.overBudget) ctx.warn(`the catalog is ${catalog.chars} characters, over the ${catalog.budget} character budget of current agent clients`);
          for (const s of catalog.skipped) ctx.warn(`skills/${s.folder} is not a skill: ${s.reason}`);
          const rows = catalog.entries.map((e) => [e.packageName ?? e.name, e.version ?? '-', e.source, e.trust ? renderTrust(e.trust) : '-', e.location]);
          return {
            data: { recovered, skills: catalog.entries, catalog: { file: catalog.file, chars: catalog.chars, tokens: catalog.tokens, overBudget: catalog.overBudget } },
            human: catalog.entries.length > 0 ? `${table([['skill', 'version', 'source', 'trust', 'SKILL.md'], ...rows])}\n${pc.dim(`catalog: ${catalog.file} (${catalog.chars} characters)`)}` : global ? 'no global skills' : 'no skills in ./skills',
          };
        }),
      );
  },
};
