/**
 * enriched: draft → `manifests/enriched/<pub>/<period>.yaml`: snake_case table and column names with
 * descriptions, derived deterministically (no drift) from file names, sheets, captions and headers, and described
 * in the publisher's words: captions, contents lines, notes and definitions (./describe.ts).
 * The previous configured period's enriched manifest is the reference: a table whose name changed between
 * editions (`Time Series 1718.csv` → `Time Series Hip and Knee Replacement 1819.csv`) but whose columns
 * match keeps the name it had, so it lands in the same database table. Column drift against the reference
 * is recorded.
 *
 * With a model configured (lib/llm), tables no name was chosen for are named and described by it, and its answers
 * kept as inputs (./llm.ts): deterministic still, since the same request always finds the same answer.
 */
import { columnNames, tableName, type DerivedName } from '../../../lib/naming/index.ts';
import { comparePeriods } from '../../../lib/periods.ts';
import type { PipelineConfig } from '../../../lib/config/types.ts';
import type { Stage } from '../../stage.ts';
import { ManifestStore } from '../../stores/manifest.ts';
import { isConfigured, publication, splitId } from '../../workspace.ts';
import type { DraftBody, DraftFile, DraftTable } from '../draft.ts';
import type { DraftFamily } from '../families.ts';
import { columnDescription, tableDescription, type DescribeContext } from './describe.ts';
import { applyAnswer, carryDescriptions, consultModel, draftTables, type ModelAnswer } from './llm.ts';
import { keepNames } from './references.ts';

export interface EnrichedColumn {
  name: string;
  index: number;
  source_column: string;
  header: string;
  raw_header: string;
  type: string;
  description: string;
  /** Special values loaded as NULL in this period's file, and how often (`"*": 12`). */
  markers?: Record<string, number>;
  /** Marks taken off figures (`r`, `[note 4]`) and kept in _markers, and how often. */
  annotations?: Record<string, number>;
  /** The name today's rules give the column, when it kept another one (see `rename`). */
  derived_name?: string;
}
export interface EnrichedTable {
  name: string;
  description: string;
  source: { url: string; file: string; table_key: string; sheet?: string; member?: string };
  caption?: string;
  metadata: Record<string, string>;
  row_count: number;
  columns: EnrichedColumn[];
  /** For a member of a family (files of one schema, ../families.ts): its name pattern, the key column and its key. */
  family?: { pattern: string; column: string; key: string };
  /** How this table's columns differ from the same table in the reference period. */
  drift?: { reference_period: string; added: string[]; removed: string[] };
  /**
   * How the name was chosen: derived from names here (and, when it had to be shortened, how), proposed by the
   * model (`llm`), or kept from this period's earlier manifest (`kept`) or from the reference period's table
   * (`reference`).
   */
  identity: { method: 'derived' | 'llm' | 'kept' | 'reference'; derived_name: string; reference_period?: string; similarity?: number; shortened?: string[] };
  /**
   * The model's answer this table was asked for (`manifests/llm/<pub>/<request>.json`; carried from the reference
   * period's table when the name came from there), whether it was used, and then its description and grain.
   */
  llm?: { model: string; request: string; used: boolean; description?: string };
}
export interface EnrichedBody { publication: string; period: string; reference_period?: string; tables: EnrichedTable[] }


export const enriched: Stage<EnrichedBody> = {
  name: 'enriched',
  // 3: readable names that fit by abbreviation (no hash); names already chosen are kept (the period's own and the reference's).
  // 4: descriptions from captions, contents, notes and definitions, with the grain; markers as their own field.
  // 5: a family's members share its name and carry its key as their first column.
  // 6: the model names and describes tables no name was chosen for, when configured; its answers are inputs.
  version: '6',
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
        const own = await ctx.previous<EnrichedBody>();
        const model = await consultModel(ctx, ws, draft, deriveTables(draft), reference, own);
        const body = enrich(draft, reference, own, model.answers);
        const kept = body.tables.filter((t) => t.identity.method === 'reference').length;
        const described = body.tables.filter((t) => t.llm?.used).length;
        const provenance = ctx.provenance();
        Object.assign(provenance.inputs, model.recorded);
        const { output, value } = await store.write(ctx.id, provenance, body);
        const summary = [
          `${plural(body.tables.length, 'table')} named`,
          ...(kept ? [`${kept} by reference to ${prev}`] : []),
          ...(described || model.asked ? [`${described} described by the model${model.asked ? ` (${model.asked} asked now)` : ''}`] : []),
        ].join(', ');
        return {
          output,
          value,
          summary: `${summary}${model.warning ? `; ${model.warning}` : ''}`,
          stats: { tables: body.tables.length, model_described: described, model_asked: model.asked },
        };
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

/**
 * Names every table of a draft manifest: deterministically, or by the model's answers (by table position). Names
 * already chosen are kept: first those this period's own earlier manifest gave (so better naming rules, or a model,
 * never rename a loaded table: `rename` does that, on request), then those of the previous period's manifest where
 * the table is recognisably the same (same name, or columns that match); a table named by the reference keeps the
 * model's descriptions the reference had.
 */
export function enrich(draft: DraftBody, reference?: EnrichedBody, own?: EnrichedBody, model?: ReadonlyMap<number, ModelAnswer>): EnrichedBody {
  const tables = deriveTables(draft);
  const drafts = draftTables(draft).map((d) => d.table);
  for (const [i, m] of model ?? []) applyAnswer(tables[i], m, drafts[i]);
  keepNames(tables, own, reference);
  if (reference) carryDescriptions(tables, reference, drafts);
  return { publication: draft.publication, period: draft.period, ...(reference ? { reference_period: reference.period } : {}), tables };
}

/** Every table of a draft named and described by the deterministic rules alone, in draft order. */
export function deriveTables(draft: DraftBody): EnrichedTable[] {
  const tables: EnrichedTable[] = [];
  const ctx: DescribeContext = { draft };
  const filesWithTables = draft.files.filter((f) => f.tables.length > 0).length;
  for (const file of draft.files) {
    const sheetsWithTables = new Set(file.tables.map((t) => `${t.member ?? ''}\u0000${t.sheet ?? ''}`)).size;
    for (const t of file.tables) {
      const family = familyOf(draft, file, t);
      if (family) {
        tables.push(familyMember(ctx, draft.publication, file, t, family));
        continue;
      }
      const inSheet = file.tables.filter((o) => (o.sheet ?? '') === (t.sheet ?? '') && (o.member ?? '') === (t.member ?? ''));
      const derived = tableName({
        publication: draft.publication,
        fileName: file.name,
        member: t.member,
        sheet: t.sheet,
        caption: t.caption,
        title: t.metadata.Title ?? t.metadata.title,
        indexInSheet: inSheet.indexOf(t) + 1,
        tablesInSheet: inSheet.length,
        sheetsWithTables,
        filesWithTables,
      });
      tables.push(describeTable(ctx, file, t, derived));
    }
  }
  uniqueTableNames(tables);
  return tables;
}

/** Two tables of a period that would get one name are numbered (`_2`), in file order; members of one family share theirs. */
function uniqueTableNames(tables: EnrichedTable[]): void {
  const used = new Map<string, string | undefined>();
  for (const t of tables) {
    let name = t.name;
    const family = t.family?.pattern;
    for (let n = 2; used.has(name) && !(family && used.get(name) === family); n++) name = `${t.name}_${n}`;
    if (name !== t.name) t.identity.derived_name = t.name = name;
    used.set(name, family);
  }
}

function familyOf(draft: DraftBody, file: DraftFile, t: DraftTable): { family: DraftFamily; key: string } | undefined {
  for (const family of draft.families ?? []) {
    const m = family.members.find((x) => x.url === file.url && x.table_key === t.key);
    if (m) return { family, key: m.key };
  }
  return undefined;
}

/** A member of a family: the family's name (from its name pattern), and the key as its first column. */
function familyMember(ctx: DescribeContext, publication: string, file: DraftFile, t: DraftTable, { family, key }: { family: DraftFamily; key: string }): EnrichedTable {
  const common = family.pattern.replace('*', ' ');
  const derived = tableName({ publication, fileName: common, indexInSheet: 1, tablesInSheet: 1, sheetsWithTables: 1, filesWithTables: 1 });
  const table = describeTable(ctx, file, t, derived);
  const column: EnrichedColumn = {
    name: family.column,
    index: t.columns.length,
    source_column: '',
    header: `(${family.by} name)`,
    raw_header: family.pattern,
    type: 'text',
    description: `Which ${family.by} of the family ${family.pattern} the row comes from: the part of its name that \`*\` stands for.`,
  };
  const columns = [column, ...table.columns.filter((c) => c.name !== family.column)];
  const per = family.column.replace(/_/g, ' ');
  const description = /One row per /.test(table.description) ? table.description.replace('One row per ', `One row per ${per}, `) : `${table.description} One row per ${per}.`.trim();
  return { ...table, description, columns, family: { pattern: family.pattern, column: family.column, key } };
}

function describeTable(ctx: DescribeContext, file: DraftFile, t: DraftTable, derived: DerivedName): EnrichedTable {
  const names = columnNames(t.columns.map((c) => c.header));
  return {
    name: derived.name,
    description: tableDescription(ctx, file, t),
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
      description: columnDescription(file, c),
      ...(Object.keys(c.markers).length ? { markers: { ...c.markers } } : {}),
      ...(c.annotations && Object.keys(c.annotations).length ? { annotations: { ...c.annotations } } : {}),
    })),
    identity: { method: 'derived', derived_name: derived.name, ...(derived.shortened ? { shortened: derived.shortened } : {}) },
  };
}

export const plural = (n: number, word: string) => `${n.toLocaleString('en-GB')} ${word}${n === 1 ? '' : 's'}`;
