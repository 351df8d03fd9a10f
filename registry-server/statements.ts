/**
 * Prepared statements compiled once per SQL text and reused: preparing a statement costs more
 * than running most of the registry's queries (the soak profile found it dominating).
 */
import type Database from 'better-sqlite3';
import type { Db } from './db';

export type Sql = (text: string) => Database.Statement;

/** A function that returns the prepared statement for `text`, preparing it the first time. */
export function statements(db: Db): Sql {
  const cache = new Map<string, Database.Statement>();
  return (text) => {
    let statement = cache.get(text);
    if (!statement) {
      statement = db.prepare(text);
      cache.set(text, statement);
    }
    return statement;
  };
}
