/**
 * The database interface of nhs-pipeline: one {@link Db} API over two drivers.
 *
 * - Embedded (default): PGlite persisted at `<workspace>/.pglite/` — nothing to install or run.
 * - Real PostgreSQL when a `databaseUrl` (`postgres://user:password@host:5432/db`) is given.
 *
 * The registry and staging schema built on top of it live in `./registry.ts`.
 */
import type { Db } from './types.ts';

export { COLUMN_TYPES, DbAbortError, DbError, quoteIdent } from './types.ts';
export type { ColumnType, CopyRow, Db, DbTx, StatementResult } from './types.ts';

/**
 * Open the project's database.
 * @param opts.workspace the workspace folder; the embedded database lives in `<workspace>/.pglite/`
 * @param opts.databaseUrl when given, connect to this PostgreSQL server instead (checked with a first query)
 * @throws DbError when the server cannot be reached or the embedded data directory cannot be opened;
 *   the message and hint never contain the password
 */
export async function openDb(opts: { workspace: string; databaseUrl?: string }): Promise<Db> {
  // Each driver is imported when chosen: PGlite's module alone adds ~45 MB to the process (measured), which a build
  // against a server should not carry.
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') return (await import('./postgres.ts')).openPostgres(opts.databaseUrl);
  return (await import('./pglite.ts')).openPglite(opts.workspace);
}
