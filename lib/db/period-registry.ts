/**
 * A loaded period's registry rows as data, for the archive: read them (to keep with the period's archived rows),
 * write them back exactly as they were (when the rows are restored), or remove the period from the database
 * (staging rows, slices and record, when retention moves it to the archive alone).
 */
import { deleteSlicesExcept } from './slices.ts';
import type { Db, DbTx } from './types.ts';

/** `datawarp.periods`, `sources` and `loads` rows of one period, column by column (timestamps as ISO text). */
export interface PeriodRegistry {
  period: Record<string, unknown>;
  sources: Record<string, unknown>[];
  loads: Record<string, unknown>[];
}

const PERIOD_COLS = ['publication', 'period', 'canonical_sha256', 'rule_version', 'inputs', 'output_digest', 'row_count', 'loaded_at'];
const SOURCE_COLS = ['publication', 'period', 'source_url', 'source_file', 'source_sha256'];
const LOAD_COLS = ['table_name', 'publication', 'period', 'source_key', 'source_url', 'source_sha256', 'source_file', 'sheet', 'canonical_sha256', 'rule_version', 'row_count', 'marker_count', 'loaded_at'];

/** Timestamps as exact text, jsonb as text, bigints as text: the rows come back byte for byte. */
const select = (cols: string[]) =>
  cols.map((c) => (c === 'loaded_at' ? `to_char(loaded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS loaded_at` : c === 'inputs' ? 'inputs::text AS inputs' : `${c}::text AS ${c}`)).join(', ');

/** The period's registry rows, or undefined when it has no record (never loaded). */
export async function readPeriodRegistry(db: Db, publication: string, period: string, workspace: string): Promise<PeriodRegistry | undefined> {
  const args = [publication, period, workspace];
  const where = 'WHERE publication = $1 AND period = $2 AND workspace_id = $3';
  const [rec] = await db.query<Record<string, unknown>>(`SELECT ${select(PERIOD_COLS)} FROM datawarp.periods ${where}`, args);
  if (!rec) return undefined;
  const sources = await db.query<Record<string, unknown>>(`SELECT ${select(SOURCE_COLS)} FROM datawarp.sources ${where} ORDER BY source_url`, args);
  const loads = await db.query<Record<string, unknown>>(`SELECT ${select(LOAD_COLS)} FROM datawarp.loads ${where} ORDER BY table_name, source_key`, args);
  return { period: rec, sources, loads };
}

const insert = (table: string, cols: string[], key: string[], row: Record<string, unknown>, workspace: string) => {
  const all = [...cols, 'workspace_id'];
  const values = all.map((c, i) => `$${i + 1}${c === 'inputs' ? '::jsonb' : c === 'loaded_at' ? '::timestamptz' : c === 'row_count' || c === 'marker_count' ? '::bigint' : ''}`);
  const update = all.filter((c) => !key.includes(c)).map((c) => `${c} = EXCLUDED.${c}`).join(', ');
  return {
    sql: `INSERT INTO datawarp.${table} (${all.join(', ')}) VALUES (${values.join(', ')}) ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${update}`,
    params: [...cols.map((c) => row[c] ?? null), workspace],
  };
};

/** Writes the rows back as they were (in `tx`; new `datawarp.loads` rows get new slice ids, for the restored rows to carry). */
export async function writePeriodRegistry(tx: DbTx, reg: PeriodRegistry, workspace: string): Promise<void> {
  for (const s of reg.sources) {
    const q = insert('sources', SOURCE_COLS, ['publication', 'period', 'source_url'], s, workspace);
    await tx.query(q.sql, q.params);
  }
  for (const l of reg.loads) {
    const q = insert('loads', LOAD_COLS, ['table_name', 'publication', 'period', 'source_key'], l, workspace);
    await tx.query(q.sql, q.params);
  }
  const q = insert('periods', PERIOD_COLS, ['publication', 'period'], reg.period, workspace);
  await tx.query(q.sql, q.params);
}

/** Removes the period from the database: its staging rows in every table, its slices, sources and record. */
export async function removePeriod(tx: DbTx, publication: string, period: string, workspace: string): Promise<number> {
  const rows = await deleteSlicesExcept(tx, publication, period, [], workspace);
  await tx.query('DELETE FROM datawarp.periods WHERE publication = $1 AND period = $2 AND workspace_id = $3', [publication, period, workspace]);
  return rows;
}
