/** Helpers that turn command data into text for people. Pure: they return strings. */
import pc from 'picocolors';
import { problemPlace, type Problem } from '../schema/problems';
import type { TrustLevel } from '../schema/trust';

export function formatProblems(problems: readonly Problem[]): string {
  return problems
    .map((p) => `${p.severity === 'error' ? pc.red('error') : pc.yellow('warning')} ${pc.bold(p.code)} ${pc.dim(problemPlace(p))} ${p.message}`)
    .join('\n');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell)))).join('  ')).join('\n');
}

function visibleLength(text: string): number {
  // Colour escapes (ESC [ ... m) take no room on screen.
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** A trust level for people, coloured, with the first files that decided it. */
export function renderTrust(level: TrustLevel | null | undefined, because: readonly { path: string; why: string }[] = [], max = 3): string {
  if (!level) return pc.dim('unknown');
  const coloured = level === 'verified' ? pc.green(level) : level === 'instructions' ? pc.cyan(level) : pc.yellow(level);
  if (because.length === 0) return coloured;
  const shown = because.slice(0, max).map((b) => `${b.path}: ${b.why}`).join('; ');
  return `${coloured} ${pc.dim(`(${shown}${because.length > max ? `; and ${because.length - max} more` : ''})`)}`;
}
