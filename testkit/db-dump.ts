/**
 * Every row of every table of a SQLite database, as one JSON text, so a test can prove that a
 * refused request changed nothing at all (not just that row counts stayed the same).
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

function cell(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `blob:${createHash('sha256').update(value).digest('hex')}`;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

export function dumpDb(db: Database.Database): string {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    const rows = db.prepare(`SELECT * FROM "${table.replace(/"/g, '""')}"`).all() as Record<string, unknown>[];
    out[table] = rows.map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, cell(v)])))).sort();
  }
  return JSON.stringify(out, null, 1);
}
