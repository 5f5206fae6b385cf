/**
 * Database leftovers of publications, periods and tables the current config no longer produces: staging tables no
 * canonical manifest defines, rows of unconfigured periods inside tables that are kept, and the registry rows
 * (`datawarp.periods`, `sources`, `loads`, `tables`) that describe them. Also staging tables nhs-pipeline never
 * registered (a user's own), which are reported but only dropped on request.
 *
 * Finding and deleting are separate so a caller can show the list first and later delete exactly that list:
 * {@link deleteDbOrphans} deletes the listed keys, never "whatever matches now".
 *
 * One database may be shared by several workspaces (a CI server and a developer checkout): every registry row
 * records the workspace that wrote it, and only the asking workspace's rows (and the tables registered to it) can be
 * orphans. Rows of other workspaces, and rows written before workspace ids (claimed by nobody), are only counted.
 */
import { foreignOwner, stagingName } from './staging.ts';
import { DbError, type Db, type DbTx } from './types.ts';

/** What the current config produces, as far as the database is concerned. */
export interface KeepSet {
  /** Configured (publication, period) pairs. */
  periods: { publication: string; period: string }[];
  /** Tables named by the canonical manifests of configured periods, with the publication whose manifest names them. */
  tables: { table: string; publication: string }[];
  /** The asking workspace's id: only its registry rows and tables can be orphans. */
  workspace: string;
}

/** What the database holds that is not the asking workspace's to delete: counted, never listed for deletion. */
export interface NotOurs {
  /** Staging tables registered to them. */
  tables: number;
  /** Their `datawarp.periods`, `sources`, `loads` and `tables` rows. */
  registryRows: number;
}

/** A registered staging table no current canonical manifest defines: dropped with its `datawarp.tables` row. */
export interface TableOrphan { table: string; publication: string; rows: number; bytes: number; exists: boolean }
/** The rows of one unconfigured (publication, period) inside a staging table that is kept. */
export interface RowsOrphan { table: string; publication: string; period: string; rows: number }
/** A staging table nhs-pipeline never registered. */
export interface UnknownTable { table: string; rows: number; bytes: number }
export interface PeriodOrphan { publication: string; period: string; rows: number }
export interface SourceOrphan { publication: string; period: string; sourceUrl: string; sourceFile: string }
export interface LoadOrphan { table: string; publication: string; period: string; sourceKey: string; sourceUrl: string; rows: number }

/** Everything in the database the {@link KeepSet} does not account for. */
export interface DbOrphans {
  tables: TableOrphan[];
  rows: RowsOrphan[];
  unknown: UnknownTable[];
  periods: PeriodOrphan[];
  sources: SourceOrphan[];
  loads: LoadOrphan[];
  /** Other workspaces' tables and rows, and how each workspace is named (`workspace <id> (last opened at <root>)`). */
  others: NotOurs & { workspaces: string[] };
  /** Tables and rows written before workspace ids (registry version 1) on a shared server: claimed by nobody. */
  unclaimed: NotOurs;
}

const pair = (publication: string, period: string) => `${publication}\u0000${period}`;

/**
 * List what the database holds beyond `keep`. Read-only. Sorted, so two calls on the same database give equal lists.
 * A table is kept only when a canonical manifest of its registered publication names it (a table registered to a
 * removed publication is an orphan even if another publication now uses the name: the build would refuse to load it).
 */
export async function findDbOrphans(db: Db, keep: KeepSet): Promise<DbOrphans> {
  const configured = new Set(keep.periods.map((p) => pair(p.publication, p.period)));
  const defined = new Set(keep.tables.map((t) => pair(t.table, t.publication)));
  const definedNames = new Set(keep.tables.map((t) => t.table));
  const staging = new Set(
    (await db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'staging' ORDER BY tablename`)).map((r) => r.t),
  );
  const all = await db.query<{ table_name: string; publication: string; workspace_id: string | null }>(
    'SELECT table_name, publication, workspace_id FROM datawarp.tables ORDER BY table_name',
  );
  const others: DbOrphans['others'] = { tables: 0, registryRows: 0, workspaces: [] };
  const unclaimed: NotOurs = { tables: 0, registryRows: 0 };
  const foreign = new Set<string>();
  /** Whether a registry row is the asking workspace's; counts it under others or unclaimed when not. */
  const mine = (row: { workspace_id: string | null }, isTable = false): boolean => {
    if (row.workspace_id === keep.workspace) return true;
    const into = row.workspace_id === null ? unclaimed : others;
    into.registryRows++;
    if (isTable) into.tables++;
    if (row.workspace_id !== null) foreign.add(row.workspace_id);
    return false;
  };
  const registered = all.filter((r) => mine(r, true));

  const tables: TableOrphan[] = [];
  const rows: RowsOrphan[] = [];
  for (const r of registered) {
    const exists = staging.has(r.table_name);
    if (!defined.has(pair(r.table_name, r.publication))) {
      const size = exists ? await tableSize(db, r.table_name) : { rows: 0, bytes: 0 };
      tables.push({ table: r.table_name, publication: r.publication, exists, ...size });
      continue;
    }
    if (!exists) continue;
    // A table holds the rows of its one publication.
    const groups = await db.query<{ d: string; n: number | string }>(`SELECT _period AS d, count(*) AS n FROM ${stagingName(r.table_name)} GROUP BY 1 ORDER BY 1`);
    for (const g of groups) {
      if (!configured.has(pair(r.publication, g.d))) rows.push({ table: r.table_name, publication: r.publication, period: g.d, rows: Number(g.n) });
    }
  }

  // Registered to anyone: a table another workspace registered is never "unknown" (so never dropped on request).
  const registeredNames = new Set(all.map((r) => r.table_name));
  const unknown: UnknownTable[] = [];
  for (const t of staging) {
    // A name a current manifest defines is the build's business (it adopts or refuses the table), not clean's.
    if (!registeredNames.has(t) && !definedNames.has(t)) unknown.push({ table: t, ...(await tableSize(db, t)) });
  }

  const dropped = new Set(tables.map((t) => t.table));
  const allLoads = (
    await db.query<{ table_name: string; publication: string; period: string; source_key: string; source_url: string; row_count: number | string; workspace_id: string | null }>(
      'SELECT table_name, publication, period, source_key, source_url, row_count, workspace_id FROM datawarp.loads ORDER BY table_name, publication, period, source_key',
    )
  ).filter((l) => mine(l));
  const loads: LoadOrphan[] = [];
  const usedSources = new Set<string>();
  for (const l of allLoads) {
    if (dropped.has(l.table_name) || !configured.has(pair(l.publication, l.period))) {
      loads.push({ table: l.table_name, publication: l.publication, period: l.period, sourceKey: l.source_key, sourceUrl: l.source_url, rows: Number(l.row_count) });
    } else {
      usedSources.add(`${pair(l.publication, l.period)}\u0000${l.source_url}`);
    }
  }
  // A source goes with its period, or when every load that used it goes (its table was dropped).
  const usedBefore = new Set(allLoads.map((l) => `${pair(l.publication, l.period)}\u0000${l.source_url}`));
  const sources: SourceOrphan[] = [];
  for (const s of (
    await db.query<{ publication: string; period: string; source_url: string; source_file: string; workspace_id: string | null }>(
      'SELECT publication, period, source_url, source_file, workspace_id FROM datawarp.sources ORDER BY publication, period, source_url',
    )
  ).filter((x) => mine(x))) {
    const key = `${pair(s.publication, s.period)}\u0000${s.source_url}`;
    const gone = !configured.has(pair(s.publication, s.period)) || (usedBefore.has(key) && !usedSources.has(key));
    if (gone) sources.push({ publication: s.publication, period: s.period, sourceUrl: s.source_url, sourceFile: s.source_file });
  }

  const periods: PeriodOrphan[] = (
    await db.query<{ publication: string; period: string; row_count: number | string; workspace_id: string | null }>(
      'SELECT publication, period, row_count, workspace_id FROM datawarp.periods ORDER BY publication, period',
    )
  )
    .filter((p) => mine(p) && !configured.has(pair(p.publication, p.period)))
    .map((p) => ({ publication: p.publication, period: p.period, rows: Number(p.row_count) }));

  for (const id of [...foreign].sort()) others.workspaces.push(await foreignOwner(db, id));
  return { tables, rows, unknown, periods, sources, loads, others, unclaimed };
}

async function tableSize(db: Db, table: string): Promise<{ rows: number; bytes: number }> {
  const [r] = await db.query<{ n: number | string; b: number | string }>(
    `SELECT (SELECT count(*) FROM ${stagingName(table)}) AS n, pg_total_relation_size($1::regclass) AS b`,
    [stagingName(table)],
  );
  return { rows: Number(r!.n), bytes: Number(r!.b) };
}

/**
 * Delete exactly the listed orphans in one transaction, in an order no foreign key objects to: staging rows, loads,
 * sources, periods, then each orphan table's registry row and the table itself (no CASCADE: a user's view on it makes
 * the whole transaction roll back with a message, rather than silently dropping the view).
 * @param opts.dropUnknown also drop the listed unregistered tables (`--include-unregistered`)
 * @returns the number of staging rows removed (deleted rows plus the rows of dropped tables)
 */
export async function deleteDbOrphans(db: Db, o: DbOrphans, opts: { dropUnknown: boolean; signal?: AbortSignal }): Promise<{ rowsDeleted: number }> {
  return db.transaction(async (tx) => {
    let rowsDeleted = 0;
    for (const r of o.rows) {
      const [d] = await tx.query<{ n: number }>(
        `WITH d AS (DELETE FROM ${stagingName(r.table)} WHERE _period = $1 RETURNING 1) SELECT count(*)::int AS n FROM d`,
        [r.period],
      );
      rowsDeleted += d!.n;
    }
    await tx.query(
      `DELETE FROM datawarp.loads l USING unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(t, p, d, s)
        WHERE l.table_name = k.t AND l.publication = k.p AND l.period = k.d AND l.source_key = k.s`,
      [o.loads.map((l) => l.table), o.loads.map((l) => l.publication), o.loads.map((l) => l.period), o.loads.map((l) => l.sourceKey)],
    );
    await tx.query(
      `DELETE FROM datawarp.sources s USING unnest($1::text[], $2::text[], $3::text[]) AS k(p, d, u)
        WHERE s.publication = k.p AND s.period = k.d AND s.source_url = k.u`,
      [o.sources.map((s) => s.publication), o.sources.map((s) => s.period), o.sources.map((s) => s.sourceUrl)],
    );
    await tx.query(
      `DELETE FROM datawarp.periods x USING unnest($1::text[], $2::text[]) AS k(p, d) WHERE x.publication = k.p AND x.period = k.d`,
      [o.periods.map((p) => p.publication), o.periods.map((p) => p.period)],
    );
    for (const t of o.tables) {
      await tx.query('DELETE FROM datawarp.tables WHERE table_name = $1 AND publication = $2', [t.table, t.publication]);
      if (t.exists) {
        rowsDeleted += t.rows;
        await drop(tx, t.table);
      }
    }
    if (opts.dropUnknown) {
      for (const t of o.unknown) {
        rowsDeleted += t.rows;
        await drop(tx, t.table);
      }
    }
    return { rowsDeleted };
  }, { signal: opts.signal });
}

async function drop(tx: DbTx, table: string): Promise<void> {
  try {
    await tx.query(`DROP TABLE IF EXISTS ${stagingName(table)}`);
  } catch (err) {
    throw new DbError(
      `Could not drop ${stagingName(table)}: ${(err as Error).message}; nothing was removed (the clean rolled back)`,
      `Something else depends on the table (a view or a foreign key of your own): drop that first, or keep the table with \`clean --skip tables\`.`,
      { cause: err },
    );
  }
}
