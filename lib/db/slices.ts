/**
 * Slices: the rows of one table that came from one source part (file + table in the file) for one period of one
 * publication. A slice is the unit of replacement: reloading deletes exactly that slice's rows first, so two source
 * parts feeding the same table and period coexist, and reloading never duplicates rows. Each slice has an id in the
 * registry (`datawarp.loads.slice_id`, the view `datawarp.slices`), which its rows carry in `_slice`.
 */
import { DbError, type DbTx } from './types.ts';
import { freshSliceId, slicesInTable } from './layout.ts';
import { foreignOwner, stagingName } from './staging.ts';

/** A period of a publication with its ISO start and end dates (inclusive). */
export interface PeriodRef { label: string; start: string; end: string }

/** One (table, period, source file part): the unit that lib/db/load.ts `loadSlice` replaces. */
export interface Slice {
  table: string;
  publication: string;
  period: PeriodRef;
  /** Identity of the source part: `'<file url>#<table key in file>'`. */
  sourceKey: string;
  sourceUrl: string;
  sourceFile: string;
  sourceSha256: string;
  sheet: string | null;
  canonicalSha256: string;
  ruleVersion: string;
  /** The loading workspace's id, recorded on the slice's registry rows (undefined when the database is not shared). */
  workspace?: string;
}

/**
 * The first half of replacing a slice: check that its table is registered to the slice's publication and workspace,
 * write its registry rows (`datawarp.sources`, and `datawarp.loads` with no rows yet), and delete the slice's old rows.
 * A slice keeps its id while its registry row lives: reloading deletes `WHERE _slice = id`, one probe of the slice index.
 * @returns the table's quoted name and the slice's id, the `_slice` of its rows
 */
export async function clearSlice(tx: DbTx, slice: Slice): Promise<{ table: string; sliceId: number }> {
  const qname = stagingName(slice.table);
  const registered = await tx.query<{ publication: string; workspace_id: string | null }>('SELECT publication, workspace_id FROM datawarp.tables WHERE table_name = $1', [slice.table]);
  if (!registered[0]) {
    throw new DbError(`Table ${qname} is not registered; cannot load slice ${slice.sourceKey}`, 'Call ensureStagingTable for the table before loading a slice (this is a bug in the caller).');
  }
  if (registered[0].publication !== slice.publication) {
    throw new DbError(
      `Table ${qname} belongs to publication ${registered[0].publication}; slice ${slice.sourceKey} of publication ${slice.publication} cannot be loaded into it`,
      `Give the table another name in ${slice.publication}'s rules (table names are shared by all publications).`,
    );
  }
  const owner = registered[0].workspace_id;
  if (slice.workspace !== undefined && owner !== null && owner !== slice.workspace) {
    throw new DbError(
      `Table ${qname} belongs to ${await foreignOwner(tx, owner)}; slice ${slice.sourceKey} of workspace ${slice.workspace} cannot be loaded into it`,
      'Call ensureStagingTable with the same workspace before loading a slice (it says how to resolve the clash).',
    );
  }
  const known = await tx.query<{ id: number }>(
    'SELECT slice_id AS id FROM datawarp.loads WHERE table_name = $1 AND publication = $2 AND period = $3 AND source_key = $4',
    [slice.table, slice.publication, slice.period.label, slice.sourceKey],
  );
  const written = await writeRegistryRows(tx, slice);
  if (!known[0]) return { table: qname, sliceId: await freshSliceId(tx, slice.table, written) };
  await deleteRows(tx, slice.table, written);
  return { table: qname, sliceId: written };
}

/** Upserts the slice's `datawarp.sources` and `datawarp.loads` rows (no rows counted yet); returns its slice id. */
async function writeRegistryRows(tx: DbTx, slice: Slice): Promise<number> {
  await tx.query(
    `INSERT INTO datawarp.sources (publication, period, source_url, source_file, source_sha256, workspace_id) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (publication, period, source_url) DO UPDATE SET source_file = EXCLUDED.source_file, source_sha256 = EXCLUDED.source_sha256,
       workspace_id = COALESCE(EXCLUDED.workspace_id, datawarp.sources.workspace_id)`,
    [slice.publication, slice.period.label, slice.sourceUrl, slice.sourceFile, slice.sourceSha256, slice.workspace ?? null],
  );
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO datawarp.loads (table_name, publication, period, source_key, source_url, source_sha256, source_file, sheet,
                                 canonical_sha256, rule_version, row_count, marker_count, loaded_at, workspace_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, 0, now(), $11)
     ON CONFLICT (table_name, publication, period, source_key) DO UPDATE SET
       source_url = EXCLUDED.source_url, source_sha256 = EXCLUDED.source_sha256, source_file = EXCLUDED.source_file,
       sheet = EXCLUDED.sheet, canonical_sha256 = EXCLUDED.canonical_sha256, rule_version = EXCLUDED.rule_version,
       row_count = 0, marker_count = 0, loaded_at = EXCLUDED.loaded_at,
       workspace_id = COALESCE(EXCLUDED.workspace_id, datawarp.loads.workspace_id)
     RETURNING slice_id AS id`,
    [slice.table, slice.publication, slice.period.label, slice.sourceKey, slice.sourceUrl, slice.sourceSha256, slice.sourceFile,
      slice.sheet, slice.canonicalSha256, slice.ruleVersion, slice.workspace ?? null],
  );
  return row!.id;
}

/** The second half: record in the slice's `datawarp.loads` row how many rows and markers were copied. */
export async function recordSlice(tx: DbTx, sliceId: number, rows: number, markers: number): Promise<void> {
  await tx.query('UPDATE datawarp.loads SET row_count = $2, marker_count = $3 WHERE slice_id = $1', [sliceId, rows, markers]);
}

/**
 * Remove the slices of one publication period that the latest build no longer produces: their staging rows in every
 * table of the publication (registered to it or named in its loads), their `datawarp.loads` rows, and the
 * `datawarp.sources` rows no longer used by any load of that period. Rows of the period that no registry row names
 * (the registry lost track of them) go too. With `workspace`, tables registered to another workspace are never touched.
 * A DELETE, even of nothing, counts as a change of the table (see ./changes.ts): one is issued only where rows exist.
 * @returns the number of staging rows deleted
 */
export async function deleteSlicesExcept(
  tx: DbTx,
  publication: string,
  period: string,
  keep: { table: string; sourceKey: string }[],
  workspace?: string,
): Promise<number> {
  const tables = await tx.query<{ table_name: string; own: boolean }>(
    `SELECT table_name, bool_or(own) AS own FROM (
       SELECT table_name, true AS own FROM datawarp.tables WHERE publication = $1
       UNION ALL SELECT table_name, false FROM datawarp.loads WHERE publication = $1 AND period = $2) t
     WHERE table_name NOT IN (SELECT table_name FROM datawarp.tables WHERE $3::text IS NOT NULL AND workspace_id <> $3)
     GROUP BY table_name ORDER BY 1`,
    [publication, period, workspace ?? null],
  );
  const keepBy = new Map<string, string[]>();
  for (const k of keep) keepBy.set(k.table, [...(keepBy.get(k.table) ?? []), k.sourceKey]);
  let deleted = 0;
  for (const { table_name: table, own } of tables) {
    const keys = keepBy.get(table) ?? [];
    const gone = await tx.query<{ id: number }>(
      'DELETE FROM datawarp.loads WHERE table_name = $1 AND publication = $2 AND period = $3 AND NOT (source_key = ANY($4::text[])) RETURNING slice_id AS id',
      [table, publication, period, keys],
    );
    if (!(await tableExists(tx, table))) continue;
    for (const { id } of gone) deleted += await deleteRows(tx, table, id);
    // Rows of this period in a slice no registry row names: left behind by a registry that lost track of them.
    if (own) for (const id of await unknownSlices(tx, table, period)) deleted += await deleteRows(tx, table, id, period);
  }
  await tx.query(
    `DELETE FROM datawarp.sources s WHERE s.publication = $1 AND s.period = $2
       AND NOT EXISTS (SELECT 1 FROM datawarp.loads l WHERE l.publication = s.publication AND l.period = s.period AND l.source_url = s.source_url)`,
    [publication, period],
  );
  return deleted;
}

async function tableExists(tx: DbTx, table: string): Promise<boolean> {
  const [{ n }] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'staging' AND tablename = $1`, [table]);
  return n > 0;
}

/** Deletes the rows of slice `id` (of `period` only, when given), if it has any: no DELETE of nothing. */
async function deleteRows(tx: DbTx, table: string, id: number, period?: string): Promise<number> {
  const t = stagingName(table);
  const [{ any }] = await tx.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${t} WHERE _slice = $1) AS any`, [id]);
  if (!any) return 0;
  const [{ n }] = await tx.query<{ n: number }>(
    `WITH d AS (DELETE FROM ${t} WHERE _slice = $1 AND ($2::text IS NULL OR _period = $2) RETURNING 1) SELECT count(*)::int AS n FROM d`,
    [id, period ?? null],
  );
  return n;
}

/**
 * Slices of `table` with rows of `period` that no `datawarp.loads` row of the table names: a loose index scan of the
 * slice index (one probe per slice in the table) and one probe per unknown slice for its period.
 */
async function unknownSlices(tx: DbTx, table: string, period: string): Promise<number[]> {
  const known = new Set((await tx.query<{ id: number }>('SELECT slice_id AS id FROM datawarp.loads WHERE table_name = $1', [table])).map((r) => r.id));
  const found: number[] = [];
  for (const id of await slicesInTable(tx, table)) {
    if (known.has(id)) continue;
    const [row] = await tx.query<{ p: string }>(`SELECT _period AS p FROM ${stagingName(table)} WHERE _slice = $1 LIMIT 1`, [id]);
    if (row?.p === period) found.push(id);
  }
  return found;
}
