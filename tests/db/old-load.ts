/**
 * The load path as it was before the binary one (rules/load.ts `sliceRows` + lib/db `replaceSlice`), kept as the
 * reference the new path is compared with: rows one by one, `toPgText` on every cell, CSV lines into COPY. It
 * writes what the loader must write: each row's kind in `_row_kind`, and in `_markers` per column the marker of a
 * value loaded as NULL and the annotation taken off a value (`r`, `[note 4]`), space-joined when a cell has both.
 */
import type { ColumnType, DbTx } from '../../lib/db/index.ts';
import { clearSlice, PROVENANCE_COLUMNS, recordSlice, type Slice, type SourceColumn, type SourceRow } from '../../lib/db/registry.ts';
import { toPgText, type SheetLocation } from '../../lib/sheets/index.ts';

/** One data row of a slice: its row number in the source, its kind, its values (PostgreSQL input text) and cell markers. */
export interface SliceRow { sourceRow: number; kind?: string; values: (string | null)[]; markers: Record<string, string> | null }

/** Replace one slice the old way: delete its rows, COPY the new rows as CSV with their provenance, record the slice. */
export async function replaceSlice(tx: DbTx, slice: Slice, columns: string[], rows: AsyncIterable<SliceRow> | Iterable<SliceRow>): Promise<{ rows: number; markers: number }> {
  const { table: qname, sliceId } = await clearSlice(tx, slice);
  let markers = 0;
  // The rest of the slice's provenance is its registry row (written by clearSlice).
  const fixed = [slice.period.label, slice.period.start, slice.period.end, String(sliceId)];
  async function* withProvenance(): AsyncGenerator<(string | null)[]> {
    for await (const r of rows) {
      const marks = r.markers && Object.keys(r.markers).length > 0 ? r.markers : null;
      if (marks) markers += Object.keys(marks).length;
      yield [...fixed, String(r.sourceRow), r.kind ?? 'detail', marks ? JSON.stringify(marks) : null, ...r.values];
    }
  }
  const copied = await tx.copyRows(qname, [...PROVENANCE_COLUMNS.map((c) => c.name), ...columns], withProvenance());
  await recordSlice(tx, sliceId, copied, markers);
  return { rows: copied, markers };
}

async function* sliceRows(source: AsyncIterable<SourceRow>, columns: SourceColumn[], where: SheetLocation): AsyncIterable<SliceRow> {
  for await (const r of source) {
    let markers: Record<string, string> | null = null;
    const values = columns.map((c) => {
      const cell = /^\d+$/.test(c.sourceColumn) ? `${r.row}:${c.sourceColumn}` : `${c.sourceColumn}${r.row}`;
      const { text, marker } = toPgText(r.values[c.index], c.type as ColumnType, { ...where, cell });
      const note = r.annotations?.[c.index];
      const kept = [marker, note].filter(Boolean).join(' ');
      if (kept) (markers ??= {})[c.name] = kept;
      return text;
    });
    yield { sourceRow: r.row, kind: r.kind, values, markers };
  }
}

/** Loads rows (as `readTable` yields them) into `slice` the old way. */
export function oldLoad(tx: DbTx, slice: Slice, rows: AsyncIterable<SourceRow>, columns: SourceColumn[], where: SheetLocation) {
  return replaceSlice(tx, slice, columns.map((c) => c.name), sliceRows(rows, columns, where));
}
