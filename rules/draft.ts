/**
 * draft: the download manifest's files → `manifests/draft/<pub>/<period>.yaml`: for each file, sheet, CSV
 * or ZIP member, the tables found (header rows, data range, columns with raw header, inferred type,
 * samples) and the parts skipped with the reason.
 */
import type { Rule, RunContext } from '../engine/index.ts';
import { describeFile, type FileExtraction, type TableInfo } from '../lib/sheets/index.ts';
import { blobFor, type FileRef } from './blobs.ts';
import type { DownloadBody } from './download.ts';
import { bodyDigest, readManifest, writeManifest } from './manifest-io.ts';
import { manifestPath, publication, splitId, type Workspace } from './workspace.ts';

export interface DraftColumn {
  index: number;
  source_column: string;
  raw_header: string;
  header: string;
  type: string;
  null_count: number;
  markers: Record<string, number>;
  samples: string[];
}
export interface DraftTable {
  key: string;
  member?: string;
  sheet?: string;
  caption?: string;
  metadata: Record<string, string>;
  header_rows: number[];
  first_data_row: number;
  last_data_row: number;
  row_count: number;
  totals_rows: number;
  columns: DraftColumn[];
  warnings: string[];
}
/** A file in the draft: which URL and name, not which bytes (the download manifest says that), so a
 * change of bytes that leaves the layout alone leaves the draft identical: early cutoff. */
export interface DraftFile {
  url: string;
  name: string;
  format: string;
  encoding?: string;
  tables: DraftTable[];
  skipped: { member?: string; sheet?: string; reason: string }[];
}
export interface DraftBody { publication: string; period: string; files: DraftFile[] }

export function draftRule(ws: Workspace): Rule {
  const path = (id: string) => manifestPath(ws, 'draft', ...splitId(id));
  return {
    name: 'draft',
    version: '1',
    staticInputs: (id) => [`download:${id}`],
    readRecord: async (id) => (await readManifest(path(id)))?.provenance,
    currentOutput: async (id) => {
      const m = await readManifest(path(id));
      return m && bodyDigest(m.body);
    },
    async run(ctx: RunContext) {
      const [code, period] = splitId(ctx.id);
      await ctx.need(`download:${ctx.id}`);
      await ctx.need(`config:${code}#include_sheets`);
      const download = await readManifest<DownloadBody>(manifestPath(ws, 'download', code, period));
      if (!download) throw new Error(`download manifest for ${ctx.id} is missing`);
      const includeSheets = publication(ws, code).overrides.includeSheets;
      const files: DraftFile[] = [];
      for (const file of download.body.files) {
        const blob = await blobFor(ws, file, ctx.signal);
        const found = await ws.describe({ path: blob, name: file.name, sha256: file.sha256 }, includeSheets, ctx.signal);
        files.push(draftFile(file, found));
      }
      const body: DraftBody = { publication: code, period, files };
      const output = await writeManifest(path(ctx.id), ctx.provenance(), body);
      const tables = files.reduce((n, f) => n + f.tables.length, 0);
      const rows = files.reduce((n, f) => n + f.tables.reduce((m, t) => m + t.row_count, 0), 0);
      return { output, summary: `${tables} table${tables === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}`, stats: { tables, rows } };
    },
  };
}

function draftFile(file: FileRef, ex: FileExtraction): DraftFile {
  return {
    url: file.url,
    name: file.name,
    format: ex.format,
    ...(ex.encoding ? { encoding: ex.encoding } : {}),
    tables: ex.tables.map(draftTable),
    skipped: ex.skipped.map((s) => ({ ...s })),
  };
}

function draftTable(t: TableInfo): DraftTable {
  return {
    key: t.key,
    ...(t.member ? { member: t.member } : {}),
    ...(t.sheet !== undefined ? { sheet: t.sheet } : {}),
    ...(t.caption ? { caption: t.caption } : {}),
    metadata: { ...t.metadata },
    header_rows: t.headerRows,
    first_data_row: t.firstDataRow,
    last_data_row: t.lastDataRow,
    row_count: t.rowCount,
    totals_rows: t.totalsRows,
    columns: t.columns.map((c) => ({
      index: c.index,
      source_column: c.sourceColumn,
      raw_header: c.rawHeader,
      header: c.name,
      type: c.type,
      null_count: c.nullCount,
      markers: { ...c.markers },
      samples: c.samples,
    })),
    warnings: t.warnings,
  };
}
