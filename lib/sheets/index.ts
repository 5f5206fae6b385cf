/**
 * Sheets library: a file on disk in (xlsx/xlsm, xls, ods, csv, zip of any of these), tables out.
 * `describeFile` finds the tables and infers column types from every value; `readTable` streams one
 * table's rows; `toPgText` turns one cell into PostgreSQL input text for its column type.
 */
export { SheetError, formatLocation } from './types.ts';
export type { Cell, ColumnInfo, ColumnType, FileExtraction, SheetLocation, SkippedPart, SourceFile, TableInfo } from './types.ts';
export { describeFile, readTable, readTableBatches } from './extract.ts';
export type { DescribeOptions, ReadOptions } from './extract.ts';
export { toPgText, cleanHeader, parseDateText, parseNumberText, excelSerialToDate } from './values.ts';
export { DEFAULT_ZIP_LIMITS } from './zip.ts';
export type { ZipLimits } from './zip.ts';
