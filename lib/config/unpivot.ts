/**
 * `unpivot:` of a table override: wide period columns (`modelled_records_2011` … `modelled_records_2018`, one more
 * every edition) become rows of a long table, opt-in per table:
 *
 *   unpivot: { columns: "modelled_records_*", name: year, value: modelled_records }
 *
 * `columns` is a pattern over the generated column names with one `*`; the part it matches (`2011`) goes into the
 * `name` column, the cell into the `value` column. The wide form stays the default.
 */
import type { Entry, Reader } from './reader.ts';
import type { UnpivotSetting } from './types.ts';

const KEYS = ['columns', 'name', 'value'] as const;
const IDENT = /^[a-z][a-z0-9_]{0,62}$/;
const EXAMPLE = 'e.g. `unpivot: { columns: "modelled_records_*", name: year, value: modelled_records }`';

/** Undefined when absent; null when it has errors. */
export function readUnpivot(r: Reader, entry: Entry | undefined, where: string): UnpivotSetting | undefined | null {
  if (!entry) return undefined;
  if (!r.isMap(entry.value)) {
    r.error(r.at(entry), `\`unpivot\` in ${where} must be a mapping with \`columns\`, \`name\` and \`value\`, found ${r.shape(entry.value)}`, EXAMPLE);
    return null;
  }
  const keys = r.pairs(entry.value, KEYS, `\`unpivot\` in ${where}`);
  const out: Partial<UnpivotSetting> = {};
  for (const key of KEYS) {
    const e = keys.get(key);
    if (!e) {
      r.missing(entry.key, key, `\`unpivot\` in ${where}`, EXAMPLE);
      return null;
    }
    const text = r.textValue(e, `\`unpivot.${key}\` in ${where}`, EXAMPLE);
    if (text === undefined) return null;
    if (key === 'columns' && (text.match(/\*/g) ?? []).length !== 1) {
      r.error(r.at(e), `\`unpivot.columns\` in ${where} must have exactly one \`*\`, found \`${text}\``, `the part \`*\` matches goes into the \`name\` column; ${EXAMPLE}`);
      return null;
    }
    if (key !== 'columns' && !IDENT.test(text)) {
      r.error(r.at(e), `\`unpivot.${key}\` in ${where} must be a lowercase snake_case column name, found \`${text}\``, EXAMPLE);
      return null;
    }
    out[key] = text;
  }
  return out as UnpivotSetting;
}
