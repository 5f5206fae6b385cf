/**
 * `clean` for the loaded stage: staging tables no configured period produces, rows of unconfigured periods in
 * kept tables, the registry rows describing them, and (reported, or dropped on request) staging tables the
 * pipeline never registered. On a database shared with other workspaces only this workspace's are listed.
 */
import { noOrphans, type OrphanQuery, type StageOrphans } from '../stage.ts';
import type { Workspace } from '../workspace.ts';

export function databaseOrphans(ws: Workspace): (q: OrphanQuery) => Promise<StageOrphans> {
  return async (q) => {
    const out = noOrphans();
    const skipTables = q.skip.has('tables');
    const skipRegistry = q.skip.has('registry');
    if (skipTables && skipRegistry) return out;
    const { deleteDbOrphans, findDbOrphans } = await import('../../lib/db/orphans.ts');
    const periods = [...q.periods].map((id) => ({ publication: id.slice(0, id.indexOf('/')), period: id.slice(id.indexOf('/') + 1) }));
    const tables = [...q.tables].map((id) => ({ publication: id.slice(0, id.indexOf('/')), table: id.slice(id.indexOf('/') + 1) }));
    const db = await ws.db();
    const o = await findDbOrphans(db, { periods, tables, workspace: await ws.identity() });
    out.notOurs = { others: o.others, unclaimed: o.unclaimed };
    if (skipTables) {
      // The staging rows stay, so the registry rows describing them (and the sources those reference) stay too.
      o.tables = [];
      o.rows = [];
      o.unknown = [];
      o.loads = [];
      o.sources = [];
      out.notes.push({ store: 'registry', text: 'tables are skipped: only records of unconfigured periods are listed; rows describing staging data stay with it' });
    }
    if (skipRegistry) {
      o.tables = [];
      o.rows = [];
      o.loads = [];
      o.sources = [];
      o.periods = [];
      out.notes.push({ store: 'tables', text: 'registry is skipped: staging data the registry describes stays with it; only unregistered tables are listed' });
    }
    const t = (name: string) => `staging.${name}`;
    const found = (store: 'tables' | 'registry', kind: string, items: { id: string; rows?: number; bytes?: number }[]) => {
      if (items.length) out.found.push({ store, kind, items });
    };
    found('tables', 'tables', o.tables.map((x) => ({ id: t(x.table), rows: x.rows, bytes: x.bytes })));
    found('tables', 'rows', o.rows.map((x) => ({ id: `${t(x.table)} ${x.publication}/${x.period}`, rows: x.rows })));
    const unknown = o.unknown.map((x) => ({ id: t(x.table), rows: x.rows, bytes: x.bytes }));
    const dropUnknown = q.includeUnregistered && !skipTables;
    if (dropUnknown) found('tables', 'unregistered', unknown);
    else {
      if (unknown.length) out.unknown.push({ store: 'tables', items: unknown });
      o.unknown = [];
    }
    // Registry rows are counted as rows of the registry, not as the data rows they describe (those are under tables).
    found('registry', 'periods', o.periods.map((x) => ({ id: `${x.publication}/${x.period}` })));
    found('registry', 'sources', o.sources.map((x) => ({ id: `${x.publication}/${x.period} ${x.sourceUrl}` })));
    found('registry', 'loads', o.loads.map((x) => ({ id: `${x.table} ${x.publication}/${x.period} ${x.sourceKey}` })));
    found('registry', 'tables', o.tables.map((x) => ({ id: `${x.table} (${x.publication})` })));
    const any = o.tables.length + o.rows.length + o.unknown.length + o.loads.length + o.sources.length + o.periods.length > 0;
    if (any) {
      out.remove = async (signal) => {
        await deleteDbOrphans(db, o, { dropUnknown, signal });
        ws.registry.invalidate();
      };
      const configured = new Set(ws.rawConfig.publications.map((p) => p.code));
      out.republish = [...new Set(o.rows.filter((r) => configured.has(r.publication)).map((r) => `parquet:${r.publication}/${r.table}`))].sort();
    }
    return out;
  };
}
