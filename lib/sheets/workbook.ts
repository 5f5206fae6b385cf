/**
 * Workbook tables: sheet selection (contents/notes/chart sheets skipped with a reason), table
 * detection per sheet, column statistics over every data cell, and row reading.
 *
 * The last workbook parsed is cached (one entry) so that `describeFile` followed by `readTable` on the
 * same file in one process parses it once (the RTT provider workbook takes 3–5 s to parse, most of its
 * extraction). The cache holds the sheet grids and detected layouts; the grids are made of SheetJS's
 * own row arrays and cell objects, and the rest of SheetJS's workbook object is let go as soon as every
 * sheet has its grid. The entry is held strongly: a weakly held one was collected between the two
 * passes in about a third of the benchmark runs, which then parsed the workbook twice. What stays in
 * memory is bounded by one workbook's grids and is replaced by the next workbook.
 */
import type * as XLSX from '@e965/xlsx';
import { throwIfAborted } from './bytes.ts';
import { address, columnIndex, columnLetter, parseWorkbook, sheetToGrid, type Grid } from './grid.ts';
import { detectTables, valueAt, type DetectedTable, type SheetLayout } from './layout.ts';
import { detectTextTable } from './text-table.ts';
import { MAX_TABLE_COLUMNS, SheetError, tooWideError, type OtherCells, type SheetLocation, type SkippedPart, type TableInfo, type TableRow } from './types.ts';
import { noRows, type RowKind, type RowKindCounts } from './row-kinds.ts';
import { ColumnStats } from './column-stats.ts';
import { annotateRow } from './annotations.ts';
import { harvestNotes, type WorkbookNote } from './notes.ts';

interface Parsed {
  sheetNames: string[];
  /** Until every sheet has its grid; then dropped (see above). */
  wb?: XLSX.WorkBook;
  grids: Map<string, Grid>;
  /** Layout per sheet: `readTable` after `describeFile` in one process finds the tables without detecting them again. */
  layouts: Map<string, SheetLayout>;
}

let cached: { key: string; parsed: Parsed } | undefined;

/** Parses (or reuses) a workbook; `cacheKey` must change whenever the bytes change. */
export function loadWorkbook(bytes: Uint8Array, cacheKey: string, loc: SheetLocation): Parsed {
  if (cached?.key === cacheKey) return cached.parsed;
  cached = undefined; // the previous workbook can go before this one is parsed
  const wb = parseWorkbook(bytes, loc);
  const parsed: Parsed = { sheetNames: [...wb.SheetNames], wb, grids: new Map(), layouts: new Map() };
  cached = { key: cacheKey, parsed };
  return parsed;
}

function grid(p: Parsed, sheet: string): Grid {
  let g = p.grids.get(sheet);
  if (!g) {
    g = sheetToGrid(p.wb!, sheet);
    p.grids.set(sheet, g);
    if (p.grids.size === p.sheetNames.length) p.wb = undefined;
  }
  return g;
}

const SKIP_BY_NAME: [RegExp, string][] = [
  [/chart/i, 'chart data helper'],
  [/\b(contents|notes?|guidance|definitions?|glossary|read ?me|methodology|background information|introduction)\b/i, 'contents/notes sheet'],
  [/\b(data dictionary|dictionary|metadata|field descriptions?)\b/i, 'data dictionary sheet'],
  [/^\s*(title|cover|front|about)\b/i, 'title sheet'],
];

/** The tables of a sheet (read-only: shared by every caller through the cache). */
function detect(p: Parsed, sheet: string): SheetLayout {
  let layout = p.layouts.get(sheet);
  if (!layout) {
    const g = grid(p, sheet);
    layout = detectTables(g);
    if (!layout.tables.length) layout = detectTextTable(g);
    p.layouts.set(sheet, layout);
  }
  return layout;
}

/** Describes every table of a parsed workbook. `prefix` is 'member!' for workbooks inside zips. */
export function describeWorkbook(
  p: Parsed,
  loc: SheetLocation,
  prefix: string,
  includeSheets: string[] | undefined,
  signal?: AbortSignal,
): { tables: TableInfo[]; skipped: SkippedPart[]; otherCells: OtherCells[]; notes: WorkbookNote[] } {
  const tables: TableInfo[] = [];
  const skipped: SkippedPart[] = [];
  const otherCells: OtherCells[] = [];
  const notes: WorkbookNote[] = [];
  const member = loc.member ? { member: loc.member } : {};
  for (const sheet of p.sheetNames) {
    throwIfAborted(signal);
    const g = grid(p, sheet);
    if (!g.rows.length) {
      skipped.push({ ...member, sheet, reason: 'no cells (text lives in drawings or a chart)' });
      continue;
    }
    const forced = includeSheets?.includes(sheet) ?? false;
    const byName = SKIP_BY_NAME.find(([re]) => re.test(sheet));
    if (byName && !forced) {
      skipped.push({ ...member, sheet, reason: byName[1] });
      // What a notes, definitions or contents sheet says is kept for the descriptions (notes.ts).
      if (byName[1] !== 'chart data helper') notes.push(...harvestNotes(g, sheet, loc.member));
      continue;
    }
    const layout = detect(p, sheet);
    for (const reason of layout.skipped) skipped.push({ ...member, sheet, reason });
    if (!layout.tables.length) {
      skipped.push({ ...member, sheet, reason: 'no table found (no header row followed by data rows)' });
      continue;
    }
    layout.tables.forEach((t, i) => tables.push(tableInfo(g, t, `${prefix}${sheet}#${i + 1}`, sheet, loc)));
    for (const part of layout.parts) otherCells.push({ ...member, sheet, role: part.role, reason: part.reason, cells: [...part.cells] });
  }
  return { tables, skipped, otherCells, notes };
}

function countKinds(kinds: RowKind[]): RowKindCounts {
  const out = noRows();
  for (const k of kinds) out[k]++;
  return out;
}

function tableInfo(g: Grid, t: DetectedTable, key: string, sheet: string, loc: SheetLocation): TableInfo {
  if (t.columns.length > MAX_TABLE_COLUMNS) {
    throw tooWideError(t.columns.length, { ...loc, sheet, cell: address(t.headerRows[t.headerRows.length - 1], t.columns[MAX_TABLE_COLUMNS]) });
  }
  const stats = t.columns.map(() => new ColumnStats());
  const first = t.dataRows[0];
  t.dataRows.forEach((r, k) => {
    const derived = t.kinds[k] === 'derived';
    t.columns.forEach((c, i) => {
      const v = valueAt(g, r, c, first);
      // PostgreSQL text cannot hold NUL: refuse it here, where the cell can be named, not at COPY.
      if (typeof v === 'string' && v.includes('\0')) throw new SheetError('Cell holds a NUL character', { ...loc, sheet, cell: address(r, c) }, 'The file is damaged or was not written by a spreadsheet program; ask the publisher for a clean copy.');
      if (derived) stats[i].addDerived(v);
      else stats[i].add(v);
    });
  });
  return {
    key,
    ...(loc.member ? { member: loc.member } : {}),
    sheet,
    ...(t.caption ? { caption: t.caption } : {}),
    metadata: { ...t.metadata },
    headerRows: t.headerRows.map((r) => r + 1),
    firstDataRow: first + 1,
    lastDataRow: t.dataRows[t.dataRows.length - 1] + 1,
    rowCount: t.dataRows.length,
    columns: t.columns.map((c, i) => stats[i].toColumn({ index: i, sourceColumn: columnLetter(c), rawHeader: t.rawHeaders[i], name: t.names[i] })),
    totalsRows: t.totals.filter(Boolean).length,
    rowKinds: countKinds(t.kinds),
    ...(t.omitted.size ? { omittedRows: [...t.omitted].map(([reason, rows]) => ({ reason, rows: rows.map((r) => r + 1) })) } : {}),
    ...(Object.keys(t.totalsContext).length ? { totals: structuredClone(t.totalsContext) } : {}),
    ...(t.levels ? { levels: { ...t.levels, counts: { ...t.levels.counts } } } : {}),
    warnings: [...t.warnings],
  };
}

/** Yields the rows of a workbook table described earlier; re-detects the layout and checks it still matches. */
export function* readWorkbookTable(p: Parsed, table: TableInfo, loc: SheetLocation, signal?: AbortSignal): Generator<TableRow> {
  const sheet = table.sheet!;
  const where = { ...loc, sheet };
  if (!p.sheetNames.includes(sheet)) {
    throw new SheetError(`Sheet "${sheet}" is not in the workbook`, where, `Sheets present: ${p.sheetNames.map((s) => JSON.stringify(s)).join(', ')}; describe the file again.`);
  }
  const n = Number(/#(\d+)$/.exec(table.key)?.[1] ?? '1');
  const g = grid(p, sheet);
  const t = detect(p, sheet).tables[n - 1];
  if (!t || t.dataRows.length !== table.rowCount || t.headerRows[t.headerRows.length - 1] + 1 !== table.headerRows[table.headerRows.length - 1]) {
    throw new SheetError(
      `Table ${n} of sheet "${sheet}" no longer matches its description (expected ${table.rowCount} rows under header row ${table.headerRows.join('+')})`,
      where,
      'The file changed since it was described; describe it again.',
    );
  }
  const cols = table.columns.map((c) => columnIndex(c.sourceColumn));
  const first = t.dataRows[0];
  // Columns whose values may carry annotations; in derived rows every non-text column may.
  const annotated = table.columns.filter((c) => c.annotations).map((c) => c.index);
  const typed = table.columns.filter((c) => c.type !== 'text').map((c) => c.index);
  for (let i = 0; i < t.dataRows.length; i++) {
    if (i % 1000 === 0) throwIfAborted(signal);
    const r = t.dataRows[i];
    const row: TableRow = { row: r + 1, values: cols.map((c) => valueAt(g, r, c, first)), isTotal: t.totals[i], kind: t.kinds[i] };
    annotateRow(row, table, t.kinds[i] === 'derived' ? typed : annotated);
    yield row;
  }
}
