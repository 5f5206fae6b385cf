/**
 * Unpivot, opt-in per table (`unpivot:` in a table override, lib/config/unpivot.ts): columns whose names match a
 * pattern (`modelled_records_*`) become rows of a long table, the part `*` matched in a `name` column and the cell
 * in a `value` column; the other columns repeat on each row. The canonical manifest records which source values
 * each output row takes; the loader expands each source row into one row per matched column.
 */
import { widerType, type ColumnType } from '../../lib/column-types.ts';
import type { UnpivotSetting } from '../../lib/config/types.ts';
import { PipelineError } from '../../lib/failure.ts';
import type { CanonicalColumn, CanonicalTable } from './canonical.ts';

/** What the loader needs: where the name and value go in each row's values, and which source values feed them. */
export interface CanonicalUnpivot { name_index: number; value_index: number; from: { index: number; key: string }[] }

/** The table in long form; fails, at the override's line, when the pattern matches no column. */
export function unpivotTable(t: CanonicalTable, u: UnpivotSetting, location?: string): CanonicalTable {
  const [head, tail] = u.columns.split('*');
  const re = new RegExp(`^${esc(head)}(.+)${esc(tail)}$`);
  const matched = t.columns.flatMap((c) => {
    const key = re.exec(c.name)?.[1];
    return key === undefined ? [] : [{ c, key }];
  });
  if (!matched.length) {
    throw new PipelineError({
      kind: 'input',
      message: `${location ? `${location}: ` : ''}unpivot columns "${u.columns}" of table \`${t.table}\` match none of its columns`,
      hint: `its columns: ${t.columns.map((c) => c.name).slice(0, 15).join(', ')}${t.columns.length > 15 ? ', …' : ''}`,
      ...(location ? { location } : {}),
    });
  }
  const base = Math.max(...t.columns.map((c) => c.index)) + 1;
  const type = matched.map(({ c }) => c.type as ColumnType).reduce((a, b) => widerType(a, b));
  const markers: Record<string, number> = {};
  for (const { c } of matched) for (const [m, n] of Object.entries(c.markers ?? {})) markers[m] = (markers[m] ?? 0) + n;
  const nameColumn: CanonicalColumn = {
    name: u.name, type: 'text', index: base, source_column: '', header: `(the part of ${u.columns} that * matches)`,
    description: `Which of the published columns ${u.columns} the value comes from: the part * stands for (${matched.map((m) => m.key).slice(0, 4).join(', ')}${matched.length > 4 ? ', …' : ''}).`,
  };
  const valueColumn: CanonicalColumn = {
    name: u.value, type, index: base + 1, source_column: matched[0].c.source_column, header: matched.map((m) => m.c.header).join(' | '),
    description: `The value published in the column ${u.columns} named in \`${u.name}\`. ${matched[0].c.description}`,
    ...(Object.keys(markers).length ? { markers } : {}),
  };
  const first = t.columns.indexOf(matched[0].c);
  const kept = t.columns.filter((c) => !matched.some((m) => m.c === c));
  const columns = [...kept.slice(0, first), nameColumn, valueColumn, ...kept.slice(first)];
  if (new Set(columns.map((c) => c.name)).size !== columns.length) {
    throw new PipelineError({ kind: 'input', message: `${location ? `${location}: ` : ''}unpivot of \`${t.table}\` names a column \`${u.name}\` or \`${u.value}\` the table already has`, hint: 'choose other names for `name` and `value`' });
  }
  return { ...t, columns, unpivot: { name_index: base, value_index: base + 1, from: matched.map(({ c, key }) => ({ index: c.index, key })) } };
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Source rows → long rows: one per matched column, the other values repeated, annotations moved with their value. */
export async function* unpivotRows<R extends { values: unknown[]; annotations?: Record<number, string> }>(
  batches: AsyncIterable<R[]>,
  u: CanonicalUnpivot,
): AsyncGenerator<R[]> {
  for await (const batch of batches) {
    const out: R[] = [];
    for (const r of batch) {
      for (const f of u.from) {
        const values = r.values.slice();
        values[u.name_index] = f.key;
        values[u.value_index] = r.values[f.index];
        const note = r.annotations?.[f.index];
        const annotations = r.annotations || note !== undefined ? { ...r.annotations, ...(note !== undefined ? { [u.value_index]: note } : {}) } : undefined;
        out.push({ ...r, values, ...(annotations ? { annotations } : {}) });
      }
    }
    yield out;
  }
}
