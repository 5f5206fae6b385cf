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
import { LevelCounter, type LevelInfo } from './levels.ts';
import { rowKindOf, TotalsCounter, type RowKind, type TotalsContext } from './row-kinds.ts';
import { INLINE_META_RE, LEGEND_RE, NOTE_RE } from './row-roles.ts';
import { SheetFacts } from './sheet-facts.ts';
import { nameColumns, readHeader, type HeaderBlock } from './header-block.ts';
import { PLACEHOLDER_ROWS, scanDataRows, TableFrame, type DataScan, type OmittedRows } from './data-rows.ts';
import { splitColumns } from './column-parts.ts';
import { sheetParts, type SheetPart, type TableBlock } from './sheet-parts.ts';

/** A table found in a sheet; rows and columns are 0-based grid indexes. */
export interface DetectedTable {
  headerRows: number[];
  columns: number[];
  rawHeaders: string[];
  names: string[];
  /** The rows readTable yields, in order. */
  dataRows: number[];
  /** Per data row: what it is. */
  kinds: RowKind[];
  /** Per data row: a total or subtotal. */
  totals: boolean[];
  /** Rows under the header that are not yielded, by reason. */
  omitted: OmittedRows;
  /** What the kinds were decided with (kept so that a CSV reader and this one agree on the rules). */
  totalsContext: TotalsContext;
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
  /** Every recognised cell outside the tables' data: headers, titles, metadata, notes, omitted rows, helpers. */
  parts: SheetPart[];
}

export function detectTables(grid: Grid): SheetLayout {
  const sheet = new SheetFacts(grid);
  const tables: DetectedTable[] = [];
  const skipped: string[] = [];
  const blocks: TableBlock[] = [];
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
    const { table, endRow, side, block } = built;
    blocks.push(block);
    sheetMeta ??= table.metadata;
    table.metadata = { ...sheetMeta, ...table.metadata };
    tables.push(table);
    skipped.push(...side.skippedReasons);
    tables.push(...side.tables);
    regionStart = endRow + 1;
    r = endRow + 1;
  }
  return { tables, skipped, parts: sheetParts(sheet, blocks) };
}

interface BuiltTable {
  table: DetectedTable;
  block: TableBlock;
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
  const sideTables = parts.sides.map((p) => finishTable(sheet, header, region, p.columns, p.rows, { ...data, omitted: new Map(), warnings: [] }, undefined));
  const skippedReasons = parts.helpers.length ? [`chart data helper beside the table (columns ${parts.helpers.join(', ')})`] : [];
  const table = finishTable(sheet, header, region, parts.main, data.rows, data, header.caption);
  const block: TableBlock = { header, end: data.end, omitted: table.omitted, helperColumns: parts.helperColumns, dataRows: data.rows };
  return { table, block, endRow: data.end, side: { tables: sideTables, skippedReasons } };
}

// ── One finished table: names, row kinds (rule 5), caption and metadata ─────────────────────────

function finishTable(
  sheet: SheetFacts,
  header: HeaderBlock,
  region: number,
  columns: number[],
  rows: number[],
  data: Pick<DataScan, 'derived' | 'omitted' | 'warnings'>,
  caption: string | undefined,
): DetectedTable {
  const { rawHeaders, names } = nameColumns(sheet, header, columns);
  const values = (dr: number) => columns.map((c) => valueAt(sheet.grid, dr, c, rows[0]));
  const placeholders = placeholderRows(sheet, columns, rows, data.derived, values);
  const kept = placeholders.length < rows.length ? rows.filter((r) => !placeholders.includes(r)) : rows;
  const omitted: OmittedRows = new Map(data.omitted);
  const warnings = [...data.warnings];
  if (kept !== rows && placeholders.length) {
    omitted.set(PLACEHOLDER_ROWS, placeholders);
    warnings.push(`${placeholders.length} placeholder row(s) left out (${rowList(placeholders)}): a label and no value in any measure column`);
  }
  const counter = new LevelCounter(names);
  const totalsCounter = new TotalsCounter(counter.columns);
  for (const dr of kept) {
    if (data.derived.has(dr)) continue;
    const v = values(dr);
    if (!counter.empty) counter.add(v);
    totalsCounter.add(v);
  }
  const levels = counter.result();
  const totalsContext = totalsCounter.context();
  const kinds = kept.map((dr): RowKind => (data.derived.has(dr) ? 'derived' : rowKindOf(values(dr), totalsContext, levels)));
  const headerRows = header.rows;
  return {
    headerRows,
    columns,
    rawHeaders,
    names,
    dataRows: kept,
    kinds,
    totals: kinds.map((k) => k === 'total' || k === 'subtotal'),
    omitted,
    totalsContext,
    caption: caption ?? findCaption(sheet, headerRows[0] - 1, region),
    metadata: findMetadata(sheet, region, headerRows[0]),
    warnings,
    ...(levels ? { levels } : {}),
  };
}

/** Markers that say a figure does not exist (not available, not applicable), unlike `c` or `*`, which hide one that does. */
const NO_VALUE = new Set(['-', '–', '..', ':', 'z', '[z]', 'x', '[x]', 'n/a']);

/**
 * Rows that are only a label with placeholders: no value in any measure column (a column holding a
 * number in some row), only blanks and not-available markers. RTT overview sheets carry the months
 * still to come as such rows (Jun22 rows 194–202: a month and `-`). Derived rows are never placeholders.
 */
function placeholderRows(sheet: SheetFacts, columns: number[], rows: number[], derived: Set<number>, values: (r: number) => Cell[]): number[] {
  const measures = columns.map((c, i) => (rows.some((r) => sheet.cell(r, c)?.cls === 'num') ? i : -1)).filter((i) => i >= 0);
  if (!measures.length) return [];
  return rows.filter((r) => {
    if (derived.has(r)) return false;
    const v = values(r);
    return measures.every((i) => v[i] === null || (typeof v[i] === 'string' && NO_VALUE.has((v[i] as string).toLowerCase())));
  });
}

/** "rows 194–202" or "rows 3, 9, 12 …" for warnings. */
export function rowList(rows: number[]): string {
  const one = rows.map((r) => r + 1);
  const consecutive = one.every((r, i) => i === 0 || r === one[i - 1] + 1);
  if (consecutive && one.length > 2) return `rows ${one[0]}–${one[one.length - 1]}`;
  return `row${one.length === 1 ? '' : 's'} ${one.length > 6 ? `${one.slice(0, 6).join(', ')} …` : one.join(', ')}`;
}

/**
 * The title line above a table, searched from row `from` up to row `region`: the first row of one text
 * cell (or of two cells with text, the first taken). Blank, metadata and boilerplate rows are passed
 * over; any other row ends the search without a caption.
 */
function findCaption(sheet: SheetFacts, from: number, region: number): string | undefined {
  const { stats } = sheet;
  let sentence: string | undefined;
  for (let u = from; u >= region; u--) {
    if (!stats[u].n || sheet.isMeta(u)) continue;
    const t = sheet.loneText(u) ?? (stats[u].n === 2 && stats[u].text >= 1 ? sheet.textAt(u, stats[u].first)?.trim() : undefined);
    if (t === undefined) break;
    // Boilerplate and single-cell "Label: value" lines are not captions; keep looking above them.
    if (/^(return to contents|copyright|©)/i.test(t) || INLINE_META_RE.test(t) || NOTE_RE.test(t) || LEGEND_RE.test(t)) continue;
    // A full sentence ("The total of GPs in each band does not equal the overall total, due to rounding.") is a
    // footnote under the title more often than the title: a title above it wins.
    if (/\.$/.test(t) && t.split(/\s+/).length >= 6) {
      sentence ??= t;
      continue;
    }
    return t;
  }
  return sentence;
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
