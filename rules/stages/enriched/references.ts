/**
 * Names already chosen stay chosen. A table keeps the name this period's own earlier manifest gave it (matched by
 * where it is in its file), else the name of the same table in the reference period (matched by name, or by
 * columns that overlap enough); its columns keep the names the kept table gave the same headers. So better
 * naming rules never rename a table or a column already loaded, and an edition that rewords its file name or its
 * caption still lands in the same table. Column drift against the reference period is recorded.
 */
import { nameStem } from '../../../lib/naming/index.ts';
import type { EnrichedBody, EnrichedTable } from './index.ts';

/** Columns must overlap at least this much (Jaccard over their headers, years ignored) to inherit a reference name. */
export const REFERENCE_MATCH = 0.6;

export function keepNames(tables: EnrichedTable[], own: EnrichedBody | undefined, reference: EnrichedBody | undefined): void {
  const kept = new Set<EnrichedTable>();
  if (own) {
    for (const t of tables) {
      const same = own.tables.find((o) => sourceId(o) === sourceId(t));
      if (!same || same.name === t.name) continue;
      // A family member's name is the family's: a table that left (or joined) a family does not keep (or take) it.
      if ((same.family?.pattern ?? null) !== (t.family?.pattern ?? null)) continue;
      adopt(t, same, { method: 'kept', derived_name: t.name, ...(t.identity.shortened ? { shortened: t.identity.shortened } : {}) });
      kept.add(t);
    }
  }
  if (reference) matchReference(tables, reference, kept);
}

/** Where a table is in its file, whatever the file's date or upload id: the same table of the same period's file. */
export const sourceId = (t: EnrichedTable) => `${nameStem(t.source.file)}\u0000${t.source.member ?? ''}\u0000${t.source.sheet ?? ''}\u0000${t.source.table_key}`;

/** Takes `from`'s name, and its names for the columns whose headers are the same. */
function adopt(t: EnrichedTable, from: EnrichedTable, identity: EnrichedTable['identity']): void {
  t.identity = identity;
  t.name = from.name;
  const byHeader = new Map(from.columns.map((c) => [headerKey(c.header), c.name]));
  const used = new Set<string>();
  const derived = new Map(t.columns.map((c) => [c, c.derived_name ?? c.name]));
  for (const c of t.columns) {
    const name = byHeader.get(headerKey(c.header));
    if (name && !used.has(name)) c.name = name;
    used.add(c.name);
  }
  // A column renamed to a kept name may now clash with one that kept its derived name: number the later one.
  const seen = new Set<string>();
  for (const c of t.columns) {
    let name = c.name;
    for (let n = 2; seen.has(name); n++) name = `${c.name}_${n}`;
    c.name = name;
    seen.add(name);
    // What today's rules would call it, when that is not its name: `rename` offers the change.
    if (derived.get(c) !== c.name) c.derived_name = derived.get(c);
    else delete c.derived_name;
  }
}

export const headerKey = (h: string) => h.replace(/\s+/g, ' ').trim().toLowerCase();

/** Keeps reference names: same name first, else the best column match above {@link REFERENCE_MATCH}. */
function matchReference(tables: EnrichedTable[], reference: EnrichedBody, kept: Set<EnrichedTable>): void {
  const refNames = new Set(reference.tables.map((t) => t.name));
  const taken = new Set(tables.filter((t) => refNames.has(t.name)).map((t) => t.name));
  for (const t of tables) {
    const same = reference.tables.find((r) => r.name === t.name);
    if (same) {
      if (!kept.has(t)) adopt(t, same, t.identity);
      t.drift = drift(t, same, reference.period);
      continue;
    }
    if (kept.has(t)) continue;
    let best: { ref: EnrichedTable; score: number } | undefined;
    for (const r of reference.tables) {
      if (taken.has(r.name) || (r.source.sheet ?? '') !== (t.source.sheet ?? '')) continue;
      const score = headerSimilarity(t, r);
      if (score >= REFERENCE_MATCH && (!best || score > best.score)) best = { ref: r, score };
    }
    if (!best) continue;
    taken.add(best.ref.name);
    adopt(t, best.ref, { method: 'reference', derived_name: t.name, reference_period: reference.period, similarity: Math.round(best.score * 1000) / 1000 });
    t.drift = drift(t, best.ref, reference.period);
  }
}

/** Jaccard similarity of two tables' headers, ignoring years, so a wide time series growing a year still matches. */
function headerSimilarity(a: EnrichedTable, b: EnrichedTable): number {
  const norm = (h: string) => headerKey(h).replace(/\b(19|20)\d{2}(\s*[/-]\s*\d{2,4})?\b/g, '').replace(/\s+/g, ' ').trim();
  const A = new Set(a.columns.map((c) => norm(c.header)));
  const B = new Set(b.columns.map((c) => norm(c.header)));
  let inter = 0;
  for (const x of A) if (B.has(x)) inter++;
  const union = A.size + B.size - inter;
  return union === 0 ? 0 : inter / union;
}

function drift(t: EnrichedTable, ref: EnrichedTable, period: string): EnrichedTable['drift'] | undefined {
  const now = new Set(t.columns.map((c) => c.name));
  const before = new Set(ref.columns.map((c) => c.name));
  const added = [...now].filter((c) => !before.has(c));
  const removed = [...before].filter((c) => !now.has(c));
  return added.length || removed.length ? { reference_period: period, added, removed } : undefined;
}
