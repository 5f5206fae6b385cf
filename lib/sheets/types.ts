/**
 * Public data shapes of the sheets library: what `describeFile` reports about a file and what
 * `readTable` yields. The shapes are a contract with the draft stage and the loader; fields may be
 * added but never renamed.
 */

import type { LevelInfo } from './levels.ts';
import type { WorkbookNote } from './notes.ts';
import type { RowKind, RowKindCounts, TotalsContext } from './row-kinds.ts';

export type { RowKind, RowKindCounts, TotalsContext } from './row-kinds.ts';
export type { WorkbookNote } from './notes.ts';

/** PostgreSQL column types used across the pipeline (lib/column-types.ts). */
export type { ColumnType } from '../column-types.ts';
import type { ColumnType } from '../column-types.ts';

/** One cell as yielded by `readTable`: strings are trimmed, empty cells are `null`. */
export type Cell = string | number | boolean | Date | null;

/** A file on disk plus the name it was published under (the URL's last segment), used for hints and format fallbacks. */
export interface SourceFile {
  path: string;
  name: string;
  /** Where the file came from (its URL), named in error messages beside the path it is stored at. */
  origin?: string;
}

/** One column of a detected table. */
export interface ColumnInfo {
  /** 0-based position in the `values` arrays yielded by `readTable`. */
  index: number;
  /** Spreadsheet column letter ('B') or the 1-based CSV field number as a string ('3'). */
  sourceColumn: string;
  /** Header text exactly as published; multi-row headers joined with ' | ' top to bottom. */
  rawHeader: string;
  /** Cleaned header: footnote marks, line breaks and extra spaces removed; group and leaf combined where leaves repeat. */
  name: string;
  /** Inferred from all values of the column, markers excluded. */
  type: ColumnType;
  /** Number of empty cells. */
  nullCount: number;
  /** Suppression/special markers and how often each was seen (only in non-text columns). */
  markers: Record<string, number>;
  /** Up to 3 distinct sample values as text. */
  samples: string[];
  /** Smallest and largest value (ISO dates for date columns, numbers as text), markers excluded; absent for text and boolean columns. */
  range?: { min: string; max: string };
  /**
   * Annotations taken off values so that the column keeps its type, and how often: revision/status
   * flags (`r`, `p`, `e`), note references (`[note 4]`), footnote marks (`*`), units of derived rows
   * (`%`, `percentage points`), and notes published in place of a figure (`now in "Other"`). Absent
   * for text columns, which keep every value as published.
   */
  annotations?: Record<string, number>;
}

/** One table found in a file (a CSV, or one region of one sheet, possibly inside a zip). */
export interface TableInfo {
  /** Deterministic locator, unique per file: '' (plain CSV), 'Activity#1', 'inner.zip/x.csv', 'pack.zip/Book.xlsx!Data#1'. */
  key: string;
  /** Zip member path; nested members joined with '/' ('inner.zip/x.csv'). */
  member?: string;
  /** Sheet name exactly as in the workbook (may have trailing spaces). */
  sheet?: string;
  /** Title/caption line above the table, if any. */
  caption?: string;
  /** Label/value block above the table ({ Title, Period, Source, Published, ... }), labels without the colon. */
  metadata: Record<string, string>;
  /** 1-based row numbers (sheet rows / CSV lines) of the header row(s). */
  headerRows: number[];
  /** 1-based row of the first data row. */
  firstDataRow: number;
  /** 1-based row of the last data row. */
  lastDataRow: number;
  /** Number of rows `readTable` yields. */
  rowCount: number;
  columns: ColumnInfo[];
  /** Rows recognised as totals/subtotals (flagged `isTotal`, still yielded): total labels and aggregate levels. */
  totalsRows: number;
  /** Rows `readTable` yields, per kind (`detail + total + subtotal + derived = rowCount`). */
  rowKinds: RowKindCounts;
  /**
   * Rows of the table's part of the sheet (or CSV lines) that `readTable` does not yield, each group
   * with its reason: placeholders, notes and repeated headers inside the table; for a CSV also the
   * title/metadata lines above the header and the note lines after the data.
   */
  omittedRows?: OmittedRows[];
  /** How totals were told from subtotals and details in this table; `readTable` applies the same rules. */
  totals?: TotalsContext;
  /** The column that says which hierarchy level a row is (National/Region/CCG), when the table mixes levels. */
  levels?: LevelInfo;
  warnings: string[];
  /** Text encoding of a CSV table ('utf-8', 'windows-1252', 'utf-16le'); absent for workbooks. */
  encoding?: string;
}

/** Rows of a table that are not loaded, and why (`placeholder: …`, `note line inside the table`, `repeated header row`). */
export interface OmittedRows {
  reason: string;
  /** 1-based sheet rows. */
  rows: number[];
}

/** A row as `readTable` yields it. */
export interface TableRow {
  /** 1-based sheet row or CSV line. */
  row: number;
  /** Aligned with `TableInfo.columns`. */
  values: Cell[];
  /** `kind` is `total` or `subtotal` (kept for callers that predate `kind`). */
  isTotal: boolean;
  kind: RowKind;
  /**
   * Per column index, what was taken off the published cell so that `values[i]` fits the column's
   * type (see `ColumnInfo.annotations`); `values[i]` is then the bare number, or null for a note
   * published in place of a figure. Absent when no cell of the row had one.
   */
  annotations?: Record<number, string>;
}

/** A sheet or zip member that was looked at and deliberately not turned into a table. */
export interface SkippedPart {
  member?: string;
  sheet?: string;
  reason: string;
}

/**
 * Cells of a workbook sheet that hold a value but are in no table's data, with what they are:
 * `header` (a table's header rows), `title`, `metadata`, `note`, `omitted` (rows inside a table left
 * out, the reason says why) or `helper` (chart helper columns beside a table).
 */
export interface OtherCells {
  member?: string;
  sheet: string;
  role: 'header' | 'title' | 'metadata' | 'note' | 'omitted' | 'helper';
  reason: string;
  /** A1 ranges, each a run of cells in one row ('B9:AC9', 'B203'). */
  cells: string[];
}

/** Everything `describeFile` found in one file. */
export interface FileExtraction {
  format: 'xlsx' | 'xlsm' | 'xls' | 'ods' | 'csv' | 'zip';
  /** Text encoding for a plain CSV file. */
  encoding?: string;
  tables: TableInfo[];
  skipped: SkippedPart[];
  /** Workbook cells outside the tables' data, each listed once with its role (every sheet not skipped). */
  otherCells?: OtherCells[];
  /** What the workbook's notes, definitions and contents sheets say (`note 4` → text, term → definition); see notes.ts. */
  notes?: WorkbookNote[];
}

/** Where a problem is: the file, and optionally the zip member, sheet and cell (or CSV line:col). */
export interface SheetLocation {
  file: string;
  member?: string;
  sheet?: string;
  cell?: string;
}

import { PipelineError } from '../failure.ts';

/**
 * An error a user can cause by feeding a bad file (or a too-narrow column type). The message says
 * what went wrong, where (file › member, sheet, cell) and what to do.
 */
export class SheetError extends PipelineError {
  file: string;
  member?: string;
  sheet?: string;
  cell?: string;

  constructor(what: string, where: SheetLocation, hint: string) {
    const location = formatLocation(where);
    super({ kind: 'input', message: `${what} (${location})`, hint, location, text: `${what} (${location}). ${hint}` });
    this.name = 'SheetError';
    this.file = where.file;
    this.member = where.member;
    this.sheet = where.sheet;
    this.cell = where.cell;
  }
}

/**
 * PostgreSQL refuses tables of more than 1,600 columns, counting the columns ever dropped from them, and every staging
 * table adds its provenance columns: a wider table could never be loaded, so it is an error at once. A table created
 * now has 7 (`_period` … `_slice` … `_markers`); one created before registry version 4 had 11 and, converted in place,
 * counts 12 (the 5 it dropped, and `_slice`). The limit stays the 1,600 less 11 it was, so what was accepted before is
 * accepted now (only a table of exactly 1,589 data columns of the old layout cannot take `_slice`: its conversion
 * fails, naming the table).
 */
export const MAX_TABLE_COLUMNS = 1589;

/** The error for a table wider than {@link MAX_TABLE_COLUMNS}; `where.cell` is the first header cell beyond the limit. */
export function tooWideError(columns: number, where: SheetLocation): SheetError {
  return new SheetError(
    `Table has ${columns.toLocaleString('en-GB')} columns, more than the ${MAX_TABLE_COLUMNS.toLocaleString('en-GB')} a staging table can hold (PostgreSQL's 1,600 less the provenance columns)`,
    where,
    'Such a table cannot be loaded: ask the publisher for a long-format (one value per row) version, or remove the sheet from the file.',
  );
}

/** Renders a location as `file › member, sheet "X", cell B14` for error messages and warnings. */
export function formatLocation(where: SheetLocation): string {
  let out = where.file || '(unknown file)';
  if (where.member) out += ` › ${where.member}`;
  if (where.sheet !== undefined) out += `, sheet "${where.sheet}"`;
  if (where.cell) out += `, ${/^\d/.test(where.cell) ? 'line ' : 'cell '}${where.cell}`;
  return out;
}
