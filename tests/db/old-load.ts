/**
 * The load path as it was before the binary one (rules/load.ts `sliceRows` + lib/db `replaceSlice`), kept as the
 * reference the new path is compared with: rows one by one, `toPgText` on every cell, CSV lines into COPY.
 */
import type { ColumnType, DbTx } from '../../lib/db/index.ts';
import { replaceSlice, type Slice, type SliceRow } from '../../lib/db/registry.ts';
import type { SourceColumn } from '../../lib/db/registry.ts';
import { toPgText, type Cell, type SheetLocation } from '../../lib/sheets/index.ts';

async function* sliceRows(source: AsyncIterable<{ row: number; values: Cell[] }>, columns: SourceColumn[], where: SheetLocation): AsyncIterable<SliceRow> {
  for await (const r of source) {
    let markers: Record<string, string> | null = null;
    const values = columns.map((c) => {
      const cell = /^\d+$/.test(c.sourceColumn) ? `${r.row}:${c.sourceColumn}` : `${c.sourceColumn}${r.row}`;
      const { text, marker } = toPgText(r.values[c.index], c.type as ColumnType, { ...where, cell });
      if (marker) (markers ??= {})[c.name] = marker;
      return text;
    });
    yield { sourceRow: r.row, values, markers };
  }
}

/** Loads rows (as `readTable` yields them) into `slice` the old way. */
export function oldLoad(tx: DbTx, slice: Slice, rows: AsyncIterable<{ row: number; values: Cell[] }>, columns: SourceColumn[], where: SheetLocation) {
  return replaceSlice(tx, slice, columns.map((c) => c.name), sliceRows(rows, columns, where));
}
