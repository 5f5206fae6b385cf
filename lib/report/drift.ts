/** Drift between consecutive periods of a table: columns added and removed, and the change in rows loaded. */
import type { ReportPublication, TableDrift } from './model.ts';

/** The columns a period's canonical manifest gives each table (periods in the config's order). */
export interface PeriodColumns { period: string; tables: { table: string; columns: string[] }[] }

/**
 * One entry per table per pair of consecutive periods that both define it. Rows come from the publication's
 * status (the registry), so the page never counts them a second way.
 */
export function tableDrift(pub: ReportPublication, periods: readonly PeriodColumns[]): TableDrift[] {
  const rows = new Map(pub.tables.map((t) => [`${t.table}\u0000${t.period}`, t.rows]));
  const last = new Map<string, { period: string; columns: string[] }>();
  const out: TableDrift[] = [];
  for (const p of periods) {
    for (const t of p.tables) {
      const before = last.get(t.table);
      if (before) {
        const had = new Set(before.columns);
        const has = new Set(t.columns);
        out.push({
          publication: pub.publication,
          table: t.table,
          from: before.period,
          to: p.period,
          added: t.columns.filter((c) => !had.has(c)),
          removed: before.columns.filter((c) => !has.has(c)),
          rowsFrom: rows.get(`${t.table}\u0000${before.period}`),
          rowsTo: rows.get(`${t.table}\u0000${p.period}`),
        });
      }
      last.set(t.table, { period: p.period, columns: t.columns });
    }
  }
  return out;
}
