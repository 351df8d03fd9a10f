import pc from 'picocolors';
import semver from 'semver';
import { SkillsError } from '../../schema/errors';
import { parsePackageSpec } from '../../schema/names';
import { pickVersion } from '../../schema/pick-version';
import { AGENT_FRONTMATTER_KEYS, parseSkillMd } from '../../schema/skill-md';
import { packumentViewSchema } from '../../schema/registry';
import { auditReportSchema } from '../../schema/audit-report';
import { auditLines } from '../core/audit/view';
import type { CommandModule } from '../command';
import { registryCommand } from '../options';
import { packumentLimits, printable } from '../core/registry/client';
import { renderTrust } from '../render';

export const infoCommand: CommandModule = {
  register(program, run) {
    const command = program
      .command('info')
      .alias('view')
      .description('show a skill: versions, tags, deprecation, trust, verification, provenance, MCP tools, SKILL.md')
      .argument('<spec>', '@scope/name or @scope/name@version|range|tag');
    registryCommand(command, run, async ({ registry }, spec = '') => {
      const parsed = parsePackageSpec(spec);
      if (!parsed) throw new SkillsError('ESPECINVALID', `"${spec}" is not @scope/name[@version]`);
      const client = await registry();
      const doc = await client.call(packumentViewSchema, 'GET', `/v1/skills/${parsed.name}`, packumentLimits(parsed.name));
      if (doc.name !== parsed.name) throw new SkillsError('EPACKUMENTNAME', `asked for ${parsed.name}, the registry answered with the packument of ${printable(doc.name, 220)}`, { hint: 'the registry is broken or hostile; check the registry URL' });
      const all = Object.keys(doc.versions).sort(semver.compare);
      const wanted = parsed.range ?? 'latest';
      const version = pickVersion(wanted, all, doc.distTags);
      const v = version ? doc.versions[version] : undefined;
      if (!v) throw new SkillsError('ENOTFOUND', `${parsed.name} has no version matching ${wanted}`, { hint: `versions: ${all.join(', ')}` });
      // The report is extra detail: a registry that cannot send it still gets its info shown.
      const audit = v.audit ? await client.call(auditReportSchema, 'GET', `/v1/skills/${doc.name}/versions/${v.version}/audit`).catch(() => undefined) : undefined;
      const tools = Object.entries(v.manifest.mcp).map(([server, list]) => `${server}: ${list.join(', ')}`);
      const frontmatter = parseSkillMd(v.skillMd, { mode: 'lenient' });
      const agentSettings = Object.entries(frontmatter.agentKeys).map(([key, value]) => `${key}=${printable(JSON.stringify(value) ?? 'null', 80)} (${AGENT_FRONTMATTER_KEYS[key] ?? 'an agent'})`);
      const human = [
        `${pc.bold(`${v.name}@${v.version}`)}${v.yanked ? pc.red(' (yanked)') : ''}${v.deprecated ? pc.yellow(` deprecated: ${v.deprecated}`) : ''}`,
        v.description,
        `tags: ${Object.entries(doc.distTags).map(([t, x]) => `${t}=${x}`).join(' ')}`,
        `versions: ${all.join(', ')}`,
        `trust: ${renderTrust(v.trust, v.trustReasons ?? [])}${v.kind === 'plain' ? ' (a plain skill: SKILL.md and files, nothing for the sandbox to run)' : ''}`,
        ...(v.verification && v.kind !== 'plain' ? [`verified: ${v.verification.passed} passed, ${v.verification.failed} failed (${v.verification.verifiedAt})`] : []),
        ...(v.provenance ? [`provenance (as its publisher declared it): ${printable(v.provenance.url ?? v.provenance.type, 300)}${v.provenance.commit ? ` at ${printable(v.provenance.commit, 64)}` : ''}${v.provenance.path ? ` in ${printable(v.provenance.path, 200)}` : ''}${v.provenance.ref ? ` (${printable(v.provenance.ref, 100)})` : ''}`] : []),
        ...auditLines(audit),
        `MCP tools: ${tools.length > 0 ? tools.join('; ') : 'none'}`,
        ...(agentSettings.length > 0 ? [`agent settings: ${agentSettings.join(', ')}`] : []),
        `dependencies: ${Object.entries(v.manifest.dependencies).map(([n, r]) => `${n} ${r}`).join(', ') || 'none'}`,
        `tarball: ${v.dist.tarball} (${v.dist.size} bytes, ${v.dist.fileCount} files)`,
        '',
        v.skillMd.trimEnd(),
      ];
      return {
        data: { name: doc.name, distTags: doc.distTags, versions: all, version: v, trust: v.trust ?? null, agentKeys: frontmatter.agentKeys, unknownKeys: frontmatter.unknownKeys, ...(audit ? { audit } : {}) },
        human: human.join('\n'),
      };
    });
  },
};
