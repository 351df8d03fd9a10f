/** Small helpers shared by the benchmarks. */
import os from 'node:os';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function summary(samples: readonly number[]): { p50: number; p99: number; mean: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / Math.max(1, sorted.length);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean, n: sorted.length };
}

export function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown cpu'} x${os.availableParallelism()}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** Writes a benchmark's figures to bench/results/<name>.json (ignored by git; BENCHMARKS.md keeps the record). */
export async function saveResults(name: string, figures: Record<string, unknown>): Promise<void> {
  const { default: fs } = await import('node:fs/promises');
  const { default: path } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  await fs.writeFile(file, `${JSON.stringify({ name, machine: machine(), at: new Date().toISOString(), figures }, null, 2)}\n`);
  console.log(`figures written to ${path.relative(process.cwd(), file)}`);
}

/** Min, median and max of repeated runs of one figure (at least 3 runs for any recorded figure). */
export interface Spread {
  min: number;
  median: number;
  max: number;
  runs: number[];
}

export function spread(runs: readonly number[]): Spread {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length === 0 ? Number.NaN : sorted.length % 2 === 1 ? (sorted[Math.floor(mid)] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { min: sorted[0] ?? Number.NaN, median, max: sorted.at(-1) ?? Number.NaN, runs: [...runs] };
}

/** `median (min-max)` with a formatter for each value. */
export function shown(s: Spread, format: (value: number) => string): string {
  return `${format(s.median)} (${format(s.min)}-${format(s.max)})`;
}

export function perSecond(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** The runs each recorded figure is the median of (BENCH_REPEAT, at least 3). */
export function benchRuns(): number {
  return Math.max(3, Number(process.env.BENCH_REPEAT ?? 3));
}

/** Prints the settings a figure was taken with, flagging every one that differs from the default. */
export function printSettings(settings: Record<string, { value: unknown; default?: unknown; why?: string }>): string[] {
  const lines = Object.entries(settings).map(([key, s]) => {
    const changed = s.default !== undefined && s.default !== s.value;
    return `  ${key} = ${String(s.value)}${changed ? ` (NOT the default ${String(s.default)}${s.why ? `: ${s.why}` : ''})` : ''}`;
  });
  console.log(`settings:\n${lines.join('\n')}`);
  return lines.map((l) => l.trim());
}
