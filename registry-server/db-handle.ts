/** The type of an open registry database, in a file of its own so migrations can name it without importing db.ts, which runs them. */
import type Database from 'better-sqlite3';

export type Db = Database.Database;
