/**
 * A period's rows of one staging table as a Parquet file of their own, and back.
 *
 * A table's Parquet file (output/parquet/<table>.parquet) holds every period of the table, so it cannot be archived
 * per period; the staging table can be cut by period. The slice holds exactly the table's Parquet columns (provenance
 * first, the slice's own read from its registry row as staging rows name it only by `_slice`; then data columns, typed
 * as in the table's Parquet: numeric as a checked DOUBLE), rows in the order the table's Parquet keeps (`_source_key`,
 * `_source_row`), written by DuckDB with the same settings, so the same rows give the same bytes. Its key/value
 * metadata says which table, period and column types it holds, so it can be loaded back into the staging table
 * (created or widened as needed) once the period's registry rows, archived beside it, are back to give its rows their
 * `_slice`.
 */
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hashFile, publishAtomic, tempPathFor } from '../atomic.ts';
import { stagingName } from '../db/staging.ts';
import { quoteIdent, type ColumnType, type CopyRow, type Db, type DbTx } from '../db/types.ts';
import { numericExpression } from '../parquet/csv.ts';
import { parquetCopyOptions, sqlIdent, sqlString, withDuckDB } from '../parquet/duckdb.ts';
import { DUCKDB_TYPE } from '../parquet/types.ts';

export const KV_SLICE = 'nhs_pipeline.slice';

/**
 * Provenance columns of a period slice file, with their types: every row carries its slice's provenance, as in the
 * table's Parquet (and as staging rows did before registry version 4, so archives of either layout read alike).
 */
const PROVENANCE: readonly { name: string; type: ColumnType }[] = [
  { name: '_publication', type: 'text' }, { name: '_period', type: 'text' }, { name: '_period_start', type: 'date' }, { name: '_period_end', type: 'date' },
  { name: '_source_key', type: 'text' }, { name: '_source_file', type: 'text' }, { name: '_source_sha256', type: 'text' }, { name: '_sheet', type: 'text' },
  { name: '_source_row', type: 'integer' }, { name: '_row_kind', type: 'text' }, { name: '_markers', type: 'text' },
];

/** Where each provenance column comes from in the database: the slice's registry row (`s`) or the staging row (`t`). */
const FROM_SLICE: Record<string, string> = {
  _publication: 's.publication', _source_key: 's.source_key', _source_file: 's.source_file', _source_sha256: 's.source_sha256', _sheet: 's.sheet',
};

/** The columns a staging row carries, in a slice file's terms: the period, `_slice` in place of the slice's provenance. */
const ROW_PROVENANCE = ['_period', '_period_start', '_period_end', '_slice', '_source_row', '_row_kind', '_markers'] as const;

/** What a slice's metadata says of it. */
export interface SliceMeta { table: string; publication: string; period: string; rows: number; columns: { name: string; type: ColumnType }[] }

const literal = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** Writes the rows of `publication`/`period` in `staging.<table>` to `outPath` (atomically). */
export async function exportSlice(
  db: Db,
  s: { table: string; publication: string; period: string; columns: { name: string; type: ColumnType }[] },
  outPath: string,
  tmpDir: string,
): Promise<SliceMeta & { sha256: string; bytes: number }> {
  const columns = [...PROVENANCE, ...s.columns];
  await mkdir(tmpDir, { recursive: true });
  const text = tempPathFor(join(tmpDir, `${s.table}.${s.period}.csv`));
  try {
    // A staging row names its slice by id (`_slice`); the slice's provenance is its registry row's.
    const select =
      `SELECT ${columns.map((c) => `${FROM_SLICE[c.name] ?? `t.${quoteIdent(c.name)}`} AS ${quoteIdent(c.name)}`).join(', ')} ` +
      `FROM ${stagingName(s.table)} t JOIN datawarp.loads s ON s.slice_id = t._slice ` +
      `WHERE s.table_name = ${literal(s.table)} AND s.publication = ${literal(s.publication)} AND s.period = ${literal(s.period)} ` +
      `ORDER BY s.source_key, t._source_row`;
    const fh = await open(text, 'w');
    let rows: number;
    try {
      rows = await db.transaction((tx) => tx.copyTo(select, fh.fd), { snapshot: true });
    } finally {
      await fh.close();
    }
    const meta: SliceMeta = { table: s.table, publication: s.publication, period: s.period, rows, columns: s.columns };
    const spec = columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type === 'numeric' ? 'VARCHAR' : DUCKDB_TYPE[c.type])}`).join(', ');
    const read = `read_csv(${sqlString(text)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, strict_mode = true, encoding = 'utf-8', max_line_size = 67108864, buffer_size = 134217728, columns = {${spec}})`;
    const out = columns.map((c) => (c.type === 'numeric' ? numericExpression(c.name) : sqlIdent(c.name))).join(', ');
    const written = await withDuckDB((conn) =>
      publishAtomic(outPath, async (temp) => {
        await conn.run(`COPY (SELECT ${out} FROM ${read}) TO ${sqlString(temp)} (${parquetCopyOptions({ [KV_SLICE]: JSON.stringify(meta) })})`);
        return hashFile(temp);
      }),
    );
    return { ...meta, ...written };
  } finally {
    await rm(text, { force: true });
  }
}

/** What a slice file says it holds. */
export async function readSliceMeta(path: string): Promise<SliceMeta> {
  return withDuckDB(async (conn) => {
    const rows = (await conn.runAndReadAll(`SELECT value FROM parquet_kv_metadata(${sqlString(path)}) WHERE key = ${sqlString(KV_SLICE)}`)).getRows();
    const v = rows[0]?.[0];
    if (v === undefined) throw new Error(`${path} is not a period slice written by nhs-pipeline (no ${KV_SLICE} metadata)`);
    const text = typeof v === 'string' ? v : Buffer.from((v as { bytes: Uint8Array }).bytes).toString('utf8');
    return JSON.parse(text) as SliceMeta;
  });
}

/** PostgreSQL input text of one value read back by DuckDB. */
function pgText(v: unknown, type: ColumnType | 'date-text'): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return String(v);
}

/**
 * Copies the slice's rows into `staging.<table>` inside `tx` (the caller has made sure the table exists with at
 * least the slice's columns, removed the period's rows and written its registry rows). Each row gets the id of its
 * slice, `sliceIds` by source key; the provenance the file repeats in every row must be that of the slice's registry
 * row, or nothing is copied. Streams: memory stays bounded by a chunk of rows.
 * @returns the number of rows copied
 */
export async function importSlice(
  tx: DbTx,
  path: string,
  meta: SliceMeta,
  slices: { id: number; sourceKey: string; publication: string; sourceFile: string; sourceSha256: string; sheet: string | null }[],
): Promise<number> {
  const file = sqlString(path);
  return withDuckDB(async (conn) => {
    const found = (
      await conn.runAndReadAll(`SELECT DISTINCT _publication, _source_key, _source_file, _source_sha256, _sheet FROM read_parquet(${file}) ORDER BY 2`)
    ).getRows() as (string | null)[][];
    for (const [publication, sourceKey, sourceFile, sourceSha256, sheet] of found) {
      const s = slices.find((x) => x.sourceKey === sourceKey);
      if (!s || s.publication !== publication || s.sourceFile !== sourceFile || s.sourceSha256 !== sourceSha256 || (s.sheet ?? null) !== (sheet ?? null)) {
        throw new Error(
          `${path} holds rows of ${meta.table} from ${sourceKey} (${sourceFile}, SHA-256 ${sourceSha256}) that the period's archived registry rows do not list; nothing was restored`,
        );
      }
    }
    const sliceOf = slices.length
      ? `CASE _source_key ${slices.map((s) => `WHEN ${sqlString(s.sourceKey)} THEN ${s.id}`).join(' ')} END`
      : 'CAST(NULL AS INTEGER)';
    const types = new Map(PROVENANCE.map((c) => [c.name, c.type]));
    const columns: { name: string; type: ColumnType | 'integer' }[] = [...ROW_PROVENANCE.map((name) => ({ name, type: types.get(name) ?? 'integer' })), ...meta.columns];
    // Dates as ISO text; numbers stay numbers, printed shortest (`203`, not `203.0`); the rest as read.
    const select = columns
      .map((c) => (c.name === '_slice' ? `${sliceOf} AS _slice` : c.type === 'date' ? `CAST(${sqlIdent(c.name)} AS VARCHAR)` : sqlIdent(c.name)))
      .join(', ');
    const result = await conn.stream(`SELECT ${select} FROM read_parquet(${file})`);
    async function* rows(): AsyncIterable<CopyRow> {
      for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
        for (const row of chunk.getRows()) yield row.map((v, i) => pgText(v, columns[i]!.type));
      }
    }
    return tx.copyRows(stagingName(meta.table), columns.map((c) => c.name), rows());
  });
}
