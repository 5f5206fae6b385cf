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
 * `detectTables` walks the sheet top to bottom; each table goes through the steps in order: header
 * block (rule 2, header-block.ts), data-row scan (rule 3, data-rows.ts), column split (rule 4,
 * column-parts.ts), then `finishTable` names the columns, flags totals (rule 5) and finds the caption
 * and metadata above the table.
 */
import type { Cell } from './types.ts';
import { cellKey, type Grid } from './grid.ts';
import { isTotalLabel } from './values.ts';
import { isAggregateLevel, LevelCounter, type LevelInfo } from './levels.ts';
import { INLINE_META_RE, LEGEND_RE, NOTE_RE } from './row-roles.ts';
import { SheetFacts } from './sheet-facts.ts';
import { nameColumns, readHeader, type HeaderBlock } from './header-block.ts';
import { scanDataRows, TableFrame } from './data-rows.ts';
import { splitColumns } from './column-parts.ts';

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
