/**
 * `history:` of a table override: what the Parquet keeps of a time series every edition republishes (A&E files
 * carry the whole series each month, so one month is in every edition's rows):
 *
 *   history: all                          every edition's rows (the default: nothing published is left out)
 *   history: { keep: latest, by: period } of the rows sharing a value of `by`, only the newest edition's
 *
 * PostgreSQL keeps every edition either way (each period's slice is what that edition published); the table's
 * metadata says which was chosen and how many older rows the Parquet leaves out.
 */
import type { Entry, Reader } from './reader.ts';
import type { HistorySetting } from './types.ts';

const KEYS = ['keep', 'by'] as const;
const IDENT = /^[a-z][a-z0-9_]{0,62}$/;
const EXAMPLE = 'e.g. `history: { keep: latest, by: period }`, or `history: all` (the default)';

/** Undefined when absent or `all`; null when it has errors. */
export function readHistory(r: Reader, entry: Entry | undefined, where: string): HistorySetting | undefined | null {
  if (!entry) return undefined;
  if (!r.isMap(entry.value)) {
    const text = r.textValue(entry, `\`history\` in ${where}`, EXAMPLE);
    if (text === undefined) return null;
    if (text === 'all') return undefined;
    r.error(r.at(entry), `\`history\` in ${where} must be \`all\` or a mapping with \`keep: latest\` and \`by\`, found \`${text}\``, `${EXAMPLE}; \`latest\` needs the column that says which period a row is about`);
    return null;
  }
  const keys = r.pairs(entry.value, KEYS, `\`history\` in ${where}`);
  const keep = keys.get('keep');
  const by = keys.get('by');
  if (!keep || !by) {
    r.missing(entry.key, !keep ? 'keep' : 'by', `\`history\` in ${where}`, EXAMPLE);
    return null;
  }
  const k = r.textValue(keep, `\`history.keep\` in ${where}`, EXAMPLE);
  const b = r.textValue(by, `\`history.by\` in ${where}`, EXAMPLE);
  if (k === undefined || b === undefined) return null;
  if (k !== 'latest' && k !== 'all') {
    r.error(r.at(keep), `\`history.keep\` in ${where} must be \`latest\` or \`all\`, found \`${k}\``, EXAMPLE);
    return null;
  }
  if (!IDENT.test(b)) {
    r.error(r.at(by), `\`history.by\` in ${where} must be a column name (lowercase snake_case), found \`${b}\``, EXAMPLE);
    return null;
  }
  return k === 'all' ? undefined : { keep: 'latest', by: b };
}
