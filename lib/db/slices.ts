/**
 * Slices: the rows of one table that came from one source part (file + table in the file) for one period of one
 * publication. A slice is the unit of replacement: reloading deletes exactly that slice's rows first, so two source
 * parts feeding the same table and period coexist, and reloading never duplicates rows.
 */
import { DbError, type DbTx } from './types.ts';
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
 * and delete the slice's old rows. Returns the table's quoted name.
 */
export async function clearSlice(tx: DbTx, slice: Slice): Promise<string> {
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
  await tx.query(`DELETE FROM ${qname} WHERE _publication = $1 AND _period = $2 AND _source_key = $3`, [slice.publication, slice.period.label, slice.sourceKey]);
  return qname;
}

/** The second half: upsert the slice's `datawarp.sources` and `datawarp.loads` rows with what was copied. */
export async function recordSlice(tx: DbTx, slice: Slice, rows: number, markers: number): Promise<void> {
  await tx.query(
    `INSERT INTO datawarp.sources (publication, period, source_url, source_file, source_sha256, workspace_id) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (publication, period, source_url) DO UPDATE SET source_file = EXCLUDED.source_file, source_sha256 = EXCLUDED.source_sha256,
       workspace_id = COALESCE(EXCLUDED.workspace_id, datawarp.sources.workspace_id)`,
    [slice.publication, slice.period.label, slice.sourceUrl, slice.sourceFile, slice.sourceSha256, slice.workspace ?? null],
  );
  await tx.query(
    `INSERT INTO datawarp.loads (table_name, publication, period, source_key, source_url, source_sha256, source_file, sheet,
                                 canonical_sha256, rule_version, row_count, marker_count, loaded_at, workspace_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now(), $13)
     ON CONFLICT (table_name, publication, period, source_key) DO UPDATE SET
       source_url = EXCLUDED.source_url, source_sha256 = EXCLUDED.source_sha256, source_file = EXCLUDED.source_file,
       sheet = EXCLUDED.sheet, canonical_sha256 = EXCLUDED.canonical_sha256, rule_version = EXCLUDED.rule_version,
       row_count = EXCLUDED.row_count, marker_count = EXCLUDED.marker_count, loaded_at = EXCLUDED.loaded_at,
       workspace_id = COALESCE(EXCLUDED.workspace_id, datawarp.loads.workspace_id)`,
    [slice.table, slice.publication, slice.period.label, slice.sourceKey, slice.sourceUrl, slice.sourceSha256, slice.sourceFile,
      slice.sheet, slice.canonicalSha256, slice.ruleVersion, rows, markers, slice.workspace ?? null],
  );
}

/**
 * Remove the slices of one publication period that the latest build no longer produces: staging rows of every table
 * of the publication (registered to it or named in its loads) whose source key is not in `keep`, their
 * `datawarp.loads` rows, and `datawarp.sources` rows no longer used by any load of that period.
 * Deleting by staging rows too (not only by registry rows) also clears rows the registry lost track of.
 * With `workspace`, tables registered to another workspace are never touched.
 * @returns the number of staging rows deleted
 */
export async function deleteSlicesExcept(
  tx: DbTx,
  publication: string,
  period: string,
  keep: { table: string; sourceKey: string }[],
  workspace?: string,
): Promise<number> {
  const tables = await tx.query<{ table_name: string }>(
    `SELECT table_name FROM datawarp.tables WHERE publication = $1
     UNION SELECT table_name FROM datawarp.loads WHERE publication = $1 AND period = $2
     EXCEPT SELECT table_name FROM datawarp.tables WHERE $3::text IS NOT NULL AND workspace_id <> $3
     ORDER BY 1`,
    [publication, period, workspace ?? null],
  );
  const keepBy = new Map<string, string[]>();
  for (const k of keep) keepBy.set(k.table, [...(keepBy.get(k.table) ?? []), k.sourceKey]);
  let deleted = 0;
  for (const { table_name: table } of tables) {
    const keys = keepBy.get(table) ?? [];
    const exists = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'staging' AND tablename = $1`, [table]);
    // Only source keys that are there and not kept are deleted: a DELETE, even of nothing, counts as a change
    // of the table (see ./changes.ts).
    if (exists[0]!.n > 0) {
      for (const key of await sourceKeys(tx, table, publication, period)) {
        if (keys.includes(key)) continue;
        const gone = await tx.query<{ n: number }>(
          `WITH d AS (DELETE FROM ${stagingName(table)} WHERE _publication = $1 AND _period = $2 AND _source_key = $3 RETURNING 1) SELECT count(*)::int AS n FROM d`,
          [publication, period, key],
        );
        deleted += gone[0]!.n;
      }
    }
    await tx.query(
      'DELETE FROM datawarp.loads WHERE table_name = $1 AND publication = $2 AND period = $3 AND NOT (source_key = ANY($4::text[]))',
      [table, publication, period, keys],
    );
  }
  await tx.query(
    `DELETE FROM datawarp.sources s WHERE s.publication = $1 AND s.period = $2
       AND NOT EXISTS (SELECT 1 FROM datawarp.loads l WHERE l.publication = s.publication AND l.period = s.period AND l.source_url = s.source_url)`,
    [publication, period],
  );
  return deleted;
}

/**
 * The distinct source keys of a period in a staging table, by a loose index scan of the slice index: one probe per
 * key. Filtering the period's rows instead (`NOT (_source_key = ANY(…))`) reads every row of the period, which
 * after a 15M-row load is most of a minute for nothing.
 */
async function sourceKeys(tx: DbTx, table: string, publication: string, period: string): Promise<string[]> {
  const t = stagingName(table);
  const rows = await tx.query<{ k: string }>(
    `WITH RECURSIVE k AS (
       (SELECT _source_key AS k FROM ${t} WHERE _publication = $1 AND _period = $2 ORDER BY _source_key LIMIT 1)
       UNION ALL
       SELECT (SELECT _source_key FROM ${t} WHERE _publication = $1 AND _period = $2 AND _source_key > k.k ORDER BY _source_key LIMIT 1) FROM k WHERE k.k IS NOT NULL
     )
     SELECT k FROM k WHERE k IS NOT NULL`,
    [publication, period],
  );
  return rows.map((r) => r.k);
}
