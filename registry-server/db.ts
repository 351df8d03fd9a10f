/**
 * Opening the registry database: WAL, foreign keys, a busy timeout, and migrations applied one
 * transaction each, tracked by `PRAGMA user_version`. A database written by newer code is refused
 * rather than guessed at.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SkillsError } from '../schema/errors';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

export const SCHEMA_VERSION = MIGRATIONS.length;

export function openDatabase(file: string): Db {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  let db: Db;
  try {
    db = new Database(file);
  } catch (error) {
    throw new SkillsError('EDBOPEN', `cannot open the registry database ${file}: ${(error as Error).message}`, { hint: 'check the path and its permissions', status: 500 });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('synchronous = NORMAL');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new SkillsError('EDBNEWER', `the registry database is at schema version ${current}, newer than this registry (${SCHEMA_VERSION})`, {
      hint: 'upgrade the registry, or point it at another database with --db',
      status: 500,
    });
  }
  for (let version = current; version < SCHEMA_VERSION; version++) {
    const sql = MIGRATIONS[version];
    if (sql === undefined) break;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
