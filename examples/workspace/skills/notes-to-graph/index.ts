import { parseCsv } from '../csv-parse';
import { readTextFile } from '../../servers/filesystem';
import { createEntities } from '../../servers/memory';

/** Imports the rows of a CSV file as knowledge-graph entities. */
export async function importCsv(input: { path: string; nameColumn: string; typeColumn: string }): Promise<{ imported: number; skipped: number; observations: number }> {
  const { content } = (await readTextFile({ path: input.path })) as { content: string };
  const { columns, rows } = parseCsv(content);
  for (const column of [input.nameColumn, input.typeColumn]) {
    if (!columns.includes(column)) throw new Error(`column "${column}" is not in ${input.path}`);
  }
  const others = columns.filter((c) => c !== input.nameColumn && c !== input.typeColumn);
  const named = rows.filter((row) => (row[input.nameColumn] ?? '') !== '');
  const entities = named.map((row) => ({
    name: row[input.nameColumn] ?? '',
    entityType: row[input.typeColumn] || 'thing',
    observations: others.filter((c) => (row[c] ?? '') !== '').map((c) => `${c}: ${row[c]}`),
  }));
  if (entities.length > 0) await createEntities({ entities });
  return {
    imported: entities.length,
    skipped: rows.length - named.length,
    observations: entities.reduce((sum, e) => sum + e.observations.length, 0),
  };
}
