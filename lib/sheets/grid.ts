/**
 * Workbooks as grids. SheetJS parses the file (dense mode, raw values, number formats kept so date
 * cells can be told from plain numbers); each sheet is then normalised into a sparse grid of typed
 * cells with merge information. Extents come from real cells, never from the sheet's `!ref`, which
 * can claim 16,000 phantom columns.
 */
import * as XLSX from '@e965/xlsx';
import * as cptable from '@e965/xlsx/dist/cpexcel.full.mjs';
import { SheetError, type SheetLocation } from './types.ts';
import { classify, excelSerialToDate } from './values.ts';

XLSX.set_cptable(cptable);

/** Layout class of a cell: what it contributes to deciding header vs data rows. */
export type CellClass = 'text' | 'num' | 'date' | 'marker';

/** One non-empty cell. */
export interface GridCell {
  v: string | number | boolean | Date;
  cls: CellClass;
}

/** A merged range, 0-based inclusive. */
export interface MergeRange {
  r0: number;
  c0: number;
  r1: number;
  c1: number;
}

/** A sheet as a sparse grid of non-empty cells plus its merges. */
export interface Grid {
  name: string;
  /** rows[r] is a sparse array of cells, or undefined for an empty row. */
  rows: (GridCell | undefined)[][];
  /** Sorted non-empty column indexes per row (empty array for an empty row). */
  cols: number[][];
  merges: MergeRange[];
  /** For a cell covered by a merge (not its top-left anchor): the merge. Key r * 65536 + c. */
  covered: Map<number, MergeRange>;
  /** Anchor cell key → merge, for merges whose anchor is at that cell. */
  anchors: Map<number, MergeRange>;
}

/** Key of a cell in the merge maps. */
export const cellKey = (r: number, c: number): number => r * 65536 + c;

/** Spreadsheet address of a 0-based cell ('B14'). */
export const address = (r: number, c: number): string => `${XLSX.utils.encode_col(c)}${r + 1}`;

/** Spreadsheet column letter of a 0-based column ('B'). */
export const columnLetter = (c: number): string => XLSX.utils.encode_col(c);

/** 0-based column of a letter ('B' → 1). */
export const columnIndex = (letter: string): number => XLSX.utils.decode_col(letter);

/**
 * Parses workbook bytes. SheetJS writes to the console on some .ods files; the console is silenced
 * for the duration of this synchronous call (and restored) so the noise never reaches stdout.
 */
export function parseWorkbook(bytes: Uint8Array, loc: SheetLocation, sheets?: string[]): XLSX.WorkBook {
  const saved = { log: console.log, warn: console.warn, error: console.error, info: console.info };
  const mute = () => {};
  console.log = console.warn = console.error = console.info = mute;
  try {
    return XLSX.read(bytes, {
      type: 'buffer',
      dense: true,
      cellDates: false,
      cellNF: true,
      cellFormula: false,
      cellHTML: false,
      cellText: false,
      cellStyles: false,
      sheetStubs: false,
      bookVBA: false,
      ...(sheets ? { sheets } : {}),
    });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (/password|encrypt/i.test(msg)) {
      throw new SheetError('Workbook is password-protected or encrypted', loc, 'Ask the publisher for an unprotected copy; encrypted workbooks cannot be read.');
    }
    throw new SheetError(`Workbook cannot be parsed: ${msg}`, loc, 'The file is damaged or truncated; download it again.');
  } finally {
    Object.assign(console, saved);
  }
}

/** True when the workbook stores dates in the 1904 system (old Mac Excel). */
export function isDate1904(wb: XLSX.WorkBook): boolean {
  return Boolean(wb.Workbook?.WBProps?.date1904);
}

/** Excel error codes (cellText is off, so SheetJS does not render them). */
const ERROR_TEXT: Record<number, string> = { 0: '#NULL!', 7: '#DIV/0!', 15: '#VALUE!', 23: '#REF!', 29: '#NAME?', 36: '#NUM!', 42: '#N/A', 43: '#GETTING_DATA' };

/**
 * Whether a number format shows a date, memoised: a workbook uses a handful of formats over hundreds
 * of thousands of cells, and `SSF.is_date` re-scans the format string every time (it cost more than
 * the rest of the grid building on the RTT provider workbook).
 */
const dateFormats = new Map<string | number, boolean>();
function isDateFormat(z: string | number): boolean {
  const known = dateFormats.get(z);
  if (known !== undefined) return known;
  const d = XLSX.SSF.is_date(z as string);
  if (dateFormats.size < 4096) dateFormats.set(z, d);
  return d;
}

/** A SheetJS cell turned into a grid cell in place (see `sheetToGrid`). */
type Annotated = XLSX.CellObject & Partial<GridCell>;

/** The class (and grid value) of a SheetJS cell, written onto the cell itself; undefined for an empty cell. */
function toGridCell(x: Annotated, date1904: boolean): GridCell | undefined {
  if (x.cls !== undefined) return x as GridCell; // already turned (a date's value is no longer its serial)
  switch (x.t) {
    case 's': {
      const v = typeof x.v === 'string' ? x.v : String(x.v ?? '');
      if (v.trim() === '') return undefined;
      const k = classify(v);
      x.v = v;
      // A bracketed share such as "(6.2%)" under a money figure is data, not header text.
      if (k === 'text' && /^\(-?[\d.,]+%?\)$/.test(v.trim())) x.cls = 'num';
      else x.cls = k === 'marker' ? 'marker' : k === 'date' ? 'date' : k === 'text' ? 'text' : 'num';
      return x as GridCell;
    }
    case 'n': {
      if (typeof x.v !== 'number') return undefined;
      if (x.z !== undefined && isDateFormat(x.z)) {
        x.v = excelSerialToDate(x.v, date1904);
        x.cls = 'date';
      } else x.cls = 'num';
      return x as GridCell;
    }
    case 'b':
      x.v = Boolean(x.v);
      x.cls = 'num';
      return x as GridCell;
    case 'd':
      if (!(x.v instanceof Date)) return undefined;
      x.cls = 'date';
      return x as GridCell;
    case 'e':
      x.v = x.w ?? ERROR_TEXT[x.v as number] ?? '#ERROR';
      x.cls = 'marker';
      return x as GridCell;
    default:
      return undefined;
  }
}

/** Normalises one sheet into a grid. Returns an empty grid for a sheet with no cells. */
export function sheetToGrid(wb: XLSX.WorkBook, name: string): Grid {
  const ws = wb.Sheets[name];
  const date1904 = isDate1904(wb);
  const data = ((ws as unknown as { '!data'?: XLSX.CellObject[][] })?.['!data'] ?? []) as (XLSX.CellObject[] | undefined)[];
  const rows: (GridCell | undefined)[][] = [];
  const cols: number[][] = [];
  let last = -1;
  // The grid reuses SheetJS's row arrays and cell objects (each cell gains its class, dates become
  // Date values, empty cells are cleared): copying 1.4 million cells of the RTT provider workbook into
  // new objects cost a fifth of the parse again in allocation and collection, and held both copies.
  for (let r = 0; r < data.length; r++) {
    const row = (data[r] ?? []) as (Annotated | undefined)[];
    const present: number[] = [];
    // forEach skips holes, so phantom used ranges cost nothing.
    row.forEach((x, c) => {
      if (x && toGridCell(x, date1904)) present.push(c);
      else row[c] = undefined;
    });
    rows.push(row as (GridCell | undefined)[]);
    cols.push(present);
    if (present.length) last = r;
  }
  rows.length = cols.length = last + 1;
  const merges: MergeRange[] = [];
  const covered = new Map<number, MergeRange>();
  const anchors = new Map<number, MergeRange>();
  for (const m of (ws?.['!merges'] ?? []) as XLSX.Range[]) {
    const range = { r0: m.s.r, c0: m.s.c, r1: m.e.r, c1: m.e.c };
    // A merge over a huge area is decoration (a logo box); mapping every cell would cost memory for nothing.
    if ((range.r1 - range.r0 + 1) * (range.c1 - range.c0 + 1) > 100_000) continue;
    merges.push(range);
    anchors.set(cellKey(range.r0, range.c0), range);
    for (let r = range.r0; r <= range.r1; r++) {
      for (let c = range.c0; c <= range.c1; c++) if (r !== range.r0 || c !== range.c0) covered.set(cellKey(r, c), range);
    }
  }
  return { name, rows, cols, merges, covered, anchors };
}
