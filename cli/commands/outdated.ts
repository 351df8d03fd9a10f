import semver from 'semver';
import type { CommandModule } from '../command';
import { commandRegistry, registryOption } from '../options';
import { Cache } from '../core/registry/cache';
import { Fetcher, mapLimit } from '../core/registry/fetcher';
import { isSourceValue } from '../core/install/plan';
import { loadWorkspace } from '../core/workspace/files';
import { table } from '../render';

export const outdatedCommand: CommandModule = {
  register(program, run) {
    program
      .command('outdated')
      .description('show skills that `skills update` would change: registry skills with newer versions (current, wanted by range, latest), and git, folder and https skills whose source moved; exit 1 if any')
      .addOption(registryOption())
      .action((options: { registry?: string }) =>
        run(async (ctx) => {
          const loaded = await loadWorkspace(ctx.cwd);
          const { workspace, lockfile } = loaded;
          const all = Object.entries(workspace?.dependencies ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
          const fromRegistry = all.filter(([, value]) => !isSourceValue(value));
          const fromSources = all.filter(([, value]) => isSourceValue(value));
          const cache = Cache.fromEnv(ctx.env);
          const registryRows: OutdatedRow[] = [];
          if (fromRegistry.length > 0) {
            const fetcher = new Fetcher(await commandRegistry(ctx, options, loaded), cache);
            registryRows.push(
              ...(await mapLimit(fromRegistry, 8, async ([name, range]) => {
                const doc = await fetcher.packument(name);
                const versions = Object.values(doc.versions).filter((v) => !v.yanked).map((v) => v.version);
                const current = lockfile?.skills[name]?.version ?? null;
                const trust = lockfile?.skills[name]?.trust ?? null;
                const wanted = semver.validRange(range) ? semver.maxSatisfying(versions, range) : (doc.distTags[range] ?? null);
                const latest = doc.distTags.latest ?? semver.rsort([...versions])[0] ?? null;
                return { name, range, current, wanted, latest, trust, source: null };
              })),
            );
          }
          // Sources are resolved as `skills update` resolves them, one at a time (a repository is fetched once).
          const { sourceOutdated } = await import('../core/sources/outdated');
          const { newSourceContext } = await import('../core/sources/types');
          const sourceCtx = newSourceContext({ env: ctx.env, root: ctx.cwd, cache, progress: ctx.progress, warn: () => undefined });
          const sourceRows: OutdatedRow[] = [];
          for (const [name, spec] of fromSources) {
            const entry = lockfile?.skills[name];
            const found = await sourceOutdated(name, spec, entry, sourceCtx);
            const current = entry?.version ?? null;
            sourceRows.push({ name, range: spec, current, wanted: found.changed ? found.latest : current, latest: found.changed ? found.latest : current, trust: entry?.trust ?? null, source: { current: found.current, latest: found.next } });
          }
          const outdated = [...registryRows.filter((r) => r.current !== r.wanted || r.current !== r.latest), ...sourceRows.filter((r) => r.source !== null && r.source.current !== r.source.latest)];
          const shownVersion = (version: string | null, at: string | undefined) => `${version ?? '-'}${at === undefined ? '' : ` (${at.replace(/^sha256:/, '').slice(0, 12)})`}`;
          return {
            data: { outdated },
            human:
              outdated.length > 0
                ? table([['skill', 'current', 'wanted', 'latest', 'range'], ...outdated.map((r) => [r.name, shownVersion(r.current, r.source?.current), r.wanted ?? '-', shownVersion(r.latest, r.source?.latest), r.range])])
                : 'every skill is up to date',
            exitCode: outdated.length > 0 ? 1 : 0,
          };
        }),
      );
  },
};

interface OutdatedRow {
  name: string;
  /** The range or tag in skills.json; for a source, its spec. */
  range: string;
  current: string | null;
  wanted: string | null;
  latest: string | null;
  trust: string | null;
  /** Skills from git, folders and discovery indexes: the commit (git) or content digest now locked, and what the source gives now. */
  source: { current: string; latest: string } | null;
}
