import fs from 'node:fs/promises';
import path from 'node:path';
import pc from 'picocolors';
import { SkillsError } from '../../schema/errors';
import { tarballFileName } from '../../schema/names';
import { pack } from '../../tarball/pack';
import type { CommandModule } from '../command';
import { Cache } from '../core/registry/cache';
import { assertValid, checkGivenVersion, loadLocalPackage } from '../core/package/local';
import { plainSkillScope } from '../core/package/scope';
import { packTrust } from '../core/trust/levels';
import { writeFileAtomic } from '../core/workspace/write-atomic';
import { formatBytes, renderTrust, table } from '../render';

export const packCommand: CommandModule = {
  register(program, run) {
    program
      .command('pack')
      .description('validate a skill folder and write its deterministic tarball <scope>-<name>-<version>.tgz')
      .argument('[dir]', 'the skill folder', '.')
      .option('--out <path>', 'the tarball file to write, or an existing folder to write it into (default: the current folder)')
      .option('--scope <scope>', 'the scope of a plain skill (no skill.json); default: skills.json "scope", then the user config\'s')
      .option('--version <version>', 'the version of a plain skill (else SKILL.md metadata.version)')
      .option('--skip-verify', 'do not run a code skill\'s fixtures for its trust level (it is then unverified)')
      .option('--skip-audit', 'write the tarball even with high audit findings (the registry audits again)')
      .action((dir: string, options: { out?: string; scope?: string; version?: string; skipVerify?: boolean; skipAudit?: boolean }) =>
        run(async (ctx) => {
          const scope = await plainSkillScope(ctx.env, ctx.cwd, options.scope);
          const pkg = await loadLocalPackage(path.resolve(ctx.cwd, dir), { derive: { scope: scope?.scope, version: options.version } });
          assertValid(pkg);
          for (const p of pkg.validation.problems) ctx.warn(`${p.code} ${p.path} ${p.message}`);
          const { manifest } = pkg.validation;
          const { auditGate } = await import('../core/audit/local');
          const audit = auditGate(pkg.files, `${manifest.name}@${manifest.version}`, { skip: options.skipAudit, warn: ctx.warn }).summary;
          checkGivenVersion(pkg.validation.kind, manifest.version, options.version);
          if (pkg.validation.kind === 'code') ctx.progress(`verifying ${manifest.name}@${manifest.version} in the sandbox for its trust level`);
          const trust = await packTrust(pkg.dir, pkg.files, pkg.validation, Cache.fromEnv(ctx.env), { skipVerify: options.skipVerify === true });
          const packed = await pack(pkg.files);
          const file = await outputPath(ctx.cwd, options.out, tarballFileName(manifest.name, manifest.version));
          await writeFileAtomic(file, packed.bytes);
          const data = {
            name: manifest.name,
            version: manifest.version,
            kind: pkg.validation.kind,
            trust: trust.level,
            trustReasons: trust.because,
            verification: trust.verification,
            file,
            size: packed.bytes.byteLength,
            fileCount: packed.fileCount,
            unpackedSize: packed.unpackedSize,
            integrity: packed.integrity,
            digest: packed.digest,
            files: packed.files,
            tokens: pkg.tokens,
            audit,
          };
          const human = [
            `${pc.green('packed')} ${manifest.name}@${manifest.version}`,
            table([
              ['file', file],
              ['size', `${formatBytes(data.size)} (${formatBytes(data.unpackedSize)} unpacked, ${data.fileCount} files)`],
              ['integrity', data.integrity],
              ['digest', data.digest],
              ['trust', renderTrust(trust.level, trust.because)],
              ['audit', `${audit.counts.high} high, ${audit.counts.medium} medium, ${audit.counts.low} low (skills audit for details)`],
              ['tokens', pkg.tokens ? `catalog entry ~${pkg.tokens.catalogEntry}, SKILL.md body ~${pkg.tokens.body}` : 'n/a'],
            ]),
          ].join('\n');
          return { data, human };
        }),
      );
  },
};

async function outputPath(cwd: string, out: string | undefined, defaultName: string): Promise<string> {
  if (out === undefined) return path.join(cwd, defaultName);
  const target = path.resolve(cwd, out);
  const stat = await fs.stat(target).catch(() => undefined);
  if (stat?.isDirectory()) return path.join(target, defaultName);
  const parent = await fs.stat(path.dirname(target)).catch(() => undefined);
  if (!parent?.isDirectory()) {
    throw new SkillsError('EOUTDIR', `cannot write ${target}: its folder does not exist`, { hint: 'create the folder first or pass --out <existing folder>' });
  }
  return target;
}

