/**
 * draft: the download manifest's files → `manifests/draft/<pub>/<period>.yaml`: for each file, sheet, CSV
 * or ZIP member, the tables found (header rows, data range, columns with raw header, inferred type,
 * samples) and the parts skipped with the reason.
 *
 * Each table also records the period it says it is about, taken first from inside the file (the
 * `Period:` line of its metadata block, else the range of a period/month/date column), then from
 * the file (or zip member) name, then from the publication page's URL, and last from the config.
 * When that period disagrees with the configured one, the table gets a warning; the build goes on.
 *
 * What "disagrees" means. A snapshot (OAPs `oaps-open-data-oct-2016.csv`, `Period: September 2025`)
 * agrees when one period contains the other (config `2021-01`, `EXTRACT_DATE` 1 Jan 2021). A time
 * series republishes its whole history every edition (A&E `Period: August 2010 - present` with
 * months up to January 2024; RTT `April 2007 to June 2022`): it agrees when the configured period
 * lies within the range it covers, usually at its end. An open range (`… - present`) takes its end
 * from the period column, else from the name.
 */
import type { FileExtraction, TableInfo } from '../../lib/sheets/index.ts';
import { PipelineError } from '../../lib/failure.ts';
import { periodFromText } from '../../lib/period-text.ts';
import { parsePeriod, periodContains, type Period } from '../../lib/periods.ts';
import { blobFor, type FileRef } from '../blobs.ts';
import type { Stage } from '../stage.ts';
import { ManifestStore } from '../stores/manifest.ts';
import { isConfigured, splitId } from '../workspace.ts';
import type { DownloadBody } from './download.ts';
import { findFamilies, type DraftFamily } from './families.ts';
import type { FamilySetting } from '../../lib/config/types.ts';

/** Where a table's period was read from, in order of preference. */
export type PeriodSource = 'metadata' | 'column' | 'name' | 'page' | 'config';
/** The period a table says it is about. */
export interface DraftPeriod {
  /** Canonical label (`2024-01`, `FY2017-18`, `2019`); for a time series, its latest period. */
  label: string;
  source: PeriodSource;
  /** What it was read from: the metadata text, `column "Period" 2010-08-01..2024-01-01`, the name or URL. */
  text?: string;
  /** First period of a time series' range (the file covers `from` to `label`). */
  from?: string;
}

export interface DraftColumn {
  index: number;
  source_column: string;
  raw_header: string;
  header: string;
  type: string;
  null_count: number;
  markers: Record<string, number>;
  /** Annotations taken off values (revision flags, note references, units of derived rows) and how often. */
  annotations?: Record<string, number>;
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
  /** Rows per kind: detail, total, subtotal, derived (change, share, rate). Every published row is loaded, flagged. */
  row_kinds: Record<string, number>;
  /** Rows of the table's range that are not loaded, each group with why (placeholders, notes, repeated headers). */
  omitted_rows?: { reason: string; rows: number[] }[];
  columns: DraftColumn[];
  period: DraftPeriod;
  /** Rows per hierarchy level when the table mixes levels (aggregate levels are flagged as totals). */
  levels?: { column: string; detail: string; counts: Record<string, number> };
  warnings: string[];
}
/** A file in the draft: which URL and name, not which bytes (the download manifest says that), so a
 * change of bytes that leaves the layout alone leaves the draft identical: early cutoff. */
export interface DraftFile {
  url: string;
  name: string;
  /** The text of the publication page's link to the file (`Out of Area Placements open data, February 2017 [CSV, 1.9 MB]`). */
  link_text?: string;
  format: string;
  encoding?: string;
  tables: DraftTable[];
  skipped: { member?: string; sheet?: string; reason: string }[];
  /** Workbook cells outside every table's data (headers, titles, notes, ...), each with its role: nothing unaccounted for. */
  other_cells?: { member?: string; sheet: string; role: string; reason: string; cells: string[] }[];
  /** What the workbook's notes, definitions and contents sheets say: `note 4` → its text, a term → its definition. */
  notes?: { member?: string; sheet: string; kind: 'numbered' | 'definition'; key: string; text: string; cell: string }[];
}
export interface DraftBody {
  publication: string;
  period: string;
  /** The publication page the files were linked from, with its title. */
  page?: { url: string; title?: string };
  files: DraftFile[];
  /** Files (members, sheets) of one schema whose names differ by a key: one table each family (./families.ts). */
  families?: DraftFamily[];
}

export const draft: Stage<DraftBody> = {
  name: 'draft',
  // 3: row kinds, rows left out with their reason, annotations per column, every other cell with its role.
  // 4: the notes and definitions of the workbook; a title above a footnote sentence is the caption.
  // 5: table families, under the publication's `family:` setting (an input).
  version: '5',
  grain: 'period',
  rule(ws) {
    const store = new ManifestStore<DraftBody>(ws, 'draft');
    return {
      name: 'draft',
      version: draft.version,
      store,
      exists: (id) => isConfigured(ws.rawConfig, id),
      staticInputs: (id) => [`download:${id}`],
      async run(ctx) {
        const [code, period] = splitId(ctx.id);
        const download = await ctx.need<DownloadBody>(`download:${ctx.id}`);
        const includeSheets = await ctx.need<string[]>(`config:${code}#include_sheets`);
        const family = await ctx.need<FamilySetting>(`config:${code}#family`);
        const configured = parsePeriod(period);
        const page = download.kind === 'page' ? download.url : undefined;
        const files: DraftFile[] = [];
        for (const [i, file] of download.files.entries()) {
          const blob = await blobFor(ws, file, ctx.signal);
          const found = await ws.describe({ path: blob, name: file.name, url: file.url, sha256: file.sha256 }, includeSheets, ctx.signal);
          const linkText = download.link_texts?.[i];
          const { url, name, ...rest } = draftFile(file, found, { page, configured });
          files.push({ url, name, ...(linkText ? { link_text: linkText } : {}), ...rest });
        }
        const tables = files.reduce((n, f) => n + f.tables.length, 0);
        if (tables === 0) throw noTables(ctx.id, files);
        const rows = files.reduce((n, f) => n + f.tables.reduce((m, t) => m + t.row_count, 0), 0);
        const disagree = files.reduce((n, f) => n + f.tables.filter((t) => t.warnings.some((w) => w.startsWith('period:'))).length, 0);
        const note = disagree ? `; ${disagree} table${disagree === 1 ? '' : 's'} name${disagree === 1 ? 's' : ''} another period than the config (see warnings)` : '';
        const pageInfo = page ? { page: { url: page, ...(download.title ? { title: download.title } : {}) } } : {};
        const families = findFamilies(files, family);
        const { output, value } = await store.write(ctx.id, ctx.provenance(), { publication: code, period, ...pageInfo, files, ...(families.length ? { families } : {}) });
        return { output, value, summary: `${tables} table${tables === 1 ? '' : 's'} in ${files.length} file${files.length === 1 ? '' : 's'}${note}`, stats: { tables, rows } };
      },
    };
  },
};

/** A period whose files hold no table is an error, never a silent empty result: it says what each file held instead. */
function noTables(id: string, files: DraftFile[]): PipelineError {
  const why = files.map((f) => `${f.name}: ${f.skipped.length ? f.skipped.map((s) => `${s.member ? `${s.member} ` : ''}${s.sheet !== undefined ? `sheet "${s.sheet}" ` : ''}${s.reason}`).join('; ') : 'nothing'}`);
  return new PipelineError({
    kind: 'input',
    message: `no table found in the ${files.length === 1 ? 'file' : `${files.length} files`} of ${id} (${why.join(' | ')})`,
    hint: 'open the file: if its data sheet was skipped by name, list it under overrides.include_sheets in the config; if the file is not the data, point the period at the right link',
  });
}

interface PeriodContext {
  page?: string;
  configured?: Period;
}

export function draftFile(file: FileRef, ex: FileExtraction, pc: PeriodContext): DraftFile {
  return {
    url: file.url,
    name: file.name,
    format: ex.format,
    ...(ex.encoding ? { encoding: ex.encoding } : {}),
    tables: ex.tables.map((t) => draftTable(t, file.name, pc)),
    skipped: ex.skipped.map((s) => ({ ...s })),
    ...(ex.otherCells?.length ? { other_cells: ex.otherCells.map((o) => ({ ...o, cells: [...o.cells] })) } : {}),
    ...(ex.notes?.length ? { notes: ex.notes.map((n) => ({ ...n })) } : {}),
  };
}

function draftTable(t: TableInfo, fileName: string, pc: PeriodContext): DraftTable {
  const period = tablePeriod(t, fileName, pc);
  const disagreement = pc.configured && disagreesWith(period, pc.configured);
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
    row_kinds: { ...t.rowKinds },
    ...(t.omittedRows?.length ? { omitted_rows: t.omittedRows.map((o) => ({ reason: o.reason, rows: [...o.rows] })) } : {}),
    columns: t.columns.map((c) => ({
      index: c.index,
      source_column: c.sourceColumn,
      raw_header: c.rawHeader,
      header: c.name,
      type: c.type,
      null_count: c.nullCount,
      markers: { ...c.markers },
      ...(c.annotations && Object.keys(c.annotations).length ? { annotations: { ...c.annotations } } : {}),
      samples: c.samples,
    })),
    period,
    ...(t.levels ? { levels: { column: t.levels.column, detail: t.levels.detail, counts: { ...t.levels.counts } } } : {}),
    warnings: disagreement ? [...t.warnings, disagreement] : t.warnings,
  };
}

const RANGE_SPLIT = /\s+(?:-|–|—|to|until)\s+/i;
const OPEN_END = /^(?:present|date|now|current|latest)$/i;

/** The `Period:` line of a metadata block: a period, a closed range, or an open range (`from` only). */
function metadataPeriod(meta: Record<string, string>): { text: string; from?: Period; to?: Period } | undefined {
  const key = Object.keys(meta).find((k) => /^(?:reporting |data |time )?period(?: covered| of coverage)?$/i.test(k.trim()));
  const text = key ? meta[key].trim() : '';
  if (!text) return undefined;
  const parts = text.split(RANGE_SPLIT);
  if (parts.length === 2) {
    const from = periodFromText(parts[0]);
    const to = OPEN_END.test(parts[1].trim()) ? undefined : periodFromText(parts[1]);
    return from || to ? { text, from, to } : undefined;
  }
  const one = periodFromText(text);
  return one ? { text, to: one } : undefined;
}

/** Headers of columns that say when a row is about, best first; publication dates say when it was released, not what it covers. */
const PERIOD_COLUMNS: RegExp[] = [/period/i, /month/i, /date/i, /year/i];
const NOT_PERIOD = /publi\w*[ _]?date|published|released|revised|updated|created|birth/i;

/** The period covered by a date (or year) column's values: `from` its smallest, `to` its largest. */
function columnPeriod(t: TableInfo): { text: string; from: Period; to: Period } | undefined {
  for (const re of PERIOD_COLUMNS) {
    for (const c of t.columns) {
      if (!c.range || !re.test(c.name) || NOT_PERIOD.test(c.name)) continue;
      let from: Period | undefined;
      let to: Period | undefined;
      if (c.type === 'date') {
        // Dates on the first of the month are months (A&E `Period`, OAPs `2017/02`); other dates are days.
        const asPeriod = (iso: string) => parsePeriod(iso.endsWith('-01') && c.range!.min.endsWith('-01') && c.range!.max.endsWith('-01') ? iso.slice(0, 7) : iso);
        from = asPeriod(c.range.min);
        to = asPeriod(c.range.max);
      } else if (c.type === 'integer' && /^\d{4}$/.test(c.range.min) && /^\d{4}$/.test(c.range.max)) {
        from = parsePeriod(c.range.min);
        to = parsePeriod(c.range.max);
      }
      if (from && to) return { text: `column "${c.name}" ${c.range.min}..${c.range.max}`, from, to };
    }
  }
  return undefined;
}

/** The period a table is about, from inside the file first, then its name, the page, and the config. */
export function tablePeriod(t: TableInfo, fileName: string, pc: PeriodContext): DraftPeriod {
  const meta = metadataPeriod(t.metadata);
  if (meta?.to) return { label: meta.to.label, source: 'metadata', text: meta.text, ...(meta.from ? { from: meta.from.label } : {}) };
  const col = columnPeriod(t);
  if (col) {
    const from = meta?.from ?? col.from;
    return { label: col.to.label, source: 'column', text: meta ? `${col.text} (metadata: ${meta.text})` : col.text, ...(from.label !== col.to.label ? { from: from.label } : {}) };
  }
  const fromMeta = meta?.from ? { from: meta.from.label } : {};
  for (const name of [t.member?.split('/').pop(), fileName]) {
    const p = name ? periodFromText(name) : undefined;
    if (p) return { label: p.label, source: 'name', text: name, ...fromMeta };
  }
  const onPage = pc.page ? periodFromText(pc.page) : undefined;
  if (onPage) return { label: onPage.label, source: 'page', text: pc.page, ...fromMeta };
  return { label: pc.configured?.label ?? '', source: 'config', ...fromMeta };
}

/**
 * The warning for a table whose own period disagrees with the configured one, or undefined. A time
 * series (a `from`) agrees when the configured period overlaps the range it covers; a snapshot agrees
 * when one of the two periods contains the other.
 */
export function disagreesWith(p: DraftPeriod, configured: Period): string | undefined {
  if (p.source === 'config') return undefined;
  const to = parsePeriod(p.label);
  if (!to) return undefined;
  const from = p.from ? parsePeriod(p.from) : undefined;
  const agrees = from
    ? configured.start <= to.end && configured.end >= from.start
    : periodContains(to, configured) || periodContains(configured, to);
  if (agrees) return undefined;
  const what = from ? `covers ${from.label} to ${to.label}` : `is about ${to.label}`;
  return `period: the file ${what} (from its ${p.source}${p.text ? `: ${p.text}` : ''}) but the config calls this period ${configured.label}; check that the period's url in the config points at the right release`;
}
