/**
 * Parquet output of the pipeline, written with DuckDB (`@duckdb/node-api`), plus the Markdown sidecar and atomic file
 * writes.
 *
 * - {@link stagingToParquet}: a staging table → `output/parquet/<table>.parquet`, database to DuckDB in bulk.
 * - {@link csvToParquet}: a CSV as PostgreSQL's COPY writes it (header, its conventions) → Parquet.
 * - {@link rowsToParquet}: small tables built in JS (the catalog) → Parquet.
 * - {@link readParquetInfo}: rows, columns and key/value metadata of an existing file (footer only).
 * - {@link renderTableMarkdown}: `output/metadata/<table>.md`.
 * - {@link writeFileAtomic}: temp file in the same folder + rename, for any user-visible file.
 *
 * Files are zstd-compressed, ~100k-row row groups, key/value metadata sorted by key, and byte-identical for identical
 * input. The only fixed non-data text DuckDB puts in a file is `created_by` ("DuckDB version v1.5.6 (build …)"), which
 * changes only when the DuckDB package is upgraded. Type mapping: see {@link DUCKDB_TYPE}.
 */
export type { ColumnType, ParquetColumn, ParquetWriteResult } from './types.ts';
export { DUCKDB_TYPE } from './types.ts';
export { csvToParquet, type CsvToParquetOptions } from './csv.ts';
export { stagingToParquet, type StagingToParquetOptions } from './staging.ts';
export { rowsToParquet, type RowsToParquetOptions } from './rows.ts';
export { readParquetInfo, type ParquetInfo } from './info.ts';
export { renderTableMarkdown, type TableDoc } from './markdown.ts';
export { writeFileAtomic } from '../atomic.ts';
