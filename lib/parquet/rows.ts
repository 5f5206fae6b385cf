/**
 * JavaScript rows → Parquet, for small tables such as the catalog. Rows are checked in JS (so errors name the row and
 * column), appended to an in-memory DuckDB table with the appender, then written with the same COPY options as
 * csvToParquet, so both writers produce the same kind of file.
 */
import { DuckDBDateValue, DuckDBTimestampTZValue, type DuckDBAppender } from '@duckdb/node-api';
import { hashFile, publishAtomic } from '../atomic.ts';
import { duckdbErrorText, parquetCopyOptions, sqlIdent, sqlString, withDuckDB } from './duckdb.ts';
import { DUCKDB_TYPE, validateColumns, type ColumnType, type ParquetColumn, type ParquetWriteResult } from './types.ts';
import { toBigInt, toBoolean, toDateDays, toInteger, toNumeric, toText, toTimestampMicros } from './values.ts';

/** Options of {@link rowsToParquet}. */
export interface RowsToParquetOptions {
  /** Output columns in order. Each row's values are looked up by column name. */
  columns: ParquetColumn[];
  /**
   * The rows. A missing key, `undefined` or `null` is NULL; a key that is not a column is an error (likely a typo).
   * Accepted values: integer/bigint → number, bigint or integer text; numeric → number, bigint or decimal text;
   * date → `'YYYY-MM-DD'` or a Date at UTC midnight; boolean → boolean or `t`/`f`/`true`/`false`; text → string;
   * timestamp → Date or ISO text with an offset.
   */
  rows: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>;
  /** Final Parquet path; written atomically. */
  outPath: string;
  /** Key/value metadata stored in the Parquet footer (keys are written sorted). */
  kv: Record<string, string>;
}

/**
 * Writes rows to a zstd Parquet file with the given columns and key/value metadata, atomically (temporary file in the
 * same folder, then rename; nothing is left behind on failure). Identical rows give byte-identical output.
 * Meant for small tables: rows are held in DuckDB memory until the file is written.
 *
 * @returns rows written, SHA-256 (hex) and size of the Parquet file.
 * @throws Error naming the output, the 1-based row number, the column and the value when a value does not fit its type.
 */
export async function rowsToParquet(opts: RowsToParquetOptions): Promise<ParquetWriteResult> {
  const { columns, rows, outPath, kv } = opts;
  const where = `rowsToParquet ${outPath}`;
  validateColumns(columns, where);
  const copyOptions = parquetCopyOptions(kv); // validates kv before any work

  return withDuckDB(async (conn) => {
    const table = 't';
    await conn.run(`CREATE TABLE ${table} (${columns.map((c) => `${sqlIdent(c.name)} ${DUCKDB_TYPE[c.type]}`).join(', ')})`);
    const appender = await conn.createAppender(table);
    let count = 0;
    let appended = false;
    try {
      const known = new Set(columns.map((c) => c.name));
      for await (const row of rows) {
        count++;
        if (typeof row !== 'object' || row === null) throw new Error(`${where}: row ${count} is not an object.`);
        for (const key of Object.keys(row)) {
          if (!known.has(key)) {
            throw new Error(`${where}: row ${count} has a value for "${key}", which is not one of the columns (${[...known].join(', ')}).`);
          }
        }
        for (const column of columns) appendValue(appender, column, row[column.name], where, count);
        appender.endRow();
      }
      appender.flushSync();
      appended = true;
    } finally {
      // After a bad value the appender holds half a row and closing it fails; that error would hide the real one.
      try {
        appender.closeSync();
      } catch (error) {
        if (appended) throw error;
      }
    }

    return publishAtomic(outPath, async (temp) => {
      try {
        // A single-threaded scan of a table returns rows in insertion order, so the file follows the input order.
        await conn.run(`COPY (SELECT * FROM ${table}) TO ${sqlString(temp)} (${copyOptions})`);
      } catch (error) {
        throw new Error(`${where}: DuckDB could not write the Parquet file: ${duckdbErrorText(error)}`);
      }
      return { rows: count, ...(await hashFile(temp)) };
    });
  });
}

/** Checks one value against its column type and appends it (or NULL); errors name row, column and value. */
function appendValue(appender: DuckDBAppender, column: ParquetColumn, value: unknown, where: string, row: number): void {
  if (value === null || value === undefined) {
    appender.appendNull();
    return;
  }
  try {
    appendTyped(appender, column.type, value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`${where}: row ${row}, column "${column.name}" (${column.type}): ${reason}. Fix the value or the column type.`);
  }
}

/** The appender call for each type; the conversions in values.ts throw the reason when the value does not fit. */
function appendTyped(appender: DuckDBAppender, type: ColumnType, value: unknown): void {
  switch (type) {
    case 'integer':
      return appender.appendInteger(toInteger(value));
    case 'bigint':
      return appender.appendBigInt(toBigInt(value));
    case 'numeric':
      return appender.appendDouble(toNumeric(value));
    case 'date':
      return appender.appendDate(new DuckDBDateValue(toDateDays(value)));
    case 'boolean':
      return appender.appendBoolean(toBoolean(value));
    case 'text':
      return appender.appendVarchar(toText(value));
    case 'timestamp':
      return appender.appendTimestampTZ(new DuckDBTimestampTZValue(toTimestampMicros(value)));
  }
}
