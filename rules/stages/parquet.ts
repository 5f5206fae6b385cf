/**
 * parquet: a staging table → `output/parquet/<table>.parquet` (all periods of the table) and
 * `output/metadata/<table>.md`. Its inputs are the table's slice list in the registry (a new period loaded
 * into the table makes it stale and nothing else does), the canonical manifest that describes it, and the
 * publication's name. The record lives in the Parquet file's key/value metadata, with the digest of the
 * Markdown written beside it.
 */
import { join } from 'node:path';
import { digestOf, sha256, type Digest, type Found, type RunContext, type TargetRecord } from '../../engine/index.ts';
import type { LoadRow } from '../../lib/db/registry.ts';
import type { ParquetInfo } from '../../lib/parquet/index.ts';
import type { Stage } from '../stage.ts';
import { splitId, type Workspace } from '../workspace.ts';
import { PipelineError } from '../../lib/failure.ts';
import { comparePeriodLabels } from '../../lib/periods.ts';
import { tablesOf, type CanonicalBody } from './canonical.ts';
import { columnDocs, KV_COLUMN_PREFIX, PROVENANCE_COLUMNS, tableDoc, type CanonicalByPeriod, type ColumnDoc } from './table-doc.ts';
import { plural } from './enriched/index.ts';

export const KV_RECORD = 'nhs_pipeline.record';
export const KV_TABLE = 'nhs_pipeline.table';


export function parquetPaths(ws: Workspace, table: string) {
  return { parquet: join(ws.paths.output, 'parquet', `${table}.parquet`), markdown: join(ws.paths.output, 'metadata', `${table}.md`) };
}

/** The Parquet file and its Markdown, signed together: either changing makes the pair read again. */
const pairSignature = (ws: Workspace, table: string, asker?: string) => ws.log.signatures(Object.values(parquetPaths(ws, table)), asker);

/** What a table's Parquet file says about itself: its record and what the catalog lists. */
async function findParquet(ws: Workspace, id: string): Promise<Found | undefined> {
  const table = splitId(id)[1];
  const asker = `parquet:${id}`;
  const p = parquetPaths(ws, table);
  const sig = pairSignature(ws, table, asker);
  const known = ws.log.lookup<Found | null>('parquet', p.parquet, sig);
  if (known !== undefined) return known ?? undefined;
  let info: ParquetInfo | undefined;
  try {
    const { readParquetInfo } = await import('../../lib/parquet/info.ts');
    info = await readParquetInfo(p.parquet);
  } catch {
    info = undefined; // not a Parquet file any more: rebuild it
  }
  const raw = info?.kv[KV_RECORD];
  let found: Found | undefined;
  if (raw) {
    const rec = JSON.parse(raw) as Omit<TargetRecord, 'output'> & { markdown_sha256: string };
    const [pq, md] = [await ws.log.hash(p.parquet, asker), await ws.log.hash(p.markdown, asker)];
    const output = pq && digestOf({ parquet: pq, markdown: rec.markdown_sha256 });
    const current = pq && md ? digestOf({ parquet: pq, markdown: md }) : undefined;
    if (output) found = { record: { rule: rec.rule, version: rec.version, inputs: rec.inputs, output }, current };
  }
  ws.log.remember('parquet', p.parquet, sig, found ?? null);
  return found;
}

/** What the catalog reads of a table's Parquet file. */
export interface ParquetValue { rows: number; columns: number; meta: { description?: string; periods?: string[] }; columnDocs: ColumnDoc[] }

/**
 * A table's Parquet file as the catalog sees it; undefined when the file is missing. Kept in the build log by the
 * file's signature: the catalog of 100 tables read 100 footers (a DuckDB instance each, a second in all) whenever
 * one table changed.
 */
export async function readParquetValue(ws: Workspace, table: string): Promise<ParquetValue | undefined> {
  const path = parquetPaths(ws, table).parquet;
  const sig = ws.log.signature(path);
  const known = ws.log.lookup<ParquetValue | null>('parquet-value', path, sig);
  if (known !== undefined) return known ?? undefined;
  const { readParquetInfo } = await import('../../lib/parquet/info.ts');
  const info = await readParquetInfo(path);
  const value = info && {
    rows: info.rows,
    columns: info.columns.length,
    meta: JSON.parse(info.kv[KV_TABLE] ?? '{}'),
    columnDocs: info.columns.flatMap((c) => (info.kv[`${KV_COLUMN_PREFIX}${c.name}`] ? [JSON.parse(info.kv[`${KV_COLUMN_PREFIX}${c.name}`]) as ColumnDoc] : [])),
  };
  ws.log.remember('parquet-value', path, sig, value ?? null);
  return value;
}

export const parquet: Stage<ParquetValue> = {
  name: 'parquet',
  // 2: the publication's name and the describing canonical manifest are declared inputs.
  // 3: documented over every period (headers, markers, first and last period per column), each column in the key/value metadata.
  version: '3',
  grain: 'table',
  rule(ws) {
    return {
      name: 'parquet',
      version: parquet.version,
      store: {
        find: (id) => findParquet(ws, id),
        async read(id) {
          const value = await readParquetValue(ws, splitId(id)[1]);
          if (!value) throw new Error(`${parquetPaths(ws, splitId(id)[1]).parquet} is missing`);
          return value;
        },
        orphans: async (q) => (await import('../stores/output-orphans.ts')).parquetOrphans(q),
        files: (id) => Object.values(parquetPaths(ws, splitId(id)[1])),
      },
      run: (ctx) => exportTable(ws, ctx),
    };
  },
  async feeds(ws, periods) {
    const tables = new Map<string, string[]>();
    const unknown: string[] = [];
    for (const id of periods) {
      const pub = splitId(id)[0];
      const names = await tablesOf(ws, id);
      if (!names) unknown.push(id);
      for (const table of names ?? []) tables.set(`${pub}/${table}`, [...(tables.get(`${pub}/${table}`) ?? []), `loaded:${id}`]);
    }
    for (const id of unknown) for (const [k, from] of tables) if (splitId(k)[0] === splitId(id)[0]) from.push(`loaded:${id}`);
    return tables;
  },
};

async function exportTable(ws: Workspace, ctx: RunContext) {
  const [code, table] = splitId(ctx.id);
  const loads = await ctx.need<LoadRow[]>(`loads:${ctx.id}`);
  if (loads.length === 0) {
    throw new PipelineError({
      kind: 'input',
      message: `table ${table} has no rows loaded in the database: every period that feeds it failed to load`,
      hint: 'see the loaded targets that failed above; once one loads, the Parquet file is written',
    });
  }
  const name = await ctx.need<string>(`config:${code}#name`);
  const described = await canonicalsOf(ctx, code, table, loads);
  const { writeFileAtomic } = await import('../../lib/atomic.ts');
  const { stagingColumns } = await import('../../lib/db/registry.ts');
  const { renderTableMarkdown, stagingToParquet } = await import('../../lib/parquet/index.ts');
  const db = await ws.db();
  const columns = inFirstSeenOrder(await stagingColumns(db, table), described);
  const docs = columnDocs(columns, described);
  const doc = tableDoc(code, name, table, docs, loads, described, PROVENANCE_COLUMNS.map(({ name, description }) => ({ name, description })));
  // `history: { keep: latest, by }` (newest period's setting): older editions' rows of a republished series stay in
  // PostgreSQL, and the file and its documentation say how many it leaves out.
  const history = described.at(-1)?.table.history;
  const keep = history ? { latestBy: history.by } : undefined;
  const leftOut = keep ? await (await import('../../lib/db/export.ts')).rowsLeftOut(db, table, keep) : 0;
  if (history) {
    doc.history = `the newest edition of each \`${history.by}\` (\`history: { keep: latest, by: ${history.by} }\`): ${leftOut} rows of older editions are in PostgreSQL (\`staging.${table}\`) but not in the Parquet file.`;
  }
  const markdown = renderTableMarkdown(doc);
  const paths = parquetPaths(ws, table);
  const all = [...PROVENANCE_COLUMNS.map(({ name, type }) => ({ name, type })), ...columns];
  const markdownSha = sha256(markdown);
  const kv = {
    [KV_RECORD]: JSON.stringify({ ...ctx.provenance(), markdown_sha256: markdownSha }),
    [KV_TABLE]: JSON.stringify({ table, publication: code, description: doc.description, rows: rowsOf(loads) - leftOut, periods: doc.periods.map((p) => p.period), ...(history ? { history } : {}) }),
    ...Object.fromEntries(docs.map((c) => [`${KV_COLUMN_PREFIX}${c.name}`, JSON.stringify(c)])),
    ...Object.fromEntries(PROVENANCE_COLUMNS.map((c) => [`${KV_COLUMN_PREFIX}${c.name}`, JSON.stringify({ name: c.name, type: c.type, description: c.description })])),
  };
  const pq = await stagingToParquet({ db, table, columns: all, outPath: paths.parquet, kv, tmpDir: join(ws.paths.cache, 'tmp'), keep, signal: ctx.signal });
  await writeFileAtomic(paths.markdown, markdown);
  const output: Digest = digestOf({ parquet: pq.sha256, markdown: markdownSha });
  const record: TargetRecord = { ...ctx.provenance(), output };
  ws.log.remember('parquet', paths.parquet, pairSignature(ws, table, ctx.key), { record, current: output });
  return { output, summary: `${plural(pq.rows, 'row')}, ${plural(doc.periods.length, 'period')}`, stats: { rows: pq.rows } };
}

const rowsOf = (loads: LoadRow[]) => loads.reduce((n, l) => n + l.rowCount, 0);

/**
 * The table's columns in the order the periods first publish them (oldest period first, then its column order), not
 * the database's, which follows whichever period created or widened the table: the same inputs give the same file.
 */
function inFirstSeenOrder<C extends { name: string }>(columns: C[], described: CanonicalByPeriod): C[] {
  const rank = new Map<string, number>();
  for (const { table } of described) for (const c of table.columns) if (!rank.has(c.name)) rank.set(c.name, rank.size);
  const at = (c: C, i: number) => rank.get(c.name) ?? rank.size + i;
  return columns.map((c, i) => ({ c, k: at(c, i) })).sort((a, b) => a.k - b.k).map((x) => x.c);
}

/** The table's canonical description in every period loaded into it, oldest first (each manifest read is an input). */
async function canonicalsOf(ctx: RunContext, code: string, table: string, loads: LoadRow[]): Promise<CanonicalByPeriod> {
  const out: CanonicalByPeriod = [];
  for (const period of [...new Set(loads.map((l) => l.period))].sort(comparePeriodLabels)) {
    const m = await ctx.needOptional<CanonicalBody>(`canonical:${code}/${period}`);
    const t = m?.tables.find((x) => x.table === table);
    if (t) out.push({ period, table: t });
  }
  return out;
}
