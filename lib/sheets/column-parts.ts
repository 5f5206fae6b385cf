/**
 * Rule 4 of table detection (layout.ts): the columns of a table's span split into the main table,
 * side-by-side tables and chart helpers; spacer columns left by merges are dropped.
 */
import type { TableFrame } from './data-rows.ts';
import { cellKey, columnLetter } from './grid.ts';


export interface ColumnParts {
  /** Columns of the main table. */
  main: number[];
  /** Side-by-side tables beside it. */
  sides: { columns: number[]; rows: number[] }[];
  /** Column ranges ('P', 'R:S') of chart helper parts, skipped. */
  helpers: string[];
  /** The columns of those helper parts. */
  helperColumns: number[];
}

/** Splits the table's span into the main table, side tables and chart helpers; spacer columns are dropped. */
export function splitColumns(frame: TableFrame, dataRows: number[]): ColumnParts {
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
  const helperColumns: number[] = [];
  for (const seg of segments.slice(1)) {
    const segCols = seg.filter(useful);
    if (!segCols.length) continue;
    const numericHeader = header.rows.some((hr) => segCols.some((c) => sheet.cell(hr, c) && sheet.cell(hr, c)!.cls !== 'text'));
    const constant = segCols.every((c) => new Set(dataRows.filter((dr) => sheet.cell(dr, c)).map((dr) => String(sheet.cell(dr, c)!.v))).size <= 1);
    const [from, to] = [columnLetter(segCols[0]), columnLetter(segCols[segCols.length - 1])];
    const range = from === to ? from : `${from}:${to}`;
    if (numericHeader || constant) {
      helpers.push(range);
      helperColumns.push(...seg);
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
  return { main, sides, helpers, helperColumns };
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
