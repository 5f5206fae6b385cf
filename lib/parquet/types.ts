/**
 * Shared types of the Parquet module and the one place that says how each pipeline column type is stored.
 *
 * Kept apart from index.ts so the implementation files can import it without an import cycle.
 */

/** A column type as the rest of the pipeline names it (PostgreSQL: integer, bigint, numeric, date, boolean, text, timestamptz). */
export type ColumnType = DataColumnType | 'timestamp';
import type { ColumnType as DataColumnType } from '../column-types.ts';

/** One output column: its name (written to Parquet as is) and its pipeline type. */
export interface ParquetColumn {
  name: string;
  type: ColumnType;
}

/** What a written Parquet file is: the row count, the SHA-256 of its bytes (lower-case hex) and its size in bytes. */
export interface ParquetWriteResult {
  rows: number;
  sha256: string;
  bytes: number;
}

/**
 * DuckDB type used for each pipeline type, and hence the Parquet physical/logical type:
 *
 * | pipeline   | DuckDB       | Parquet                                   |
 * |------------|--------------|-------------------------------------------|
 * | integer    | INTEGER      | INT32                                     |
 * | bigint     | BIGINT       | INT64                                     |
 * | numeric    | DOUBLE       | DOUBLE                                    |
 * | date       | DATE         | INT32 (DATE)                              |
 * | boolean    | BOOLEAN      | BOOLEAN                                   |
 * | text       | VARCHAR      | BYTE_ARRAY (UTF8)                         |
 * | timestamp  | TIMESTAMPTZ  | INT64 (TIMESTAMP, micros, adjusted to UTC)|
 *
 * Why numeric is DOUBLE and not DECIMAL(38, 10): NHS figures mostly start life as spreadsheet cells, which are IEEE
 * doubles, so a DOUBLE holds them exactly, whatever their scale (`1111294.5714285714`, `0.3333333333333333`, a 95th
 * percentile). Any decimal text with at most 15 significant digits (`0.986666667`, FTEs with 9 decimal places,
 * `5.03563e+006`) also reads back as the same shortest decimal in every reader. DECIMAL(38, 10) would round away
 * digits past the 10th decimal place of such spreadsheet values and forces `Decimal` objects on pandas users.
 * csvToParquet checks every numeric value and fails, naming the row and value, if a value would not survive the trip
 * through a DOUBLE (more significant digits than a double has), so nothing is lost silently.
 *
 * Why timestamp is TIMESTAMPTZ: PostgreSQL writes `timestamptz` values with an offset (`2024-06-01 00:00:00+01`);
 * DuckDB's plain TIMESTAMP cast would drop that offset. Values are normalised to UTC (values without an offset are
 * taken as UTC) and Parquet marks the column as an instant (isAdjustedToUTC = true).
 */
export const DUCKDB_TYPE: Readonly<Record<ColumnType, string>> = {
  integer: 'INTEGER',
  bigint: 'BIGINT',
  numeric: 'DOUBLE',
  date: 'DATE',
  boolean: 'BOOLEAN',
  text: 'VARCHAR',
  timestamp: 'TIMESTAMPTZ',
};

/** All pipeline column types, for validating caller input. */
export const COLUMN_TYPES: readonly ColumnType[] = Object.keys(DUCKDB_TYPE) as ColumnType[];

/**
 * Checks a column list before any work starts: non-empty, known types, unique non-empty names.
 * `where` names the call and output for the error message.
 */
export function validateColumns(columns: readonly ParquetColumn[], where: string): void {
  if (columns.length === 0) throw new Error(`${where}: no columns given; pass at least one { name, type }.`);
  const seen = new Set<string>();
  for (const [i, col] of columns.entries()) {
    if (typeof col.name !== 'string' || col.name === '') {
      throw new Error(`${where}: column ${i + 1} has an empty name; every column needs a name.`);
    }
    if (!COLUMN_TYPES.includes(col.type)) {
      throw new Error(
        `${where}: column "${col.name}" has unknown type ${JSON.stringify(col.type)}; use one of ${COLUMN_TYPES.join(', ')}.`,
      );
    }
    // Parquet and DuckDB compare column names case-insensitively in places, so "Org" and "org" would collide.
    const key = col.name.toLowerCase();
    if (seen.has(key)) throw new Error(`${where}: column "${col.name}" appears twice (names are compared ignoring case).`);
    seen.add(key);
  }
}
