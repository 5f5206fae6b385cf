/**
 * The all-text fallback of table detection: a sheet whose values are all words (a lookup or mapping
 * sheet) has no row that looks like data to layout.ts, yet it is a table when a header row is
 * followed by rows aligned under it.
 */
import { columnLetter, type Grid } from './grid.ts';
import { valueAt, type SheetLayout } from './layout.ts';
import { combineGroupNames } from './names.ts';
import { rowKindOf, TotalsCounter } from './row-kinds.ts';
import { SheetFacts } from './sheet-facts.ts';
import { sheetParts } from './sheet-parts.ts';
import { cleanHeader } from './values.ts';

/** All-text fallback: a sheet with no numeric data still has a table when a header row is followed by aligned rows. */
export function detectTextTable(grid: Grid): SheetLayout {
  const { rows, cols } = grid;
  for (let r = 0; r < rows.length; r++) {
    const cs = cols[r];
    if (cs.length < 2 || cs.some((c) => rows[r][c]!.cls !== 'text')) continue;
    // Empty header cells at either end still head the values under them (see header-block.ts).
    let c0 = cs[0];
    let c1 = cs[cs.length - 1];
    while (c0 > 0 && rows[r + 1]?.[c0 - 1]) c0--;
    while (rows[r + 1]?.[c1 + 1]) c1++;
    const dataRows: number[] = [];
    for (let d = r + 1; d < rows.length; d++) {
      const inSpan = cols[d].filter((c) => c >= c0 && c <= c1);
      if (inSpan.length < 2) break;
      dataRows.push(d);
    }
    if (dataRows.length < 2) continue;
    // Every column between the header's first and last cell that holds a value, a header or not:
    // a column under an empty header cell is still the table's.
    const filled = new Set(cs);
    for (const d of dataRows) for (const c of cols[d]) if (c >= c0 && c <= c1) filled.add(c);
    const columns = [...filled].sort((a, b) => a - b);
    const header = (c: number) => (rows[r][c] ? String(rows[r][c]!.v) : '');
    const values = (d: number) => columns.map((c) => valueAt(grid, d, c, dataRows[0]));
    const counter = new TotalsCounter();
    for (const d of dataRows) counter.add(values(d));
    const totalsContext = counter.context();
    const kinds = dataRows.map((d) => rowKindOf(values(d), totalsContext));
    const names = combineGroupNames(columns.map((c) => (header(c) ? [cleanHeader(header(c))] : [])), (i) => `Column ${columnLetter(columns[i])}`);
    const block = { header: { rows: [r], c0, c1 }, end: dataRows[dataRows.length - 1], omitted: new Map(), helperColumns: [], dataRows };
    return {
      parts: sheetParts(new SheetFacts(grid), [block]),
      tables: [
        {
          headerRows: [r],
          columns,
          rawHeaders: columns.map(header),
          names,
          dataRows,
          kinds,
          totals: kinds.map((k) => k !== 'detail'),
          omitted: new Map(),
          totalsContext,
          metadata: {},
          warnings: ['table has no numeric columns; header taken as the first all-text row'],
        },
      ],
      skipped: [],
    };
  }
  return { tables: [], skipped: [], parts: [] };
}
