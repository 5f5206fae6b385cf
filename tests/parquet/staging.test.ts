// stagingToParquet on every backend, read back with hyparquet: the same rows in the same order as the export it
// replaced (db.exportCsv of the whole table + csvToParquet), for a table of many slices and one of a single slice;
// row groups whose statistics let a reader skip other periods; a row longer than DuckDB's first line limit; errors.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnType, Db } from '../../lib/db/index.ts';
import { ensureSchemas, ensureStagingTable, loadSlice, stagingColumns, type Slice, type SourceRow } from '../../lib/db/registry.ts';
import { csvToParquet, stagingToParquet, type ParquetColumn } from '../../lib/parquet/index.ts';
import { tempTestDb, testBackends, type TempTestDb } from '../rig/db.ts';
import { readFooter, readRows } from './read-back.ts';

const PROVENANCE: ParquetColumn[] = [
  { name: '_publication', type: 'text' }, { name: '_period', type: 'text' }, { name: '_period_start', type: 'date' }, { name: '_period_end', type: 'date' },
  { name: '_source_key', type: 'text' }, { name: '_source_file', type: 'text' }, { name: '_source_sha256', type: 'text' }, { name: '_sheet', type: 'text' },
  { name: '_source_row', type: 'integer' }, { name: '_markers', type: 'text' },
];
const DATA = [
  { name: 'org', type: 'text' as ColumnType, index: 0, sourceColumn: 'A' },
  { name: 'day', type: 'date' as ColumnType, index: 1, sourceColumn: 'B' },
  { name: 'n', type: 'integer' as ColumnType, index: 2, sourceColumn: 'C' },
  { name: 'big', type: 'bigint' as ColumnType, index: 3, sourceColumn: 'D' },
  { name: 'rate', type: 'numeric' as ColumnType, index: 4, sourceColumn: 'E' },
  { name: 'ok', type: 'boolean' as ColumnType, index: 5, sourceColumn: 'F' },
];
const NOTES = ['', 'a, "quoted" name', 'line\nbreak', 'Ünïcödé £', '\\.'];

function rowsOf(count: number, seed: number): SourceRow[] {
  const rows: SourceRow[] = [];
  for (let i = 0; i < count; i++) {
    const k = i + seed;
    rows.push({
      row: 5 + i,
      values: [k % 11 === 0 ? NOTES[k % NOTES.length] : `ORG${k % 97}`, `${1 + (k % 28)}/0${1 + (k % 9)}/2024`, k % 13 === 0 ? '*' : String(k % 5000),
        String(10_000_000_000 + k), k % 17 === 0 ? 'c' : (k / 8).toFixed(3), k % 2 ? 'true' : 'false'],
    });
  }
  return rows;
}

async function* batches(rows: SourceRow[]): AsyncGenerator<SourceRow[]> {
  for (let i = 0; i < rows.length; i += 500) yield rows.slice(i, i + 500);
}

describe.each(testBackends())('stagingToParquet on %s', (backend) => {
  let t: TempTestDb;
  let db: Db;
  beforeAll(async () => {
    t = await tempTestDb(backend, 'nhs-staging-pq-');
    db = t.db;
    await ensureSchemas(db);
    // "multi": two periods (the later one loaded first), two files in one period, a sheet name and none.
    const slices: [Partial<Slice>, number][] = [
      [{ period: { label: '2024-05', start: '2024-05-01', end: '2024-05-31' }, sourceKey: 'https://e.org/b.xlsx#Data#1', sourceFile: 'b.xlsx', sheet: 'Data' }, 6_000],
      [{ period: { label: '2024-04', start: '2024-04-01', end: '2024-04-30' }, sourceKey: 'https://e.org/a.csv#', sourceFile: 'a.csv', sheet: null }, 7_000],
      [{ period: { label: '2024-04', start: '2024-04-01', end: '2024-04-30' }, sourceKey: 'https://e.org/a2.csv#', sourceFile: 'a2.csv', sheet: null }, 4_000],
    ];
    for (const [i, [over, count]] of slices.entries()) await load('multi', over, rowsOf(count, i * 1000));
    // "groups": enough rows for two row groups, May loaded before April.
    await load('groups', slices[0]![0], rowsOf(50_000, 1));
    await load('groups', slices[1]![0], rowsOf(60_000, 2));
    await load('single', { period: { label: '2023', start: '2023-01-01', end: '2023-12-31' }, sourceKey: 'https://e.org/s.csv#', sourceFile: 's.csv', sheet: null }, rowsOf(2_000, 7));
  });
  afterAll(() => t?.cleanup());

  async function load(table: string, over: Partial<Slice>, rows: SourceRow[]) {
    const slice: Slice = {
      table, publication: 'pub', period: { label: '2024-04', start: '2024-04-01', end: '2024-04-30' }, sourceKey: 'k', sourceUrl: 'https://e.org/x',
      sourceFile: 'x', sourceSha256: 'e'.repeat(64), sheet: null, canonicalSha256: 'c', ruleVersion: '1', ...over,
    };
    slice.sourceUrl = slice.sourceKey.replace(/#.*$/, '');
    await db.transaction(async (tx) => {
      await ensureStagingTable(tx, table, 'pub', DATA);
      await loadSlice(tx, slice, { batches: batches(rows), columns: DATA, where: { file: slice.sourceFile } });
    });
  }

  const columnsOf = async (table: string): Promise<ParquetColumn[]> => [...PROVENANCE, ...(await stagingColumns(db, table))];

  /** The export this replaced: the whole table sorted by PostgreSQL as CSV, then DuckDB. */
  async function oldParquet(table: string, out: string) {
    const all = await columnsOf(table);
    const csv = path.join(t.dir, `${table}-old.csv`);
    // The slice's provenance as analysts read it: the registry's, joined on _slice (README, "Database").
    const fromSlice: Record<string, string> = { _publication: 'publication', _source_key: 'source_key', _source_file: 'source_file', _source_sha256: 'source_sha256', _sheet: 'sheet' };
    const expr = (name: string) => (name === '_markers' ? 't."_markers"::text' : fromSlice[name] ? `s.${fromSlice[name]}` : `t."${name}"`);
    const select = `SELECT ${all.map((c) => `${expr(c.name)} AS "${c.name}"`).join(', ')} FROM staging."${table}" t JOIN datawarp.slices s ON s.slice_id = t._slice
                     ORDER BY "_period_start", "_period", "_source_key", "_source_row"`;
    await db.exportCsv(select, csv);
    return csvToParquet({ csvPath: csv, columns: all, outPath: out, kv: { k: 'v' } });
  }

  it.each(['multi', 'single'])('writes the rows of %s exactly as the old export did, in the same order', async (table) => {
    const oldOut = path.join(t.dir, `${table}-old.parquet`);
    const newOut = path.join(t.dir, `${table}-new.parquet`);
    const old = await oldParquet(table, oldOut);
    const neu = await stagingToParquet({ db, table, columns: await columnsOf(table), outPath: newOut, kv: { k: 'v' }, tmpDir: path.join(t.dir, 'tmp') });
    expect(neu.rows).toBe(old.rows);
    expect(neu.rows).toBe(table === 'multi' ? 17_000 : 2_000);
    const [a, b] = [await readRows(oldOut), await readRows(newOut)];
    expect(b.length).toBe(a.length);
    for (let i = 0; i < a.length; i += 1) if (JSON.stringify(a[i], (_, v) => (typeof v === 'bigint' ? String(v) : v)) !== JSON.stringify(b[i], (_, v) => (typeof v === 'bigint' ? String(v) : v))) expect([i, b[i]]).toEqual([i, a[i]]);
    if (table === 'multi') {
      expect([...new Set(b.map((r) => `${r._period}|${r._source_file}|${r._sheet}`))]).toEqual(['2024-04|a.csv|null', '2024-04|a2.csv|null', '2024-05|b.xlsx|Data']);
      expect(b.filter((r) => r._markers !== null).length).toBeGreaterThan(0);
    }
    expect(existsSync(path.join(t.dir, 'tmp')) ? (await import('node:fs')).readdirSync(path.join(t.dir, 'tmp')) : []).toEqual([]);
  });

  it('writes the same bytes through a pipe (export and DuckDB at once) as through a file, every time', async () => {
    const write = async (name: string, throughFile: boolean) => {
      const out = path.join(t.dir, name);
      await stagingToParquet({ db, table: 'groups', columns: await columnsOf('groups'), outPath: out, kv: { k: 'v' }, tmpDir: path.join(t.dir, 'tmp'), throughFile });
      return createHash('sha256').update(await readFile(out)).digest('hex');
    };
    const file = await write('bytes-file.parquet', true);
    expect(await write('bytes-pipe.parquet', false)).toBe(file);
    expect(await write('bytes-pipe2.parquet', false)).toBe(file);
  });

  it('writes row groups of ~100k rows whose min/max statistics separate the periods', async () => {
    const out = path.join(t.dir, 'stats.parquet');
    await stagingToParquet({ db, table: 'groups', columns: await columnsOf('groups'), outPath: out, kv: {}, tmpDir: path.join(t.dir, 'tmp') });
    const footer = await readFooter(out);
    expect(footer.row_groups.map((g) => Number(g.num_rows))).toEqual([100_652, 9_348]);
    const stat = (g: number, name: string) => footer.row_groups[g]!.columns.find((c) => c.meta_data?.path_in_schema.join('.') === name)!.meta_data!.statistics!;
    const text = (v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString() : String(v));
    // April's 60k rows come first: group 0 holds April and the start of May, group 1 only May, so a reader asking for
    // April skips group 1.
    expect([text(stat(0, '_period').min_value), text(stat(0, '_period').max_value)]).toEqual(['2024-04', '2024-05']);
    expect([text(stat(1, '_period').min_value), text(stat(1, '_period').max_value)]).toEqual(['2024-05', '2024-05']);
    for (const name of ['_period_start', '_source_row', 'n', 'big', 'rate', 'day', 'org']) {
      expect(stat(0, name).min_value, name).not.toBeUndefined();
      expect(stat(0, name).max_value, name).not.toBeUndefined();
    }
  });

  it.each([
    ['within its read buffer', 1.5],
    ['longer than its read buffer', 3],
  ])('writes a row longer than the first line limit of DuckDB (1 MB), %s, on a second try', async (_, mb) => {
    const rows = rowsOf(20, 5);
    rows[3]!.values[0] = 'y'.repeat(mb * 1024 * 1024);
    const table = `long_${String(mb).replace('.', '_')}`;
    await load(table, { sourceKey: `https://e.org/${table}.csv#`, sourceFile: `${table}.csv` }, rows);
    const out = path.join(t.dir, `${table}.parquet`);
    const res = await stagingToParquet({ db, table, columns: await columnsOf(table), outPath: out, kv: {}, tmpDir: path.join(t.dir, 'tmp') });
    expect(res.rows).toBe(20);
    expect((await readRows(out)).map((r) => String(r.org).length)).toEqual(rows.map((r) => String(r.values[0]).length));
  });

  it.each([
    ['a period that differs within their slice', `SET _period_end = '2024-05-01'`],
    ['a slice the registry does not know', 'SET _slice = _slice + 1000'],
  ])('refuses rows with %s, writing nothing', async (_, change) => {
    await db.exec('DROP TABLE IF EXISTS staging.stray; DELETE FROM datawarp.tables WHERE table_name = \'stray\'');
    await load('stray', { sourceKey: 'https://e.org/s.csv#', sourceFile: 's.csv' }, rowsOf(300, 1));
    await db.query(`UPDATE staging.stray ${change} WHERE _source_row = 10`);
    const out = path.join(t.dir, 'stray.parquet');
    await expect(stagingToParquet({ db, table: 'stray', columns: await columnsOf('stray'), outPath: out, kv: {}, tmpDir: path.join(t.dir, 'tmp') })).rejects.toThrow(
      'staging.stray holds 300 rows but its slices hold 299: some rows belong to no slice of the registry (datawarp.slices), or carry a period that differs within their slice',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('names the column, period, file and source row of a numeric value a DOUBLE would round', async () => {
    const rows = rowsOf(50, 3);
    rows[20]!.values[4] = '0.98666666666666666666';
    await load('lossy', { sourceKey: 'https://e.org/l.csv#', sourceFile: 'l.csv' }, rows);
    const out = path.join(t.dir, 'lossy.parquet');
    await expect(stagingToParquet({ db, table: 'lossy', columns: await columnsOf('lossy'), outPath: out, kv: {}, tmpDir: path.join(t.dir, 'tmp') })).rejects.toThrow(
      `Cannot write ${out}: column "rate" in period 2024-04 from l.csv, source row 25: "0.98666666666666666666" has more significant digits than a DOUBLE keeps and would be stored rounded. Round it upstream or declare the column as text.`,
    );
    expect(existsSync(out)).toBe(false);
  });
});
