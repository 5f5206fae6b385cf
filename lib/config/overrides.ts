/**
 * The schema walk for a publication's `overrides:` — the user's corrections applied at the
 * canonical stage: sheets to force in, and per generated table a rename, description, skip flag and
 * per-column renames, types and descriptions.
 */

import { isScalar } from 'yaml';
import { didYouMean } from './diagnostics.ts';
import { readHistory } from './history.ts';
import { readUnpivot } from './unpivot.ts';
import type { Entry, Reader } from './reader.ts';
import { COLUMN_TYPES, type ColumnOverride, type ColumnType, type Loc, type Overrides, type TableOverride } from './types.ts';

const OVERRIDE_KEYS = ['include_sheets', 'tables'] as const;
const TABLE_KEYS = ['name', 'description', 'skip', 'columns', 'unpivot', 'history'] as const;
const COLUMN_KEYS = ['name', 'type', 'description'] as const;
/** PostgreSQL identifiers: at most 63 bytes; lowercase snake_case so they never need quoting. */
const IDENT = /^[a-z][a-z0-9_]{0,62}$/;
/** Type names from other systems, mapped to ours for the hint. */
const TYPE_ALIASES: Record<string, ColumnType> = {
  int: 'integer', int4: 'integer', smallint: 'integer', int8: 'bigint', long: 'bigint', float: 'numeric',
  double: 'numeric', decimal: 'numeric', real: 'numeric', number: 'numeric', float8: 'numeric',
  string: 'text', str: 'text', varchar: 'text', char: 'text', bool: 'boolean', datetime: 'date', timestamp: 'date',
};
const TYPE_LIST = COLUMN_TYPES.map((t) => `\`${t}\``).join(', ');

/** `Waiting List (Total)` → `waiting_list_total`; undefined when nothing usable is left. */
export function snakeSuggestion(name: string, max = 63): string | undefined {
  const s = name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, max).replace(/_+$/, '');
  if (!s) return undefined;
  return /^[a-z]/.test(s) ? s : `t_${s}`.slice(0, max);
}

/** Read `overrides:`; absent means no overrides. Undefined when it has errors. */
export function readOverrides(r: Reader, entry: Entry | undefined, code: string): Overrides | undefined {
  const empty: Overrides = { includeSheets: [], tables: {}, locations: {} };
  if (!entry || r.isEmpty(entry)) return empty;
  const where = `the overrides of publication \`${code}\``;
  if (!r.isMap(entry.value)) {
    r.error(r.at(entry), `\`overrides\` of publication \`${code}\` must be a mapping, found ${r.shape(entry.value)}`, 'write `include_sheets:` and/or `tables:` indented under `overrides:`');
    return undefined;
  }
  const before = r.diagnostics.length;
  const keys = r.pairs(entry.value, OVERRIDE_KEYS, where);
  const includeSheets = readSheets(r, keys.get('include_sheets'), code);
  const locations: Record<string, Loc> = {};
  const tables = readTables(r, keys.get('tables'), code, locations);
  return hasErrors(r, before) ? undefined : { includeSheets, tables, locations };
}

const hasErrors = (r: Reader, since: number): boolean => r.diagnostics.slice(since).some((d) => d.severity === 'error');

function readSheets(r: Reader, entry: Entry | undefined, code: string): string[] {
  if (!entry || r.isEmpty(entry)) return [];
  const list = entry.value;
  if (!r.isSeq(list)) {
    const text = isScalar(list) ? r.scalarText(list) : undefined;
    r.error(r.at(entry), `\`include_sheets\` of publication \`${code}\` must be a list of sheet names, found ${r.shape(list)}`, `write \`include_sheets: ["${text ?? 'Chart Data'}"]\``);
    return [];
  }
  const sheets: string[] = [];
  for (const raw of list.items) {
    const item = r.resolve(raw) ?? list;
    const name = isScalar(item) ? r.scalarText(item) : undefined;
    // Sheet names are kept exactly (NHS workbooks have names with trailing spaces, written quoted).
    if (name === undefined || name.trim() === '') {
      r.error(item, `a sheet name in \`include_sheets\` of publication \`${code}\` must be text, found ${r.shape(item)}`, 'write the sheet name as it appears on its tab, in quotes if it has leading or trailing spaces');
      continue;
    }
    sheets.push(name);
  }
  return sheets;
}

function readTables(r: Reader, entry: Entry | undefined, code: string, locations: Record<string, Loc>): Record<string, TableOverride> {
  const tables: Record<string, TableOverride> = {};
  if (!entry || r.isEmpty(entry)) return tables;
  if (!r.isMap(entry.value)) {
    r.error(r.at(entry), `\`tables\` in the overrides of publication \`${code}\` must be a mapping of generated table names, found ${r.shape(entry.value)}`, 'write one entry per generated table name, e.g.\ntables:\n  adhd_summary_table_1:\n    name: adhd_referrals');
    return tables;
  }
  const renamedBy = new Map<string, string>();
  for (const [generated, tableEntry] of r.entries(entry.value, `the table overrides of publication \`${code}\``)) {
    const table = readTable(r, generated, tableEntry, code);
    if (!table) continue;
    tables[generated] = table;
    locations[generated] = r.loc(tableEntry.key);
    for (const [column, colEntry] of columnKeys(r, tableEntry)) locations[`${generated}.${column}`] = r.loc(colEntry.key);
    const target = table.name ?? generated;
    const other = renamedBy.get(target);
    if (other !== undefined) r.error(tableEntry.key, `tables \`${other}\` and \`${generated}\` of publication \`${code}\` would both be named \`${target}\``, 'give each table its own `name`');
    renamedBy.set(target, generated);
  }
  return tables;
}

/** The column entries of a table override, for their locations (their contents are read by readColumns). */
function columnKeys(r: Reader, tableEntry: Entry): [string, Entry][] {
  if (!r.isMap(tableEntry.value)) return [];
  const columns = tableEntry.value.items.find((p) => isScalar(p.key) && p.key.value === 'columns');
  const map = columns ? r.resolve(columns.value) : null;
  if (!map || !r.isMap(map)) return [];
  return map.items.flatMap((p) => (isScalar(p.key) ? [[String(p.key.value), { key: p.key, value: r.resolve(p.value) } as Entry]] : []));
}

function readTable(r: Reader, generated: string, entry: Entry, code: string): TableOverride | undefined {
  const where = `the override of table \`${generated}\` (publication \`${code}\`)`;
  if (r.isEmpty(entry) || (r.isMap(entry.value) && entry.value.items.length === 0)) {
    r.warn(entry.key, `${where} changes nothing`, 'add `name:`, `description:`, `skip: true` or `columns:`, or delete it');
    return { columns: {} };
  }
  if (!r.isMap(entry.value)) {
    r.error(r.at(entry), `${where} must be a mapping, found ${r.shape(entry.value)}`, 'write `name:`, `description:`, `skip:` and/or `columns:` indented under the table name');
    return undefined;
  }
  const keys = r.pairs(entry.value, TABLE_KEYS, where);
  const table: TableOverride = { columns: {} };
  const name = readIdent(r, keys.get('name'), where, 'table');
  if (name !== undefined) table.name = name;
  const description = readDescription(r, keys.get('description'), where);
  if (description !== undefined) table.description = description;
  const skip = keys.get('skip');
  if (skip) {
    const v = skip.value;
    if (isScalar(v) && typeof v.value === 'boolean') table.skip = v.value;
    else r.error(r.at(skip), `\`skip\` in ${where} must be \`true\` or \`false\`, found ${r.shape(v)}`, 'write `skip: true` to leave this table out of the load');
  }
  table.columns = readColumns(r, keys.get('columns'), generated, code);
  const unpivot = readUnpivot(r, keys.get('unpivot'), where);
  if (unpivot === null) return undefined;
  if (unpivot) table.unpivot = unpivot;
  const history = readHistory(r, keys.get('history'), where);
  if (history === null) return undefined;
  if (history) table.history = history;
  return table;
}

function readColumns(r: Reader, entry: Entry | undefined, table: string, code: string): Record<string, ColumnOverride> {
  const columns: Record<string, ColumnOverride> = {};
  if (!entry || r.isEmpty(entry)) return columns;
  const owner = `table \`${table}\` (publication \`${code}\`)`;
  if (!r.isMap(entry.value)) {
    r.error(r.at(entry), `\`columns\` of ${owner} must be a mapping of generated column names, found ${r.shape(entry.value)}`, 'write one entry per generated column name, e.g.\ncolumns:\n  value: { name: patients, type: integer }');
    return columns;
  }
  const renamedBy = new Map<string, string>();
  for (const [generated, colEntry] of r.entries(entry.value, `the columns of ${owner}`)) {
    const col = readColumn(r, generated, colEntry, owner);
    if (!col) continue;
    columns[generated] = col;
    const target = col.name ?? generated;
    const other = renamedBy.get(target);
    if (other !== undefined) r.error(colEntry.key, `columns \`${other}\` and \`${generated}\` of ${owner} would both be named \`${target}\``, 'give each column its own `name`');
    renamedBy.set(target, generated);
  }
  return columns;
}

function readColumn(r: Reader, generated: string, entry: Entry, owner: string): ColumnOverride | undefined {
  const where = `the override of column \`${generated}\` of ${owner}`;
  if (r.isEmpty(entry) || (r.isMap(entry.value) && entry.value.items.length === 0)) {
    r.warn(entry.key, `${where} changes nothing`, 'add `name:`, `type:` or `description:`, or delete it');
    return {};
  }
  if (!r.isMap(entry.value)) {
    r.error(r.at(entry), `${where} must be a mapping, found ${r.shape(entry.value)}`, `write e.g. \`${generated}: { name: patients, type: integer }\``);
    return undefined;
  }
  const keys = r.pairs(entry.value, COLUMN_KEYS, where);
  const col: ColumnOverride = {};
  const name = readIdent(r, keys.get('name'), where, 'column');
  if (name !== undefined) col.name = name;
  const type = readType(r, keys.get('type'), generated, owner);
  if (type !== undefined) col.type = type;
  const description = readDescription(r, keys.get('description'), where);
  if (description !== undefined) col.description = description;
  return col;
}

/** A new table or column name: lowercase snake_case, a valid unquoted PostgreSQL identifier. */
function readIdent(r: Reader, entry: Entry | undefined, where: string, what: string): string | undefined {
  if (!entry) return undefined;
  const text = r.textValue(entry, `in ${where}`, `write a ${what} name in lowercase snake_case`);
  if (text === undefined) return undefined;
  if (IDENT.test(text)) return text;
  const fixed = snakeSuggestion(text);
  const example = fixed ? `, e.g. \`${fixed}\`` : '';
  r.error(r.at(entry), `invalid ${what} name \`${text}\` in ${where}`, `${what} names are lowercase snake_case: a letter, then letters, digits or underscores, at most 63 characters${example}`);
  return undefined;
}

function readDescription(r: Reader, entry: Entry | undefined, where: string): string | undefined {
  if (!entry) return undefined;
  const text = r.textValue(entry, `in ${where}`, 'write the description as text; use `>` for a long one');
  return text === undefined ? undefined : text.trim();
}

function readType(r: Reader, entry: Entry | undefined, column: string, owner: string): ColumnType | undefined {
  if (!entry) return undefined;
  const text = r.textValue(entry, `of column \`${column}\` of ${owner}`, `the types are ${TYPE_LIST}`);
  if (text === undefined) return undefined;
  if ((COLUMN_TYPES as readonly string[]).includes(text)) return text as ColumnType;
  const alias = didYouMean(text, Object.keys(TYPE_ALIASES));
  const guess = TYPE_ALIASES[text.toLowerCase()] ?? didYouMean(text, [...COLUMN_TYPES]) ?? (alias ? TYPE_ALIASES[alias] : undefined);
  const prefix = guess ? `did you mean \`${guess}\`? ` : '';
  r.error(r.at(entry), `unknown column type \`${text}\` for column \`${column}\` of ${owner}`, `${prefix}The types are ${TYPE_LIST}.`);
  return undefined;
}
