/**
 * parquet: a staging table → `output/parquet/<table>.parquet` (all periods of the table) and
 * `output/metadata/<table>.md`. Its input is the table's slice list in the registry, so a new period
 * loaded into the table makes it stale and nothing else does. The record lives in the Parquet file's
 * key/value metadata, with the digest of the Markdown written beside it.
 */
import { join } from 'node:path';
import { digestOf, sha256, type Rule, type RunContext, type TargetRecord } from '../engine/index.ts';
import { writeFileAtomic } from '../lib/atomic.ts';
import { readLoads, stagingColumns, type LoadRow } from '../lib/db/registry.ts';
import { readParquetInfo, renderTableMarkdown, stagingToParquet, type ParquetColumn, type TableDoc } from '../lib/parquet/index.ts';
import type { CanonicalBody, CanonicalTable } from './canonical.ts';
import { plural } from './enrich.ts';
import { readManifest } from './manifest-io.ts';
import { manifestPath, publication, splitId, type Workspace } from './workspace.ts';

export const KV_RECORD = 'nhs_pipeline.record';
export const KV_TABLE = 'nhs_pipeline.table';

/** Provenance columns every staging row carries, as exported. */
export const PROVENANCE_COLUMNS: { name: string; type: ParquetColumn['type']; description: string }[] = [
  { name: '_publication', type: 'text', description: 'Publication code from config/publications.yaml.' },
  { name: '_period', type: 'text', description: 'Period label the row was published for (YYYY-MM, FY2024-25, ...).' },
  { name: '_period_start', type: 'date', description: 'First day of the period.' },
  { name: '_period_end', type: 'date', description: 'Last day of the period.' },
  { name: '_source_key', type: 'text', description: 'Source file URL and the table\'s place in it (sheet, member, table number).' },
  { name: '_source_file', type: 'text', description: 'Name of the published file.' },
  { name: '_source_sha256', type: 'text', description: 'SHA-256 of the published file\'s bytes.' },
  { name: '_sheet', type: 'text', description: 'Sheet name for workbooks; empty for CSV.' },
  { name: '_source_row', type: 'integer', description: 'Row (line) number in the source sheet or CSV.' },
  { name: '_markers', type: 'text', description: 'JSON object of the special values (suppression markers such as "*", "c", "-") that were loaded as NULL, by column.' },
];

export function parquetPaths(ws: Workspace, table: string) {
  return { parquet: join(ws.paths.output, 'parquet', `${table}.parquet`), markdown: join(ws.paths.output, 'metadata', `${table}.md`) };
}

export function parquetRule(ws: Workspace): Rule {
  const current = async (table: string, mdSha?: string) => {
    const p = parquetPaths(ws, table);
    const pq = await ws.hasher.hash(p.parquet);
    const md = mdSha ?? (await ws.hasher.hash(p.markdown));
    return pq && md ? digestOf({ parquet: pq, markdown: md }) : undefined;
  };
  return {
    name: 'parquet',
    version: '1',
    async readRecord(id): Promise<TargetRecord | undefined> {
      const table = splitId(id)[1];
      let info;
      try {
        info = await readParquetInfo(parquetPaths(ws, table).parquet);
      } catch {
        return undefined; // not a Parquet file any more: rebuild it
      }
      const raw = info?.kv[KV_RECORD];
      if (!raw) return undefined;
      const rec = JSON.parse(raw) as Omit<TargetRecord, 'output'> & { markdown_sha256: string };
      const output = await current(table, rec.markdown_sha256);
      return output ? { rule: rec.rule, version: rec.version, inputs: rec.inputs, output } : undefined;
    },
    currentOutput: (id) => current(splitId(id)[1]),
    async run(ctx: RunContext) {
      const [code, table] = splitId(ctx.id);
      await ctx.need(`loads:${ctx.id}`);
      const db = await ws.db();
      const loads = await readLoads(db, { publication: code, table });
      if (loads.length === 0) throw new Error(`table ${table} has no rows loaded in the database`);
      const columns = await stagingColumns(db, table);
      const latest = await latestCanonical(ws, code, table, loads);
      const doc = tableDoc(ws, code, table, columns, loads, latest);
      const markdown = renderTableMarkdown(doc);
      const paths = parquetPaths(ws, table);
      const all = [...PROVENANCE_COLUMNS.map(({ name, type }) => ({ name, type })), ...columns];
      const markdownSha = sha256(markdown);
      const kv = {
        [KV_RECORD]: JSON.stringify({ ...ctx.provenance(), markdown_sha256: markdownSha }),
        [KV_TABLE]: JSON.stringify({ table, publication: code, description: doc.description, rows: rowsOf(loads), periods: doc.periods.map((p) => p.period) }),
      };
      const pq = await stagingToParquet({ db, table, columns: all, outPath: paths.parquet, kv, tmpDir: join(ws.paths.cache, 'tmp'), signal: ctx.signal });
      await writeFileAtomic(paths.markdown, markdown);
      return { output: digestOf({ parquet: pq.sha256, markdown: markdownSha }), summary: `${plural(pq.rows, 'row')}, ${plural(doc.periods.length, 'period')}`, stats: { rows: pq.rows } };
    },
  };
}

const rowsOf = (loads: LoadRow[]) => loads.reduce((n, l) => n + l.rowCount, 0);

async function latestCanonical(ws: Workspace, code: string, table: string, loads: LoadRow[]): Promise<CanonicalTable | undefined> {
  const periods = [...new Set(loads.map((l) => l.period))].sort().reverse();
  for (const p of periods) {
    const m = await readManifest<CanonicalBody>(manifestPath(ws, 'canonical', code, p));
    const t = m?.body.tables.find((x) => x.table === table);
    if (t) return t;
  }
  return undefined;
}

function tableDoc(ws: Workspace, code: string, table: string, columns: { name: string; type: string }[], loads: LoadRow[], latest?: CanonicalTable): TableDoc {
  const described = new Map(latest?.columns.map((c) => [c.name, c]) ?? []);
  const byPeriod = new Map<string, LoadRow[]>();
  for (const l of loads) byPeriod.set(l.period, [...(byPeriod.get(l.period) ?? []), l]);
  return {
    table,
    publication: code,
    publicationName: publication(ws, code).name,
    description: latest?.description ?? `Table ${table}.`,
    columns: columns.map((c) => ({
      name: c.name,
      type: c.type,
      description: described.get(c.name)?.description ?? 'Column from an earlier period; not in the latest one.',
      sourceHeaders: described.get(c.name) ? [described.get(c.name)!.header] : [],
    })),
    periods: [...byPeriod]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([period, ls]) => ({
        period,
        rows: rowsOf(ls),
        sources: ls.map((l) => ({ file: l.sourceFile, url: l.sourceKey.replace(/#.*$/, ''), sheet: l.sheet, sha256: l.sourceSha256, rows: l.rowCount })),
      })),
    provenanceColumns: PROVENANCE_COLUMNS.map(({ name, description }) => ({ name, description })),
  };
}
