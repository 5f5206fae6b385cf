/**
 * What a build leaves behind, in a form two workspaces can be compared in: every manifest byte and every
 * metadata page, every Parquet file's schema, key/value metadata and rows (read with hyparquet, a reader
 * other than the writer), and every staging and registry table's columns (in order) and rows. `compare` says
 * exactly what differs: which file and line, which column order, which rows; `verdict` also says whether the
 * only difference is the order of columns (issue 14, hole 2: it follows the order periods were loaded in).
 *
 * Volatile by design, and left out (each says when or where it was made, not what was built):
 * - registry columns `tables.created_at`, `periods.loaded_at`, `loads.loaded_at`, `workspaces.seen_at`;
 * - `workspaces.root` and any other value naming the workspace folder (replaced by `<ws>`);
 * - `changes.token`, a random token each write draws (lib/db/changes.ts);
 * - slice ids (`loads.slice_id`, `slices.slice_id`, `slices.loaded_at`): slices are numbered in the order they were
 *   first loaded, which -j and a kill decide; a staging row's `_slice` is compared as its slice's identity instead
 *   (table, publication, period, source key from `datawarp.loads`; null for a row of no registered slice);
 * - `downloads/` (a cache; its index records download times) and `.cache/` (a cache);
 * - the database's own files (`.pglite/`).
 * Temporary files left anywhere else are listed, and must be none.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decompress } from 'fzstd';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { openDb } from '../../lib/db/index.ts';
import type { ChaosWorkspace } from './workspace.ts';

const VOLATILE: Record<string, string[]> = {
  'datawarp.tables': ['created_at'],
  'datawarp.periods': ['loaded_at'],
  'datawarp.loads': ['loaded_at', 'slice_id'],
  'datawarp.slices': ['loaded_at', 'slice_id'],
  'datawarp.workspaces': ['seen_at', 'root'],
  'datawarp.changes': ['token'],
};

interface Rows { columns: string[]; rows: string[] }
export interface Outcome {
  /** Path → content of every manifest and metadata page. */
  files: Record<string, string>;
  /** Parquet file → schema (name:type), key/value metadata and rows. */
  parquet: Record<string, Rows & { kv: Record<string, string> }>;
  /** `schema.table` → columns (name:type, in order) and rows. */
  tables: Record<string, Rows>;
  /** Temporary files anywhere but the database's folder (there must be none). */
  temp: string[];
}

/**
 * A row as canonical text: keys sorted (so a row compares by column name, whatever the column order), BigInt
 * and Date as text, the workspace folder replaced by `<ws>`.
 */
function canonical(row: Record<string, unknown>, root: string): string {
  return JSON.stringify(row, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Date) return v.toISOString();
    if (typeof v === 'string') return v.split(root).join('<ws>');
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return v;
  });
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

export async function digestWorkspace(ws: ChaosWorkspace): Promise<Outcome> {
  const { root } = ws;
  const rel = (p: string) => p.slice(root.length + 1);
  const out: Outcome = { files: {}, parquet: {}, tables: {}, temp: [] };
  for (const dir of ['manifests', 'output/metadata']) {
    for (const p of await listFiles(join(root, dir))) out.files[rel(p)] = (await readFile(p, 'utf8')).split(root).join('<ws>');
  }
  for (const p of await listFiles(join(root, 'output'))) {
    if (!p.endsWith('.parquet')) continue;
    const file = await asyncBufferFromFile(p);
    const meta = await parquetMetadataAsync(file);
    const rows = await parquetReadObjects({ file, compressors: { ZSTD: (input: Uint8Array, length: number) => decompress(input, new Uint8Array(length)) } });
    const columns = meta.schema.slice(1).map((s) => `${s.name}:${s.type ?? 'group'}${s.logical_type ? `/${s.logical_type.type}` : ''}`);
    const kv = Object.fromEntries((meta.key_value_metadata ?? []).map((x) => [x.key, (x.value ?? '').split(root).join('<ws>')]));
    out.parquet[rel(p)] = { columns, kv, rows: rows.map((r) => canonical(r, root)) };
  }
  for (const p of await readdir(root, { recursive: true }).catch(() => [] as string[])) {
    if (/\.tmp-|\.stale-/.test(p) && !p.startsWith('.pglite')) out.temp.push(p);
  }
  const db = await openDb({ workspace: root, databaseUrl: ws.databaseUrl });
  try {
    const cols = await db.query<{ s: string; t: string; c: string; ty: string }>(
      `SELECT table_schema AS s, table_name AS t, column_name AS c, data_type AS ty FROM information_schema.columns
       WHERE table_schema IN ('staging', 'datawarp') ORDER BY table_schema, table_name, ordinal_position`,
    );
    const byTable = new Map<string, { name: string; type: string }[]>();
    for (const c of cols) byTable.set(`${c.s}.${c.t}`, [...(byTable.get(`${c.s}.${c.t}`) ?? []), { name: c.c, type: c.ty }]);
    for (const [table, columns] of byTable) {
      const kept = columns.filter((c) => !(VOLATILE[table] ?? []).includes(c.name));
      const [schema, name] = table.split('.');
      const select = kept
        .map((c) =>
          schema === 'staging' && c.name === '_slice'
            ? `(SELECT concat_ws('|', l.table_name, l.publication, l.period, l.source_key) FROM datawarp.loads l WHERE l.slice_id = t._slice) AS "_slice"`
            : `t."${c.name}"`,
        )
        .join(', ');
      const rows = await db.query<Record<string, unknown>>(`SELECT ${select} FROM "${schema}"."${name}" t`);
      out.tables[table] = { columns: columns.map((c) => `${c.name}:${c.type}`), rows: rows.map((r) => canonical(Object.fromEntries(kept.map((c) => [c.name, r[c.name]])), root)).sort() };
    }
  } finally {
    await db.close();
  }
  return out;
}

export interface Verdict {
  /** same: identical; order: identical but for the order of columns (hole 2); differs: anything else. */
  kind: 'same' | 'order' | 'differs';
  diffs: string[];
}

/** Whether `actual` is `expected`, and if not, whether only the order of columns differs. */
export function verdict(expected: Outcome, actual: Outcome): Verdict {
  const diffs = compare(expected, actual);
  if (!diffs.length) return { kind: 'same', diffs };
  return { kind: compare(expected, actual, true).length ? 'differs' : 'order', diffs };
}

/**
 * Every difference between what was expected and what is, in words; empty when they agree. With
 * `ignoreColumnOrder`, columns compare as sets, metadata pages as sets of lines, and the records (digests of
 * the files, which the order changes) are left out.
 */
export function compare(expected: Outcome, actual: Outcome, ignoreColumnOrder = false): string[] {
  const diffs: string[] = [];
  if (ignoreColumnOrder) {
    const sortedLines = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).map(([k, v]) => [k, k.endsWith('.md') ? v.split('\n').sort().join('\n') : v]));
    const loose = (o: Outcome): Outcome => ({
      ...o,
      files: sortedLines(o.files),
      parquet: Object.fromEntries(Object.entries(o.parquet).map(([k, v]) => [k, { ...v, columns: [...v.columns].sort(), kv: Object.fromEntries(Object.entries(v.kv).filter(([key]) => key !== 'nhs_pipeline.record')) }])),
      tables: Object.fromEntries(Object.entries(o.tables).map(([k, v]) => [k, { ...v, columns: [...v.columns].sort() }])),
    });
    expected = loose(expected);
    actual = loose(actual);
  }
  if (actual.temp.length) diffs.push(`temporary files left: ${actual.temp.join(', ')}`);
  keyed(diffs, 'file', expected.files, actual.files, (path, a, b) => {
    const x = a.split('\n');
    const y = b.split('\n');
    const i = x.findIndex((line, n) => line !== y[n]);
    const at = i < 0 ? x.length : i;
    return [`${path}:${at + 1} differs: expected ${JSON.stringify(x[at] ?? '(end of file)')}, got ${JSON.stringify(y[at] ?? '(end of file)')}`];
  });
  keyed(diffs, 'Parquet file', expected.parquet, actual.parquet, (path, a, b) => [
    ...columnsDiff(path, a.columns, b.columns),
    ...keyedInline(`${path} key/value metadata`, a.kv, b.kv),
    ...rowsDiff(path, a.rows, b.rows, true),
  ]);
  keyed(diffs, 'table', expected.tables, actual.tables, (table, a, b) => [...columnsDiff(table, a.columns, b.columns), ...rowsDiff(table, a.rows, b.rows, false)]);
  return diffs;
}

function keyed<T>(diffs: string[], what: string, a: Record<string, T>, b: Record<string, T>, each: (key: string, x: T, y: T) => string[]): void {
  for (const k of Object.keys(a).sort()) if (!(k in b)) diffs.push(`${what} ${k} is missing`);
  for (const k of Object.keys(b).sort()) if (!(k in a)) diffs.push(`${what} ${k} should not exist`);
  for (const k of Object.keys(a).sort()) if (k in b && JSON.stringify(a[k]) !== JSON.stringify(b[k])) diffs.push(...each(k, a[k]!, b[k]!));
}

function keyedInline(what: string, a: Record<string, string>, b: Record<string, string>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => a[k] !== b[k]).map((k) => `${what} ${k}: expected ${short(a[k])}, got ${short(b[k])}`);
}

function columnsDiff(where: string, a: string[], b: string[]): string[] {
  if (a.join() === b.join()) return [];
  const i = a.findIndex((c, n) => c !== b[n]);
  const from = (xs: string[]) => `[${xs.slice(i, i + 4).join(', ')}${xs.length > i + 4 ? ', …' : ''}]`;
  if ([...a].sort().join() === [...b].sort().join()) return [`${where}: the same ${a.length} columns in another order, from column ${i + 1}: expected ${from(a)}, got ${from(b)}`];
  const missing = a.filter((c) => !b.includes(c));
  const extra = b.filter((c) => !a.includes(c));
  return [`${where}: different columns: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}] (expected ${a.length}, got ${b.length})`];
}

function rowsDiff(where: string, a: string[], b: string[], ordered: boolean): string[] {
  if (a.join('\n') === b.join('\n')) return [];
  const count = (xs: string[]) => xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const ca = count(a);
  const cb = count(b);
  const only = (x: Map<string, number>, y: Map<string, number>) => [...x].filter(([k, n]) => (y.get(k) ?? 0) < n).map(([k]) => k);
  const missing = only(ca, cb);
  const extra = only(cb, ca);
  if (!missing.length && !extra.length) return ordered ? [`${where}: the same ${a.length} rows in another order`] : [];
  const hash = (xs: string[]) => createHash('sha256').update(xs.join('\n')).digest('hex').slice(0, 12);
  return [`${where}: ${a.length} rows expected (${hash(a)}), ${b.length} found (${hash(b)}); ${missing.length} missing, e.g. ${short(missing[0])}; ${extra.length} unexpected, e.g. ${short(extra[0])}`];
}

const short = (s: string | undefined) => (s === undefined ? '(none)' : s.length > 300 ? `${s.slice(0, 300)}…` : s);
