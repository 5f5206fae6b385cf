/**
 * The registry schema `datawarp` (what was loaded, from which source, by which rules) and the data schema
 * `staging` (one table per logical table, every row carrying its provenance).
 *
 * A *slice* is the unit of replacement: the rows of one table that came from one source part (file + table in the
 * file) for one period of one publication. Reloading a slice deletes exactly that slice's rows first, so two source
 * parts feeding the same table and period coexist, and reloading never duplicates rows.
 *
 * This file is the public entry point: it holds the registry DDL and read/write functions and re-exports the
 * staging-table (`./staging.ts`) and slice (`./slices.ts`) functions.
 */
import { DbError, type Db, type DbTx } from './types.ts';
import { CHANGES_DDL, trackAllTables } from './changes.ts';
import { foreignOwner, stagingName } from './staging.ts';

export { PROVENANCE_COLUMNS, ensureStagingTable, foreignOwner, stagingColumns, stagingName, widerType } from './staging.ts';
export { clearSlice, deleteSlicesExcept, recordSlice } from './slices.ts';
export { loadSlice } from './load.ts';
export type { SliceSource, SourceColumn, SourceRow } from './load.ts';
export type { PeriodRef, Slice } from './slices.ts';

/**
 * Version of the registry/staging layout written by this code; stored in `datawarp.meta`.
 * 2: every registry row records the workspace that wrote it (`workspace_id`), and `datawarp.workspaces` names them.
 * 3: every staging table notes its changes in `datawarp.changes` (see ./changes.ts).
 */
export const REGISTRY_VERSION = 3;

/** Any constant shared by every caller: serialises concurrent ensureSchemas calls on a real server. */
const SCHEMA_LOCK_KEY = 0x6e6873; // "nhs"

const DDL = [
  'CREATE SCHEMA IF NOT EXISTS datawarp',
  'CREATE SCHEMA IF NOT EXISTS staging',
  `CREATE TABLE IF NOT EXISTS datawarp.meta (key text PRIMARY KEY, value text NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS datawarp.tables (
     table_name text PRIMARY KEY,
     publication text NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS datawarp.periods (
     publication text NOT NULL,
     period text NOT NULL,
     canonical_sha256 text NOT NULL,
     rule_version text NOT NULL,
     inputs jsonb NOT NULL,
     output_digest text NOT NULL,
     row_count bigint NOT NULL,
     loaded_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (publication, period))`,
  `CREATE TABLE IF NOT EXISTS datawarp.sources (
     publication text NOT NULL,
     period text NOT NULL,
     source_url text NOT NULL,
     source_file text NOT NULL,
     source_sha256 text NOT NULL,
     PRIMARY KEY (publication, period, source_url))`,
  `CREATE TABLE IF NOT EXISTS datawarp.loads (
     table_name text NOT NULL REFERENCES datawarp.tables (table_name) ON DELETE CASCADE,
     publication text NOT NULL,
     period text NOT NULL,
     source_key text NOT NULL,
     source_url text NOT NULL,
     source_sha256 text NOT NULL,
     source_file text NOT NULL,
     sheet text,
     canonical_sha256 text NOT NULL,
     rule_version text NOT NULL,
     row_count bigint NOT NULL,
     marker_count bigint NOT NULL,
     loaded_at timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (table_name, publication, period, source_key),
     FOREIGN KEY (publication, period, source_url)
       REFERENCES datawarp.sources (publication, period, source_url) ON DELETE CASCADE)`,
  'CREATE INDEX IF NOT EXISTS loads_period_idx ON datawarp.loads (publication, period)',
  // Who shares this database: one row per workspace identity (manifests/.workspace-id), with where it was last opened.
  `CREATE TABLE IF NOT EXISTS datawarp.workspaces (
     workspace_id text PRIMARY KEY,
     root text NOT NULL,
     seen_at timestamptz NOT NULL DEFAULT now())`,
];

/** Registry tables whose rows record the workspace that wrote them. */
const OWNED = ['tables', 'periods', 'sources', 'loads'] as const;

/**
 * Version 1 → 2: add `workspace_id`. Rows written before have none and are claimed by nobody until a workspace
 * loads them again (or opens them as its embedded database). Run only when the stored version is older, because
 * ALTER TABLE takes an exclusive lock even when the column exists, and other workspaces may be reading.
 */
const MIGRATE_TO_2 = OWNED.map((t) => `ALTER TABLE datawarp.${t} ADD COLUMN IF NOT EXISTS workspace_id text`);

/**
 * Create the `datawarp` and `staging` schemas and registry tables if missing. Idempotent and cheap: safe on every
 * open. Concurrent callers are serialised with a transaction-scoped advisory lock.
 * @throws DbError when the database was written by a newer registry version than this code knows
 */
export async function ensureSchemas(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY]);
    for (const stmt of DDL) await tx.query(stmt);
    const rows = await tx.query<{ value: string }>(`SELECT value FROM datawarp.meta WHERE key = 'registry_version'`);
    const found = rows[0] ? Number(rows[0].value) : undefined;
    if (found !== undefined && found > REGISTRY_VERSION) {
      throw new DbError(
        `${db.description} holds registry version ${found}, newer than this nhs-pipeline understands (${REGISTRY_VERSION})`,
        'Upgrade nhs-pipeline, or point it at another database (or move the .pglite folder aside) to start afresh.',
      );
    }
    if (found === undefined || found < REGISTRY_VERSION) {
      for (const stmt of MIGRATE_TO_2) await tx.query(stmt);
      for (const stmt of CHANGES_DDL) await tx.query(stmt);
      await trackAllTables(tx);
      await tx.query(
        `INSERT INTO datawarp.meta (key, value) VALUES ('registry_version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [String(REGISTRY_VERSION)],
      );
    }
  });
}


/** The provenance record of a loaded period: what it was built from and a digest of what was loaded. */
export interface PeriodRecord {
  publication: string;
  period: string;
  canonicalSha256: string;
  ruleVersion: string;
  /** Input name → content hash (e.g. source file URL → sha256). */
  inputs: Record<string, string>;
  outputDigest: string;
  rowCount: number;
  /** ISO 8601 UTC timestamp, set by the database when the record was written. */
  loadedAt: string;
}

/** ISO 8601 UTC text of a timestamptz column, computed in SQL so both drivers agree to the millisecond. */
const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The record of a loaded period, or undefined when that period was never loaded (or its record was removed).
 * With `workspace`, only that workspace's record counts: another workspace's gives undefined, so the period is loaded
 * and {@link claimPeriod} says whose it is (rather than calling it up to date on someone else's record); one claimed
 * by nobody (written before workspace ids) gives undefined too, so the load runs once to claim it (its unchanged
 * slices are skipped: no rows are written again).
 */
export async function readPeriodRecord(db: Db, publication: string, period: string, workspace?: string): Promise<PeriodRecord | undefined> {
  const rows = await db.query<{ canonical_sha256: string; rule_version: string; inputs: Record<string, string>; output_digest: string; row_count: number | string; loaded_at: string }>(
    `SELECT canonical_sha256, rule_version, inputs, output_digest, row_count, ${iso('loaded_at')} AS loaded_at
       FROM datawarp.periods WHERE publication = $1 AND period = $2 AND ($3::text IS NULL OR workspace_id = $3)`,
    [publication, period, workspace ?? null],
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    publication, period, canonicalSha256: r.canonical_sha256, ruleVersion: r.rule_version, inputs: r.inputs,
    outputDigest: r.output_digest, rowCount: Number(r.row_count), loadedAt: r.loaded_at,
  };
}

/**
 * Insert or replace the record of a period (in the same transaction as its slices, so both change together).
 * `rec.workspace` claims the record; a record another workspace claimed is never overwritten.
 * @throws DbError when another workspace holds the record of this period
 */
export async function writePeriodRecord(tx: DbTx, rec: Omit<PeriodRecord, 'loadedAt'> & { workspace?: string }): Promise<void> {
  const written = await tx.query(
    `INSERT INTO datawarp.periods (publication, period, canonical_sha256, rule_version, inputs, output_digest, row_count, loaded_at, workspace_id)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, now(), $8)
     ON CONFLICT (publication, period) DO UPDATE SET canonical_sha256 = EXCLUDED.canonical_sha256, rule_version = EXCLUDED.rule_version,
       inputs = EXCLUDED.inputs, output_digest = EXCLUDED.output_digest, row_count = EXCLUDED.row_count, loaded_at = EXCLUDED.loaded_at,
       workspace_id = COALESCE(EXCLUDED.workspace_id, datawarp.periods.workspace_id)
     WHERE EXCLUDED.workspace_id IS NULL OR datawarp.periods.workspace_id IS NULL OR datawarp.periods.workspace_id = EXCLUDED.workspace_id
     RETURNING 1`,
    [rec.publication, rec.period, rec.canonicalSha256, rec.ruleVersion, JSON.stringify(rec.inputs), rec.outputDigest, rec.rowCount, rec.workspace ?? null],
  );
  if (written.length === 0) await claimPeriod(tx, rec.publication, rec.period, rec.workspace!); // throws, naming the owner
}

/**
 * Record that workspace `id` (rooted at `root` on this machine) uses this database, so that errors and `clean` can
 * say whose rows they are. Cheap: one upsert per open.
 */
export async function registerWorkspace(db: Db, id: string, root: string): Promise<void> {
  await db.query(
    `INSERT INTO datawarp.workspaces (workspace_id, root, seen_at) VALUES ($1, $2, now())
     ON CONFLICT (workspace_id) DO UPDATE SET root = EXCLUDED.root, seen_at = EXCLUDED.seen_at`,
    [id, root],
  );
}

/**
 * The embedded database lives inside its workspace, so everything in it is that workspace's: claim every row
 * (rows from before workspace ids, or from a workspace whose id file was lost). Never call this on a shared server.
 */
export async function claimEverything(db: Db, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    for (const t of OWNED) await tx.query(`UPDATE datawarp.${t} SET workspace_id = $1 WHERE workspace_id IS DISTINCT FROM $1`, [id]);
  });
}

/**
 * Claim one publication period for workspace `id` before loading it: its registry rows (`periods`, `sources`,
 * `loads`) may belong to nobody (adopted here) or to `id`; rows of another workspace mean two workspaces configure
 * the same period on one database, which would overwrite each other's records and rows.
 * @throws DbError naming the period and the other workspace
 */
export async function claimPeriod(tx: DbTx, publication: string, period: string, id: string): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`period:${publication}/${period}`]);
  const others = await tx.query<{ w: string }>(
    `SELECT workspace_id AS w FROM datawarp.periods WHERE publication = $1 AND period = $2 AND workspace_id <> $3
     UNION SELECT workspace_id FROM datawarp.sources WHERE publication = $1 AND period = $2 AND workspace_id <> $3
     UNION SELECT workspace_id FROM datawarp.loads WHERE publication = $1 AND period = $2 AND workspace_id <> $3
     ORDER BY 1 LIMIT 1`,
    [publication, period, id],
  );
  if (others[0]) {
    const who = await foreignOwner(tx, others[0].w);
    throw new DbError(
      `${publication}/${period} is already loaded in this database by ${who}; this workspace (${id}) also configures it`,
      `Two workspaces sharing a database cannot load the same publication period: remove it from one config, or point one workspace at another database (DATABASE_URL). If both are the same workspace (a clone), copy manifests/.workspace-id from the other one.`,
    );
  }
  // Tables first: an unchanged slice is skipped without ensureStagingTable, so its table is adopted here.
  await tx.query(
    `UPDATE datawarp.tables SET workspace_id = $3 WHERE workspace_id IS NULL
        AND table_name IN (SELECT table_name FROM datawarp.loads WHERE publication = $1 AND period = $2 AND (workspace_id IS NULL OR workspace_id = $3))`,
    [publication, period, id],
  );
  for (const t of ['periods', 'sources', 'loads']) {
    await tx.query(`UPDATE datawarp.${t} SET workspace_id = $3 WHERE publication = $1 AND period = $2 AND workspace_id IS NULL`, [publication, period, id]);
  }
}

/** One row of `datawarp.loads`: a loaded slice. */
export interface LoadRow {
  table: string; publication: string; period: string; sourceKey: string; sourceSha256: string; sourceFile: string;
  sheet: string | null; canonicalSha256: string; ruleVersion: string; rowCount: number; markerCount: number;
  /** ISO 8601 UTC timestamp. */
  loadedAt: string;
}

/** Loaded slices, optionally filtered, ordered by table, publication, period, source key. */
export async function readLoads(db: Db, filter: { publication?: string; period?: string; table?: string; workspace?: string } = {}): Promise<LoadRow[]> {
  const rows = await db.query<Record<string, string | number | null>>(
    `SELECT table_name, publication, period, source_key, source_sha256, source_file, sheet, canonical_sha256, rule_version,
            row_count, marker_count, ${iso('loaded_at')} AS loaded_at
       FROM datawarp.loads
      WHERE ($1::text IS NULL OR publication = $1) AND ($2::text IS NULL OR period = $2) AND ($3::text IS NULL OR table_name = $3)
        AND ($4::text IS NULL OR workspace_id = $4)
      ORDER BY table_name, publication, period, source_key`,
    [filter.publication ?? null, filter.period ?? null, filter.table ?? null, filter.workspace ?? null],
  );
  return rows.map((r) => ({
    table: String(r.table_name), publication: String(r.publication), period: String(r.period), sourceKey: String(r.source_key),
    sourceSha256: String(r.source_sha256), sourceFile: String(r.source_file), sheet: r.sheet === null ? null : String(r.sheet),
    canonicalSha256: String(r.canonical_sha256), ruleVersion: String(r.rule_version), rowCount: Number(r.row_count),
    markerCount: Number(r.marker_count), loadedAt: String(r.loaded_at),
  }));
}

/** Tables registered in `datawarp.tables` with their owning publication, by name. */
export async function registeredTables(db: Db): Promise<{ table: string; publication: string }[]> {
  const rows = await db.query<{ table_name: string; publication: string }>('SELECT table_name, publication FROM datawarp.tables ORDER BY table_name');
  return rows.map((r) => ({ table: r.table_name, publication: r.publication }));
}

/** Every base table in schema `staging`, registered or not, by name (`[]` before {@link ensureSchemas}). */
export async function stagingTables(db: Db): Promise<string[]> {
  const rows = await db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'staging' ORDER BY tablename`);
  return rows.map((r) => r.t);
}

/** Number of rows of `staging.<table>` loaded for one publication period (all its slices). */
export async function countSliceRows(db: Db, table: string, publication: string, period: string): Promise<number> {
  const rows = await db.query<{ n: number | string }>(`SELECT count(*) AS n FROM ${stagingName(table)} WHERE _publication = $1 AND _period = $2`, [publication, period]);
  return Number(rows[0]!.n);
}
