/**
 * The all-text fallback of table detection: a sheet whose values are all words (a lookup or mapping
 * sheet) has no row that looks like data to layout.ts, yet it is a table when a header row is
 * followed by rows aligned under it.
 */
import { columnLetter, type Grid } from './grid.ts';
import { valueAt, type SheetLayout } from './layout.ts';
import { combineGroupNames } from './names.ts';
import { rowKindOf, TotalsCounter } from './row-kinds.ts';
import { cleanHeader } from './values.ts';

/** All-text fallback: a sheet with no numeric data still has a table when a header row is followed by aligned rows. */
export function detectTextTable(grid: Grid): SheetLayout {
  const { rows, cols } = grid;
  for (let r = 0; r < rows.length; r++) {
    const cs = cols[r];
    if (cs.length < 2 || cs.some((c) => rows[r][c]!.cls !== 'text')) continue;
    const c0 = cs[0];
    const c1 = cs[cs.length - 1];
    const dataRows: number[] = [];
    for (let d = r + 1; d < rows.length; d++) {
      const inSpan = cols[d].filter((c) => c >= c0 && c <= c1);
      if (inSpan.length < 2) break;
      dataRows.push(d);
    }
    if (dataRows.length < 2) continue;
    const values = (d: number) => cs.map((c) => valueAt(grid, d, c, dataRows[0]));
    const counter = new TotalsCounter();
    for (const d of dataRows) counter.add(values(d));
    const totalsContext = counter.context();
    const kinds = dataRows.map((d) => rowKindOf(values(d), totalsContext));
    const names = combineGroupNames(cs.map((c) => [cleanHeader(String(rows[r][c]!.v))]), (i) => `Column ${columnLetter(cs[i])}`);
    return {
      tables: [
        {
          headerRows: [r],
          columns: cs,
          rawHeaders: cs.map((c) => String(rows[r][c]!.v)),
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
  return { tables: [], skipped: [] };
}
