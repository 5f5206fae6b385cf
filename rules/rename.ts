/**
 * `rename`: the one way a table or column already loaded takes the name today's naming rules give it.
 *
 * Names, once chosen, stay (rules/stages/enriched/references.ts): better rules never rename a loaded table behind
 * a user's back, they record the name they would give (`identity.derived_name`, a column's `derived_name`). The
 * plan lists, per publication, each table whose newest period would be named otherwise, with its columns. To
 * execute it, the database renames the tables and columns in place (ALTER TABLE … RENAME: no row is copied or
 * dropped) and moves their registry rows, recording each slice under its new name's load contract, and the enriched
 * manifests take the new names under their existing records. The build that follows then rewrites the canonical
 * manifests and the Parquet files and loads no row again.
 */
import { comparePeriodLabels } from '../lib/periods.ts';
import type { TableOverride } from '../lib/config/types.ts';
import { canonicalise } from './stages/canonical.ts';
import type { EnrichedBody, EnrichedTable } from './stages/enriched/index.ts';
import { loadContract } from './stages/loaded.ts';
import { readManifestFile, ManifestStore } from './stores/manifest.ts';
import type { Workspace } from './workspace.ts';

export interface ColumnRename { from: string; to: string }
export interface TableRename {
  publication: string;
  from: string;
  /** The table's new name (`from` when only columns change). */
  to: string;
  columns: ColumnRename[];
  /** Periods whose manifests name the table. */
  periods: string[];
  /** Why this rename cannot be made (it is then left out of `execute`). */
  blocked?: string;
}

/** A rename as `execute` applies it: the renames and, per period, the enriched manifests as they will read. */
interface Prepared { renames: TableRename[]; manifests: Map<string, EnrichedBody> }

async function enrichedManifests(ws: Workspace, code: string): Promise<{ period: string; body: EnrichedBody; id: string }[]> {
  const store = new ManifestStore<EnrichedBody>(ws, 'enriched');
  const pub = ws.rawConfig.publications.find((p) => p.code === code)!;
  const out: { period: string; body: EnrichedBody; id: string }[] = [];
  for (const { period } of [...pub.periods].sort((a, b) => comparePeriodLabels(a.period.label, b.period.label))) {
    const id = `${code}/${period.label}`;
    const m = await readManifestFile<EnrichedBody>(store.path(id));
    if (m) out.push({ period: period.label, body: m.body, id });
  }
  return out;
}

/** The renames today's naming rules ask for in `publications` (all configured ones when empty). */
export async function planRename(ws: Workspace, publications: string[]): Promise<TableRename[]> {
  return (await prepare(ws, publications)).renames;
}

async function prepare(ws: Workspace, publications: string[]): Promise<Prepared> {
  const codes = publications.length ? publications : ws.rawConfig.publications.map((p) => p.code);
  const renames: TableRename[] = [];
  const manifests = new Map<string, EnrichedBody>();
  for (const code of codes) {
    const pub = ws.rawConfig.publications.find((p) => p.code === code);
    if (!pub) throw new Error(`publication "${code}" is not in ${ws.rawConfig.file}`);
    const periods = await enrichedManifests(ws, code);
    const byTable = new Map<string, { newest: EnrichedTable; periods: string[]; columns: Map<string, string> }>();
    for (const { period, body } of periods) {
      for (const t of body.tables) {
        const entry = byTable.get(t.name) ?? { newest: t, periods: [], columns: new Map<string, string>() };
        entry.newest = t;
        entry.periods.push(period);
        for (const c of t.columns) entry.columns.set(c.name, c.derived_name ?? c.name);
        byTable.set(t.name, entry);
      }
    }
    const taken = new Set(byTable.keys());
    for (const [from, { newest, periods: ps, columns }] of byTable) {
      const to = newest.identity.derived_name;
      const cols = [...columns].filter(([a, b]) => a !== b).map(([a, b]) => ({ from: a, to: b }));
      if (to === from && !cols.length) continue;
      renames.push({ publication: code, from, to, columns: cols, periods: ps, ...blocker(from, to, cols, columns, taken, pub.overrides.tables) });
    }
    // Two tables may not take one name.
    for (const r of renames.filter((x) => x.publication === code && !x.blocked)) {
      if (renames.some((o) => o !== r && o.publication === code && o.to === r.to && !o.blocked)) r.blocked = `another table of ${code} would also be named ${r.to}`;
    }
    for (const { id, body } of periods) manifests.set(id, body);
  }
  return { renames, manifests };
}

function blocker(from: string, to: string, cols: ColumnRename[], columns: Map<string, string>, taken: Set<string>, overrides: Record<string, TableOverride>): { blocked?: string } {
  if (overrides[from]) return { blocked: `config overrides name this table "${from}": rename it there (or remove the override) first` };
  if (to !== from && taken.has(to)) return { blocked: `a table of the same publication is already named ${to}` };
  const names = new Set([...columns.keys()].map((c) => cols.find((x) => x.from === c)?.to ?? c));
  if (names.size !== columns.size) return { blocked: `two columns of ${from} would have one name` };
  return {};
}

/**
 * Applies the plan's unblocked renames: the database first (tables, columns, registry rows, one transaction), then
 * the enriched manifests. Returns what was renamed; the caller builds the publications afterwards.
 */
export async function executeRename(ws: Workspace, publications: string[]): Promise<TableRename[]> {
  const { renames, manifests } = await prepare(ws, publications);
  const todo = renames.filter((r) => !r.blocked);
  if (!todo.length) return [];
  const renamedBodies = new Map<string, EnrichedBody>();
  for (const [id, body] of manifests) {
    const code = id.slice(0, id.indexOf('/'));
    const mine = todo.filter((r) => r.publication === code);
    if (!mine.some((r) => body.tables.some((t) => t.name === r.from))) continue;
    renamedBodies.set(id, applyToManifest(body, mine));
  }
  // Each slice is recorded under the load contract its table has after the rename, so nothing is loaded again.
  const contracts: { publication: string; period: string; table: string; contract: string }[] = [];
  for (const [id, body] of renamedBodies) {
    const code = id.slice(0, id.indexOf('/'));
    const overrides = ws.rawConfig.publications.find((p) => p.code === code)!.overrides.tables;
    for (const t of canonicalise(body, overrides).tables) {
      if (todo.some((r) => r.publication === code && r.to === t.table)) contracts.push({ publication: code, period: body.period, table: t.table, contract: loadContract(t) });
    }
  }
  const { renameInDatabase } = await import('../lib/db/rename.ts');
  const db = await ws.db();
  const me = await ws.identity();
  await db.transaction((tx) => renameInDatabase(tx, todo, contracts, me));
  const store = new ManifestStore<EnrichedBody>(ws, 'enriched');
  for (const [id, body] of renamedBodies) {
    const m = await readManifestFile<EnrichedBody>(store.path(id));
    const { output: _old, ...record } = m!.provenance;
    await store.write(id, record, body);
  }
  return todo;
}

/** The manifest with the renames applied; each renamed table is marked as kept under its new name. */
function applyToManifest(body: EnrichedBody, renames: TableRename[]): EnrichedBody {
  const tables = body.tables.map((t) => {
    const r = renames.find((x) => x.from === t.name);
    if (!r) return t;
    const columns = t.columns.map((c) => {
      const to = r.columns.find((x) => x.from === c.name)?.to ?? c.name;
      const { derived_name: _d, ...rest } = c;
      return { ...rest, name: to, ...(c.derived_name && c.derived_name !== to ? { derived_name: c.derived_name } : {}) };
    });
    return { ...t, name: r.to, columns, identity: { ...t.identity, method: t.identity.derived_name === r.to ? ('derived' as const) : ('kept' as const) } };
  });
  return { ...body, tables };
}
