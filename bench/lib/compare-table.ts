/**
 * The registry bench's side-by-side table: one row per figure, one column per server (the storage
 * profiles, Verdaccio when it ran), each cell `median (min-max)` of the runs, then the ratio of the
 * PostgreSQL profile's median to the SQLite profile's and, for rows with a target, whether it is met.
 */
import { perSecond, shown, type Spread } from '../stats';

export type Unit = 'req/s' | 'publishes/s' | 'ms';

export interface Cell {
  main: Spread;
  /** The p99 latency beside a throughput. */
  p99?: Spread;
  /** CPU milliseconds the server's processes spent per request (or per publish). */
  cpu?: Spread;
}

export interface CompareRow {
  label: string;
  unit: Unit;
  cells: Record<string, Cell | undefined>;
  /** The lowest acceptable ratio of medians `ratioOf` / `ratioTo` (a throughput), e.g. 0.8. */
  minRatio?: number;
}

export interface Column {
  key: string;
  label: string;
}

function format(unit: Unit, value: number): string {
  if (unit === 'ms') return `${value.toFixed(value < 10 ? 2 : 1)} ms`;
  return perSecond(value);
}

function cellText(unit: Unit, cell: Cell | undefined): string {
  if (!cell) return '';
  const main = shown(cell.main, (v) => format(unit, v));
  const withUnit = unit === 'ms' ? main : `${main} ${unit}`;
  const p99 = cell.p99 ? `; p99 ${shown(cell.p99, (v) => `${v} ms`)}` : '';
  const cpu = cell.cpu ? `; CPU ${shown(cell.cpu, (v) => v.toFixed(3))} ms each` : '';
  return `${withUnit}${p99}${cpu}`;
}

/** `of`'s median over `to`'s, for the main figure and, when both have one, the p99. */
export function ratios(row: CompareRow, of: string, to: string): { main: number; p99?: number; cpu?: number } | undefined {
  const a = row.cells[of];
  const b = row.cells[to];
  if (!a || !b) return undefined;
  return {
    main: a.main.median / b.main.median,
    ...(a.p99 && b.p99 ? { p99: a.p99.median / b.p99.median } : {}),
    ...(a.cpu && b.cpu ? { cpu: a.cpu.median / b.cpu.median } : {}),
  };
}

export function compareTable(rows: readonly CompareRow[], columns: readonly Column[], ratio: { of: string; to: string; label: string }): string {
  const head = ['Figure', ...columns.map((c) => c.label), ratio.label, 'Target'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const row of rows) {
    const r = ratios(row, ratio.of, ratio.to);
    const ratioText = r ? `${r.main.toFixed(2)}x${r.p99 !== undefined ? `; p99 ${r.p99.toFixed(2)}x` : ''}${r.cpu !== undefined ? `; CPU ${r.cpu.toFixed(2)}x` : ''}` : '';
    let target = '';
    if (row.minRatio !== undefined && r) target = `>= ${row.minRatio.toFixed(2)}x: ${r.main >= row.minRatio ? 'met' : '**not met**'}`;
    lines.push(`| ${[row.label, ...columns.map((c) => cellText(row.unit, row.cells[c.key])), ratioText, target].join(' | ')} |`);
  }
  return lines.join('\n');
}
