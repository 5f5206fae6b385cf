/**
 * Finding tables inside a sheet grid. NHS sheets put title lines and a `Label:`/value block above
 * the table, headers on row 13 or 14 starting in column B, group header rows with merged (or just
 * left-aligned) group cells, spacer columns created by merges, several tables stacked in one sheet,
 * notes below the data and chart helper columns beside it. The rules, in order:
 *
 * 1. A leaf header row is a row of mostly text (≥2 text cells, ≥75% text) directly followed (at most
 *    one blank row between) by a data row: one with a real share of numbers, dates or markers
 *    (sheet-facts.ts).
 * 2. Header rows above it (≤3, no blank row between) are group rows when they have a cell right of the
 *    table's first column; a lone cell in the first column is the caption.
 * 3. Data runs until a blank gap not followed by data, a note line, or the next table's header.
 *    Repeated header rows and note lines inside the data are skipped (with a warning); a header-looking
 *    row that repeats the labels of the data row above is data. Derived rows (`Change`, bracketed
 *    shares) are left out with a warning (row-roles.ts).
 * 4. Columns empty in both header and data split side-by-side parts; a side part whose header holds a
 *    number or whose columns are constant is a chart helper and is skipped. Empty columns (spacers
 *    created by merges) are dropped.
 * 5. A `Breakdown`/`Level` column mixing National/Region/organisation rows flags the aggregate levels
 *    as totals (levels.ts).
 *
 * `detectTables` walks the sheet top to bottom; each table goes through the steps below in order:
 * header block (rule 2), data-row scan (rule 3), column split (rule 4), then `finishTable` names the
 * columns, flags totals (rule 5) and finds the caption and metadata above the table.
 */
import type { Cell } from './types.ts';
import { cellKey, columnLetter, type Grid } from './grid.ts';
import { cleanHeader, isTotalLabel, trimText } from './values.ts';
import { combineGroupNames } from './names.ts';
import { isAggregateLevel, LevelCounter, type LevelInfo } from './levels.ts';
import { continuesAbove, INLINE_META_RE, isDerivedRow, LEGEND_RE, NOTE_RE } from './row-roles.ts';
import { SheetFacts } from './sheet-facts.ts';

/** A table found in a sheet; rows and columns are 0-based grid indexes. */
export interface DetectedTable {
  headerRows: number[];
  columns: number[];
  rawHeaders: string[];
  names: string[];
  dataRows: number[];
  totals: boolean[];
  caption?: string;
  metadata: Record<string, string>;
  warnings: string[];
  levels?: LevelInfo;
}

/** Everything found in one sheet. */
export interface SheetLayout {
  tables: DetectedTable[];
  /** Parts deliberately not turned into tables (chart helpers beside a table). */
  skipped: string[];
}

export function detectTables(grid: Grid): SheetLayout {
  const sheet = new SheetFacts(grid);
  const tables: DetectedTable[] = [];
  const skipped: string[] = [];
  let sheetMeta: Record<string, string> | undefined;
  let regionStart = 0;
  let r = 0;
  while (r < sheet.nRows) {
    if (!sheet.isLeafHeader(r)) {
      r++;
      continue;
    }
    const built = buildTable(sheet, r, regionStart);
    if (!built) {
      r++;
      continue;
    }
    const { table, endRow, side } = built;
    sheetMeta ??= table.metadata;
    table.metadata = { ...sheetMeta, ...table.metadata };
    tables.push(table);
    skipped.push(...side.skippedReasons);
    tables.push(...side.tables);
    regionStart = endRow + 1;
    r = endRow + 1;
  }
  return { tables, skipped };
}

interface BuiltTable {
  table: DetectedTable;
  /** Last row the table takes (data or derived); the next table's region starts below it. */
  endRow: number;
  side: { tables: DetectedTable[]; skippedReasons: string[] };
}

/** The table whose leaf header row is `h`, with the side tables and chart helpers beside it; undefined when no data row follows. */
function buildTable(sheet: SheetFacts, h: number, region: number): BuiltTable | undefined {
  const header = readHeader(sheet, h, region);
  const frame = new TableFrame(sheet, header);
  const data = scanDataRows(frame);
  if (!data.rows.length) return undefined;
  const parts = splitColumns(frame, data.rows);
  const sideTables = parts.sides.map((p) => finishTable(sheet, header, region, p.columns, p.rows, [], undefined));
  const skippedReasons = parts.helpers.length ? [`chart data helper beside the table (columns ${parts.helpers.join(', ')})`] : [];
  const table = finishTable(sheet, header, region, parts.main, data.rows, data.warnings, header.caption);
  return { table, endRow: data.end, side: { tables: sideTables, skippedReasons } };
}

// ── Rule 2: the header block ─────────────────────────────────────────────────────────────────────

/** The header rows of one table and the column span they cover. */
interface HeaderBlock {
  /** The leaf header row. */
  leaf: number;
  /** Group rows top to bottom, then the leaf row. */
  rows: number[];
  /** First and last column of the table. */
  c0: number;
  c1: number;
  /** Group rows whose lone first-column cell is the table's caption, not a group. */
  captionRows: Set<number>;
  /** Text of the first such caption cell. */
  caption?: string;
}

function readHeader(sheet: SheetFacts, h: number, region: number): HeaderBlock {
  const upper = groupHeaderRows(sheet, h, region);
  const rows = [...upper, h];
  const { c0, c1 } = headerSpan(sheet.grid, rows);
  const { captionRows, caption } = captionCells(sheet, h, upper, c0);
  return { leaf: h, rows, c0, c1, captionRows, caption };
}

/** The upper (group) header rows: up to 3 text-only rows directly above the leaf row, top to bottom. */
function groupHeaderRows(sheet: SheetFacts, h: number, region: number): number[] {
  const { stats, cols } = sheet;
  const upper: number[] = [];
  for (let u = h - 1; u >= region && upper.length < 3; u--) {
    const s = stats[u];
    if (!s.n || sheet.isMeta(u) || s.other > 0) break;
    // A group row has a cell right of the leaf row's first column, or above a column whose leaf is empty (a tall leaf such as RTT "Year").
    if (!cols[u].some((c) => c > stats[h].first || !sheet.cell(h, c))) break;
    upper.unshift(u);
  }
  return upper;
}

/** Span of the table: all header cells, merges anchored in header rows included. */
function headerSpan(grid: Grid, headerRows: number[]): { c0: number; c1: number } {
  let c0 = Infinity;
  let c1 = -1;
  for (const hr of headerRows) {
    for (const c of grid.cols[hr]) {
      c0 = Math.min(c0, c);
      c1 = Math.max(c1, grid.anchors.get(cellKey(hr, c))?.c1 ?? c);
    }
  }
  return { c0, c1 };
}

/** A lone cell in the first column of a group row with merged/other groups is the caption, not a group. */
function captionCells(sheet: SheetFacts, h: number, upper: number[], c0: number): { captionRows: Set<number>; caption?: string } {
  const captionRows = new Set<number>();
  let caption: string | undefined;
  for (const u of upper) {
    const first = sheet.cols[u][0];
    if (first === c0 && sheet.cols[u].length > 1 && sheet.cell(h, first) && !sheet.grid.anchors.has(cellKey(u, first))) {
      captionRows.add(u);
      caption ??= sheet.textAt(u, first)?.trim();
    }
  }
  return { captionRows, caption };
}

// ── Rule 3: the data rows ────────────────────────────────────────────────────────────────────────

/** One table's column span and leaf header labels, and the tests of rows below the header against them. */
class TableFrame {
  readonly c0: number;
  readonly c1: number;
  private readonly leafTexts = new Map<number, string>();
  /**
   * The leaf texts that are numbers as written: a number cell repeats such a leaf when it equals
   * the number, so data rows need no number-to-text conversion per cell (isRepeatHeader runs on every row).
   */
  private readonly leafNumbers = new Map<number, number>();

  constructor(
    readonly sheet: SheetFacts,
    readonly header: HeaderBlock,
  ) {
    this.c0 = header.c0;
    this.c1 = header.c1;
    const h = header.leaf;
    for (const c of sheet.cols[h]) this.leafTexts.set(c, String(sheet.textAt(h, c)).trim());
    for (const [c, t] of this.leafTexts) if (t !== '' && String(Number(t)) === t) this.leafNumbers.set(c, Number(t));
  }

  /** The row's non-empty columns inside the table's span. */
  inSpan(row: number): number[] {
    const { c0, c1 } = this;
    return this.sheet.cols[row].filter((c) => c >= c0 && c <= c1);
  }

  /**
   * A note line: the row's only cell up to the table's last column is text that reads as a note, or
   * any text at or left of the first column of a table at least 3 columns wide.
   */
  isNote(row: number): boolean {
    const { c0, c1 } = this;
    const cs = this.sheet.cols[row].filter((c) => c <= c1);
    if (cs.length !== 1) return false;
    const x = this.sheet.cell(row, cs[0])!;
    if (x.cls !== 'text') return false;
    return cs[0] <= c0 ? c1 - c0 >= 2 || NOTE_RE.test(String(x.v).trim()) : NOTE_RE.test(String(x.v).trim());
  }

  /** A repeat of the leaf header row: ≥3 of its cells in the span (every leaf, when fewer) and at least half of them repeat their leaf labels. */
  isRepeatHeader(row: number): boolean {
    const { c0, c1 } = this;
    let same = 0;
    let n = 0;
    for (const c of this.sheet.cols[row]) {
      if (c < c0 || c > c1) continue;
      n++;
      if (this.repeatsLeaf(row, c)) same++;
    }
    return same >= Math.min(3, this.leafTexts.size) && same >= 0.5 * n;
  }

  private repeatsLeaf(row: number, c: number): boolean {
    const leaf = this.leafTexts.get(c);
    if (leaf === undefined) return false;
    const v = this.sheet.rows[row][c]!.v;
    if (typeof v === 'string') return trimText(v) === leaf;
    if (typeof v === 'number') {
      const n = this.leafNumbers.get(c);
      return n === v || (n !== undefined && Number.isNaN(n) && Number.isNaN(v));
    }
    return String(v).trim() === leaf;
  }
}

interface DataScan {
  /** The data rows, in order. */
  rows: number[];
  /** Last row the table takes (data or derived); the leaf row when there is none. */
  end: number;
  warnings: string[];
}

/** The data rows below the leaf header row, skipping notes, repeated headers and derived rows (with warnings). */
function scanDataRows(frame: TableFrame): DataScan {
  const { sheet } = frame;
  const { grid, nRows } = sheet;
  const h = frame.header.leaf;
  const dataRows: number[] = [];
  let skippedNotes = 0;
  let repeated = 0;
  const derived: number[] = [];
  let row = h + 1;
  let end = h;
  while (row < nRows) {
    const span = frame.inSpan(row);
    if (!span.length || frame.isNote(row)) {
      // Look past blank and note rows: continue only if real data follows.
      let n = row;
      let notes = 0;
      while (n < nRows && (!frame.inSpan(n).length || frame.isNote(n))) {
        if (frame.isNote(n)) notes++;
        n++;
        if (n - row > 3) break;
      }
      if (n < nRows && frame.inSpan(n).length && !frame.isNote(n) && sheet.dataLike(n) && !sheet.isLeafHeader(n) && (n - row <= 3)) {
        skippedNotes += notes;
        row = n;
        continue;
      }
      break;
    }
    if (row !== h + 1 && sheet.isLeafHeader(row) && !frame.isRepeatHeader(row) && !continuesAbove(grid, row, end, span)) break;
    if (frame.isRepeatHeader(row)) {
      repeated++;
      row++;
      continue;
    }
    if (isDerivedRow(grid, row, span)) {
      derived.push(row);
      end = row;
      row++;
      continue;
    }
    dataRows.push(row);
    end = row;
    row++;
  }
  return { rows: dataRows, end, warnings: skippedRowWarnings(skippedNotes, repeated, derived) };
}

function skippedRowWarnings(notes: number, repeated: number, derived: number[]): string[] {
  const warnings: string[] = [];
  if (notes) warnings.push(`${notes} note row(s) inside the table were excluded`);
  if (repeated) warnings.push(`${repeated} repeated header row(s) inside the table were skipped`);
  if (derived.length) {
    const list = derived.length > 6 ? `${derived.slice(0, 6).map((d) => d + 1).join(', ')} …` : derived.map((d) => d + 1).join(', ');
    warnings.push(`${derived.length} derived row(s) left out (rows ${list}): changes or shares in other units than their columns`);
  }
  return warnings;
}

// ── Rule 4: main table, side tables and chart helpers ───────────────────────────────────────────

interface ColumnParts {
  /** Columns of the main table. */
  main: number[];
  /** Side-by-side tables beside it. */
  sides: { columns: number[]; rows: number[] }[];
  /** Column ranges ('P', 'R:S') of chart helper parts, skipped. */
  helpers: string[];
}

/** Splits the table's span into the main table, side tables and chart helpers; spacer columns are dropped. */
function splitColumns(frame: TableFrame, dataRows: number[]): ColumnParts {
  const { sheet, header } = frame;
  const hasData = new Set<number>();
  for (const dr of dataRows) for (const c of frame.inSpan(dr)) hasData.add(c);
  const segments = columnSegments(frame, hasData);
  // Drop columns that carry nothing at all (spacers under a merged header).
  const useful = (c: number) => hasData.has(c) || header.rows.some((hr) => sheet.cell(hr, c) && !header.captionRows.has(hr));
  const main = (segments[0] ?? []).filter(useful);
  const mainRows = new Set(dataRows.filter((dr) => main.some((c) => sheet.cell(dr, c))));
  const sides: ColumnParts['sides'] = [];
  // Helper parts beside one table (A&E: a label in P, 0.95 repeated in R) are one annotation: one skipped entry.
  const helpers: string[] = [];
  for (const seg of segments.slice(1)) {
    const segCols = seg.filter(useful);
    if (!segCols.length) continue;
    const numericHeader = header.rows.some((hr) => segCols.some((c) => sheet.cell(hr, c) && sheet.cell(hr, c)!.cls !== 'text'));
    const constant = segCols.every((c) => new Set(dataRows.filter((dr) => sheet.cell(dr, c)).map((dr) => String(sheet.cell(dr, c)!.v))).size <= 1);
    const [from, to] = [columnLetter(segCols[0]), columnLetter(segCols[segCols.length - 1])];
    const range = from === to ? from : `${from}:${to}`;
    if (numericHeader || constant) {
      helpers.push(range);
      continue;
    }
    const rowsHere = dataRows.filter((dr) => segCols.some((c) => sheet.cell(dr, c)));
    // A part without identifier (text) columns of its own, on the same rows, continues the table past a spacer column.
    const ownIds = dataRows.some((dr) => sheet.cell(dr, segCols[0])?.cls === 'text');
    if (!ownIds && rowsHere.every((dr) => mainRows.has(dr))) {
      main.push(...segCols);
      continue;
    }
    sides.push({ columns: segCols, rows: rowsHere });
  }
  return { main, sides, helpers };
}

/** Runs of columns with a header or data; columns empty in both (and not covered by a leaf merge) split them. */
function columnSegments(frame: TableFrame, hasData: Set<number>): number[][] {
  const { sheet, header, c0, c1 } = frame;
  const { grid } = sheet;
  const hasHeader = (c: number) => header.rows.some((hr) => (sheet.cell(hr, c) && !header.captionRows.has(hr)) || grid.covered.has(cellKey(hr, c)));
  const segments: number[][] = [];
  let current: number[] = [];
  for (let c = c0; c <= c1; c++) {
    const head = hasHeader(c);
    const data = hasData.has(c);
    const coveredInLeaf = grid.covered.has(cellKey(header.leaf, c));
    if (!head && !data && !coveredInLeaf) {
      if (current.length) segments.push(current);
      current = [];
      continue;
    }
    current.push(c);
  }
  if (current.length) segments.push(current);
  return segments;
}

// ── One finished table: names, totals (rule 5), caption and metadata ────────────────────────────

function finishTable(
  sheet: SheetFacts,
  header: HeaderBlock,
  region: number,
  columns: number[],
  rowsHere: number[],
  warns: string[],
  caption: string | undefined,
): DetectedTable {
  const { rawHeaders, names } = nameColumns(sheet, header, columns);
  const values = (dr: number) => columns.map((c) => valueAt(sheet.grid, dr, c, rowsHere[0]));
  const counter = new LevelCounter(names);
  if (!counter.empty) for (const dr of rowsHere) counter.add(values(dr));
  const levels = counter.result();
  const totals = rowsHere.map((dr) => {
    const v = values(dr);
    return v.some((x) => isTotalLabel(x)) || isAggregateLevel(levels, v);
  });
  const headerRows = header.rows;
  return {
    headerRows,
    columns,
    rawHeaders,
    names,
    dataRows: rowsHere,
    totals,
    caption: caption ?? findCaption(sheet, headerRows[0] - 1, region),
    metadata: findMetadata(sheet, region, headerRows[0]),
    warnings: warns,
    ...(levels ? { levels } : {}),
  };
}

/** Raw headers (header rows joined with ' | ') and cleaned, group-combined names of the columns. */
function nameColumns(sheet: SheetFacts, header: HeaderBlock, columns: number[]): { rawHeaders: string[]; names: string[] } {
  const parts = columns.map((c) => headerParts(sheet, header, c));
  const rawHeaders = parts.map((p) => p.map((x) => x.raw).join(' | '));
  const names = combineGroupNames(
    parts.map((p) => p.map((x) => cleanHeader(x.raw)).filter((x, i, a) => x && x !== a[i - 1])),
    (i) => `Column ${columnLetter(columns[i])}`,
  );
  return { rawHeaders, names };
}

/** The header texts of one column, top to bottom, caption cells and repeats of the text above left out. */
function headerParts(sheet: SheetFacts, header: HeaderBlock, c: number): { raw: string }[] {
  const out: { raw: string }[] = [];
  for (const hr of header.rows) {
    if (header.captionRows.has(hr) && c === sheet.cols[hr][0]) continue;
    const t = headerText(sheet, header, hr, c, hr === header.leaf);
    if (t !== undefined && t.trim() !== '' && (!out.length || out[out.length - 1].raw.trim() !== t.trim())) out.push({ raw: t });
  }
  return out;
}

/** The header text of one column in one header row: its own cell, the merge covering it, or a carried group cell. */
function headerText(sheet: SheetFacts, header: HeaderBlock, hr: number, c: number, isLeaf: boolean): string | undefined {
  const { grid } = sheet;
  const headerRows = header.rows;
  const own = sheet.textAt(hr, c);
  if (own !== undefined) return own;
  const m = grid.covered.get(cellKey(hr, c));
  if (m) return sheet.textAt(m.r0, m.c0);
  if (isLeaf) return undefined;
  // Implicit group carry (no merge): the nearest group cell to the left, when this column has a leaf.
  if (headerRows.slice(headerRows.indexOf(hr) + 1).every((lr) => sheet.textAt(lr, c) === undefined && !grid.covered.has(cellKey(lr, c)))) return undefined;
  for (let x = c - 1; x >= header.c0; x--) {
    const t = sheet.textAt(hr, x);
    if (t === undefined) continue;
    if (header.captionRows.has(hr) && x === sheet.cols[hr][0]) return undefined;
    // A merged group cell ends where its merge ends; it does not carry further right.
    if ((grid.anchors.get(cellKey(hr, x))?.c1 ?? c) < c) return undefined;
    const below = headerRows.slice(headerRows.indexOf(hr) + 1).some((lr) => sheet.textAt(lr, x) !== undefined);
    return below ? t : undefined;
  }
  return undefined;
}

/**
 * The title line above a table, searched from row `from` up to row `region`: the first row of one text
 * cell (or of two cells with text, the first taken). Blank, metadata and boilerplate rows are passed
 * over; any other row ends the search without a caption.
 */
function findCaption(sheet: SheetFacts, from: number, region: number): string | undefined {
  const { stats } = sheet;
  for (let u = from; u >= region; u--) {
    if (!stats[u].n || sheet.isMeta(u)) continue;
    const t = sheet.loneText(u) ?? (stats[u].n === 2 && stats[u].text >= 1 ? sheet.textAt(u, stats[u].first)?.trim() : undefined);
    if (t === undefined) return undefined;
    // Boilerplate and single-cell "Label: value" lines are not captions; keep looking above them.
    if (/^(return to contents|copyright|©)/i.test(t) || INLINE_META_RE.test(t) || NOTE_RE.test(t) || LEGEND_RE.test(t)) continue;
    return t;
  }
  return undefined;
}

/** The `Label:`/value block and one-cell `Label: value` lines between `region` and the header. */
function findMetadata(sheet: SheetFacts, region: number, until: number): Record<string, string> {
  const meta: Record<string, string> = {};
  for (let u = region; u < until; u++) {
    if (sheet.isMeta(u)) {
      const [labelCol, ...rest] = sheet.cols[u];
      const label = String(sheet.textAt(u, labelCol)).trim().replace(/:$/, '').trim();
      const v = rest.length ? sheet.cell(u, rest[0])! : undefined;
      meta[label] = v === undefined ? '' : v.v instanceof Date ? v.v.toISOString().slice(0, 10) : String(v.v).trim();
      continue;
    }
    const m = INLINE_META_RE.exec(sheet.loneText(u) ?? '');
    if (m) meta[m[1].trim()] = m[2].trim();
  }
  return meta;
}

/**
 * Value of a data cell, with vertical merges filled down: a cell covered by a merge anchored in the
 * same column at or below the first data row takes the anchor's value (RTT `Year`). Cells covered by
 * horizontal merges stay empty (they are spacers).
 */
export function valueAt(grid: Grid, r: number, c: number, firstDataRow: number): Cell {
  let x = grid.rows[r]?.[c];
  if (!x) {
    const m = grid.covered.get(cellKey(r, c));
    if (m && m.c0 === c && m.r0 >= firstDataRow) x = grid.rows[m.r0]?.[c];
  }
  if (!x) return null;
  if (typeof x.v === 'string') {
    const t = x.v.trim();
    return t === '' ? null : t;
  }
  return x.v;
}
