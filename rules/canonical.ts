/**
 * canonical: enriched + the user's overrides from config → `manifests/canonical/<pub>/<period>.yaml`, the
 * load contract: for each table, its physical name, columns with physical names and PostgreSQL types, and
 * where each comes from.
 */
import type { Rule } from '../engine/index.ts';
import type { ColumnOverride, TableOverride } from '../lib/config/index.ts';
import { fitIdent } from '../lib/naming.ts';
import { plural, type EnrichedBody, type EnrichedTable } from './enrich.ts';
import { manifestRule, readManifest } from './manifest-io.ts';
import { isConfigured, manifestPath, publication, type Workspace } from './workspace.ts';

export interface CanonicalColumn { name: string; type: string; index: number; source_column: string; header: string; description: string; overridden?: boolean }
export interface CanonicalTable {
  table: string;
  description: string;
  source: EnrichedTable['source'];
  metadata: Record<string, string>;
  row_count: number;
  columns: CanonicalColumn[];
}
export interface CanonicalBody { publication: string; period: string; tables: CanonicalTable[]; skipped_tables: string[] }

export function canonicalRule(ws: Workspace): Rule {
  return manifestRule<CanonicalBody>(ws.paths.manifests, {
    name: 'canonical',
    version: '1',
    exists: (id) => isConfigured(ws, id),
    staticInputs: (id) => [`enriched:${id}`],
    async build(ctx, code, period) {
      await ctx.need(`enriched:${ctx.id}`);
      await ctx.need(`config:${code}#overrides`);
      const enriched = await readManifest<EnrichedBody>(manifestPath(ws, 'enriched', code, period));
      if (!enriched) throw new Error(`enriched manifest for ${ctx.id} is missing`);
      const body = canonicalise(enriched.body, publication(ws, code).overrides.tables);
      return { body, summary: plural(body.tables.length, 'table'), stats: { tables: body.tables.length } };
    },
  });
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
  };
}
