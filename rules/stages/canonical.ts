/**
 * canonical: enriched + the user's overrides from config → `manifests/canonical/<pub>/<period>.yaml`, the
 * load contract: for each table, its physical name, columns with physical names and PostgreSQL types, and
 * where each comes from.
 */
import type { ColumnOverride, HistorySetting, Loc, TableOverride } from '../../lib/config/types.ts';
import { unpivotTable, type CanonicalUnpivot } from './unpivot.ts';
import { didYouMean } from '../../lib/config/diagnostics.ts';
import { PipelineError } from '../../lib/failure.ts';
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
  /** A member of a family: its key column, and the key its rows get. */
  family?: { column: string; key: string };
  /** Wide columns loaded as rows (`unpivot:` in config): where each source value goes. */
  unpivot?: CanonicalUnpivot;
  /** `history: { keep: latest, by }` in config: the Parquet keeps, per value of `by`, the newest edition's rows. */
  history?: HistorySetting;
}
export interface CanonicalBody { publication: string; period: string; tables: CanonicalTable[]; skipped_tables: string[] }

export const canonical: Stage<CanonicalBody> = {
  name: 'canonical',
  // 2: columns carry their markers and annotations (for the table's documentation over all periods).
  // 3: families' key columns; `unpivot:`; overrides that name nothing fail.
  version: '3',
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
        const [code] = splitId(ctx.id);
        const enriched = await ctx.need<EnrichedBody>(`enriched:${ctx.id}`);
        const overrides = await ctx.need<Record<string, TableOverride>>(`config:${code}#overrides`);
        await checkOverrides(enriched, overrides, async (period) => ctx.needOptional<EnrichedBody>(`enriched:${code}/${period}`), ws, code);
        const pub = ws.rawConfig.publications.find((p) => p.code === code);
        const body = canonicalise(enriched, overrides, pub?.overrides.locations);
        const { output, value } = await store.write(ctx.id, ctx.provenance(), body);
        return { output, value, summary: plural(body.tables.length, 'table'), stats: { tables: body.tables.length } };
      },
    };
  },
};

/** The canonical manifests; the build log keeps the names of the tables each one defines. */
export function canonicalStore(ws: Workspace): ManifestStore<CanonicalBody> {
  return new ManifestStore<CanonicalBody>(ws, 'canonical', (b) => [...new Set(b.tables.map((t) => t.table))]);
}

/** The tables the canonical manifest of `pub/period` defines, or undefined when it has none yet. */
export async function tablesOf(ws: Workspace, id: string): Promise<string[] | undefined> {
  return (await canonicalStore(ws).summary(id)) as string[] | undefined;
}

/**
 * An override that names no table (or column) any period of the publication produces is a mistake in the config,
 * not something to ignore: it fails, at its line, with the names it could have meant. Only when this period lacks
 * the name are the other periods' manifests read (and then they are inputs).
 */
async function checkOverrides(
  enriched: EnrichedBody,
  overrides: Record<string, TableOverride>,
  other: (period: string) => Promise<EnrichedBody | undefined>,
  ws: Workspace,
  code: string,
): Promise<void> {
  const missing = (t: string, c?: string) => {
    const here = enriched.tables.find((x) => x.name === t);
    return !here || (c !== undefined && !here.columns.some((x) => x.name === c));
  };
  const wanted = Object.entries(overrides).flatMap(([t, o]) => [[t, undefined] as const, ...Object.keys(o.columns).map((c) => [t, c] as const)]);
  if (!wanted.some(([t, c]) => missing(t, c))) return;
  const pub = ws.rawConfig.publications.find((p) => p.code === code)!;
  const bodies = [enriched];
  for (const { period } of pub.periods) if (period.label !== enriched.period) bodies.push(...[await other(period.label)].filter((b): b is EnrichedBody => b !== undefined));
  for (const [t, c] of wanted) {
    const tables = bodies.flatMap((b) => b.tables.filter((x) => x.name === t));
    if (tables.length && (c === undefined || tables.some((x) => x.columns.some((y) => y.name === c)))) continue;
    const names = c === undefined ? [...new Set(bodies.flatMap((b) => b.tables.map((x) => x.name)))] : [...new Set(tables.flatMap((x) => x.columns.map((y) => y.name)))];
    const guess = didYouMean(c ?? t, names);
    const loc = pub.overrides.locations[c === undefined ? t : `${t}.${c}`];
    const what = c === undefined ? `table \`${t}\`` : `column \`${c}\` of table \`${t}\``;
    throw new PipelineError({
      kind: 'input',
      message: `${loc ? `${loc.file}:${loc.line}:${loc.col}: ` : ''}the override of ${what} in publication \`${code}\` names nothing: no configured period produces it`,
      hint: `${guess ? `did you mean \`${guess}\`? ` : ''}${c === undefined ? 'tables' : 'its columns'}: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''} (see manifests/enriched/${code}/)`,
      ...(loc ? { location: `${loc.file}:${loc.line}:${loc.col}` } : {}),
    });
  }
}

/** Applies overrides (rename, skip, column names, types, descriptions) to the enriched tables. */
export function canonicalise(enriched: EnrichedBody, overrides: Record<string, TableOverride>, locations: Record<string, Loc> = {}): CanonicalBody {
  const tables: CanonicalTable[] = [];
  const skipped: string[] = [];
  for (const t of enriched.tables) {
    const o = overrides[t.name];
    if (o?.skip) {
      skipped.push(t.name);
      continue;
    }
    const at = locations[t.name];
    const table: CanonicalTable = {
      table: fitIdent(o?.name ?? t.name),
      description: o?.description ?? t.description,
      source: t.source,
      metadata: t.metadata,
      row_count: t.row_count,
      columns: t.columns.map((c) => column(c, o?.columns?.[c.name])),
      ...(t.family ? { family: { column: o?.columns?.[t.family.column]?.name ?? t.family.column, key: t.family.key } } : {}),
    };
    const where = at && `${at.file}:${at.line}:${at.col}`;
    const out = o?.unpivot ? unpivotTable(table, o.unpivot, where) : table;
    if (o?.history) out.history = historyOf(out, o.history, where);
    tables.push(out);
  }
  return { publication: enriched.publication, period: enriched.period, tables, skipped_tables: skipped };
}

/** The table's `history:`, once its `by` is known to be one of its columns (after renames and unpivot). */
function historyOf(t: CanonicalTable, h: HistorySetting, location?: string): HistorySetting {
  if (t.columns.some((c) => c.name === h.by)) return h;
  const names = t.columns.map((c) => c.name);
  const guess = didYouMean(h.by, names);
  throw new PipelineError({
    kind: 'input',
    message: `${location ? `${location}: ` : ''}\`history.by\` of table \`${t.table}\` names \`${h.by}\`, which is not one of its columns`,
    hint: `${guess ? `did you mean \`${guess}\`? ` : ''}its columns: ${names.slice(0, 15).join(', ')}${names.length > 15 ? ', …' : ''}`,
    ...(location ? { location } : {}),
  });
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
