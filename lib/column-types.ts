/**
 * The pipeline's column types, one definition for all: what the sheets library infers from a column's values, what
 * a config override may set, what a staging table's column is in PostgreSQL, and (with `timestamp`, which only the
 * pipeline's own tables use) what Parquet files are written with. Types only widen, along one chain.
 */

/** A data column's type, named as PostgreSQL names it. */
export type ColumnType = 'integer' | 'bigint' | 'numeric' | 'date' | 'boolean' | 'text';

/** Every {@link ColumnType}, narrowest first along the widening chain (`date` widens only to `text`). */
export const COLUMN_TYPES: readonly ColumnType[] = ['boolean', 'integer', 'bigint', 'numeric', 'date', 'text'];

/** Rank of each type along the widening chain; `date` only widens to `text`. */
const RANK: Record<ColumnType, number> = { boolean: 0, integer: 1, bigint: 2, numeric: 3, text: 4, date: -1 };

/** The narrowest type that holds values of both `a` and `b` (never narrower than either). */
export function widerType(a: ColumnType, b: ColumnType): ColumnType {
  if (a === b) return a;
  if (a === 'date' || b === 'date') return 'text';
  return RANK[a] >= RANK[b] ? a : b;
}

/** Whether `t` is one of the {@link COLUMN_TYPES}. */
export const isColumnType = (t: unknown): t is ColumnType => typeof t === 'string' && (COLUMN_TYPES as readonly string[]).includes(t);
