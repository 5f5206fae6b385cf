/**
 * How a staging row names its slice: the `_slice` column, the id of its slice in the registry (`datawarp.loads`
 * `slice_id`, shown to analysts as the view `datawarp.slices`), and the index on it. Also the one-time conversion of
 * tables written before registry version 4, whose every row carried its slice's provenance itself (the wide layout:
 * `_publication, _source_key, _source_file, _source_sha256, _sheet` in every row, indexed on
 * `(_publication, _period, _source_key)`).
 */
import { createHash } from 'node:crypto';
import { DbError, quoteIdent, type DbTx } from './types.ts';

/**
 * The provenance of a slice that the registry holds instead of its rows, under the names the Parquet files (and the
 * staging rows of the wide layout) give them.
 */
export const SLICE_COLUMNS: readonly string[] = ['_publication', '_source_key', '_source_file', '_source_sha256', '_sheet'];

/** The sequence that numbers slices (the identity of `datawarp.loads.slice_id`). */
const SLICE_SEQUENCE = `pg_get_serial_sequence('datawarp.loads', 'slice_id')`;

const qualified = (table: string) => `staging.${quoteIdent(table)}`;

/** Name of the slice index: `<table>_slice`, shortened with a hash when that would pass PostgreSQL's 63-byte limit. */
export function sliceIndexName(table: string): string {
  const plain = `${table}_slice`;
  if (Buffer.byteLength(plain) <= 63) return plain;
  const hash = createHash('sha256').update(table).digest('hex').slice(0, 8);
  return `${table.slice(0, 45)}_${hash}_slice`;
}

/** The slice index of a new table: one int4 key per row, so replacing, counting and exporting a slice find its rows. */
export async function createSliceIndex(tx: DbTx, table: string): Promise<void> {
  await tx.query(`CREATE INDEX ${quoteIdent(sliceIndexName(table))} ON ${qualified(table)} (_slice)`);
}

/** Whether a table with these columns is in the wide layout (written before registry version 4). */
export function isWide(columns: ReadonlySet<string>): boolean {
  return columns.has('_source_key') && !columns.has('_slice');
}

/**
 * Converts a wide staging table in place: every row gets the id of its slice (from `datawarp.loads`, by publication,
 * period and source key), then the columns the registry holds are dropped and the slice index is rebuilt on `_slice`.
 * No row is removed. Rows the registry has no slice for (it lost track of them) get a fresh id per old slice, which
 * no registry row names: the next load of their period removes them, as it did before, and `clean` lists those of
 * periods no longer configured. Grants, comments and views on the data columns are kept (ALTER TABLE, not a copy).
 * @throws DbError naming the table when PostgreSQL refuses (a view of the user on a dropped column, another owner)
 */
export async function convertWide(tx: DbTx, table: string): Promise<void> {
  const t = qualified(table);
  try {
    await tx.query(`ALTER TABLE ${t} ADD COLUMN _slice integer`);
    await tx.query(
      `UPDATE ${t} r SET _slice = l.slice_id FROM datawarp.loads l
        WHERE l.table_name = $1 AND l.publication = r._publication AND l.period = r._period AND l.source_key = r._source_key`,
      [table],
    );
    await tx.query(
      // Materialized: nextval runs once per old slice, however the join is planned.
      `WITH k AS MATERIALIZED (
         SELECT p, d, s, nextval(${SLICE_SEQUENCE})::integer AS id
           FROM (SELECT DISTINCT _publication AS p, _period AS d, _source_key AS s FROM ${t} WHERE _slice IS NULL) x)
       UPDATE ${t} r SET _slice = k.id FROM k
        WHERE r._slice IS NULL AND r._publication = k.p AND r._period = k.d AND r._source_key = k.s`,
    );
    await tx.query(`ALTER TABLE ${t} ALTER COLUMN _slice SET NOT NULL`);
    await tx.query(`DROP INDEX IF EXISTS staging.${quoteIdent(sliceIndexName(table))}`);
    await tx.query(`ALTER TABLE ${t} ${SLICE_COLUMNS.map((c) => `DROP COLUMN IF EXISTS ${c}`).join(', ')}`);
    await createSliceIndex(tx, table);
  } catch (err) {
    throw new DbError(
      `Could not convert ${t} to the layout of registry version 4 (provenance of each slice kept once in datawarp.slices, not in every row): ${(err as Error).message}`,
      `Nothing was changed (the upgrade rolled back). If a view of yours uses ${SLICE_COLUMNS.join(', ')}, drop it first (join datawarp.slices on _slice instead); if another role owns the table, run the first build after the upgrade as that role.`,
      { cause: err },
    );
  }
}

/** Converts every registered staging table still in the wide layout (the upgrade to registry version 4). */
export async function convertWideTables(tx: DbTx): Promise<void> {
  const rows = await tx.query<{ t: string; cols: string[] }>(
    `SELECT c.table_name AS t, array_agg(c.column_name::text) AS cols FROM information_schema.columns c
       JOIN datawarp.tables r ON r.table_name = c.table_name
      WHERE c.table_schema = 'staging' GROUP BY 1 ORDER BY 1`,
  );
  for (const r of rows) if (isWide(new Set(r.cols))) await convertWide(tx, r.t);
}

/**
 * A slice id the registry just handed out, made safe for `table`: if rows of the table already carry it (the registry
 * was recreated beside older staging rows, so its numbering started again), the numbering moves past every id in the
 * table and the slice gets a new one. One probe of the slice index.
 * @returns the id to use
 */
export async function freshSliceId(tx: DbTx, table: string, sliceId: number): Promise<number> {
  const [{ max }] = await tx.query<{ max: number | null }>(`SELECT max(_slice) AS max FROM ${qualified(table)}`);
  if (max === null || max < sliceId) return sliceId;
  await tx.query(`SELECT setval(${SLICE_SEQUENCE}, $1)`, [max]);
  const [row] = await tx.query<{ id: number }>('UPDATE datawarp.loads SET slice_id = DEFAULT WHERE slice_id = $1 RETURNING slice_id AS id', [sliceId]);
  return row!.id;
}

/** Every distinct `_slice` of a table, by a loose index scan of the slice index: one probe per slice. */
export async function slicesInTable(tx: DbTx, table: string): Promise<number[]> {
  const t = qualified(table);
  const rows = await tx.query<{ s: number }>(
    `WITH RECURSIVE k AS (
       (SELECT _slice AS s FROM ${t} ORDER BY _slice LIMIT 1)
       UNION ALL
       SELECT (SELECT _slice FROM ${t} WHERE _slice > k.s ORDER BY _slice LIMIT 1) FROM k WHERE k.s IS NOT NULL
     )
     SELECT s FROM k WHERE s IS NOT NULL`,
  );
  return rows.map((r) => r.s);
}
