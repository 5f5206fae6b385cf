/**
 * What a staging table and its columns are, where a database client looks for it: PostgreSQL's `COMMENT ON`,
 * shown by `\d+` in psql, by DBeaver and pgAdmin, and kept in `pg_description`.
 */
import { stagingName } from './staging.ts';
import { quoteIdent, type Db, type DbTx } from './types.ts';

/** An SQL string literal (standard strings: only the quote is doubled); NUL cannot be stored and is dropped. */
function literal(text: string): string {
  return `'${text.replace(/\0/g, '').replace(/'/g, "''")}'`;
}

/**
 * Sets the comment of `staging.<table>` and of each of `columns` that the table has (columns it lacks are passed
 * over: a description may name a column of a later period). A comment equal to the one there is not written again.
 */
export async function commentOnTable(tx: DbTx | Db, table: string, description: string, columns: { name: string; description: string }[]): Promise<void> {
  const have = await tx.query<{ name: string; comment: string | null }>(
    `SELECT a.attname AS name, col_description(c.oid, a.attnum) AS comment
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'staging' AND c.relname = $1 AND a.attnum > 0 AND NOT a.attisdropped`,
    [table],
  );
  const [current] = await tx.query<{ comment: string | null }>(
    `SELECT obj_description(c.oid, 'pg_class') AS comment FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'staging' AND c.relname = $1`,
    [table],
  );
  if (!current) return;
  const statements: string[] = [];
  if (current.comment !== description) statements.push(`COMMENT ON TABLE ${stagingName(table)} IS ${literal(description)}`);
  const existing = new Map(have.map((h) => [h.name, h.comment]));
  for (const c of columns) {
    if (!existing.has(c.name) || existing.get(c.name) === c.description) continue;
    statements.push(`COMMENT ON COLUMN ${stagingName(table)}.${quoteIdent(c.name)} IS ${literal(c.description)}`);
  }
  if (statements.length) await tx.exec(statements.join(';\n'));
}
