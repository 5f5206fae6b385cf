/**
 * How the pipeline notices what was done to its tables behind its back, cheaply.
 *
 * Every staging table carries a statement-level trigger that gives its row in `datawarp.changes` a new random
 * token whenever rows are inserted, updated, deleted or truncated, by anyone. A table whose token and
 * identity (oid and storage file, which a DROP, a TRUNCATE, a rewrite or a restore from a dump change) are
 * what they were when its rows were last counted still holds those counts: it is not counted again. Writers
 * of one table are serialised on its `changes` row, so a token read inside a transaction stays ours until
 * commit.
 */
import { quoteIdent, type Db, type DbTx } from './types.ts';

/** The change log and its trigger function; idempotent. */
export const CHANGES_DDL = [
  `CREATE TABLE IF NOT EXISTS datawarp.changes (table_name text PRIMARY KEY, token text NOT NULL)`,
  `CREATE OR REPLACE FUNCTION datawarp.note_change() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     INSERT INTO datawarp.changes (table_name, token) VALUES (TG_TABLE_NAME, md5(random()::text || clock_timestamp()::text))
     ON CONFLICT (table_name) DO UPDATE SET token = EXCLUDED.token;
     RETURN NULL;
   END $$`,
];

/** Puts the change trigger on `staging.<table>` (idempotent). */
export async function trackChanges(tx: DbTx | Db, table: string): Promise<void> {
  const q = `staging.${quoteIdent(table)}`;
  await tx.query(`CREATE OR REPLACE TRIGGER nhs_note_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${q} FOR EACH STATEMENT EXECUTE FUNCTION datawarp.note_change()`);
}

/** Puts the trigger on every staging table that lacks it (tables created before change tracking). */
export async function trackAllTables(tx: DbTx): Promise<void> {
  const rows = await tx.query<{ t: string }>(
    `SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'staging' AND c.relkind = 'r'
        AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'nhs_note_change')`,
  );
  for (const r of rows) await trackChanges(tx, r.t);
}

/** What a staging table is now: which table (its identity) and its last change token (null: never written). */
export interface TableState { identity: string; token: string | null }

/** Every staging table's state, in one query. */
export async function tableStates(db: Db | DbTx): Promise<Map<string, TableState>> {
  const rows = await db.query<{ t: string; identity: string; token: string | null }>(
    `SELECT c.relname AS t, c.oid::text || '/' || c.relfilenode::text AS identity, ch.token
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN datawarp.changes ch ON ch.table_name = c.relname
      WHERE n.nspname = 'staging' AND c.relkind = 'r'`,
  );
  return new Map(rows.map((r) => [r.t, { identity: r.identity, token: r.token }]));
}

/** The change token of one table inside a transaction, locking its row so no other writer changes it before commit. */
export async function lockedToken(tx: DbTx, table: string): Promise<string | null> {
  const rows = await tx.query<{ token: string }>('SELECT token FROM datawarp.changes WHERE table_name = $1 FOR UPDATE', [table]);
  return rows[0]?.token ?? null;
}

/** Rows of `staging.<table>` per `pub/period` (the publication the table is registered to), counted in one pass. */
export async function rowsPerPeriod(db: Db, table: string): Promise<Record<string, number>> {
  const rows = await db.query<{ p: string; n: number | string }>(
    `SELECT (SELECT publication FROM datawarp.tables WHERE table_name = $1) || '/' || _period AS p, count(*) AS n
       FROM staging.${quoteIdent(table)} GROUP BY _period`,
    [table],
  );
  return Object.fromEntries(rows.filter((r) => r.p !== null).map((r) => [r.p, Number(r.n)]));
}

/**
 * One digest of everything a build's decisions read from a server for `workspace`: its period records, its
 * slices, and every staging table's identity and change token. Equal digests mean the database says what it said.
 */
export async function registryDigest(db: Db, workspace: string): Promise<string> {
  const rows = await db.query<{ d: string }>(
    `SELECT md5(
       coalesce((SELECT string_agg(publication || '/' || period || ':' || rule_version || ':' || output_digest || ':' || inputs::text, ',' ORDER BY publication, period)
                   FROM datawarp.periods WHERE workspace_id = $1), '') || '|' ||
       coalesce((SELECT string_agg(table_name || ':' || publication || '/' || period || ':' || source_key || ':' || source_sha256 || ':' || canonical_sha256 || ':' || rule_version || ':' || row_count, ',' ORDER BY table_name, publication, period, source_key)
                   FROM datawarp.loads WHERE workspace_id = $1), '') || '|' ||
       coalesce((SELECT string_agg(c.relname || ':' || c.oid || '/' || c.relfilenode || ':' || coalesce(ch.token, ''), ',' ORDER BY c.relname)
                   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN datawarp.changes ch ON ch.table_name = c.relname
                  WHERE n.nspname = 'staging' AND c.relkind = 'r'), '')) AS d`,
    [workspace],
  );
  return rows[0]!.d;
}
