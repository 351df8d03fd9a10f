/**
 * Prepared statements compiled once per SQL text and reused: preparing a statement costs more
 * than running most of the registry's queries (the soak profile found it dominating).
 */
import type Database from 'better-sqlite3';
import type { Db } from './db';

export type Sql = (text: string) => Database.Statement;

/**
 * Statements kept at most per cache before it starts over. Fixed queries never come near it; the
 * bound is for SQL built with one `?` per item of a list, whose texts are as many as the lengths.
 */
export const MAX_CACHED_STATEMENTS = 500;

/** A function that returns the prepared statement for `text`, preparing it the first time. */
export function statements(db: Db, maxEntries = MAX_CACHED_STATEMENTS): Sql {
  const cache = new Map<string, Database.Statement>();
  return (text) => {
    let statement = cache.get(text);
    if (!statement) {
      if (cache.size > maxEntries) cache.clear();
      statement = db.prepare(text);
      cache.set(text, statement);
    }
    return statement;
  };
}
