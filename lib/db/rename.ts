/**
 * Renaming staging tables and columns in place, for `rename --execute`: ALTER TABLE … RENAME keeps every row where
 * it is (nothing copied, nothing dropped), and the registry rows move to the new name in the same transaction.
 */
import { foreignOwner, sliceIndexName, stagingName } from './staging.ts';
import { DbError, quoteIdent, type DbTx } from './types.ts';

export interface DbRename { publication: string; from: string; to: string; columns: { from: string; to: string }[] }

/**
 * Renames each table (and its columns) that exists, moves its `datawarp.tables`, `loads` and `changes` rows, and
 * records for each of its slices the load contract it has under its new name (`contracts`).
 * @throws DbError when a table belongs to another publication or workspace, or the new name is taken
 */
export async function renameInDatabase(
  tx: DbTx,
  renames: DbRename[],
  contracts: { publication: string; period: string; table: string; contract: string }[],
  workspace?: string,
): Promise<void> {
  for (const r of renames) {
    const [owner] = await tx.query<{ publication: string; workspace_id: string | null }>('SELECT publication, workspace_id FROM datawarp.tables WHERE table_name = $1', [r.from]);
    const exists = await hasTable(tx, r.from);
    if (!exists && !owner) continue; // never loaded: only its manifests change
    if (owner && owner.publication !== r.publication) {
      throw new DbError(`Table ${stagingName(r.from)} belongs to publication ${owner.publication}, not ${r.publication}`, 'Rename it from its own publication.');
    }
    if (workspace !== undefined && owner?.workspace_id && owner.workspace_id !== workspace) {
      throw new DbError(`Table ${stagingName(r.from)} belongs to ${await foreignOwner(tx, owner.workspace_id)}`, 'Rename it from the workspace that loaded it.');
    }
    if (r.to !== r.from && ((await hasTable(tx, r.to)) || (await tx.query('SELECT 1 FROM datawarp.tables WHERE table_name = $1', [r.to])).length)) {
      throw new DbError(`Cannot rename ${stagingName(r.from)} to ${r.to}: a table of that name exists`, `Drop or rename ${stagingName(r.to)} first, or give this table another name in the publication's overrides.`);
    }
    if (exists && r.to !== r.from) {
      await tx.query(`ALTER TABLE ${stagingName(r.from)} RENAME TO ${quoteIdent(r.to)}`);
      await tx.query(`ALTER INDEX IF EXISTS staging.${quoteIdent(sliceIndexName(r.from))} RENAME TO ${quoteIdent(sliceIndexName(r.to))}`);
    }
    if (exists) await renameColumns(tx, r.to, r.columns);
    if (r.to !== r.from) {
      if (owner) {
        await tx.query(
          `INSERT INTO datawarp.tables (table_name, publication, created_at, workspace_id) SELECT $2, publication, created_at, workspace_id FROM datawarp.tables WHERE table_name = $1`,
          [r.from, r.to],
        );
        await tx.query('UPDATE datawarp.loads SET table_name = $2 WHERE table_name = $1', [r.from, r.to]);
        await tx.query('DELETE FROM datawarp.tables WHERE table_name = $1', [r.from]);
      }
      await tx.query('UPDATE datawarp.changes SET table_name = $2 WHERE table_name = $1', [r.from, r.to]);
    }
  }
  for (const c of contracts) {
    await tx.query('UPDATE datawarp.loads SET canonical_sha256 = $4 WHERE table_name = $1 AND publication = $2 AND period = $3', [c.table, c.publication, c.period, c.contract]);
  }
}

/** Renames columns through temporary names first, so that swaps (`a` → `b`, `b` → `a`) work. */
async function renameColumns(tx: DbTx, table: string, columns: { from: string; to: string }[]): Promise<void> {
  const have = new Set((await tx.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = $1`, [table],
  )).map((x) => x.name));
  const moves = columns.filter((c) => have.has(c.from) && c.from !== c.to);
  for (const [i, c] of moves.entries()) await tx.query(`ALTER TABLE ${stagingName(table)} RENAME COLUMN ${quoteIdent(c.from)} TO ${quoteIdent(`__rename_${i}`)}`);
  for (const [i, c] of moves.entries()) {
    if (have.has(c.to) && !moves.some((m) => m.from === c.to)) {
      throw new DbError(`Cannot rename column ${c.from} of ${stagingName(table)} to ${c.to}: the table has a column of that name`, 'Rename or drop that column first.');
    }
    await tx.query(`ALTER TABLE ${stagingName(table)} RENAME COLUMN ${quoteIdent(`__rename_${i}`)} TO ${quoteIdent(c.to)}`);
  }
}

async function hasTable(tx: DbTx, table: string): Promise<boolean> {
  return (await tx.query(`SELECT 1 FROM pg_tables WHERE schemaname = 'staging' AND tablename = $1`, [table])).length > 0;
}
