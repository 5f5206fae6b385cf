/** Shared helpers for the sheets tests: sample paths and collecting a table's rows. */
import { basename, join } from 'node:path';
import { readTable, type Cell, type SourceFile, type TableInfo, type TableRow } from '../../lib/sheets/index.ts';

export const SAMPLES = join(import.meta.dirname, '..', 'fixtures', 'nhs-samples');

/** A sample file as a SourceFile (name = the published file name). */
export function sample(rel: string): SourceFile {
  return { path: join(SAMPLES, rel), name: basename(rel) };
}

/** All rows of a table, in order. */
export async function collect(file: SourceFile, table: TableInfo): Promise<TableRow[]> {
  const out: TableRow[] = [];
  for await (const r of readTable(file, table)) out.push(r);
  return out;
}

/** Finds a table by key or fails with the keys that exist. */
export function table(tables: TableInfo[], key: string): TableInfo {
  const t = tables.find((x) => x.key === key);
  if (!t) throw new Error(`no table ${key}; have ${tables.map((x) => x.key).join(', ')}`);
  return t;
}

/** Value of the named column in a row. */
export function col(t: TableInfo, values: Cell[], name: string): Cell {
  const c = t.columns.find((x) => x.name === name);
  if (!c) throw new Error(`no column ${name}; have ${t.columns.map((x) => x.name).join(' | ')}`);
  return values[c.index];
}
