import path from 'node:path';
import pc from 'picocolors';
import type { VerificationReport } from '../../sandbox/verify';
import type { CommandModule } from '../command';
import { parsePositiveInt } from '../options';
import { validationError } from '../../schema/package';
import { loadLocalPackage } from '../core/package/local';
import { computeTrust } from '../core/trust/levels';
import { formatBytes, renderTrust } from '../render';

export const verifyCommand: CommandModule = {
  register(program, run) {
    program
      .command('verify')
      .description('run every fixture of a skill in the sandbox; exit 1 if any case fails (a plain skill has none: its trust is shown)')
      .argument('[dir]', 'the skill folder', '.')
      .option('--case <name...>', 'only these fixture cases')
      .option('--timeout <ms>', 'wall time per case in ms (default 1000)', parsePositiveInt)
      .action((dir: string, options: { case?: string[]; timeout?: number }) =>
        run(async (ctx) => {
          const folder = path.resolve(ctx.cwd, dir);
          const pkg = await loadLocalPackage(folder);
          if (pkg.validation.kind === 'plain') {
            // Nothing to run: say so, and how far it is trusted, instead of failing.
            const invalid = pkg.validation.problems.filter((p) => p.severity === 'error' && p.code !== 'ESCOPEMISSING' && p.code !== 'EVERSIONMISSING');
            if (invalid.length > 0 || !pkg.validation.skill) throw validationError(folder, pkg.validation.problems, `run \`skills validate ${folder}\` to see every problem`);
            const trust = computeTrust(pkg.files, 'plain', 'not-code');
            const name = pkg.validation.skill.id;
            return {
              data: { ok: true, kind: 'plain', name, version: pkg.validation.manifest?.version ?? pkg.validation.skill.frontmatter.metadata?.version ?? null, cases: [], passed: 0, failed: 0, trust: trust.level, trustReasons: trust.because, nothingToVerify: true },
              human: `${name} is a plain skill (no skill.json): nothing for the sandbox to run\ntrust ${renderTrust(trust.level, trust.because)}`,
            };
          }
          const { verifySkill } = await import('../../sandbox/verify');
          const report = await verifySkill({ dir: folder }, { ...(options.case ? { cases: options.case } : {}), ...(options.timeout ? { limits: { timeoutMs: options.timeout } } : {}) });
          const trust = computeTrust(pkg.files, 'code', report.ok ? 'sandbox' : 'failed');
          return { data: { ...report, kind: 'code', trust: trust.level, trustReasons: trust.because }, human: `${renderReport(report)}\ntrust ${renderTrust(trust.level, trust.because)}`, exitCode: report.ok ? 0 : 1 };
        }),
      );
  },
};

export function renderReport(report: VerificationReport): string {
  const lines: string[] = [];
  for (const c of report.cases) {
    const figures = pc.dim(`${c.durationMs} ms, ${formatBytes(c.memoryBytes)}, ${c.calls.made}/${c.calls.recorded} calls`);
    if (c.status === 'passed') {
      lines.push(`${pc.green('✓')} ${c.case} ${figures}`);
    } else {
      lines.push(`${pc.red('✗')} ${c.case} ${pc.bold(c.code ?? '')} ${c.message ?? ''} ${figures}`);
      if (c.diff) lines.push(...c.diff.split('\n').map((l) => `    ${l}`));
      // Replay draws both at random per case: a case that fails only sometimes depends on them.
      if (c.clock) lines.push(pc.dim(`    replayed at ${new Date(c.clock.epochMs).toISOString()} with Math.random seed ${c.clock.seed}`));
    }
    for (const line of c.console.slice(0, 20)) lines.push(pc.dim(`    console.${line.level}: ${line.text}`));
  }
  const verdict = report.ok ? pc.green('verified') : pc.red('failed');
  lines.push(`${verdict} ${report.name}@${report.version}: ${report.passed} passed, ${report.failed} failed (${report.durationMs} ms)`);
  return lines.join('\n');
}
