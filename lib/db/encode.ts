/**
 * Source rows → binary COPY segments: the load path's encoding (./load.ts), the same whether it runs on the main
 * thread or in a worker (./encode-worker.ts).
 *
 * Rows arrive in batches (one per parsed chunk of the source) and are written straight into binary COPY segments
 * (./binary.ts) by one writer per column, chosen once from the column's type (./cells.ts): no promise, object or
 * string per row or cell beyond the output bytes, except for the rare cells that go through `toPgText` (markers,
 * unusual number forms) and the markers object of a row that has some.
 */
import type { Cell, SheetLocation } from '../sheets/types.ts';
import { BinaryWriter } from './binary.ts';
import { cellWriter, type CopyContext, type SourceColumn } from './cells.ts';
import type { CopySegment } from './types.ts';

/**
 * A row of the source table: its row (line) number in the source, its values (aligned by `SourceColumn.index`),
 * its kind (`detail`, `total`, `subtotal`, `derived`; detail when absent) and, by value index, the annotations taken
 * off its values (`r`, `[note 4]`), as lib/sheets `readTable` yields them.
 */
export interface SourceRow { row: number; values: Cell[]; kind?: string; annotations?: Record<number, string> }

/** What the encoding needs besides the rows; plain data, so that a worker can be given it. */
export interface EncodePlan {
  /** The slice's data columns in staging-table terms. */
  columns: SourceColumn[];
  /** The table's place (file, zip member, sheet) for error messages; the cell is added per value. */
  where: SheetLocation;
  /** The quoted staging table name, for error messages. */
  table: string;
  /** Fields every row starts with (the slice's constants, when the driver wants them in the rows). */
  prefix?: Uint8Array;
  /** The number of the prefix's fields. */
  prefixFields: number;
}

/** Bytes of rows per segment handed to the driver: large enough that per-segment costs vanish, small enough to stream. */
const SEGMENT_BYTES = 256 * 1024;

/**
 * Rows → segments of whole rows: `[prefix] _source_row, _row_kind, <columns…>, _markers`. `tally.markers` counts the
 * marked cells (a marker, an annotation, or both).
 * @throws SheetError (from toPgText) or DbError naming the value, row and column that does not fit
 */
export async function* encodeRows(batches: AsyncIterable<SourceRow[]>, plan: EncodePlan, tally: { markers: number }): AsyncGenerator<CopySegment> {
  const ctx: CopyContext = { table: plan.table, copyRow: 0 };
  const names = plan.columns.map((c) => c.name);
  const writers = plan.columns.map((c) => cellWriter(c, plan.where, ctx));
  const at = plan.columns.map((c) => c.index);
  const prefix = plan.prefix;
  const fields = plan.prefixFields + 3 + writers.length;
  const w = new BinaryWriter(SEGMENT_BYTES + 64 * 1024);
  let rows = 0;
  for await (const batch of batches) {
    for (let b = 0; b < batch.length; b++) {
      const r = batch[b];
      ctx.copyRow++;
      w.row(fields);
      if (prefix) w.raw(prefix);
      w.int4(r.row);
      w.text(r.kind ?? 'detail');
      let marks: Record<string, string> | null = null;
      const notes = r.annotations;
      for (let j = 0; j < writers.length; j++) {
        const marker = writers[j](w, r.values[at[j]], r.row);
        // What was taken off a published value (`r`, `[note 4]`) is kept beside it, after any marker.
        const note = notes === undefined ? undefined : notes[at[j]];
        if (marker !== null || note !== undefined) {
          (marks ??= {})[names[j]] = marker === null ? note! : note === undefined ? marker : `${marker} ${note}`;
          tally.markers++;
        }
      }
      if (marks) w.jsonb(JSON.stringify(marks));
      else w.nul();
      rows++;
      if (w.length >= SEGMENT_BYTES) {
        yield { bytes: w.take(), rows };
        rows = 0;
      }
    }
  }
  if (rows > 0) yield { bytes: w.take(), rows };
}
