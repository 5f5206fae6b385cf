/**
 * Staging tables: `staging.<table>` holds the rows of one logical table for every period of its one publication, each
 * row carrying its provenance columns first. Columns are added and widened as new periods need, never narrowed.
 *
 * A row carries only what differs between the rows of a table or what analysts filter on (`_period`, its dates, the row's
 * kind, markers and place in the source) and `_slice`, the id of its slice in the registry (`datawarp.slices`), which
 * holds what is the same for every row of a slice: publication, source key, URL, file, SHA-256 and sheet. Repeating
 * those in every row cost PostgreSQL more than storing the data itself (README, "How rows get in").
 */
import { DbError, quoteIdent, type ColumnType, type Db, type DbTx } from './types.ts';
import { trackChanges } from './changes.ts';
import { convertWide, createSliceIndex, isWide, SLICE_COLUMNS } from './layout.ts';
import { isColumnType, widerType } from '../column-types.ts';

/** Provenance columns of every staging table, in order, before the data columns. */
export const PROVENANCE_COLUMNS: readonly { name: string; sql: string }[] = [
  { name: '_period', sql: 'text NOT NULL' },
  { name: '_period_start', sql: 'date NOT NULL' },
  { name: '_period_end', sql: 'date NOT NULL' },
  { name: '_slice', sql: 'integer NOT NULL' },
  { name: '_source_row', sql: 'integer NOT NULL' },
  { name: '_row_kind', sql: 'text NOT NULL' },
  { name: '_markers', sql: 'jsonb' },
];
/** Provenance columns added after tables were first created, with the value rows loaded before them get. */
const ADDED_PROVENANCE: readonly { name: string; sql: string; before: string }[] = [{ name: '_row_kind', sql: 'text NOT NULL', before: `'detail'` }];
/** Names data columns may not use: the provenance columns of the rows and of their slice. */
export const PROVENANCE_NAMES: ReadonlySet<string> = new Set([...PROVENANCE_COLUMNS.map((c) => c.name), ...SLICE_COLUMNS]);

/** `staging."<table>"`: the quoted qualified name of a staging table. */
export function stagingName(table: string): string {
  return `staging.${quoteIdent(table)}`;
}

export { widerType } from '../column-types.ts';
export { sliceIndexName } from './layout.ts';

/** `USING` expression converting a column from one type to a wider one (boolean has no direct cast to bigint/numeric). */
function widenUsing(col: string, from: ColumnType, to: ColumnType): string {
  const q = quoteIdent(col);
  if (from === 'boolean' && to !== 'text') return `${q}::integer::${to}`;
  return `${q}::${to}`;
}

/** Map PostgreSQL's `format_type` names to {@link ColumnType}s (also accepting close relatives a person may create). */
function toColumnType(pgType: string, table: string, column: string): ColumnType {
  const t = pgType.replace(/\(.*\)$/, '');
  switch (t) {
    case 'integer': case 'smallint': return 'integer';
    case 'bigint': return 'bigint';
    case 'numeric': case 'real': case 'double precision': return 'numeric';
    case 'date': return 'date';
    case 'boolean': return 'boolean';
    case 'text': case 'character varying': case 'character': return 'text';
    default:
      throw new DbError(
        `Column ${column} of ${stagingName(table)} has type ${pgType}, which nhs-pipeline does not use`,
        `Change it back with ALTER TABLE ${stagingName(table)} ALTER COLUMN ${quoteIdent(column)} TYPE text, or drop the table so it is rebuilt.`,
      );
  }
}

/** Data columns (provenance columns excluded) of a staging table, in table order; `[]` when the table does not exist. */
export async function stagingColumns(db: Db | DbTx, table: string): Promise<{ name: string; type: ColumnType }[]> {
  return dataColumns(await allColumns(db, table), table);
}

/** Every column of a staging table, provenance included, with its `format_type`, in table order. */
async function allColumns(db: Db | DbTx, table: string): Promise<{ name: string; type: string }[]> {
  return db.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'staging' AND c.relname = $1 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [table],
  );
}

function dataColumns(all: { name: string; type: string }[], table: string): { name: string; type: ColumnType }[] {
  return all.filter((r) => !PROVENANCE_NAMES.has(r.name)).map((r) => ({ name: r.name, type: toColumnType(r.type, table, r.name) }));
}

/**
 * How a workspace is named to a person: its id plus the folder it was last opened from (`datawarp.workspaces`),
 * e.g. `workspace 5f0c… (last opened at /srv/ci/nhs)`.
 */
export async function foreignOwner(tx: DbTx | Db, id: string): Promise<string> {
  const rows = await tx.query<{ root: string }>('SELECT root FROM datawarp.workspaces WHERE workspace_id = $1', [id]);
  return `workspace ${id}${rows[0] ? ` (last opened at ${rows[0].root})` : ''}`;
}

/**
 * Make `staging.<table>` hold `columns`: create it (provenance columns, then the data columns, plus the slice index)
 * and register it for `publication` if missing; adopt one of an earlier layout (./layout.ts converts it); add missing
 * columns; widen columns whose requested type is wider.
 * A narrower requested type keeps the wider existing type (values of the narrower type still load).
 * @param workspace the id of the workspace loading (manifests/.workspace-id): the table is registered to it, and a
 *   table registered to nobody (written before workspace ids) is adopted; undefined when the database is not shared
 * @param opts.sliceIndexLater a table created now gets no slice index: the caller creates it (`createSliceIndex`) in
 *   the same transaction once the first rows are in, a sort instead of an index insertion per row
 * @throws DbError when the table is registered to another workspace or publication, a data column uses a provenance
 *   column name, or an unregistered table of that name exists without provenance columns
 */
export async function ensureStagingTable(
  tx: DbTx,
  table: string,
  publication: string,
  columns: { name: string; type: ColumnType }[],
  workspace?: string,
  opts: { sliceIndexLater?: boolean } = {},
): Promise<{ created: boolean; added: string[]; widened: { column: string; from: ColumnType; to: ColumnType }[] }> {
  const qname = stagingName(table);
  for (const c of columns) {
    if (PROVENANCE_NAMES.has(c.name)) {
      throw new DbError(`Column ${c.name} of table ${table} clashes with a provenance column of the same name`, 'Rename the column in the publication\'s rules.');
    }
    if (!isColumnType(c.type)) throw new DbError(`Column ${c.name} of table ${table} has unknown type ${String(c.type)}`, 'Use one of integer, bigint, numeric, date, boolean, text.');
  }
  // One creator at a time per table (matters on a real server with several connections).
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`staging.${table}`]);
  const owner = await tx.query<{ publication: string; workspace_id: string | null }>('SELECT publication, workspace_id FROM datawarp.tables WHERE table_name = $1', [table]);
  const other = owner[0]?.workspace_id;
  if (workspace !== undefined && other && other !== workspace) {
    // Sharing would let one workspace's build replace, and its clean drop, the other's rows.
    throw new DbError(
      `Table ${qname} belongs to ${await foreignOwner(tx, other)} (publication ${owner[0]!.publication}) in this database; this workspace (${workspace}), publication ${publication}, also wants to load into it`,
      `Two workspaces sharing a database need different table names: rename the table in ${publication}'s overrides (config/publications.yaml), or point one workspace at another database (DATABASE_URL). If both are the same workspace (a clone), copy manifests/.workspace-id from the other one.`,
    );
  }
  if (workspace !== undefined && owner[0] && !other) {
    await tx.query('UPDATE datawarp.tables SET workspace_id = $2 WHERE table_name = $1', [table, workspace]);
  }
  if (owner[0] && owner[0].publication !== publication) {
    throw new DbError(
      `Table ${qname} belongs to publication ${owner[0].publication}; publication ${publication} also wants to load into it`,
      `Give the table another name in ${publication}'s rules (table names are shared by all publications).`,
    );
  }
  const all = await allColumns(tx, table);
  const exists = all.length > 0 || (await tableExists(tx, table));
  if (!exists) {
    const defs = [...PROVENANCE_COLUMNS.map((c) => `${quoteIdent(c.name)} ${c.sql}`), ...columns.map((c) => `${quoteIdent(c.name)} ${c.type}`)];
    await tx.query(`CREATE TABLE ${qname} (${defs.join(', ')})`);
    if (!opts.sliceIndexLater) await createSliceIndex(tx, table);
    await trackChanges(tx, table);
    await register(tx, table, publication, workspace);
    return { created: true, added: [], widened: [] };
  }
  const names = new Set(all.map((c) => c.name));
  const wide = isWide(names);
  if (!owner[0]) {
    // A table of an earlier layout, or one whose registry rows were lost, is adopted; anything else is not ours.
    const needed = [...PROVENANCE_COLUMNS.map((c) => c.name).filter((n) => !wide || n !== '_slice'), ...(wide ? SLICE_COLUMNS : [])];
    if (needed.some((n) => !names.has(n) && !ADDED_PROVENANCE.some((c) => c.name === n))) {
      throw new DbError(
        `Table ${qname} exists but was not created by nhs-pipeline (it lacks the provenance columns)`,
        `Drop or rename it (DROP TABLE ${qname}) so that nhs-pipeline can create it.`,
      );
    }
    await register(tx, table, publication, workspace);
  }
  if (wide) await convertWide(tx, table);
  await addProvenance(tx, table);
  const existing = dataColumns(all, table);
  const byName = new Map(existing.map((c) => [c.name, c.type]));
  const added: string[] = [];
  const widened: { column: string; from: ColumnType; to: ColumnType }[] = [];
  for (const c of columns) {
    const have = byName.get(c.name);
    if (have === undefined) {
      await tx.query(`ALTER TABLE ${qname} ADD COLUMN ${quoteIdent(c.name)} ${c.type}`);
      byName.set(c.name, c.type);
      added.push(c.name);
      continue;
    }
    const to = widerType(have, c.type);
    if (to !== have) {
      await tx.query(`ALTER TABLE ${qname} ALTER COLUMN ${quoteIdent(c.name)} TYPE ${to} USING ${widenUsing(c.name, have, to)}`);
      byName.set(c.name, to);
      widened.push({ column: c.name, from: have, to });
    }
  }
  return { created: false, added, widened };
}

/**
 * A table created before a provenance column existed gets it, filled for its old rows (which the next load of their
 * period replaces: the loader's version changed with the column).
 */
async function addProvenance(tx: DbTx, table: string): Promise<void> {
  const have = await tx.query<{ name: string }>(
    `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = $1 AND column_name = ANY($2::text[])`,
    [table, ADDED_PROVENANCE.map((c) => c.name)],
  );
  for (const c of ADDED_PROVENANCE) {
    if (have.some((h) => h.name === c.name)) continue;
    const col = quoteIdent(c.name);
    await tx.query(`ALTER TABLE ${stagingName(table)} ADD COLUMN ${col} ${c.sql} DEFAULT ${c.before}`);
    await tx.query(`ALTER TABLE ${stagingName(table)} ALTER COLUMN ${col} DROP DEFAULT`);
  }
}

async function tableExists(tx: DbTx, table: string): Promise<boolean> {
  const rows = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'staging' AND tablename = $1`, [table]);
  return rows[0]!.n > 0;
}

async function register(tx: DbTx, table: string, publication: string, workspace: string | undefined): Promise<void> {
  await tx.query('INSERT INTO datawarp.tables (table_name, publication, workspace_id) VALUES ($1, $2, $3) ON CONFLICT (table_name) DO NOTHING', [table, publication, workspace ?? null]);
}

