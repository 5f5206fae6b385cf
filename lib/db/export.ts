/**
 * A staging table out for Parquet, in bulk: its rows slice by slice, in the order the Parquet file keeps
 * (`_period_start`, `_period`, `_source_key`, `_source_row`), as COPY's CSV text — without the eight provenance
 * columns that are the same for every row of a slice. Those are returned once per slice instead: a row then carries
 * a slice number, `_source_row`, `_markers` and its data, a third of the bytes the whole row would take, and the
 * database sorts and writes, and DuckDB reads, only that third.
 *
 * Everything is read in one snapshot transaction, so a load committing meanwhile cannot tear the export.
 */
import { open } from 'node:fs/promises';
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
 * The slices of a table in export order, with their provenance. A loose index scan of the slice index: one probe
 * per slice, however many rows the table holds.
 */
async function listSlices(tx: DbTx, table: string): Promise<SliceProvenance[]> {
  const t = stagingName(table);
  return tx.query<SliceProvenance>(
    `WITH RECURSIVE k AS (
       (SELECT _publication AS p, _period AS d, _source_key AS s FROM ${t} ORDER BY 1, 2, 3 LIMIT 1)
       UNION ALL
       SELECT n.* FROM k, LATERAL (
         SELECT _publication, _period, _source_key FROM ${t} WHERE (_publication, _period, _source_key) > (k.p, k.d, k.s) ORDER BY 1, 2, 3 LIMIT 1) n
     )
     SELECT k.p AS publication, k.d AS period, r._period_start AS "periodStart", r._period_end AS "periodEnd", k.s AS "sourceKey",
            r._source_file AS "sourceFile", r._source_sha256 AS "sourceSha256", r._sheet AS sheet
       FROM k
       CROSS JOIN LATERAL (SELECT _period_start, _period_end, _source_file, _source_sha256, _sheet FROM ${t}
                            WHERE _publication = k.p AND _period = k.d AND _source_key = k.s LIMIT 1) r
      ORDER BY r._period_start, k.d, k.s, k.p`,
  );
}

/** The WHERE clause selecting exactly the rows of slice `$1…$8` (all eight constants: a stray row is not exported). */
const SLICE_WHERE = `_publication = $1 AND _period = $2 AND _period_start = $3::date AND _period_end = $4::date AND _source_key = $5
  AND _source_file = $6 AND _source_sha256 = $7 AND _sheet IS NOT DISTINCT FROM $8`;

/** An SQL literal for the COPY statements, which take no parameters. */
function literal(v: string | null): string {
  if (v === null) return 'NULL';
  if (v.includes('\0')) throw new DbError(`Value ${JSON.stringify(v)} contains a NUL character`, 'This is a bug: staging text cannot hold NUL.');
  return `'${v.replace(/'/g, "''")}'`;
}

/**
 * Write the rows of `staging.<table>` to `destPath` as CSV lines `slice,_source_row,_row_kind,_markers,<columns…>`, slice
 * numbers counting from 1 in the returned order, rows in the Parquet order. The file is created (or truncated);
 * the caller removes it.
 * @param columns the data columns to export, in order (provenance columns excluded)
 * @throws DbError when some rows do not belong to a slice (their provenance differs within a slice), which
 *   this loader never writes
 */
export async function exportSlices(db: Db, table: string, columns: string[], destPath: string, keep?: RowFilter): Promise<{ slices: SliceProvenance[]; rows: number }> {
  const file = await open(destPath, 'w');
  try {
    return await db.transaction(async (tx) => {
      // A slice's rows usually lie in _source_row order already: a sort that fits in memory sees that in one pass
      // (an external one writes and merges runs). JIT compiling these plain scans costs more than it saves.
      await tx.exec(`SET LOCAL work_mem = '256MB'; SET LOCAL jit = off`);
      const slices = await listSlices(tx, table);
      const select = ['_source_row', '_row_kind', '_markers::text', ...columns.map(quoteIdent)].join(', ');
      let rows = 0;
      for (const [i, s] of slices.entries()) {
        const where = SLICE_WHERE.replace(/\$(\d)/g, (_, n: string) => literal(s[SLICE_CONSTANTS[Number(n) - 1]![1]] as string | null));
        const kept = keep ? ` AND ${keepPredicate(table, keep)}` : '';
        rows += await tx.copyTo(`SELECT ${i + 1}, ${select} FROM ${stagingName(table)} WHERE ${where}${kept} ORDER BY _source_row`, file.fd);
      }
      const [{ n }] = await tx.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${stagingName(table)}${keep ? ` WHERE ${keepPredicate(table, keep)}` : ''}`);
      if (Number(n) !== rows) {
        throw new DbError(
          `staging.${table} holds ${Number(n)} rows but its slices hold ${rows}: some rows carry provenance that differs within their slice`,
          'Rows written to the table outside nhs-pipeline? Delete them, or drop the table so every period is loaded again.',
        );
      }
      return { slices, rows };
    }, { snapshot: true });
  } finally {
    await file.close();
  }
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
