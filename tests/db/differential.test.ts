// The binary load path (lib/db/load.ts) against the path it replaced (tests/db/old-load.ts), on every backend:
// every sample file in tests/fixtures/nhs-samples, every table in it, under the inferred column types and under
// wider ones, loaded both ways into twin staging tables whose rows are then compared as text — every cell, every
// marker (_markers) and every provenance column, those of the slice as the registry restores them (datawarp.slices). Plus awkward values of every type, and bad values, whose errors
// must read the same.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnType, Db } from '../../lib/db/index.ts';
import { ensureSchemas, ensureStagingTable, loadSlice, readLoads, type Slice, type SourceColumn, type SourceRow } from '../../lib/db/registry.ts';
import { describeFile, readTableBatches, type Cell, type FileExtraction, type SourceFile } from '../../lib/sheets/index.ts';
import { tempTestDb, testBackends, type TempTestDb } from '../rig/db.ts';
import { oldLoad } from './old-load.ts';

const SAMPLES = path.join(import.meta.dirname, '..', 'fixtures', 'nhs-samples');
const FILES = (readdirSync(SAMPLES, { recursive: true }) as string[]).filter((f) => /\.(csv|xlsx?|xlsm|ods|zip)$/i.test(f)).sort();

/** Wider staging types than the inferred ones: every fast path meets values of a narrower type. */
const WIDER: Record<ColumnType, ColumnType> = { integer: 'bigint', bigint: 'numeric', numeric: 'text', date: 'text', boolean: 'integer', text: 'text' };

const described = new Map<string, Promise<FileExtraction>>();
const describeOnce = (file: SourceFile) => described.get(file.path) ?? described.set(file.path, describeFile(file)).get(file.path)!;

function sliceOf(table: string, n: number, sheet: string | null): Slice {
  return {
    table, publication: 'diff', period: { label: '2024-04', start: '2024-04-01', end: '2024-04-30' },
    sourceKey: `https://example.org/f${n}.csv#k`, sourceUrl: `https://example.org/f${n}.csv`, sourceFile: `f${n}.csv`,
    sourceSha256: 'ab'.repeat(32), sheet, canonicalSha256: 'c', ruleVersion: '1',
  };
}

/**
 * Every row of a staging table as text: its slice's provenance from the registry (what `_slice` stands for: the twin
 * tables' slices have different ids), then every other column.
 */
async function rowsAsText(db: Db, table: string): Promise<string> {
  const cols = await db.query<{ c: string }>(
    `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = $1 AND column_name <> '_slice' ORDER BY ordinal_position`,
    [table],
  );
  return `SELECT ROW(s.publication, s.source_key, s.source_file, s.source_sha256, s.sheet, ${cols.map((x) => `t."${x.c}"`).join(', ')})::text AS r
            FROM staging."${table}" t JOIN datawarp.slices s ON s.slice_id = t._slice`;
}

/** Rows of one table that the other lacks (as whole-row text), both ways; [] when the tables hold the same rows. */
async function differences(db: Db, a: string, b: string): Promise<string[]> {
  const [ta, tb] = [await rowsAsText(db, a), await rowsAsText(db, b)];
  for (const [t, text] of [[a, ta], [b, tb]]) {
    const [{ n }] = await db.query<{ n: number }>(`SELECT (SELECT count(*) FROM staging."${t}") - (SELECT count(*) FROM (${text}) x) AS n`);
    expect(n, `rows of ${t} in no registered slice`).toBe(0);
  }
  const rows = await db.query<{ side: string; r: string }>(
    `(SELECT 'only old' AS side, r FROM (${ta} EXCEPT ALL ${tb}) x LIMIT 5)
     UNION ALL
     (SELECT 'only new', r FROM (${tb} EXCEPT ALL ${ta}) y LIMIT 5)`,
  );
  return rows.map((x) => `${x.side}: ${x.r}`);
}

async function* inBatches(rows: SourceRow[] | SourceRow[][], size?: number): AsyncGenerator<SourceRow[]> {
  if (size === undefined) yield* rows as SourceRow[][];
  else for (let i = 0; i < rows.length; i += size) yield (rows as SourceRow[]).slice(i, i + size);
}
async function* oneByOne(rows: SourceRow[]): AsyncGenerator<SourceRow> {
  yield* rows;
}

describe.each(testBackends())('old and new load paths on %s', (backend) => {
  let t: TempTestDb;
  let db: Db;
  let n = 0;
  beforeAll(async () => {
    t = await tempTestDb(backend, 'nhs-diff-test-');
    db = t.db;
    await ensureSchemas(db);
  });
  afterAll(() => t?.cleanup());

  /** Loads the same rows both ways into fresh twin tables; returns both results and the tables' differences. */
  async function both(columns: SourceColumn[], sheet: string | null, oldSource: () => AsyncIterable<{ row: number; values: Cell[] }>, newSource: () => AsyncIterable<SourceRow[]>) {
    const k = ++n;
    const defs = columns.map((c) => ({ name: c.name, type: c.type }));
    const where = { file: 'sample', sheet: sheet ?? undefined };
    const old = await db.transaction(async (tx) => {
      await ensureStagingTable(tx, `old_${k}`, 'diff', defs);
      return oldLoad(tx, sliceOf(`old_${k}`, k, sheet), oldSource(), columns, where);
    });
    const neu = await db.transaction(async (tx) => {
      await ensureStagingTable(tx, `new_${k}`, 'diff', defs);
      return loadSlice(tx, sliceOf(`new_${k}`, k, sheet), { batches: newSource(), columns, where });
    });
    const loads = await readLoads(db, { publication: 'diff' });
    const counts = (t: string) => loads.filter((l) => l.table === t).map((l) => [l.rowCount, l.markerCount]);
    expect(counts(`new_${k}`)).toEqual(counts(`old_${k}`));
    return { old, neu, diff: await differences(db, `old_${k}`, `new_${k}`) };
  }

  it.each(FILES)('loads every table of %s identically', async (rel) => {
    const file = { path: path.join(SAMPLES, rel), name: path.basename(rel) };
    const x = await describeOnce(file);
    expect(x.tables.length).toBeGreaterThan(0);
    // Wider types for the largest table of each file only, and its first 2,000 rows: they exercise the same
    // conversions on values of other types, which needs no more.
    const largest = x.tables.reduce((a, b) => (b.rowCount > a.rowCount ? b : a));
    for (const t of x.tables) {
      // Read once (a workbook is parsed again per read): the old path gets the rows one by one, the new one the batches.
      const batches: SourceRow[][] = [];
      for await (const b of readTableBatches(file, t)) batches.push(b);
      for (const widen of t === largest ? [false, true] : [false]) {
        const columns = t.columns.map((c, i) => ({ name: `c${i}`, type: widen ? WIDER[c.type] : c.type, index: c.index, sourceColumn: c.sourceColumn }));
        const some = widen ? [batches.flat().slice(0, 2000)] : batches;
        const r = await both(columns, t.sheet ?? null, () => oneByOne(some.flat()), () => inBatches(some));
        expect(r.old.rows, `${t.key}: rows`).toBe(widen ? Math.min(2000, t.rowCount) : t.rowCount);
        expect(r.neu, `${t.key}${widen ? ' (wider types)' : ''}`).toEqual(r.old);
        expect(r.diff, `${t.key}${widen ? ' (wider types)' : ''}`).toEqual([]);
      }
    }
  });

  it('converts awkward values of every type as the old path did', async () => {
    const values: Record<ColumnType, Cell[]> = {
      integer: ['0', '-0', '1', '-2147483648', '2147483647', '2,147,483,647', '£12', '+5', ' 42 ', '1e3', '5.03563e+006', 12, -0, true, '*', 'c', '<5', '52+', '', '  ', null],
      bigint: ['9223372036854775807', '-9223372036854775808', '10000000000', '123456789012345678', '-0', '0', 1e15, -3, 9007199254740991, '1,000,000,000,000', '..', null],
      numeric: [
        '0', '-0', '-0.00', '0.000100', '1e-7', '1.5e+21', '5.03563e+006', '+2.7%', '£482,400', '-12.340', '123456789012345678901234567890',
        '99999.99995', '10000', '1000000.0001', '0.1234', '12345.6789', '1,234.5', '-£3.50', '1E+3', '2.5E-3', 0.1, 1e-7, 1.2345678901234568e21,
        123456789012345680000, -1.5, 1 / 3, 5e-324, 1.7976931348623157e308, 'x', '[c]', '#DIV/0!', null,
      ],
      date: ['01/05/2025', '1/5/2025', '29/02/2024', '2025-05-01', '2025-05', 'MAR2019', 'Mar-19', '01JAN2021', '2017/02', '31/12/9999', '01/01/1000',
        new Date(Date.UTC(2024, 3, 1)), 45000, 1, '-', 'n/a', null],
      boolean: ['true', 'FALSE', true, false, ' True ', '*', null],
      text: [' padded ', 'a,b', 'q"uote', 'line\nbreak', 'tab\there', 'Ünïcödé £ – €', '😀 emoji', 'back\\slash', '\\.', '*', 42, 1.5,
        new Date(Date.UTC(2024, 3, 1, 13, 5)), new Date(Date.UTC(2024, 3, 1)), true, '', null],
    };
    const types = Object.keys(values) as ColumnType[];
    const longest = Math.max(...types.map((t) => values[t].length));
    const rows: SourceRow[] = [];
    for (let i = 0; i < longest * 3; i++) rows.push({ row: 10 + i, values: types.map((t) => values[t][i % values[t].length]) });
    const columns = types.map((type, i) => ({ name: `${type}_col`, type, index: i, sourceColumn: String.fromCharCode(65 + i) }));
    const r = await both(columns, 'Data', () => oneByOne(rows), () => inBatches(rows, 7));
    expect(r.old.rows).toBe(rows.length);
    expect(r.old.markers).toBeGreaterThan(0);
    expect(r.neu).toEqual(r.old);
    expect(r.diff).toEqual([]);
    // Wider types too: integers as numeric and text, dates as text.
    const wide = columns.map((c) => ({ ...c, type: (c.type === 'integer' ? 'numeric' : c.type === 'bigint' || c.type === 'date' ? 'text' : c.type) as ColumnType }));
    const w = await both(wide, 'Data', () => oneByOne(rows), () => inBatches(rows, 100));
    expect(w.neu).toEqual(w.old);
    expect(w.diff).toEqual([]);
  });

  it.each([
    ['a value that does not fit its column', { type: 'integer' as ColumnType, bad: '12abc' }],
    ['a number too large for integer', { type: 'integer' as ColumnType, bad: '3000000000' }],
    ['a date with a time of day', { type: 'date' as ColumnType, bad: new Date(Date.UTC(2024, 0, 1, 9)) }],
    ['a NUL character in text', { type: 'text' as ColumnType, bad: 'nul\0here' }],
  ])('fails on %s with the old message, naming where, and keeps nothing', async (_, { type, bad }) => {
    const rows: SourceRow[] = [];
    for (let i = 0; i < 50; i++) rows.push({ row: 3 + i, values: ['ok', i === 37 ? bad : type === 'date' ? '01/01/2024' : type === 'text' ? 'fine' : String(i)] });
    const columns = [{ name: 'label', type: 'text' as ColumnType, index: 0, sourceColumn: 'A' }, { name: 'v', type, index: 1, sourceColumn: 'B' }];
    const table = `bad_${++n}`;
    const fail = async (load: (tx: Parameters<Parameters<Db['transaction']>[0]>[0], table: string) => Promise<unknown>) => {
      const err = await db.transaction(async (tx) => {
        await ensureStagingTable(tx, table, 'diff', columns);
        return load(tx, table);
      }).then(() => undefined, (e: Error) => e);
      expect(await db.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = '${table}'`)).toEqual([{ n: 0 }]);
      return err;
    };
    const where = { file: 'pack.xlsx', sheet: 'Data' };
    const oldErr = await fail((tx, t) => oldLoad(tx, sliceOf(t, 1, 'Data'), oneByOne(rows), columns, where));
    const newErr = await fail((tx, t) => loadSlice(tx, sliceOf(t, 1, 'Data'), { batches: inBatches(rows, 16), columns, where }));
    expect(oldErr).toBeInstanceOf(Error);
    expect(newErr?.message).toBe(oldErr!.message);
    expect(newErr?.message).toMatch(type === 'text' ? /row 38, column v contains a NUL/ : /pack\.xlsx, sheet "Data", cell B40/);
  });
});
