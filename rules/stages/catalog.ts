/**
 * catalog: `output/catalog.parquet`, one row per table Parquet file of the configured publications, read
 * from each file's own metadata (through `need`, so each table is an input) so it can never disagree with them.
 */
import { join } from 'node:path';
import type { Found, RunContext, TargetRecord } from '../../engine/index.ts';
import type { PublishedTableInfo } from '../sources.ts';
import type { Stage } from '../stage.ts';
import type { Workspace } from '../workspace.ts';
import { plural } from './enriched/index.ts';
import { KV_RECORD } from './parquet.ts';

export function catalogPath(ws: Workspace): string {
  return join(ws.paths.output, 'catalog.parquet');
}

async function findCatalog(ws: Workspace): Promise<Found | undefined> {
  const path = catalogPath(ws);
  const sig = ws.log.signature(path);
  const known = ws.log.lookup<Found | null>('catalog', path, sig);
  if (known !== undefined) return known ?? undefined;
  let found: Found | undefined;
  try {
    const { readParquetInfo } = await import('../../lib/parquet/info.ts');
    const raw = (await readParquetInfo(path))?.kv[KV_RECORD];
    const output = raw && (await ws.log.hash(path));
    if (raw && output) found = { record: { ...(JSON.parse(raw) as Omit<TargetRecord, 'output'>), output }, current: output };
  } catch {
    found = undefined; // not a Parquet file any more: rebuild it
  }
  ws.log.remember('catalog', path, sig, found ?? null);
  return found;
}

export const catalog: Stage = {
  name: 'catalog',
  // 2: the publication's name and the describing canonical manifest are declared inputs.
  version: '2',
  grain: 'workspace',
  rule(ws) {
    return {
      name: 'catalog',
      version: catalog.version,
      store: { find: () => findCatalog(ws), read: async () => undefined },
      run: (ctx) => writeCatalog(ws, ctx),
    };
  },
};

async function writeCatalog(ws: Workspace, ctx: RunContext) {
  const tables = await ctx.need<PublishedTableInfo[]>('parquet-set:all');
  const rows: Record<string, unknown>[] = [];
  for (const { table, publication, info } of tables) {
    if (!info) continue;
    rows.push({
      table,
      publication,
      publication_name: await ctx.need<string>(`config:${publication}#name`),
      description: info.meta.description ?? '',
      row_count: BigInt(info.rows),
      column_count: info.columns,
      period_count: info.meta.periods?.length ?? 0,
      first_period: info.meta.periods?.[0] ?? null,
      last_period: info.meta.periods?.at(-1) ?? null,
      parquet_path: `parquet/${table}.parquet`,
      metadata_path: `metadata/${table}.md`,
    });
  }
  rows.sort((a, b) => (String(a.table) < String(b.table) ? -1 : 1));
  const { rowsToParquet } = await import('../../lib/parquet/index.ts');
  const out = await rowsToParquet({
    columns: [
      { name: 'table', type: 'text' },
      { name: 'publication', type: 'text' },
      { name: 'publication_name', type: 'text' },
      { name: 'description', type: 'text' },
      { name: 'row_count', type: 'bigint' },
      { name: 'column_count', type: 'integer' },
      { name: 'period_count', type: 'integer' },
      { name: 'first_period', type: 'text' },
      { name: 'last_period', type: 'text' },
      { name: 'parquet_path', type: 'text' },
      { name: 'metadata_path', type: 'text' },
    ],
    rows,
    outPath: catalogPath(ws),
    kv: { [KV_RECORD]: JSON.stringify(ctx.provenance()) },
  });
  ws.log.remember('catalog', catalogPath(ws), ws.log.signature(catalogPath(ws)), { record: { ...ctx.provenance(), output: out.sha256 }, current: out.sha256 });
  return { output: out.sha256, summary: plural(rows.length, 'table'), stats: { tables: rows.length } };
}
