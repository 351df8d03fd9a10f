import semver from 'semver';
import type { CommandModule } from '../command';
import { Cache } from '../core/cache';
import { resolveRegistry } from '../core/config';
import { Fetcher, mapLimit } from '../core/fetcher';
import { isSourceValue } from '../core/install-plan';
import { RegistryClient } from '../core/registry-client';
import { loadWorkspace } from '../core/workspace';
import { table } from '../render';

export const outdatedCommand: CommandModule = {
  register(program, run) {
    program
      .command('outdated')
      .description('show registry skills with newer versions: current, wanted (by range) and latest; exit 1 if any (git, folder and https skills: see skills update)')
      .option('--registry <url>', 'the registry URL')
      .option('--json', 'print the result as JSON')
      .action((options: { registry?: string }) =>
        run(async (ctx) => {
          const { workspace, lockfile } = await loadWorkspace(ctx.cwd);
          // Skills from git, folders and discovery indexes have no registry versions to compare.
          const deps = Object.fromEntries(Object.entries(workspace?.dependencies ?? {}).filter(([, value]) => !isSourceValue(value)));
          const fetcher = new Fetcher(new RegistryClient(await resolveRegistry(ctx.env, options.registry, workspace?.registry)), Cache.fromEnv(ctx.env));
          const rows = await mapLimit(Object.entries(deps).sort(), 8, async ([name, range]) => {
            const doc = await fetcher.packument(name);
            const versions = Object.values(doc.versions).filter((v) => !v.yanked).map((v) => v.version);
            const current = lockfile?.skills[name]?.version ?? null;
            const trust = lockfile?.skills[name]?.trust ?? null;
            const wanted = semver.validRange(range) ? semver.maxSatisfying(versions, range) : (doc.distTags[range] ?? null);
            const latest = doc.distTags.latest ?? semver.rsort([...versions])[0] ?? null;
            return { name, range, current, wanted, latest, trust };
          });
          const outdated = rows.filter((r) => r.current !== r.wanted || r.current !== r.latest);
          return {
            data: { outdated },
            human: outdated.length > 0 ? table([['skill', 'current', 'wanted', 'latest', 'range'], ...outdated.map((r) => [r.name, r.current ?? '-', r.wanted ?? '-', r.latest ?? '-', r.range])]) : 'every skill is up to date',
            exitCode: outdated.length > 0 ? 1 : 0,
          };
        }),
      );
  },
};
