/**
 * catalog: `output/catalog.parquet`, one row per table Parquet file of the configured publications, read
 * from each file's own metadata so it can never disagree with them.
 */
import { join } from 'node:path';
import type { Rule, RunContext, TargetRecord } from '../engine/index.ts';
import { readParquetInfo, rowsToParquet } from '../lib/parquet/index.ts';
import { KV_RECORD, KV_TABLE, parquetPaths } from './parquet.ts';
import type { Workspace } from './workspace.ts';
import { publishedTables } from './sources.ts';
import { plural } from './enrich.ts';

export function catalogPath(ws: Workspace): string {
  return join(ws.paths.output, 'catalog.parquet');
}

export function catalogRule(ws: Workspace): Rule {
  return {
    name: 'catalog',
    version: '1',
    async readRecord(): Promise<TargetRecord | undefined> {
      let info;
      try {
        info = await readParquetInfo(catalogPath(ws));
      } catch {
        return undefined;
      }
      const raw = info?.kv[KV_RECORD];
      const output = await ws.hasher.hash(catalogPath(ws));
      return raw && output ? { ...(JSON.parse(raw) as Omit<TargetRecord, 'output'>), output } : undefined;
    },
    currentOutput: () => ws.hasher.hash(catalogPath(ws)),
    async run(ctx: RunContext) {
      await ctx.need('parquet-set:all');
      const rows: Record<string, unknown>[] = [];
      for (const { table, publication } of await publishedTables(ws)) {
        const p = parquetPaths(ws, table);
        const info = await readParquetInfo(p.parquet);
        if (!info) continue;
        const meta = JSON.parse(info.kv[KV_TABLE] ?? '{}') as { description?: string; periods?: string[] };
        const pub = ws.config.publications.find((x) => x.code === publication);
        rows.push({
          table,
          publication,
          publication_name: pub?.name ?? publication,
          description: meta.description ?? '',
          row_count: BigInt(info.rows),
          column_count: info.columns.length,
          period_count: meta.periods?.length ?? 0,
          first_period: meta.periods?.[0] ?? null,
          last_period: meta.periods?.at(-1) ?? null,
          parquet_path: `parquet/${table}.parquet`,
          metadata_path: `metadata/${table}.md`,
        });
      }
      rows.sort((a, b) => (String(a.table) < String(b.table) ? -1 : 1));
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
      return { output: out.sha256, summary: plural(rows.length, 'table'), stats: { tables: rows.length } };
    },
  };
}
