// lib/db loadSlice on every backend: a load over several COPY statements (PGlite) with exact values, reloads that
// replace, a failed or aborted load that keeps the old slice and leaves nothing behind (rows, registry rows, temp
// tables, column defaults), a value the server rejects, named by its row over the whole copy; a large table encoded in
// a worker thread (PGlite) as on the main thread; and copyTo.
import { open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ColumnType, Db } from '../../lib/db/index.ts';
import { OFF_THREAD_ROWS } from '../../lib/db/load.ts';
import { ensureSchemas, ensureStagingTable, loadSlice, readLoads, type Slice, type SourceRow } from '../../lib/db/registry.ts';
import { describeFile, readTableBatches, SheetError } from '../../lib/sheets/index.ts';
import { tempTestDb, testBackends, type TempTestDb } from '../rig/db.ts';

const COLUMNS = [
  { name: 'code', type: 'text' as ColumnType, index: 0, sourceColumn: '1' },
  { name: 'n', type: 'integer' as ColumnType, index: 1, sourceColumn: '2' },
  { name: 'note', type: 'text' as ColumnType, index: 2, sourceColumn: '3' },
];
const NOTE = 'x'.repeat(200); // wide rows: 100k of them pass PGlite's 16 MB per COPY statement

function slice(table: string, over: Partial<Slice> = {}): Slice {
  return {
    table, publication: 'pub', period: { label: '2024-04', start: '2024-04-01', end: '2024-04-30' }, sourceKey: 'https://e.org/a.csv#',
    sourceUrl: 'https://e.org/a.csv', sourceFile: 'a.csv', sourceSha256: 'f'.repeat(64), sheet: null, canonicalSha256: 'c', ruleVersion: '1', ...over,
  };
}

/** `count` rows in batches of 1,000: row numbers from 2, `n` = i (every 10th suppressed), a 200-character note. */
async function* generated(count: number, onBatch?: (batch: number) => void): AsyncGenerator<SourceRow[]> {
  for (let start = 0, b = 0; start < count; start += 1000, b++) {
    onBatch?.(b);
    const batch: SourceRow[] = [];
    for (let i = start; i < Math.min(count, start + 1000); i++) batch.push({ row: i + 2, values: [`C${i % 7}`, i % 10 === 0 ? '*' : String(i), NOTE] });
    yield batch;
  }
}

describe.each(testBackends())('loadSlice on %s', (backend) => {
  let t: TempTestDb;
  let db: Db;
  beforeAll(async () => {
    t = await tempTestDb(backend, 'nhs-load-test-');
    db = t.db;
    await ensureSchemas(db);
  });
  afterAll(() => t?.cleanup());

  const load = (table: string, batches: AsyncIterable<SourceRow[]>, opts: { signal?: AbortSignal; over?: Partial<Slice> } = {}) =>
    db.transaction(async (tx) => {
      await ensureStagingTable(tx, table, 'pub', COLUMNS);
      return loadSlice(tx, slice(table, opts.over), { batches, columns: COLUMNS, where: { file: 'a.csv' } });
    }, { signal: opts.signal });

  /** Nothing a load may leave behind: column defaults (PGlite's copies set some) and temporary tables. */
  async function leftovers(table: string) {
    const defaults = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_attrdef WHERE adrelid = $1::regclass`, [`staging."${table}"`]);
    const temps = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relpersistence = 't'`);
    return { defaults: defaults[0]!.n, temps: temps[0]!.n };
  }

  it('loads 120k rows over several COPY statements with exact values, provenance and markers', async () => {
    const res = await load('big', generated(120_000));
    expect(res).toEqual({ rows: 120_000, markers: 12_000 });
    const [sums] = await db.query(
      `SELECT count(*)::int AS rows, sum(n)::text AS total, count(n)::int AS filled, count(_markers)::int AS marked,
              count(DISTINCT code)::int AS codes, min(_source_row) AS first, max(_source_row) AS last, sum(length(note))::int AS chars,
              count(*) FILTER (WHERE _markers = '{"n": "*"}'::jsonb)::int AS starred
         FROM staging.big JOIN datawarp.slices s ON s.slice_id = _slice
        WHERE s.publication = 'pub' AND _period = '2024-04' AND _period_start = '2024-04-01' AND _period_end = '2024-04-30'
          AND s.source_key = 'https://e.org/a.csv#' AND s.source_file = 'a.csv' AND s.source_sha256 = $1 AND s.sheet IS NULL`,
      ['f'.repeat(64)],
    );
    // Sum of 0..119999 without the multiples of 10.
    const total = (119_999 * 120_000) / 2 - 10 * ((11_999 * 12_000) / 2);
    expect(sums).toEqual({ rows: 120_000, total: String(total), filled: 108_000, marked: 12_000, codes: 7, first: 2, last: 120_001, chars: 24_000_000, starred: 12_000 });
    expect(await leftovers('big')).toEqual({ defaults: 0, temps: 0 });
  });

  it('replaces the slice on reload instead of adding to it, and records the new count', async () => {
    await load('again', generated(3_000));
    await load('again', generated(2_000));
    expect(await db.query(`SELECT count(*)::int AS n FROM staging.again`)).toEqual([{ n: 2_000 }]);
    expect((await readLoads(db, { table: 'again' })).map((l) => [l.rowCount, l.markerCount])).toEqual([[2_000, 200]]);
  });

  it('rolls back on Ctrl-C mid-load: the old slice stays, no new rows, no temp table, no column default', async () => {
    await load('abort', generated(1_000));
    const ctl = new AbortController();
    // Abort once the first PGlite statement (16 MB, ~75k of these rows) has been copied: there is work to undo.
    const err = await load('abort', generated(120_000, (b) => b === 100 && ctl.abort()), { signal: ctl.signal }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('AbortError');
    expect(await db.query(`SELECT count(*)::int AS n, max(_source_row) AS last FROM staging.abort`)).toEqual([{ n: 1_000, last: 1_001 }]);
    expect((await readLoads(db, { table: 'abort' })).map((l) => l.rowCount)).toEqual([1_000]);
    expect(await leftovers('abort')).toEqual({ defaults: 0, temps: 0 });
  });

  it('names the row (counted over all statements) of a value the server rejects, and keeps the old slice', async () => {
    await load('checked', generated(1_000));
    await db.exec(`ALTER TABLE staging.checked ADD CONSTRAINT small_n CHECK (n < 99000)`);
    const err = await load('checked', generated(120_000)).catch((e: Error) => e);
    // n counts from 0 and multiples of 10 are suppressed: the first n over the limit is 99001, in row 99,002 of the copy.
    expect((err as Error).message).toMatch(/^COPY into staging\."checked" failed at row 99002: new row for relation "checked" violates check constraint "small_n"/);
    expect(await db.query(`SELECT count(*)::int AS n FROM staging.checked`)).toEqual([{ n: 1_000 }]);
    expect(await leftovers('checked')).toEqual({ defaults: 0, temps: 0 });
  });

  it('copies query results out as COPY CSV text, streamed, appending copy after copy; a failing query rolls back', async () => {
    await load('out', generated(30_000)); // ~7 MB of text: several stream chunks and file writes
    const dest = path.join(t.dir, 'out.csv');
    const select = `SELECT _source_row, code, n, note, _markers::text FROM staging.out WHERE _source_row % 2 = $1 ORDER BY _source_row`;
    const file = await open(dest, 'w');
    const counts = await db.transaction(async (tx) => [await tx.copyTo(select.replace('$1', '0'), file.fd), await tx.copyTo(select.replace('$1', '1'), file.fd)]);
    await file.close();
    expect(counts).toEqual([15_000, 15_000]);
    // The same text as exportCsv (PostgreSQL's COPY on a server, its PGlite equivalent) without the header.
    const whole = path.join(t.dir, 'whole.csv');
    await db.exportCsv(`${select.replace('$1', '0')}`, whole);
    const half = (await readFile(whole, 'utf8')).split('\n').slice(1).join('\n');
    expect((await readFile(dest, 'utf8')).slice(0, half.length)).toBe(half);
    const bad = await open(path.join(t.dir, 'bad.csv'), 'w');
    const err = await db.transaction((tx) => tx.copyTo('SELECT 1 / (n - n) FROM staging.out', bad.fd)).catch((e: Error) => e);
    await bad.close();
    expect((err as Error).message).toMatch(/division by zero/);
    expect(await db.query('SELECT count(*)::int AS n FROM staging.out')).toEqual([{ n: 30_000 }]); // the connection still works
  });

  it('encodes a large table in a worker thread (PGlite) exactly as on the main thread, and reports its errors the same', async () => {
    const csv = path.join(t.dir, 'large.csv');
    const lines = ['code,n,note'];
    for (let i = 0; i < OFF_THREAD_ROWS + 1_000; i++) lines.push(`C${i % 7},${i % 10 === 0 ? '*' : i},"a, ""b"" ${i % 3}"`);
    await writeFile(csv, lines.join('\r\n'));
    const file = { path: csv, name: 'large.csv' };
    const [info] = (await describeFile(file)).tables;
    const columns = info!.columns.map((c, i) => ({ name: COLUMNS[i]!.name, type: c.type, index: c.index, sourceColumn: c.sourceColumn }));
    const loadFrom = (table: string, read: boolean, cols = columns) => db.transaction(async (tx) => {
      await ensureStagingTable(tx, table, 'pub', cols);
      return loadSlice(tx, slice(table), { batches: readTableBatches(file, info!), columns: cols, where: { file: 'large.csv' }, ...(read ? { read: { file, table: info! } } : {}) });
    });
    const viaWorker = await loadFrom('large_worker', true);
    const inline = await loadFrom('large_inline', false);
    expect(viaWorker).toEqual({ rows: OFF_THREAD_ROWS + 1_000, markers: (OFF_THREAD_ROWS + 1_000) / 10 });
    expect(viaWorker).toEqual(inline);
    const rows = (t: string) => db.query(`SELECT _source_row, _row_kind, _markers, code, n, note FROM staging.${t} ORDER BY _source_row`);
    expect(await rows('large_worker')).toEqual(await rows('large_inline'));
    // A value that does not fit: the same SheetError, naming the cell, from either thread; nothing kept.
    const narrow = columns.map((c) => (c.name === 'note' ? { ...c, type: 'integer' as ColumnType } : c));
    const [w, m] = [await loadFrom('bad_worker', true, narrow).catch((e: Error) => e), await loadFrom('bad_inline', false, narrow).catch((e: Error) => e)];
    expect(w).toBeInstanceOf(SheetError);
    expect((w as SheetError).message).toBe((m as SheetError).message);
    expect((w as SheetError).failure).toEqual((m as SheetError).failure);
    expect((w as SheetError).message).toMatch(/^Value "a, \\"b\\" 0" cannot be stored in an integer column \(large\.csv, line 2:3\)/);
  });

  it('stores a sheet name and dates from the period as given', async () => {
    await load('sheet', generated(5), { over: { sheet: "Table 1 'A&E'", period: { label: 'FY2024-25-Q1', start: '2024-04-01', end: '2024-06-30' } } });
    expect(await db.query(`SELECT DISTINCT sheet AS _sheet, _period, _period_start, _period_end FROM staging.sheet JOIN datawarp.slices ON slice_id = _slice`)).toEqual([
      { _sheet: "Table 1 'A&E'", _period: 'FY2024-25-Q1', _period_start: '2024-04-01', _period_end: '2024-06-30' },
    ]);
  });
});
