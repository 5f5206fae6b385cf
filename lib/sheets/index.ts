/**
 * Sheets library: a file on disk in (xlsx/xlsm, xls, ods, csv, zip of any of these), tables out.
 * `describeFile` finds the tables and infers column types from every value, and lists every other
 * cell (headers, titles, notes, rows left out) with its role and what the notes and definitions sheets
 * say; `readTable` streams one table's rows,
 * each with its kind (detail, total, subtotal, derived) and the annotations taken off its values;
 * `toPgText` turns one cell into PostgreSQL input text for its column type.
 */
export { SheetError, formatLocation } from './types.ts';
export type { Cell, ColumnInfo, ColumnType, FileExtraction, OmittedRows, OtherCells, RowKind, RowKindCounts, SheetLocation, SkippedPart, SourceFile, TableInfo, TableRow, TotalsContext, WorkbookNote } from './types.ts';
export { noteReferences } from './notes.ts';
export { describeFile, readTable, readTableBatches } from './extract.ts';
export type { DescribeOptions, ReadOptions } from './extract.ts';
export { toPgText, cleanHeader, parseDateText, parseNumberText, excelSerialToDate } from './values.ts';
export { DEFAULT_ZIP_LIMITS } from './zip.ts';
export type { ZipLimits } from './zip.ts';
