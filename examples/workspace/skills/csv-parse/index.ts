export type Row = Record<string, string>;

export interface ParsedCsv {
  columns: string[];
  rows: Row[];
}

/** Parses CSV with a header line into row objects (RFC 4180 quoting). */
export function parseCsv(text: string): ParsedCsv {
  const records = splitRecords(text);
  const header = records.shift();
  if (!header) return { columns: [], rows: [] };
  const columns = header.fields;
  const rows = records.map((record) => {
    if (record.fields.length !== columns.length) {
      throw new Error(`line ${record.line}: expected ${columns.length} fields, found ${record.fields.length}`);
    }
    const row: Row = {};
    columns.forEach((column, i) => (row[column] = record.fields[i] ?? ''));
    return row;
  });
  return { columns, rows };
}

/** Writes rows as CSV with the given column order, quoting only where needed. */
export function toCsv(columns: readonly string[], rows: readonly Row[]): string {
  const line = (values: readonly string[]) => values.map(quote).join(',');
  return [line(columns), ...rows.map((row) => line(columns.map((c) => row[c] ?? '')))].map((l) => `${l}\n`).join('');
}

function quote(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

interface CsvRecord {
  line: number;
  fields: string[];
}

function splitRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      records.push({ line: start, fields });
      fields = [];
      field = '';
      line++;
      start = line;
    } else field += ch;
  }
  if (quoted) throw new Error(`line ${start}: unterminated quoted field`);
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    records.push({ line: start, fields });
  }
  return records.filter((r) => !(r.fields.length === 1 && r.fields[0] === ''));
}
