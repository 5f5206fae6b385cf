/**
 * catalog: `output/catalog.parquet`, one row per table Parquet file of the configured publications, and
 * `output/catalog_columns.parquet`, one row per column of each (type, description, source headers per period,
 * first and last period, markers), both read from each file's own metadata (through `need`, so each table is an
 * input) so they can never disagree with it.
 */
import { join } from 'node:path';
import { digestOf, type Found, type RunContext, type TargetRecord } from '../../engine/index.ts';
import type { PublishedTableInfo } from '../sources.ts';
import type { Stage } from '../stage.ts';
import type { Workspace } from '../workspace.ts';
import { plural } from './enriched/index.ts';
import { KV_RECORD } from './parquet.ts';

export function catalogPath(ws: Workspace): string {
  return join(ws.paths.output, 'catalog.parquet');
}

export function columnCatalogPath(ws: Workspace): string {
  return join(ws.paths.output, 'catalog_columns.parquet');
}

/** The two files, signed together: either changing makes the pair read again. */
const catalogFiles = (ws: Workspace) => [catalogPath(ws), columnCatalogPath(ws)];
const pairSignature = (ws: Workspace, asker?: string) => ws.log.signatures(catalogFiles(ws), asker);

async function findCatalog(ws: Workspace): Promise<Found | undefined> {
  const path = catalogPath(ws);
  const sig = pairSignature(ws, 'catalog:all');
  const known = ws.log.lookup<Found | null>('catalog', path, sig);
  if (known !== undefined) return known ?? undefined;
  let found: Found | undefined;
  try {
    const { readParquetInfo } = await import('../../lib/parquet/info.ts');
    const raw = (await readParquetInfo(path))?.kv[KV_RECORD];
    if (raw) {
      const rec = JSON.parse(raw) as Omit<TargetRecord, 'output'> & { columns_sha256?: string };
      const [tables, columns] = [await ws.log.hash(path, 'catalog:all'), await ws.log.hash(columnCatalogPath(ws), 'catalog:all')];
      const output = tables && rec.columns_sha256 ? digestOf({ tables, columns: rec.columns_sha256 }) : undefined;
      const current = tables && columns ? digestOf({ tables, columns }) : undefined;
      if (output) found = { record: { rule: rec.rule, version: rec.version, inputs: rec.inputs, output }, current };
    }
  } catch {
    found = undefined; // not a Parquet file any more: rebuild it
  }
  ws.log.remember('catalog', path, sig, found ?? null);
  return found;
}

export const catalog: Stage = {
  name: 'catalog',
  // 2: the publication's name and the describing canonical manifest are declared inputs.
  // 3: a column catalog beside the table catalog.
  version: '3',
  grain: 'workspace',
  rule(ws) {
    return {
      name: 'catalog',
      version: catalog.version,
      store: { find: () => findCatalog(ws), read: async () => undefined, files: () => catalogFiles(ws) },
      run: (ctx) => writeCatalog(ws, ctx),
    };
  },
};

async function writeCatalog(ws: Workspace, ctx: RunContext) {
  const tables = await ctx.need<PublishedTableInfo[]>('parquet-set:all');
  const rows: Record<string, unknown>[] = [];
  const columnRows: Record<string, unknown>[] = [];
  for (const { table, publication, info } of tables) {
    if (!info) continue;
    for (const [i, c] of info.columnDocs.entries()) {
      columnRows.push({
        table,
        column: c.name,
        position: i + 1,
        type: c.type,
        description: c.description,
        provenance: c.name.startsWith('_'),
        source_headers: c.source_headers ? JSON.stringify(c.source_headers) : null,
        first_period: c.first_period ?? null,
        last_period: c.last_period ?? null,
        markers: c.markers ? JSON.stringify(c.markers) : null,
      });
    }
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
  columnRows.sort((a, b) => (String(a.table) < String(b.table) ? -1 : String(a.table) > String(b.table) ? 1 : Number(a.position) - Number(b.position)));
  const { rowsToParquet } = await import('../../lib/parquet/index.ts');
  const cols = await rowsToParquet({
    columns: [
      { name: 'table', type: 'text' },
      { name: 'column', type: 'text' },
      { name: 'position', type: 'integer' },
      { name: 'type', type: 'text' },
      { name: 'description', type: 'text' },
      { name: 'provenance', type: 'boolean' },
      { name: 'source_headers', type: 'text' },
      { name: 'first_period', type: 'text' },
      { name: 'last_period', type: 'text' },
      { name: 'markers', type: 'text' },
    ],
    rows: columnRows,
    outPath: columnCatalogPath(ws),
    kv: {},
  });
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
    kv: { [KV_RECORD]: JSON.stringify({ ...ctx.provenance(), columns_sha256: cols.sha256 }) },
  });
  const output = digestOf({ tables: out.sha256, columns: cols.sha256 });
  ws.log.remember('catalog', catalogPath(ws), pairSignature(ws, ctx.key), { record: { ...ctx.provenance(), output }, current: output });
  return { output, summary: `${plural(rows.length, 'table')}, ${plural(columnRows.length, 'column')}`, stats: { tables: rows.length, columns: columnRows.length } };
}
