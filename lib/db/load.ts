/**
 * The load path: the rows of one source table → one slice of its staging table, at the speed of the database.
 *
 * The rows are encoded into binary COPY segments by ./encode.ts, on this thread or, for a large table on PGlite, in a
 * worker thread (./encode-worker.ts) while PGlite stores the previous rows. The period columns and `_slice` are the
 * same for every row of a slice, so they are encoded once and travel as the driver prefers (see `DbTx.copyBinary`);
 * the rest of the slice's provenance is its registry row (./slices.ts).
 *
 * Measured against the path it replaces (per-row async generators, `toPgText` on every cell, CSV lines): see
 * README "Database" and `npm run bench -- load`.
 */
import type { SheetLocation, SourceFile, TableInfo } from '../sheets/types.ts';
import { BinaryWriter, daysFromCivil } from './binary.ts';
import type { SourceColumn } from './cells.ts';
import { encodeRows, type EncodePlan, type SourceRow } from './encode.ts';
import { clearSlice, recordSlice, type Slice } from './slices.ts';
import { DbError, type CopyConstant, type CopySegment, type DbTx } from './types.ts';

export type { SourceColumn } from './cells.ts';
export type { SourceRow } from './encode.ts';

/** Where a slice's rows come from. */
export interface SliceSource {
  /** The rows in batches, e.g. lib/sheets `readTableBatches`. */
  batches: AsyncIterable<SourceRow[]>;
  /** The slice's data columns in staging-table terms. */
  columns: SourceColumn[];
  /** The table's place (file, zip member, sheet) for error messages; the cell is added per value. */
  where: SheetLocation;
  /**
   * Where `batches` reads from (lib/sheets `readTableBatches` of this file and table), so that a worker thread can read
   * the same rows itself; `batches` is then not used.
   */
  read?: { file: SourceFile; table: TableInfo };
  /** Told the rows encoded so far, once per segment handed to the driver (for progress). */
  onRows?: (rows: number) => void;
}

/**
 * Replace one slice with the rows of `source`: upsert its registry rows, delete the slice's rows, COPY the new ones
 * with their provenance and record the counts, all inside the caller's transaction. Values are those of lib/sheets
 * `toPgText` for each column's (staging) type; a value that does not fit throws its SheetError naming file, sheet and
 * cell, and the caller's transaction rolls back.
 * @returns rows copied and markers stored (one per marked cell)
 */
export async function loadSlice(tx: DbTx, slice: Slice, source: SliceSource): Promise<{ rows: number; markers: number }> {
  const { table, sliceId } = await clearSlice(tx, slice);
  const constants = provenanceOf(slice, sliceId);
  // _markers last: a row's markers are known once its cells are written.
  const columns = ['_source_row', '_row_kind', ...source.columns.map((c) => c.name), '_markers'];
  const tally = { markers: 0 };
  const encode = ({ constantsInRows, offThread }: { constantsInRows: boolean; offThread: boolean }): AsyncIterable<CopySegment> => {
    const plan: EncodePlan = {
      columns: source.columns, where: source.where, table,
      prefix: constantsInRows ? encodeConstants(constants) : undefined, prefixFields: constantsInRows ? constants.length : 0,
    };
    const { read } = source;
    const segments = offThread && read && read.table.rowCount >= OFF_THREAD_ROWS ? inWorker(read, plan, tally) : encodeRows(source.batches, plan, tally);
    return source.onRows ? counted(segments, source.onRows) : segments;
  };
  const rows = await tx.copyBinary(table, constants, columns, encode);
  await recordSlice(tx, sliceId, rows, tally.markers);
  return { rows, markers: tally.markers };
}

/** The segments as they are, telling `onRows` the rows handed on so far. */
async function* counted(segments: AsyncIterable<CopySegment>, onRows: (rows: number) => void): AsyncGenerator<CopySegment> {
  let sent = 0;
  for await (const s of segments) {
    sent += s.rows;
    onRows(sent);
    yield s;
  }
}

/** Tables with fewer rows are encoded on the caller's thread: starting a worker (~0.2 s) costs more than it saves. */
export const OFF_THREAD_ROWS = 50_000;

/** ./encode-worker.ts, imported only when a load needs it. */
async function* inWorker(read: NonNullable<SliceSource['read']>, plan: EncodePlan, tally: { markers: number }): AsyncGenerator<CopySegment> {
  const { encodeInWorker } = await import('./encode-worker.ts');
  yield* encodeInWorker(read, plan, tally);
}

/** The provenance columns with one value per slice (`_source_row`, `_row_kind` and `_markers` vary by row). */
function provenanceOf(slice: Slice, sliceId: number): CopyConstant[] {
  return [
    { name: '_period', type: 'text', value: slice.period.label },
    { name: '_period_start', type: 'date', value: slice.period.start },
    { name: '_period_end', type: 'date', value: slice.period.end },
    { name: '_slice', type: 'integer', value: String(sliceId) },
  ];
}

/** The constants as binary fields, once: every row then starts with a copy of these bytes. */
function encodeConstants(constants: CopyConstant[]): Uint8Array {
  const w = new BinaryWriter(1024);
  for (const c of constants) {
    if (c.value === null) w.nul();
    else if (c.type === 'date') w.date(isoDays(c.value, c.name));
    else if (c.type === 'integer') w.int4(Number(c.value));
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
