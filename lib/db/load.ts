/**
 * The load path: the rows of one source table → one slice of its staging table, at the speed of the database.
 *
 * Rows arrive in batches (one per parsed chunk of the source) and are written straight into binary COPY segments
 * (./binary.ts) by one writer per column, chosen once from the column's type (./cells.ts): no promise, object or
 * string per row or cell beyond the output bytes, except for the rare cells that go through `toPgText` (markers,
 * unusual number forms) and the markers object of a row that has some. The provenance columns are the same for
 * every row of a slice, so they are encoded once and travel as the driver prefers (see `DbTx.copyBinary`).
 *
 * Measured against the path it replaces (per-row async generators, `toPgText` on every cell, CSV lines): see
 * README "Database" and `npm run bench -- load`.
 */
import type { Cell, SheetLocation } from '../sheets/types.ts';
import { BinaryWriter, daysFromCivil } from './binary.ts';
import { cellWriter, type CopyContext, type SourceColumn } from './cells.ts';
import { clearSlice, recordSlice, type Slice } from './slices.ts';
import { DbError, type CopyConstant, type CopySegment, type DbTx } from './types.ts';

export type { SourceColumn } from './cells.ts';

/**
 * A row of the source table: its row (line) number in the source, its values (aligned by `SourceColumn.index`),
 * its kind (`detail`, `total`, `subtotal`, `derived`; detail when absent) and, by value index, the annotations taken
 * off its values (`r`, `[note 4]`), as lib/sheets `readTable` yields them.
 */
export interface SourceRow { row: number; values: Cell[]; kind?: string; annotations?: Record<number, string> }

/** Where a slice's rows come from. */
export interface SliceSource {
  /** The rows in batches, e.g. lib/sheets `readTableBatches`. */
  batches: AsyncIterable<SourceRow[]>;
  /** The slice's data columns in staging-table terms. */
  columns: SourceColumn[];
  /** The table's place (file, zip member, sheet) for error messages; the cell is added per value. */
  where: SheetLocation;
  /** Told the rows encoded so far, once per segment handed to the driver (for progress). */
  onRows?: (rows: number) => void;
}

/** Bytes of rows per segment handed to the driver: large enough that per-segment costs vanish, small enough to stream. */
const SEGMENT_BYTES = 256 * 1024;

/**
 * Replace one slice with the rows of `source`: delete the slice's rows, COPY the new ones with their provenance,
 * and upsert its registry rows, all inside the caller's transaction. Values are those of lib/sheets `toPgText` for
 * each column's (staging) type; a value that does not fit throws its SheetError naming file, sheet and cell, and
 * the caller's transaction rolls back.
 * @returns rows copied and markers stored (one per marked cell)
 */
export async function loadSlice(tx: DbTx, slice: Slice, source: SliceSource): Promise<{ rows: number; markers: number }> {
  const table = await clearSlice(tx, slice);
  const constants = provenanceOf(slice);
  const names = source.columns.map((c) => c.name);
  // _markers last: a row's markers are known once its cells are written.
  const columns = ['_source_row', '_row_kind', ...names, '_markers'];
  const ctx: CopyContext = { table, copyRow: 0 };
  let markers = 0;

  async function* encode(constantsInRows: boolean): AsyncGenerator<CopySegment> {
    const writers = source.columns.map((c) => cellWriter(c, source.where, ctx));
    const at = source.columns.map((c) => c.index);
    const prefix = constantsInRows ? encodeConstants(constants) : undefined;
    const fields = columns.length + (prefix ? constants.length : 0);
    const w = new BinaryWriter(SEGMENT_BYTES + 64 * 1024);
    let rows = 0;
    let sent = 0;
    for await (const batch of source.batches) {
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
            markers++;
          }
        }
        if (marks) w.jsonb(JSON.stringify(marks));
        else w.nul();
        rows++;
        if (w.length >= SEGMENT_BYTES) {
          sent += rows;
          source.onRows?.(sent);
          yield { bytes: w.take(), rows };
          rows = 0;
        }
      }
    }
    if (rows > 0) yield { bytes: w.take(), rows };
  }

  const rows = await tx.copyBinary(table, constants, columns, encode);
  await recordSlice(tx, slice, rows, markers);
  return { rows, markers };
}

/** The provenance columns with one value per slice (`_source_row` and `_markers` vary by row). */
function provenanceOf(slice: Slice): CopyConstant[] {
  return [
    { name: '_publication', type: 'text', value: slice.publication },
    { name: '_period', type: 'text', value: slice.period.label },
    { name: '_period_start', type: 'date', value: slice.period.start },
    { name: '_period_end', type: 'date', value: slice.period.end },
    { name: '_source_key', type: 'text', value: slice.sourceKey },
    { name: '_source_file', type: 'text', value: slice.sourceFile },
    { name: '_source_sha256', type: 'text', value: slice.sourceSha256 },
    { name: '_sheet', type: 'text', value: slice.sheet },
  ];
}

/** The constants as binary fields, once: every row then starts with a copy of these bytes. */
function encodeConstants(constants: CopyConstant[]): Uint8Array {
  const w = new BinaryWriter(1024);
  for (const c of constants) {
    if (c.value === null) w.nul();
    else if (c.type === 'date') w.date(isoDays(c.value, c.name));
    else w.text(c.value);
  }
  return w.take();
}

/** Days since 1970 of an ISO date (`YYYY-MM-DD`), as the period's start and end are given. */
function isoDays(iso: string, column: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) throw new DbError(`${column} ${JSON.stringify(iso)} is not an ISO date (YYYY-MM-DD)`, 'Periods carry ISO start and end dates; this is a bug in the caller.');
  return daysFromCivil(Number(m[1]), Number(m[2]), Number(m[3]));
}
