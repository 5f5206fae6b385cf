/**
 * A staging table out for Parquet, in bulk: its rows slice by slice, in the order the Parquet file keeps
 * (`_period_start`, `_period`, `_source_key`, `_source_row`), as COPY's CSV text — without the eight provenance
 * columns that are the same for every row of a slice. Those are returned once per slice instead, from the registry
 * (publication, source key, file, SHA-256, sheet) and one row of the slice (period and its dates): a row then carries
 * a slice number, `_source_row`, `_row_kind`, `_markers` and its data, and the database sorts and writes, and DuckDB
 * reads, only that.
 *
 * Everything is read in one snapshot transaction, so a load committing meanwhile cannot tear the export.
 */
import { stagingName } from './staging.ts';
import { DbError, quoteIdent, type Db, type DbTx } from './types.ts';

/** The provenance of one slice: its columns that hold one value for all its rows. */
export interface SliceProvenance {
  publication: string;
  period: string;
  periodStart: string;
  periodEnd: string;
  sourceKey: string;
  sourceFile: string;
  sourceSha256: string;
  sheet: string | null;
}

/** The provenance columns that are constant per slice, by their SliceProvenance field. */
export const SLICE_CONSTANTS: readonly [string, keyof SliceProvenance][] = [
  ['_publication', 'publication'], ['_period', 'period'], ['_period_start', 'periodStart'], ['_period_end', 'periodEnd'],
  ['_source_key', 'sourceKey'], ['_source_file', 'sourceFile'], ['_source_sha256', 'sourceSha256'], ['_sheet', 'sheet'],
];

/**
 * The slices of a table that hold rows, in export order, with their provenance: the registry's slices of the table,
 * each with the period dates of its first row (one probe of the slice index per slice).
 */
async function listSlices(tx: DbTx, table: string): Promise<(SliceProvenance & { id: number })[]> {
  return tx.query<SliceProvenance & { id: number }>(
    `SELECT l.slice_id AS id, l.publication, l.period, r._period_start AS "periodStart", r._period_end AS "periodEnd",
            l.source_key AS "sourceKey", l.source_file AS "sourceFile", l.source_sha256 AS "sourceSha256", l.sheet
       FROM datawarp.loads l
       CROSS JOIN LATERAL (SELECT _period_start, _period_end FROM ${stagingName(table)} WHERE _slice = l.slice_id LIMIT 1) r
      WHERE l.table_name = $1
      ORDER BY r._period_start, l.period, l.source_key, l.publication`,
    [table],
  );
}

/** An SQL literal for the COPY statements, which take no parameters. */
function literal(v: string | null): string {
  if (v === null) return 'NULL';
  if (v.includes('\0')) throw new DbError(`Value ${JSON.stringify(v)} contains a NUL character`, 'This is a bug: staging text cannot hold NUL.');
  return `'${v.replace(/'/g, "''")}'`;
}

/** Where exportSlices writes, opened once the slices are known (a reader of the text may need them first). */
export type ExportSink = (slices: SliceProvenance[]) => Promise<{ fd: number; close: () => Promise<void> }>;

/**
 * Write the rows of `staging.<table>` as CSV lines `slice,_source_row,_row_kind,_markers,<columns…>`, slice numbers
 * counting from 1 in the returned order, rows in the Parquet order, to the file `sink` opens (and the export closes).
 * @param columns the data columns to export, in order (provenance columns excluded)
 * @throws DbError when some rows belong to no slice of the registry or carry another period than their slice's,
 *   which this loader never writes
 */
export async function exportSlices(db: Db, table: string, columns: string[], sink: ExportSink, keep?: RowFilter): Promise<{ slices: SliceProvenance[]; rows: number }> {
  return db.transaction(async (tx) => {
    // A slice's rows usually lie in _source_row order already: a sort that fits in memory sees that in one pass
    // (an external one writes and merges runs). JIT compiling these plain scans costs more than it saves. PGlite's
    // memory is this process's, and its WebAssembly heap never shrinks: there the sort stays small (1M rows: the
    // chain's peak RSS 502-536 MB instead of 575-601 MB, the export no slower).
    await tx.exec(`SET LOCAL work_mem = '${db.kind === 'pglite' ? '16MB' : '256MB'}'; SET LOCAL jit = off`);
    const listed = await listSlices(tx, table);
    const slices = listed.map(({ id: _, ...s }) => s);
    const file = await sink(slices);
    let rows = 0;
    try {
      const select = ['_source_row', '_row_kind', '_markers::text', ...columns.map(quoteIdent)].join(', ');
      for (const [i, s] of listed.entries()) {
        // Every constant the rows carry must be the slice's: a row that differs is not exported under the slice's name.
        const where = `_slice = ${s.id} AND _period = ${literal(s.period)} AND _period_start = ${literal(s.periodStart)}::date AND _period_end = ${literal(s.periodEnd)}::date`;
        const kept = keep ? ` AND ${keepPredicate(table, keep)}` : '';
        rows += await tx.copyTo(`SELECT ${i + 1}, ${select} FROM ${stagingName(table)} WHERE ${where}${kept} ORDER BY _source_row`, file.fd);
      }
    } finally {
      await file.close();
    }
    const [{ n }] = await tx.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${stagingName(table)}${keep ? ` WHERE ${keepPredicate(table, keep)}` : ''}`);
    if (Number(n) !== rows) {
      throw new DbError(
        `staging.${table} holds ${Number(n)} rows but its slices hold ${rows}: some rows belong to no slice of the registry (datawarp.slices), or carry a period that differs within their slice`,
        'Rows written to the table outside nhs-pipeline? Delete them, or drop the table so every period is loaded again.',
      );
    }
    return { slices, rows };
  }, { snapshot: true });
}

/** Which rows an export keeps (absent: all): of the rows sharing a value of `latestBy`, the newest edition's. */
export interface RowFilter { latestBy: string }

/**
 * True for the rows of the newest edition (latest `_period_start`) of each value of the column, NULL a value like
 * any other. A hashed subplan over one grouping of the table, not a lookup per row.
 */
function keepPredicate(table: string, keep: RowFilter): string {
  const by = quoteIdent(keep.latestBy);
  const k = `${by} IS NULL, coalesce(${by}::text, '')`;
  return `(${k}, _period_start) IN (SELECT ${k}, max(_period_start) FROM ${stagingName(table)} GROUP BY 1, 2)`;
}

/** How many rows an export with `keep` leaves out (rows of older editions). */
export async function rowsLeftOut(db: Db, table: string, keep: RowFilter): Promise<number> {
  const [{ n }] = await db.query<{ n: number | string }>(`SELECT count(*) FILTER (WHERE NOT ${keepPredicate(table, keep)}) AS n FROM ${stagingName(table)}`);
  return Number(n);
}
