/**
 * canonical: enriched + the user's overrides from config → `manifests/canonical/<pub>/<period>.yaml`, the
 * load contract: for each table, its physical name, columns with physical names and PostgreSQL types, and
 * where each comes from.
 */
import type { ColumnOverride, TableOverride } from '../../lib/config/types.ts';
import { fitIdent } from '../../lib/naming/index.ts';
import type { Stage } from '../stage.ts';
import { ManifestStore } from '../stores/manifest.ts';
import { isConfigured, splitId, type Workspace } from '../workspace.ts';
import { plural, type EnrichedBody, type EnrichedTable } from './enriched/index.ts';

export interface CanonicalColumn {
  name: string;
  type: string;
  index: number;
  source_column: string;
  header: string;
  description: string;
  overridden?: boolean;
  /** Special values loaded as NULL in this period's file, and how often. */
  markers?: Record<string, number>;
  /** Marks taken off figures and kept in _markers, and how often. */
  annotations?: Record<string, number>;
}
export interface CanonicalTable {
  table: string;
  description: string;
  source: EnrichedTable['source'];
  metadata: Record<string, string>;
  row_count: number;
  columns: CanonicalColumn[];
}
export interface CanonicalBody { publication: string; period: string; tables: CanonicalTable[]; skipped_tables: string[] }

export const canonical: Stage<CanonicalBody> = {
  name: 'canonical',
  // 2: columns carry their markers and annotations (for the table's documentation over all periods).
  version: '2',
  grain: 'period',
  rule(ws) {
    const store = canonicalStore(ws);
    return {
      name: 'canonical',
      version: canonical.version,
      store,
      exists: (id) => isConfigured(ws.rawConfig, id),
      staticInputs: (id) => [`enriched:${id}`],
      async run(ctx) {
        const enriched = await ctx.need<EnrichedBody>(`enriched:${ctx.id}`);
        const overrides = await ctx.need<Record<string, TableOverride>>(`config:${splitId(ctx.id)[0]}#overrides`);
        const body = canonicalise(enriched, overrides);
        const { output, value } = await store.write(ctx.id, ctx.provenance(), body);
        return { output, value, summary: plural(body.tables.length, 'table'), stats: { tables: body.tables.length } };
      },
    };
  },
};

/** The canonical manifests; the build log keeps the names of the tables each one defines. */
export function canonicalStore(ws: Workspace): ManifestStore<CanonicalBody> {
  return new ManifestStore<CanonicalBody>(ws, 'canonical', (b) => b.tables.map((t) => t.table));
}

/** The tables the canonical manifest of `pub/period` defines, or undefined when it has none yet. */
export async function tablesOf(ws: Workspace, id: string): Promise<string[] | undefined> {
  return (await canonicalStore(ws).summary(id)) as string[] | undefined;
}

/** Applies overrides (rename, skip, column names, types, descriptions) to the enriched tables. */
export function canonicalise(enriched: EnrichedBody, overrides: Record<string, TableOverride>): CanonicalBody {
  const tables: CanonicalTable[] = [];
  const skipped: string[] = [];
  for (const t of enriched.tables) {
    const o = overrides[t.name];
    if (o?.skip) {
      skipped.push(t.name);
      continue;
    }
    tables.push({
      table: fitIdent(o?.name ?? t.name),
      description: o?.description ?? t.description,
      source: t.source,
      metadata: t.metadata,
      row_count: t.row_count,
      columns: t.columns.map((c) => column(c, o?.columns?.[c.name])),
    });
  }
  return { publication: enriched.publication, period: enriched.period, tables, skipped_tables: skipped };
}

function column(c: EnrichedTable['columns'][number], o: ColumnOverride | undefined): CanonicalColumn {
  return {
    name: o?.name ?? c.name,
    type: o?.type ?? c.type,
    index: c.index,
    source_column: c.source_column,
    header: c.header,
    description: o?.description ?? c.description,
    ...(o ? { overridden: true } : {}),
    ...(c.markers ? { markers: { ...c.markers } } : {}),
    ...(c.annotations ? { annotations: { ...c.annotations } } : {}),
  };
}
