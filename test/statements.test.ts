/** The one prepared-statement cache of the registry (registry-server/statements.ts). */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { statements } from '../registry-server/statements';

describe('statements', () => {
  it('prepares a SQL text once and reuses it, and starts over once past its bound', () => {
    const db = new Database(':memory:');
    try {
      const sql = statements(db, 2);
      const first = sql('SELECT 1 AS n');
      expect(sql('SELECT 1 AS n')).toBe(first);
      expect((first.get() as { n: number }).n).toBe(1);
      sql('SELECT 2');
      sql('SELECT 3');
      expect(sql('SELECT 1 AS n')).toBe(first);
      sql('SELECT 4');
      // Three texts were held (past the bound of 2) when a fourth came: the cache started over.
      expect(sql('SELECT 1 AS n')).not.toBe(first);
    } finally {
      db.close();
    }
  });
});
