import path from 'node:path';
import pc from 'picocolors';
import { InvalidArgumentError } from 'commander';
import { describeFinding } from '../../audit/verdict';
import { allowanceListSchema, allowanceRemovedSchema, allowanceSchema, FAIL_ON, type AuditReport, type FailOn, type Finding } from '../../schema/audit-report';
import { SkillsError } from '../../schema/errors';
import { parsePackageName } from '../../schema/names';
import type { CliContext, CommandModule, CommandResult } from '../command';
import { registryCommand, registryOption, type RegistryFlag } from '../options';
import { loadWorkspace } from '../core/workspace/files';
import { escapeInvisible as escapeForHumans } from '../../audit/text';
import { table } from '../render';

function parseFailOn(value: string): FailOn {
  if (!(FAIL_ON as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${FAIL_ON.join(', ')}`);
  return value as FailOn;
}

interface AuditOptions {
  failOn?: FailOn | undefined;
  registry?: string;
  all?: boolean;
  rules?: boolean;
}

export const auditCommand: CommandModule = {
  register(program, run) {
    const audit = program
      .command('audit')
      .description('statically audit a skill (hidden Unicode, prompt injection, dangerous scripts, committed secrets) and list what it holds; exit 1 at a finding at or above --fail-on')
      .argument('[target]', 'a skill folder, a workspace (audits every skill in ./skills), or @scope/name[@version] on the registry', '.')
      .option('--fail-on <severity>', `exit 1 when a finding is at least this severe: ${FAIL_ON.join(', ')} (default: skills.json "audit.failOn", else high)`, parseFailOn)
      .option('--all', 'also list info findings (the inventory) in the human output')
      .option('--rules', 'list the rules (id, severity, what each catches and misses) and exit')
      .addOption(registryOption({ why: 'for @scope/name' }))
      .action((target: string, options: AuditOptions) => run((ctx) => auditAction(ctx, target, options)));

    const allow = audit
      .command('allow')
      .description("let a rule's findings through at publish for one skill (a team owner of its scope, or an admin); recorded in the registry's audit log")
      .argument('<name>', '@scope/name')
      .argument('<rule>', 'the rule id, e.g. script-pipe-to-shell')
      .requiredOption('--reason <text>', 'why this finding is acceptable (stored and shown with the report)')
      .option('--file <path>', 'only findings in this file of the package');
    registryCommand<RegistryFlag & { reason: string; file?: string }>(allow, run, async ({ registry, options }, name = '', rule = '') => {
      checkedName(name);
      const client = await registry();
      const body = { rule, reason: options.reason, ...(options.file !== undefined ? { file: options.file } : {}) };
      const allowed = await client.call(allowanceSchema, 'POST', `/v1/skills/${name}/audit-allowances`, { body });
      return { data: allowed, human: `${pc.green('allowed')} ${allowed.rule} for ${allowed.name}${allowed.file ? ` in ${allowed.file}` : ''}: ${allowed.reason}` };
    });

    const disallow = audit
      .command('disallow')
      .description('remove an allowance (publishing with that finding is refused again)')
      .argument('<name>', '@scope/name')
      .argument('<rule>', 'the rule id')
      .option('--file <path>', 'the allowance for this file');
    registryCommand<RegistryFlag & { file?: string }>(disallow, run, async ({ registry, options }, name = '', rule = '') => {
      checkedName(name);
      const client = await registry();
      const query = options.file !== undefined ? `?file=${encodeURIComponent(options.file)}` : '';
      const removed = await client.call(allowanceRemovedSchema, 'DELETE', `/v1/skills/${name}/audit-allowances/${encodeURIComponent(rule)}${query}`);
      return { data: removed, human: `${pc.green('removed')} the allowance of ${removed.rule} for ${removed.name}` };
    });

    registryCommand(audit.command('allowances').description('list the rules allowed for a skill').argument('<name>', '@scope/name'), run, async ({ registry }, name = '') => {
      checkedName(name);
      const client = await registry();
      const list = await client.call(allowanceListSchema, 'GET', `/v1/skills/${name}/audit-allowances`);
      const human = list.allowances.length === 0 ? `no allowances for ${list.name}` : table([['rule', 'file', 'by', 'reason'], ...list.allowances.map((a) => [a.rule, a.file ?? '*', a.by ?? '-', a.reason])]);
      return { data: list, human };
    });
  },
};

function checkedName(name: string): string {
  if (!parsePackageName(name)) throw new SkillsError('ESPECINVALID', `"${name}" is not @scope/name`);
  return name;
}

async function auditAction(ctx: CliContext, target: string, options: AuditOptions): Promise<CommandResult> {
  if (options.rules) {
    const { RULES } = await import('../../audit/rules');
    return { data: { rules: RULES }, human: RULES.map((r) => `${pc.bold(r.id)} (${r.severity})\n  catches: ${r.catches}${r.misses ? `\n  not: ${r.misses}` : ''}`).join('\n') };
  }
  const local = await import('../core/audit/local');
  const { workspace } = await loadWorkspace(ctx.cwd).catch(() => ({ workspace: undefined }));
  const failOn: FailOn = options.failOn ?? workspace?.audit?.failOn ?? 'high';
  if (target.startsWith('@')) {
    const audited = await local.auditPublished(target, { root: ctx.cwd, env: ctx.env, registry: options.registry, failOn });
    return { data: { failOn, ...audited }, human: renderOne(audited, options.all === true, failOn), exitCode: audited.failed ? 1 : 0 };
  }
  const dir = path.resolve(ctx.cwd, target);
  if (await local.isWorkspaceRoot(dir)) {
    const skills = await local.auditWorkspace(dir, failOn);
    const failed = skills.some((s) => s.failed);
    const human = skills.length === 0 ? 'no skills in ./skills' : skills.map((s) => renderOne(s, options.all === true, failOn)).join('\n\n');
    return { data: { root: dir, failOn, failed, skills }, human, exitCode: failed ? 1 : 0 };
  }
  const audited = await local.auditFolder(dir, failOn);
  return { data: { failOn, ...audited }, human: renderOne(audited, options.all === true, failOn), exitCode: audited.failed ? 1 : 0 };
}

const COLOUR: Record<Finding['severity'], (s: string) => string> = { high: pc.red, medium: pc.yellow, low: pc.cyan, info: pc.dim };

function renderOne(audited: { target: string; name: string | null; version: string | null; report: AuditReport; failed: boolean }, all: boolean, failOn: FailOn): string {
  const { report } = audited;
  const title = audited.name ? `${audited.name}${audited.version ? `@${audited.version}` : ''}` : audited.target;
  const lines = [`${pc.bold(escapeForHumans(title))}: ${report.files} files, ${report.counts.high} high, ${report.counts.medium} medium, ${report.counts.low} low, ${report.counts.info} info`];
  for (const f of report.findings) {
    if (f.severity === 'info' && !all) continue;
    lines.push(`  ${COLOUR[f.severity](f.severity.padEnd(6))} ${escapeForHumans(describeFinding(f))}`);
    if (f.excerpt !== '') lines.push(`         ${pc.dim(escapeForHumans(f.excerpt))}`);
  }
  if (report.truncated > 0) lines.push(pc.dim(`  ... ${report.truncated} more findings (see --json)`));
  if (!all) {
    const { endpoints, executables } = report.inventory;
    if (endpoints.length > 0) lines.push(pc.dim(`  endpoints: ${escapeForHumans(endpoints.map((e) => e.host).join(', '))}`));
    if (executables.length > 0) lines.push(pc.dim(`  executables: ${escapeForHumans(executables.map((e) => `${e.file} (${e.size} bytes)`).join(', '))}`));
  }
  lines.push(audited.failed ? pc.red(`  failed: findings at or above ${failOn}`) : pc.green(`  passed (--fail-on ${failOn})`));
  return lines.join('\n');
}
