/**
 * What every cell of a sheet outside the tables' data is. A sheet's cells are either values of a
 * table (a data row and one of its columns) or one of these parts, each recognised where the layout
 * made its decision: the header block, the title and metadata lines above a table, notes, rows left
 * out inside a table (with the reason), and chart helpers beside it. A cell that is neither is not
 * listed at all, so an accounting of the sheet (tests/sheets/accounting.test.ts) finds it.
 */
import { address, type Grid } from './grid.ts';
import type { HeaderBlock } from './header-block.ts';
import { INLINE_META_RE, LEGEND_RE, NOTE_RE } from './row-roles.ts';
import type { SheetFacts } from './sheet-facts.ts';

/** What a part of a sheet is. */
export type PartRole = 'header' | 'title' | 'metadata' | 'note' | 'omitted' | 'helper';

/** Cells of one sheet that hold a value but are in no table's data, with what they are. */
export interface SheetPart {
  role: PartRole;
  /** Why they are not data: the reason an omitted row was left out, or what a title/note line is. */
  reason: string;
  /** A1 ranges, one run of cells of one row each ('B9:AC9', 'B203'). */
  cells: string[];
}

/** One table block as the layout found it: its header, its last row, what it left out and its helper columns. */
export interface TableBlock {
  header: Pick<HeaderBlock, 'rows' | 'c0' | 'c1'>;
  end: number;
  omitted: Map<string, number[]>;
  helperColumns: number[];
  dataRows: number[];
}

/** Ranges of the cells of row `r` in columns `from..to` (every cell when no bounds), columns in `except` left out. */
function rowRanges(grid: Grid, r: number, from = 0, to = Infinity, except?: Set<number>): string[] {
  const out: string[] = [];
  let start = -1;
  let prev = -1;
  for (const c of grid.cols[r]) {
    if (c < from || c > to || except?.has(c)) continue;
    if (start >= 0 && c === prev + 1) {
      prev = c;
      continue;
    }
    if (start >= 0) out.push(start === prev ? address(r, start) : `${address(r, start)}:${address(r, prev)}`);
    start = prev = c;
  }
  if (start >= 0) out.push(start === prev ? address(r, start) : `${address(r, start)}:${address(r, prev)}`);
  return out;
}

/** Every part of a sheet, given its table blocks in order. */
export function sheetParts(sheet: SheetFacts, blocks: TableBlock[]): SheetPart[] {
  const { grid } = sheet;
  const parts = new Map<string, SheetPart>();
  const add = (role: PartRole, reason: string, cells: string[]) => {
    if (!cells.length) return;
    const key = `${role}\u0000${reason}`;
    const part = parts.get(key) ?? parts.set(key, { role, reason, cells: [] }).get(key)!;
    part.cells.push(...cells);
  };
  const inBlock = new Set<number>();
  for (const b of blocks) {
    const { header } = b;
    for (let r = header.rows[0]; r <= b.end; r++) inBlock.add(r);
    const helpers = new Set(b.helperColumns);
    for (const hr of header.rows) add('header', 'header rows of the table', rowRanges(grid, hr, header.c0, header.c1, helpers));
    for (const [reason, rows] of b.omitted) {
      for (const r of rows) add('omitted', reason, rowRanges(grid, r, Math.min(header.c0, sheet.stats[r].first), header.c1));
    }
    // A text cell beside the table, across an empty column ("Scroll to here" in GP Earnings sheets).
    for (let r = header.rows[0]; r <= b.end; r++) {
      for (const c of grid.cols[r]) {
        if ((c > header.c1 + 1 || c < header.c0 - 1) && grid.rows[r][c]!.cls === 'text') add('note', 'text beside the table', [address(r, c)]);
      }
    }
    if (helpers.size) {
      const label = 'chart data helper beside the table';
      for (const r of [...header.rows, ...b.dataRows]) for (const c of grid.cols[r]) if (helpers.has(c)) add('helper', label, [address(r, c)]);
    }
  }
  for (let r = 0; r < sheet.nRows; r++) {
    if (inBlock.has(r) || !sheet.stats[r].n) continue;
    const role = looseRowRole(sheet, r);
    if (role) add(role.role, role.reason, rowRanges(grid, r));
  }
  return [...parts.values()];
}

/**
 * A row outside every table, when it is recognisably a title, metadata or note line: a `Label:`
 * line of the metadata block, or a line of one text cell (a caption, boilerplate, a note). Any
 * other row outside the tables is not recognised.
 */
function looseRowRole(sheet: SheetFacts, r: number): { role: PartRole; reason: string } | undefined {
  if (sheet.isMeta(r)) return { role: 'metadata', reason: 'Label: value line' };
  const t = sheet.loneText(r);
  if (t === undefined) return undefined;
  if (INLINE_META_RE.test(t)) return { role: 'metadata', reason: 'Label: value line' };
  if (NOTE_RE.test(t) || LEGEND_RE.test(t)) return { role: 'note', reason: 'note or symbol legend line' };
  return { role: 'title', reason: 'title or text line outside the tables' };
}
