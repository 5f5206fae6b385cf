/**
 * CSV encoding shared by both drivers: rows going into `COPY ... FROM (FORMAT csv)` and rows coming out of
 * {@link Db.exportCsv}, plus translation of COPY errors into {@link DbError}s that name the row and column.
 */
import { DbError, type CopyRow } from './types.ts';

/**
 * Encode one value for `COPY FROM (FORMAT csv)`. Every non-null value is quoted: a quoted empty field is an empty
 * string, an unquoted empty field is NULL, and quoting also protects commas, quotes, newlines and a lone `\.`.
 */
function copyField(v: string | null): string {
  if (v === null) return '';
  return `"${v.replace(/"/g, '""')}"`;
}

/**
 * Encode one row as a CSV line for COPY, checking its width and values first so that the user gets an error
 * naming the row instead of PostgreSQL's "missing data for column" or an encoding error about byte 0x00.
 * @param rowNumber 1-based row number over the whole copy, for messages
 */
export function copyLine(row: CopyRow, table: string, columns: string[], rowNumber: number): string {
  if (!Array.isArray(row) || row.length !== columns.length) {
    const got = Array.isArray(row) ? `${row.length} values` : `a ${typeof row}`;
    throw new DbError(
      `COPY into ${table}: row ${rowNumber} has ${got} but ${columns.length} columns were named (${columns.join(', ')})`,
      'This is a bug in the code producing the rows: every row must have one value per column.',
    );
  }
  let line = '';
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (v !== null && typeof v !== 'string') {
      throw new DbError(
        `COPY into ${table}: row ${rowNumber}, column ${columns[i]} is a ${typeof v}, not a string or null`,
        'Convert values to PostgreSQL input text (e.g. String(n)) before copying.',
      );
    }
    if (v !== null && v.includes('\0')) {
      throw new DbError(
        `COPY into ${table}: row ${rowNumber}, column ${columns[i]} contains a NUL character (\\0), which PostgreSQL text cannot store`,
        'Remove or replace NUL characters in the source value before loading.',
      );
    }
    if (i > 0) line += ',';
    line += copyField(v);
  }
  return line + '\n';
}

/** A chunk of CSV text for COPY: `rows` lines whose first line is row number `firstRow` (1-based). */
export interface CsvChunk { csv: string; firstRow: number; rows: number }

/**
 * Group rows into CSV chunks of at most `maxRows` rows or about `maxChars` characters, so that memory is bounded by
 * the chunk size rather than by the input.
 */
export async function* csvChunks(
  rows: AsyncIterable<CopyRow> | Iterable<CopyRow>,
  table: string,
  columns: string[],
  limits: { maxRows: number; maxChars: number },
): AsyncGenerator<CsvChunk> {
  let parts: string[] = [];
  let chars = 0;
  let firstRow = 1;
  let n = 0;
  for await (const row of rows) {
    n++;
    const line = copyLine(row, table, columns, n);
    parts.push(line);
    chars += line.length;
    if (parts.length >= limits.maxRows || chars >= limits.maxChars) {
      yield { csv: parts.join(''), firstRow, rows: parts.length };
      parts = [];
      chars = 0;
      firstRow = n + 1;
    }
  }
  if (parts.length > 0) yield { csv: parts.join(''), firstRow, rows: parts.length };
}

/** Encode one value as PostgreSQL's `COPY TO (FORMAT csv)` does: quote only when needed, `""` for an empty string. */
export function csvOutField(v: string | null): string {
  if (v === null) return '';
  if (v === '' || v === '\\.' || /[",\r\n]/.test(v)) return `"${v.replace(/"/g, '""')}"`;
  return v;
}

/** The shape of PostgreSQL errors from both `pg` and PGlite (fields of the ErrorResponse message). */
interface PgErrorFields { message?: string; code?: string; where?: string; detail?: string; column?: string }

/**
 * Turn an error raised by a COPY into a {@link DbError} naming the row number over the whole copy.
 * PostgreSQL reports `where: COPY t, line 5, column c: "abc"` with lines counted from the start of *this* COPY
 * statement, so `firstRow` (the row number of the statement's first line) is added.
 */
export function copyError(err: unknown, table: string, firstRow: number): Error {
  if (err instanceof DbError || (err instanceof Error && err.name === 'AbortError')) return err;
  const e = (err ?? {}) as PgErrorFields;
  if (typeof e.message !== 'string' || typeof e.code !== 'string') return err instanceof Error ? err : new Error(String(err));
  const m = /line (\d+)(?:, column ([^:]+))?/.exec(e.where ?? '');
  let where = '';
  if (m) {
    where = ` at row ${firstRow - 1 + Number(m[1])}`;
    if (m[2]) where += ` (column ${m[2]})`;
  }
  const detail = e.detail ? ` (${e.detail})` : '';
  return new DbError(
    `COPY into ${table} failed${where}: ${e.message}${detail}`,
    e.code.startsWith('22')
      ? 'A value does not fit its column type: check the column types inferred for this table and the value in that source row.'
      : 'Check the table and column names and types; the whole load was rolled back.',
    { cause: err },
  );
}
