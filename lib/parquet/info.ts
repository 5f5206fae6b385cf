/**
 * Reading back what a Parquet file is (rows, columns with pipeline types, key/value metadata) without reading its
 * data: only the footer is parsed. Used to decide whether an output is up to date and to build the catalog.
 */
import type { DuckDBBlobValue } from '@duckdb/node-api';
import { open } from 'node:fs/promises';
import { duckdbErrorText, sqlString, withDuckDB } from './duckdb.ts';
import type { ColumnType, ParquetColumn } from './types.ts';

/** What {@link readParquetInfo} reports about a Parquet file. */
export interface ParquetInfo {
  /** Number of rows, from the footer. */
  rows: number;
  /** Top-level columns in file order, with the pipeline type each Parquet type maps back to. */
  columns: ParquetColumn[];
  /** All key/value metadata of the footer, decoded as UTF-8. */
  kv: Record<string, string>;
}

/**
 * Maps a DuckDB column type read from a Parquet file back to a pipeline type. Our own writers only produce the first
 * entry of each line; the others cover files written by other tools (pyarrow floats, smaller integers, DECIMAL).
 */
function pipelineType(duckdbType: string): ColumnType | undefined {
  if (duckdbType === 'INTEGER' || duckdbType === 'SMALLINT' || duckdbType === 'TINYINT') return 'integer';
  if (duckdbType === 'USMALLINT' || duckdbType === 'UTINYINT') return 'integer';
  if (duckdbType === 'BIGINT' || duckdbType === 'UINTEGER') return 'bigint';
  if (duckdbType === 'DOUBLE' || duckdbType === 'FLOAT' || duckdbType.startsWith('DECIMAL(')) return 'numeric';
  if (duckdbType === 'HUGEINT' || duckdbType === 'UBIGINT') return 'numeric';
  if (duckdbType === 'DATE') return 'date';
  if (duckdbType === 'BOOLEAN') return 'boolean';
  if (duckdbType === 'VARCHAR') return 'text';
  if (duckdbType.startsWith('TIMESTAMP')) return 'timestamp'; // TIMESTAMP, _MS, _NS, _S, WITH TIME ZONE
  return undefined;
}

/**
 * Checks the 'PAR1' magic at both ends. DuckDB's own error for a non-Parquet file ("No magic bytes found") does not
 * tell a user what to do; this lets us say it plainly.
 * @returns false when the file is too short or the magic is missing.
 */
async function hasParquetMagic(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 12) return false; // magic + 4-byte footer length + magic
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    await handle.read(tail, 0, 4, size - 4);
    return head.toString('latin1') === 'PAR1' && tail.toString('latin1') === 'PAR1';
  } finally {
    await handle.close();
  }
}

/**
 * Reads the row count, columns (mapped to pipeline types) and key/value metadata of a Parquet file.
 *
 * @returns undefined when `path` does not exist (an output not built yet).
 * @throws Error naming the path when it is not a Parquet file (wrong magic bytes, e.g. a half-written or foreign file,
 *   or a folder), when the footer cannot be read, or when a column has a type the pipeline has no name for.
 */
export async function readParquetInfo(path: string): Promise<ParquetInfo | undefined> {
  let magicOk: boolean;
  try {
    magicOk = await hasParquetMagic(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') throw new Error(`${path} is a folder, not a Parquet file; remove it and rebuild the table.`);
    throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
  }
  if (!magicOk) {
    throw new Error(
      `${path} is not a Parquet file (it does not start and end with the bytes "PAR1"); delete it and rebuild the table.`,
    );
  }

  return withDuckDB(async (conn) => {
    const file = sqlString(path);
    try {
      const meta = await conn.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata(${file})`);
      const rows = Number(meta.getRows()[0]?.[0] ?? 0);

      const described = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${file})`);
      const columns: ParquetColumn[] = described.getRowObjects().map((r) => {
        const name = String(r['column_name']);
        const duckdbType = String(r['column_type']);
        const type = pipelineType(duckdbType);
        if (type === undefined) {
          throw new Error(
            `${path}: column "${name}" has Parquet type ${duckdbType}, which has no pipeline column type; ` +
              `rebuild the file with the pipeline or convert the column.`,
          );
        }
        return { name, type };
      });

      // Keys and values are BLOBs; DuckDB's VARCHAR cast would escape non-ASCII bytes ("£" → "\xC2\xA3"), so decode here.
      const kvResult = await conn.runAndReadAll(`SELECT key, value FROM parquet_kv_metadata(${file})`);
      const kv: Record<string, string> = {};
      const utf8 = new TextDecoder('utf-8');
      for (const [key, value] of kvResult.getRows()) {
        kv[utf8.decode((key as DuckDBBlobValue).bytes)] = value === null ? '' : utf8.decode((value as DuckDBBlobValue).bytes);
      }
      return { rows, columns, kv };
    } catch (error) {
      if (error instanceof Error && error.message.startsWith(path)) throw error;
      throw new Error(`Cannot read the Parquet footer of ${path}: ${duckdbErrorText(error)}. Delete the file and rebuild the table.`);
    }
  });
}
