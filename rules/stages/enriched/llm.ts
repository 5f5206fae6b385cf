/**
 * The model's part in naming (issue 11), deterministic. Only tables no name was chosen for are asked about: not
 * named by the reference period (matched, or the same name there), nor kept from this period's own manifest (a
 * name the model gave there is the model's again: the same request finds the same answer). Each request is
 * answered once and kept (`llm:<pub>/<sha256>`, rules/stores/llm-answers.ts), an input of this manifest: a
 * rebuild, or a clone without a key, finds the answers and names the same.
 *
 * An answer is found under the model the period's own manifest used for the table, else the configured model;
 * only when neither has one, and a model and key are set, is the model asked (tables one after the other, so a
 * name given to one is taken for the next). Names already chosen still win afterwards (./references.ts): a
 * loaded table never changes name because of the model.
 */
import { UNAVAILABLE, type RunContext } from '../../../engine/index.ts';
import { LlmFailure, sendable, shapeOf, tableRequest, usableAnswer, type Answer, type ColumnEntries, type Consultation, type Expected, type TableForModel, type TableRequest } from '../../../lib/llm/index.ts';
import { writeAnswer } from '../../stores/llm-answers.ts';
import type { Workspace } from '../../workspace.ts';
import type { DraftBody, DraftFile, DraftTable } from '../draft.ts';
import { plainText, rowKindsSentence, sentence } from './describe.ts';
import type { EnrichedBody, EnrichedTable } from './index.ts';
import { headerKey, keepNames, sourceId } from './references.ts';

/** The model's answer for one table (`answer` undefined: it was asked, but no answer it gave can be used). */
export interface ModelAnswer { answer?: Answer; model: string; request: string; entries: ColumnEntries }

/** What the model gave one period. */
export interface ModelPart {
  /** By the table's position in the draft. */
  answers: Map<number, ModelAnswer>;
  /** Inputs recorded as this run left them: an answer it kept (its file's digest), one it could not get ({@link UNAVAILABLE}). */
  recorded: Record<string, string>;
  /** Tables this run asked the model about (each one request, or two with the retry). */
  asked: number;
  /** Set when the model could not be asked (why is said once per build, as a notice). */
  warning?: string;
}

/** The draft's tables, in the order the enriched stage names them. */
export const draftTables = (draft: DraftBody) => draft.files.flatMap((file) => file.tables.map((table) => ({ file, table })));

/**
 * Finds (or asks for) the model's answers for the tables of `derived` (the deterministic names, in draft order)
 * that no name was chosen for.
 */
export async function consultModel(ctx: RunContext, ws: Workspace, draft: DraftBody, derived: EnrichedTable[], reference?: EnrichedBody, own?: EnrichedBody): Promise<ModelPart> {
  const part: ModelPart = { answers: new Map(), recorded: {}, asked: 0 };
  const pub = draft.publication;
  const drafts = draftTables(draft);
  const referenceNames = new Set(reference?.tables.map((t) => t.name) ?? []);
  const given = new Set<string>();
  let offRecorded = false;
  for (const i of candidates(derived, reference, own)) {
    const t = derived[i];
    const shown = tableForModel(draft, drafts[i].file, drafts[i].table, t);
    if (!sendable(shown)) continue;
    const mine = own?.tables.find((o) => sourceId(o) === sourceId(t));
    const models = [...new Set([mine?.llm?.model, ws.llm.model].filter((m): m is string => Boolean(m)))];
    const others = derived.filter((_, j) => j !== i).map((o) => o.name);
    const expected = (req: TableRequest): Expected => ({
      publication: pub,
      columns: req.entries.singles.map((s) => s.id),
      series: req.entries.series.map((f) => f.id),
      memberNames: req.entries.series.flatMap((f) => f.members.map((m) => t.columns[m].name)),
      takenTables: new Set([...referenceNames, ...others, ...given]),
    });
    let found: { c: Consultation; req: TableRequest } | undefined;
    for (const model of models) {
      const req = tableRequest(shown, model);
      const c = await ctx.need<Consultation | undefined>(`llm:${pub}/${req.sha256}`);
      if (c) {
        found = { c, req };
        break;
      }
    }
    if (!found && ws.llm.asks) {
      const req = tableRequest(shown, ws.llm.model!);
      const key = `llm:${pub}/${req.sha256}`;
      try {
        const c = await ws.llm.consult(req, expected(req), ctx.signal);
        part.recorded[key] = (await ws.log.hash(await writeAnswer(ws.paths, pub, c)))!;
        part.asked++;
        found = { c, req };
      } catch (err) {
        if (!(err instanceof LlmFailure)) throw err;
        // Not kept: the next build asks again.
        part.recorded[key] = UNAVAILABLE;
        const { text, first } = ws.llm.warning(err);
        part.warning ??= 'the model was not asked (see its notice)';
        ctx.log(text, first ? 'notice' : undefined);
      }
    } else if (!found && !offRecorded) {
      // Nothing may be asked now: recorded, so that the first build with a model and a key asks.
      await ctx.need('llm:model');
      offRecorded = true;
    }
    if (!found) continue;
    const answer = usableAnswer(found.c, expected(found.req));
    part.answers.set(i, { ...(answer ? { answer } : {}), model: found.c.model, request: found.req.sha256, entries: found.req.entries });
    if (answer) given.add(answer.table_name);
  }
  return part;
}

/**
 * Positions of the tables no name was chosen for: those the reference period does not name (by a match or by the
 * same name), that belong to no table family, and this period's own manifest did not name otherwise, unless the
 * model named them there.
 */
function candidates(derived: EnrichedTable[], reference: EnrichedBody | undefined, own: EnrichedBody | undefined): number[] {
  const probe = structuredClone(derived);
  keepNames(probe, own, reference);
  const referenceNames = new Set(reference?.tables.map((t) => t.name) ?? []);
  return probe.flatMap((p, i) => {
    // A member of a table family (files of one schema) is named by its family.
    if (referenceNames.has(p.name) || derived[i].family) return [];
    if (p.identity.method === 'derived') return [i];
    const mine = p.identity.method === 'kept' ? own?.tables.find((o) => sourceId(o) === sourceId(derived[i])) : undefined;
    return mine?.llm ? [i] : [];
  });
}

/** The table as the model is shown it: where it is, the publisher's words, and its columns with samples. */
function tableForModel(draft: DraftBody, file: DraftFile, t: DraftTable, e: EnrichedTable): TableForModel {
  const caption = t.caption ?? t.metadata.Title ?? t.metadata.title;
  return {
    publication: draft.publication,
    ...(draft.page?.title ? { pageTitle: draft.page.title } : {}),
    file: file.name,
    ...(t.sheet ? { sheet: t.sheet } : {}),
    ...(caption ? { caption } : {}),
    name: e.name,
    description: e.description,
    rows: t.row_count,
    columns: t.columns.map((c, i) => ({ header: plainText(c.raw_header) || c.header, type: c.type, samples: c.samples, name: e.columns[i].name, description: e.columns[i].description })),
  };
}

/**
 * Puts the model's answer on a table named deterministically: its name and description (with the grain, and what
 * its rows are, which the model is not asked), its columns' names and descriptions; members of a series keep
 * their names and get the series' description after their own header. The table says which answer it used.
 */
export function applyAnswer(t: EnrichedTable, m: ModelAnswer, d: DraftTable): void {
  const a = m.answer;
  const description = a && `${sentence(a.description.trim())} ${sentence(a.grain.trim())}`;
  t.llm = { model: m.model, request: m.request, used: Boolean(a), ...(description ? { description } : {}) };
  if (!a || !description) return;
  t.name = a.table_name;
  t.description = [description, rowKindsSentence(d)].filter(Boolean).join(' ');
  for (const s of m.entries.singles) {
    const given = a.columns.find((c) => c.id === s.id)!;
    t.columns[s.index].name = given.name;
    t.columns[s.index].description = sentence(given.description.trim());
  }
  for (const f of m.entries.series) {
    const given = a.series.find((x) => x.id === f.id)!;
    for (const i of f.members) t.columns[i].description = `${t.columns[i].header}: ${sentence(given.description.trim())}`;
  }
  t.identity = { method: 'llm', derived_name: a.table_name };
}

/**
 * A table named by the reference period keeps the model's words the reference table had: its description (with
 * what this period's rows are) and, by header, its columns'; a new member of a series (next year's column) gets
 * the series' description after its own header. The names the model proposed there stay the derived names, so
 * `rename` does not offer to undo them.
 */
export function carryDescriptions(tables: EnrichedTable[], reference: EnrichedBody, drafts: DraftTable[]): void {
  tables.forEach((t, i) => {
    const ref = t.llm ? undefined : reference.tables.find((r) => r.name === t.name);
    if (!ref?.llm?.used || !ref.llm.description) return;
    t.llm = { ...ref.llm };
    t.description = [ref.llm.description, rowKindsSentence(drafts[i])].filter(Boolean).join(' ');
    // What today's rules would call it (`rename`) is what they, with the model, called it there.
    t.identity = { ...t.identity, derived_name: ref.identity.derived_name };
    const byHeader = new Map(ref.columns.map((c) => [headerKey(c.header), c]));
    for (const c of t.columns) {
      const same = byHeader.get(headerKey(c.header));
      if (same) {
        c.description = same.description;
        const proposal = same.derived_name ?? same.name;
        if (proposal !== c.name) c.derived_name = proposal;
        else delete c.derived_name;
        continue;
      }
      const sibling = ref.columns.find((r) => shapeOf(r.header) === shapeOf(c.header) && /\d/.test(r.header) && r.description.startsWith(`${r.header}: `));
      if (sibling) c.description = `${c.header}: ${sibling.description.slice(sibling.header.length + 2)}`;
    }
  });
}
