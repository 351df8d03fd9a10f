import { parseCsv, toCsv } from '../csv-parse';
import { readTextFile, writeFile } from '../../servers/filesystem';

export interface CopyRequest {
  from: string;
  to: string;
  where: { column: string; equals: string };
}

export interface CopyResult {
  copied: number;
  skipped: number;
  columns: string[];
}

/** Copies the rows of `from` whose `where.column` equals `where.equals` into `to`. */
export async function copyMatchingRows(request: CopyRequest): Promise<CopyResult> {
  const source = (await readTextFile({ path: request.from })) as { content: string };
  const { columns, rows } = parseCsv(source.content);
  if (!columns.includes(request.where.column)) {
    throw new Error(`column "${request.where.column}" is not in ${request.from} (columns: ${columns.join(', ')})`);
  }
  const matching = rows.filter((row) => row[request.where.column] === request.where.equals);
  await writeFile({ path: request.to, content: toCsv(columns, matching) });
  return { copied: matching.length, skipped: rows.length - matching.length, columns };
}
