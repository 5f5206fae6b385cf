/**
 * `family:` of a publication: whether files (or zip members, or one-table sheets) of one schema whose names differ
 * by a key (a region, a trust, a month) load into one table with that key as a column.
 *
 *   family: false                                    never merge
 *   family: { column: region }                       merge the families found, the key column named `region`
 *   family: { column: region, match: "Regional_CSV_*.csv" }
 *                                                    every file (or member, or sheet) whose name matches is one
 *                                                    family, whatever its columns; `*` is the key
 *
 * Absent: families are found by themselves (same columns, names that differ by one part), key column `source_part`.
 */
import { isScalar } from 'yaml';
import type { Entry, Reader } from './reader.ts';
import type { FamilySetting } from './types.ts';

const FAMILY_KEYS = ['column', 'match'] as const;
const IDENT = /^[a-z][a-z0-9_]{0,62}$/;
const EXAMPLE = 'write `family: false`, or `family: { column: region }`, or `family: { column: region, match: "Regional_CSV_*.csv" }`';

/** Undefined when absent; null when it has errors. */
export function readFamily(r: Reader, entry: Entry | undefined, where: string): FamilySetting | undefined | null {
  if (!entry || r.isEmpty(entry)) return undefined;
  const v = entry.value;
  if (isScalar(v) && typeof v.value === 'boolean') return v.value ? {} : { disabled: true };
  if (!r.isMap(v)) {
    r.error(r.at(entry), `\`family\` of ${where} must be true, false or a mapping, found ${r.shape(v)}`, EXAMPLE);
    return null;
  }
  const keys = r.pairs(v, FAMILY_KEYS, `\`family\` of ${where}`);
  const out: FamilySetting = {};
  const column = keys.get('column');
  if (column) {
    const text = r.textValue(column, `\`family.column\` of ${where}`, 'write a lowercase snake_case column name, e.g. `column: region`');
    if (text === undefined) return null;
    if (!IDENT.test(text) || text.startsWith('_')) {
      r.error(r.at(column), `\`family.column\` of ${where} must be a lowercase snake_case name not starting with _, found \`${text}\``, 'e.g. `column: region`');
      return null;
    }
    out.column = text;
  }
  const match = keys.get('match');
  if (match) {
    const text = r.textValue(match, `\`family.match\` of ${where}`, 'write a file name pattern with one `*` for the key, e.g. `match: "Regional_CSV_*.csv"`');
    if (text === undefined) return null;
    if ((text.match(/\*/g) ?? []).length !== 1) {
      r.error(r.at(match), `\`family.match\` of ${where} must have exactly one \`*\` (the key), found \`${text}\``, 'e.g. `match: "Regional_CSV_*.csv"`: the part matched by `*` becomes the key column');
      return null;
    }
    out.match = text;
  }
  return out;
}
