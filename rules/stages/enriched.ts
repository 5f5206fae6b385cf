/**
 * enriched: draft → `manifests/enriched/<pub>/<period>.yaml`: snake_case table and column names with
 * descriptions, derived deterministically (no LLM, no drift) from file names, sheets, captions and headers.
 * The previous configured period's enriched manifest is the reference: a table whose name changed between
 * editions (`Time Series 1718.csv` → `Time Series Hip and Knee Replacement 1819.csv`) but whose columns
 * match keeps the name it had, so it lands in the same database table. Column drift against the reference
 * is recorded.
 */
import { columnNames, columnSimilarity, tableName } from '../../lib/naming.ts';
import { comparePeriods } from '../../lib/periods.ts';
import type { PipelineConfig } from '../../lib/config/types.ts';
import type { Stage } from '../stage.ts';
import { ManifestStore } from '../stores/manifest.ts';
import { isConfigured, publication, splitId } from '../workspace.ts';
import type { DraftBody, DraftFile, DraftTable } from './draft.ts';

export interface EnrichedColumn {
  name: string;
  index: number;
  source_column: string;
  header: string;
  raw_header: string;
  type: string;
  description: string;
}
export interface EnrichedTable {
  name: string;
  description: string;
  source: { url: string; file: string; table_key: string; sheet?: string; member?: string };
  caption?: string;
  metadata: Record<string, string>;
  row_count: number;
  columns: EnrichedColumn[];
  /** How this table's columns differ from the same table in the reference period. */
  drift?: { reference_period: string; added: string[]; removed: string[] };
  /** How the name was chosen: derived from names here, or kept from the reference period's table. */
  identity: { method: 'derived' | 'reference'; derived_name: string; reference_period?: string; similarity?: number };
}
export interface EnrichedBody { publication: string; period: string; reference_period?: string; tables: EnrichedTable[] }

/** Columns must overlap at least this much (Jaccard, year tokens ignored) to inherit a reference name. */
export const REFERENCE_MATCH = 0.6;

export const enriched: Stage<EnrichedBody> = {
  name: 'enriched',
  version: '2',
  grain: 'period',
  rule(ws) {
    const store = new ManifestStore<EnrichedBody>(ws, 'enriched');
    return {
      name: 'enriched',
      version: enriched.version,
      store,
      exists: (id) => isConfigured(ws.rawConfig, id),
      staticInputs: (id) => [`draft:${id}`],
      async run(ctx) {
        const [code] = splitId(ctx.id);
        const draft = await ctx.need<DraftBody>(`draft:${ctx.id}`);
        const prev = await ctx.need<string | null>(`config:${ctx.id}#previous`);
        const reference = prev ? await ctx.needOptional<EnrichedBody>(`enriched:${code}/${prev}`) : undefined;
        const body = enrich(draft, reference);
        const kept = body.tables.filter((t) => t.identity.method === 'reference').length;
        const { output, value } = await store.write(ctx.id, ctx.provenance(), body);
        return { output, value, summary: `${plural(body.tables.length, 'table')} named${kept ? `, ${kept} by reference to ${prev}` : ''}`, stats: { tables: body.tables.length } };
      },
    };
  },
};

/** The configured period just before `period` in the same publication, by date. */
export function previousPeriod(config: PipelineConfig, code: string, period: string): string | undefined {
  const periods = publication(config, code).periods.map((e) => e.period).sort(comparePeriods);
  const i = periods.findIndex((p) => p.label === period);
  return i > 0 ? periods[i - 1].label : undefined;
}

/** Names every table of a draft manifest, reusing reference names where the table is recognisably the same. */
export function enrich(draft: DraftBody, reference?: EnrichedBody): EnrichedBody {
  const tables: EnrichedTable[] = [];
  for (const file of draft.files) {
    const sheetsWithTables = new Set(file.tables.map((t) => t.sheet ?? '')).size;
    for (const t of file.tables) {
      const inSheet = file.tables.filter((o) => (o.sheet ?? '') === (t.sheet ?? '') && (o.member ?? '') === (t.member ?? ''));
      const derived = tableName({
        publication: draft.publication,
        fileName: file.name,
        member: t.member,
        sheet: t.sheet,
        caption: t.caption,
        indexInSheet: inSheet.indexOf(t) + 1,
        tablesInSheet: inSheet.length,
        sheetsWithTables,
      });
      tables.push(describeTable(file, t, derived));
    }
  }
  if (reference) matchReference(tables, reference);
  return { publication: draft.publication, period: draft.period, ...(reference ? { reference_period: reference.period } : {}), tables };
}

function describeTable(file: DraftFile, t: DraftTable, derived: string): EnrichedTable {
  const names = columnNames(t.columns.map((c) => c.header));
  const where = [t.member, t.sheet !== undefined ? `sheet "${t.sheet.trim()}"` : undefined].filter(Boolean).join(', ');
  const title = t.caption || t.metadata.Title || t.metadata.title;
  const description = `${title ? `${title}. ` : ''}From ${file.name}${where ? ` (${where})` : ''}.`;
  return {
    name: derived,
    description,
    source: { url: file.url, file: file.name, table_key: t.key, ...(t.sheet !== undefined ? { sheet: t.sheet } : {}), ...(t.member ? { member: t.member } : {}) },
    ...(t.caption ? { caption: t.caption } : {}),
    metadata: t.metadata,
    row_count: t.row_count,
    columns: t.columns.map((c, i) => ({
      name: names[i],
      index: c.index,
      source_column: c.source_column,
      header: c.header,
      raw_header: c.raw_header,
      type: c.type,
      description: columnDescription(c.raw_header, c.markers),
    })),
    identity: { method: 'derived', derived_name: derived },
  };
}

function columnDescription(raw: string, markers: Record<string, number>): string {
  const m = Object.entries(markers);
  const header = raw.replace(/\s+/g, ' ').trim();
  return `Published as "${header}".${m.length ? ` Special values loaded as NULL with the marker kept in _markers: ${m.map(([k, n]) => `"${k}" ×${n}`).join(', ')}.` : ''}`;
}

/** Keeps reference names: same derived name first, else the best column match above {@link REFERENCE_MATCH}. */
function matchReference(tables: EnrichedTable[], reference: EnrichedBody): void {
  const refNames = new Set(reference.tables.map((t) => t.name));
  const taken = new Set(tables.filter((t) => refNames.has(t.name)).map((t) => t.name));
  for (const t of tables) {
    const same = reference.tables.find((r) => r.name === t.name);
    if (same) {
      t.drift = drift(t, same, reference.period);
      continue;
    }
    let best: { ref: EnrichedTable; score: number } | undefined;
    for (const r of reference.tables) {
      if (taken.has(r.name) || (r.source.sheet ?? '') !== (t.source.sheet ?? '')) continue;
      const score = columnSimilarity(t.columns.map((c) => c.name), r.columns.map((c) => c.name));
      if (score >= REFERENCE_MATCH && (!best || score > best.score)) best = { ref: r, score };
    }
    if (!best) continue;
    taken.add(best.ref.name);
    t.identity = { method: 'reference', derived_name: t.name, reference_period: reference.period, similarity: Math.round(best.score * 1000) / 1000 };
    t.name = best.ref.name;
    t.drift = drift(t, best.ref, reference.period);
  }
}

function drift(t: EnrichedTable, ref: EnrichedTable, period: string): EnrichedTable['drift'] | undefined {
  const now = new Set(t.columns.map((c) => c.name));
  const before = new Set(ref.columns.map((c) => c.name));
  const added = [...now].filter((c) => !before.has(c));
  const removed = [...before].filter((c) => !now.has(c));
  return added.length || removed.length ? { reference_period: period, added, removed } : undefined;
}

export const plural = (n: number, word: string) => `${n.toLocaleString('en-GB')} ${word}${n === 1 ? '' : 's'}`;
