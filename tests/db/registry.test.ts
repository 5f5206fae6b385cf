// Contract of lib/db/registry on every backend: schemas, staging tables (create/add/widen/never narrow), slices
// (replace, coexist, delete stale), period records and the registry read functions.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbError, type Db } from '../../lib/db/index.ts';
import {
  countSliceRows, deleteSlicesExcept, ensureSchemas, ensureStagingTable, readLoads, readPeriodRecord, registeredTables,
  REGISTRY_VERSION, stagingColumns, stagingTables, writePeriodRecord, type Slice, type SourceRow,
} from '../../lib/db/registry.ts';
import { tempTestDb, testBackends, type TempTestDb } from '../rig/db.ts';
import { replaceSlice, type SliceRow } from './old-load.ts';

const PERIOD = { label: '2024-04', start: '2024-04-01', end: '2024-04-30' };
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function slice(table: string, sourceKey: string, over: Partial<Slice> = {}): Slice {
  const sourceUrl = sourceKey.split('#')[0]!;
  return {
    table, publication: 'ae', period: PERIOD, sourceKey, sourceUrl, sourceFile: path.basename(sourceUrl),
    sourceSha256: `sha-${sourceUrl}`, sheet: 'Provider Level Data', canonicalSha256: 'canon-1', ruleVersion: 'r1', ...over,
  };
}

async function* sliceRows(rows: [number, (string | null)[], Record<string, string> | null][]): AsyncGenerator<SliceRow> {
  for (const [sourceRow, values, markers] of rows) yield { sourceRow, values, markers };
}

describe.each(testBackends())('registry on %s', (backend) => {
  let t: TempTestDb;
  let db: Db;
  beforeAll(async () => {
    t = await tempTestDb(backend, 'nhs-registry-test-');
    db = t.db;
    expect(await stagingTables(db)).toEqual([]);
    await ensureSchemas(db);
  });
  afterAll(() => t?.cleanup());

  it('creates the schemas idempotently and records the registry version', async () => {
    await ensureSchemas(db);
    await Promise.all([ensureSchemas(db), ensureSchemas(db)]);
    const tables = await db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'datawarp' ORDER BY 1`);
    expect(tables.map((r) => r.t)).toEqual(['changes', 'loads', 'meta', 'periods', 'sources', 'tables', 'workspaces']);
    const views = await db.query<{ v: string }>(`SELECT viewname AS v FROM pg_views WHERE schemaname = 'datawarp' ORDER BY 1`);
    expect(views.map((r) => r.v)).toEqual(['slices']);
    expect(await db.query(`SELECT value FROM datawarp.meta WHERE key = 'registry_version'`)).toEqual([{ value: String(REGISTRY_VERSION) }]);
  });

  it('refuses a database written by a newer registry version', async () => {
    await db.query(`UPDATE datawarp.meta SET value = $1 WHERE key = 'registry_version'`, [String(REGISTRY_VERSION + 1)]);
    try {
      await expect(ensureSchemas(db)).rejects.toThrow(`holds registry version ${REGISTRY_VERSION + 1}, newer than this nhs-pipeline understands (${REGISTRY_VERSION})`);
    } finally {
      await db.query(`UPDATE datawarp.meta SET value = $1 WHERE key = 'registry_version'`, [String(REGISTRY_VERSION)]);
    }
  });

  it('creates a staging table with provenance columns first, registers it and indexes its slice column', async () => {
    const res = await db.transaction((tx) => ensureStagingTable(tx, 'beds', 'ae', [{ name: 'org_code', type: 'text' }, { name: 'beds', type: 'integer' }]));
    expect(res).toEqual({ created: true, added: [], widened: [] });
    const cols = await db.query<{ c: string; t: string }>(
      `SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = 'beds' ORDER BY ordinal_position`,
    );
    expect(cols.map((r) => `${r.c}:${r.t}`)).toEqual([
      '_period:text', '_period_start:date', '_period_end:date', '_slice:integer', '_source_row:integer', '_row_kind:text', '_markers:jsonb',
      'org_code:text', 'beds:integer',
    ]);
    expect(await stagingColumns(db, 'beds')).toEqual([{ name: 'org_code', type: 'text' }, { name: 'beds', type: 'integer' }]);
    expect(await registeredTables(db)).toContainEqual({ table: 'beds', publication: 'ae' });
    const idx = await db.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'staging' AND tablename = 'beds'`);
    expect(idx.map((r) => r.def.replace(/^.* USING btree /, ''))).toEqual(['(_slice)']);
    // Same request again: nothing to do.
    expect(await db.transaction((tx) => ensureStagingTable(tx, 'beds', 'ae', [{ name: 'org_code', type: 'text' }, { name: 'beds', type: 'integer' }])))
      .toEqual({ created: false, added: [], widened: [] });
  });

  it('adds new columns, widens types keeping the data, and never narrows', async () => {
    await db.transaction(async (tx) => {
      await ensureStagingTable(tx, 'widen', 'ae', [
        { name: 'flag', type: 'boolean' }, { name: 'n', type: 'integer' }, { name: 'd', type: 'date' }, { name: 'x', type: 'numeric' }, { name: 'm', type: 'integer' },
      ]);
      await replaceSlice(tx, slice('widen', 'f.csv#t'), ['flag', 'n', 'd', 'x', 'm'], sliceRows([[5, ['true', '2147483647', '2024-04-01', '1.25', '9'], null]]));
    });
    const res = await db.transaction((tx) => ensureStagingTable(tx, 'widen', 'ae', [
      { name: 'flag', type: 'integer' }, // boolean → integer
      { name: 'n', type: 'bigint' }, // integer → bigint
      { name: 'd', type: 'text' }, // date → text
      { name: 'x', type: 'integer' }, // numeric stays numeric (never narrow)
      { name: 'm', type: 'date' }, // integer vs date: only text holds both
      { name: 'extra', type: 'text' },
    ]));
    expect(res).toEqual({
      created: false,
      added: ['extra'],
      widened: [
        { column: 'flag', from: 'boolean', to: 'integer' },
        { column: 'n', from: 'integer', to: 'bigint' },
        { column: 'd', from: 'date', to: 'text' },
        { column: 'm', from: 'integer', to: 'text' },
      ],
    });
    expect(await stagingColumns(db, 'widen')).toEqual([
      { name: 'flag', type: 'integer' }, { name: 'n', type: 'bigint' }, { name: 'd', type: 'text' }, { name: 'x', type: 'numeric' },
      { name: 'm', type: 'text' }, { name: 'extra', type: 'text' },
    ]);
    expect(await db.query('SELECT flag, n, d, x, m, extra FROM staging.widen'))
      .toEqual([{ flag: 1, n: 2147483647, d: '2024-04-01', x: '1.25', m: '9', extra: null }]);
  });

  it('handles 63-character table names (index name shortened to fit)', async () => {
    const long = 'a_very_long_table_name_that_uses_all_sixty_three_characters_x_y';
    expect(long).toHaveLength(63);
    await db.transaction((tx) => ensureStagingTable(tx, long, 'long', [{ name: 'v', type: 'text' }]));
    const idx = await db.query<{ name: string }>(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'staging' AND tablename = $1`, [long]);
    expect(idx).toHaveLength(1);
    expect(idx[0]!.name).toMatch(/^a_very_long_table_name_that_uses_all_sixty_th_[0-9a-f]{8}_slice$/);
    await db.exec(`DROP TABLE staging."${long}"; DELETE FROM datawarp.tables WHERE table_name = '${long}'`);
  });

  it('gives a table made before _row_kind the column, its old rows marked detail until their period is loaded again', async () => {
    await db.transaction(async (tx) => {
      await ensureStagingTable(tx, 'before_kinds', 'kinds', [{ name: 'v', type: 'integer' }]);
      await replaceSlice(tx, slice('before_kinds', 'https://x/k.csv#t', { publication: 'kinds' }), ['v'], sliceRows([[1, ['1'], null], [2, ['2'], null]]));
    });
    await db.exec('ALTER TABLE staging.before_kinds DROP COLUMN _row_kind');
    await db.transaction((tx) => ensureStagingTable(tx, 'before_kinds', 'kinds', [{ name: 'v', type: 'integer' }]));
    expect(await db.query('SELECT _row_kind, v FROM staging.before_kinds ORDER BY v')).toEqual([{ _row_kind: 'detail', v: 1 }, { _row_kind: 'detail', v: 2 }]);
    const [col] = await db.query<{ nullable: string; def: string | null }>(
      `SELECT is_nullable AS nullable, column_default AS def FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = 'before_kinds' AND column_name = '_row_kind'`,
    );
    expect(col).toEqual({ nullable: 'NO', def: null });
    await db.exec(`DROP TABLE staging.before_kinds; DELETE FROM datawarp.loads WHERE publication = 'kinds'; DELETE FROM datawarp.sources WHERE publication = 'kinds'; DELETE FROM datawarp.tables WHERE publication = 'kinds'`);
  });

  it('loads each row with its kind, and keeps annotations taken off values beside markers', async () => {
    const { loadSlice } = await import('../../lib/db/registry.ts');
    const rows: SourceRow[] = [
      { row: 5, values: ['England', 100, 2.5], kind: 'total' },
      { row: 6, values: ['North', 60, null], kind: 'detail', annotations: { 1: 'r' } },
      { row: 7, values: ['South', '*', 1.5], annotations: { 1: '[note 4]', 2: 'p' } },
    ];
    const columns = [
      { name: 'area', type: 'text' as const, index: 0, sourceColumn: 'A' },
      { name: 'n', type: 'integer' as const, index: 1, sourceColumn: 'B' },
      { name: 'rate', type: 'numeric' as const, index: 2, sourceColumn: 'C' },
    ];
    const res = await db.transaction(async (tx) => {
      await ensureStagingTable(tx, 'kinds', 'kinds', columns);
      return loadSlice(tx, slice('kinds', 'https://x/kinds.xlsx#Data#1', { publication: 'kinds' }), { batches: (async function* () { yield rows; })(), columns, where: { file: 'kinds.xlsx', sheet: 'Data' } });
    });
    expect(res).toEqual({ rows: 3, markers: 3 });
    expect(await db.query('SELECT _source_row, _row_kind, _markers, area, n, rate::text FROM staging.kinds ORDER BY _source_row')).toEqual([
      { _source_row: 5, _row_kind: 'total', _markers: null, area: 'England', n: 100, rate: '2.5' },
      { _source_row: 6, _row_kind: 'detail', _markers: { n: 'r' }, area: 'North', n: 60, rate: null },
      { _source_row: 7, _row_kind: 'detail', _markers: { n: '* [note 4]', rate: 'p' }, area: 'South', n: null, rate: '1.5' },
    ]);
    await db.exec(`DROP TABLE staging.kinds; DELETE FROM datawarp.loads WHERE publication = 'kinds'; DELETE FROM datawarp.sources WHERE publication = 'kinds'; DELETE FROM datawarp.tables WHERE publication = 'kinds'`);
  });

  it('refuses a table owned by another publication, clashing names and foreign tables', async () => {
    await expect(db.transaction((tx) => ensureStagingTable(tx, 'beds', 'rtt', [{ name: 'org_code', type: 'text' }])))
      .rejects.toThrow('Table staging."beds" belongs to publication ae; publication rtt also wants to load into it');
    await expect(db.transaction((tx) => replaceSlice(tx, slice('beds', 'https://x/r.csv#t', { publication: 'rtt' }), ['org_code'], sliceRows([]))))
      .rejects.toThrow('Table staging."beds" belongs to publication ae; slice https://x/r.csv#t of publication rtt cannot be loaded into it');
    await expect(db.transaction((tx) => replaceSlice(tx, slice('never_made', 'https://x/r.csv#t'), ['v'], sliceRows([]))))
      .rejects.toThrow('Table staging."never_made" is not registered; cannot load slice https://x/r.csv#t');
    await expect(db.transaction((tx) => ensureStagingTable(tx, 'clash', 'ae', [{ name: '_period', type: 'text' }])))
      .rejects.toThrow('Column _period of table clash clashes with a provenance column of the same name');
    // Held by the registry, not the rows, but a column of the Parquet file all the same.
    await expect(db.transaction((tx) => ensureStagingTable(tx, 'clash', 'ae', [{ name: '_source_file', type: 'text' }])))
      .rejects.toThrow('Column _source_file of table clash clashes with a provenance column of the same name');
    await db.query('CREATE TABLE staging.handmade (a text)');
    const err = await db.transaction((tx) => ensureStagingTable(tx, 'handmade', 'ae', [{ name: 'a', type: 'text' }])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).message).toBe('Table staging."handmade" exists but was not created by nhs-pipeline (it lacks the provenance columns)');
    expect(await stagingTables(db)).toContain('handmade');
    expect((await registeredTables(db)).map((t) => t.table)).not.toContain('handmade');
  });

  it('replaces a slice without duplicating rows, storing provenance (per row, and per slice in datawarp.slices) and markers', async () => {
    const cols = [{ name: 'org', type: 'text' as const }, { name: 'attendances', type: 'integer' as const }];
    const s = slice('attend', 'https://x/ae-apr.csv#main');
    const load = () => db.transaction(async (tx) => {
      await ensureStagingTable(tx, 'attend', 'ae', cols);
      return replaceSlice(tx, s, ['org', 'attendances'], sliceRows([
        [2, ['RXX', '100'], null],
        [3, ['RYY', null], { attendances: '*' }],
        [4, ['RZZ', '7'], {}],
      ]));
    });
    expect(await load()).toEqual({ rows: 3, markers: 1 });
    expect(await load()).toEqual({ rows: 3, markers: 1 });
    expect(await countSliceRows(db, 'attend', 'ae', '2024-04')).toBe(3);
    // The join README documents for analysts.
    const rows = await db.query(
      `SELECT s.publication AS _publication, t._period, t._period_start, t._period_end, s.source_key AS _source_key, s.source_file AS _source_file,
              s.source_sha256 AS _source_sha256, s.sheet AS _sheet, t._source_row, t._markers, t.org, t.attendances
         FROM staging.attend t JOIN datawarp.slices s ON s.slice_id = t._slice ORDER BY _source_row`,
    );
    expect(rows[1]).toEqual({
      _publication: 'ae', _period: '2024-04', _period_start: '2024-04-01', _period_end: '2024-04-30', _source_key: 'https://x/ae-apr.csv#main',
      _source_file: 'ae-apr.csv', _source_sha256: 'sha-https://x/ae-apr.csv', _sheet: 'Provider Level Data', _source_row: 3,
      _markers: { attendances: '*' }, org: 'RYY', attendances: null,
    });
    expect(rows.map((r) => r._markers)).toEqual([null, { attendances: '*' }, null]);
    const loads = await readLoads(db, { table: 'attend' });
    expect(loads).toHaveLength(1);
    expect(loads[0]).toMatchObject({
      table: 'attend', publication: 'ae', period: '2024-04', sourceKey: 'https://x/ae-apr.csv#main', sourceSha256: 'sha-https://x/ae-apr.csv',
      sourceFile: 'ae-apr.csv', sheet: 'Provider Level Data', canonicalSha256: 'canon-1', ruleVersion: 'r1', rowCount: 3, markerCount: 1,
    });
    expect(loads[0]!.loadedAt).toMatch(ISO_UTC);
  });

  it('keeps two slices of the same table and period from different source keys side by side', async () => {
    const cols = [{ name: 'org', type: 'text' as const }, { name: 'value', type: 'integer' as const }];
    const load = (key: string, rows: [number, (string | null)[], null][]) => db.transaction(async (tx) => {
      await ensureStagingTable(tx, 'split', 'ae', cols);
      return replaceSlice(tx, slice('split', key), ['org', 'value'], sliceRows(rows));
    });
    await load('https://x/part1.xlsx#t1', [[1, ['A', '1'], null], [2, ['B', '2'], null]]);
    await load('https://x/part2.xlsx#t1', [[1, ['C', '3'], null]]);
    expect(await countSliceRows(db, 'split', 'ae', '2024-04')).toBe(3);
    // Reloading part 1 with new content replaces only part 1.
    await load('https://x/part1.xlsx#t1', [[1, ['A', '10'], null]]);
    expect(await db.query('SELECT org, value, source_key AS _source_key FROM staging.split JOIN datawarp.slices ON slice_id = _slice ORDER BY org')).toEqual([
      { org: 'A', value: 10, _source_key: 'https://x/part1.xlsx#t1' },
      { org: 'C', value: 3, _source_key: 'https://x/part2.xlsx#t1' },
    ]);
    expect((await readLoads(db, { table: 'split' })).map((l) => [l.sourceKey, l.rowCount])).toEqual([
      ['https://x/part1.xlsx#t1', 1], ['https://x/part2.xlsx#t1', 1],
    ]);
  });

  it('keeps the old slice when a reload fails part-way', async () => {
    await expect(db.transaction(async (tx) => {
      await replaceSlice(tx, slice('split', 'https://x/part2.xlsx#t1'), ['org', 'value'], sliceRows([[1, ['C', '33'], null], [2, ['D', 'n/a'], null]]));
    })).rejects.toThrow('COPY into staging."split" failed at row 2 (column value): invalid input syntax for type integer: "n/a"');
    expect(await db.query(`SELECT org, value FROM staging.split JOIN datawarp.slices ON slice_id = _slice WHERE source_key = 'https://x/part2.xlsx#t1'`)).toEqual([{ org: 'C', value: 3 }]);
  });

  it('deletes the slices of a period that are no longer produced, with their registry rows', async () => {
    const other = { label: '2024-05', start: '2024-05-01', end: '2024-05-31' };
    await db.transaction(async (tx) => {
      await ensureStagingTable(tx, 'stale_a', 'ae', [{ name: 'v', type: 'integer' }]);
      await ensureStagingTable(tx, 'stale_b', 'ae', [{ name: 'v', type: 'integer' }]);
      await replaceSlice(tx, slice('stale_a', 'https://x/f1.csv#a'), ['v'], sliceRows([[1, ['1'], null], [2, ['2'], null]]));
      await replaceSlice(tx, slice('stale_a', 'https://x/f2.csv#a'), ['v'], sliceRows([[1, ['3'], null]]));
      await replaceSlice(tx, slice('stale_b', 'https://x/f2.csv#b'), ['v'], sliceRows([[1, ['4'], null], [2, ['5'], null], [3, ['6'], null]]));
      await replaceSlice(tx, slice('stale_b', 'https://x/f2.csv#b', { period: other }), ['v'], sliceRows([[1, ['7'], null]]));
    });
    const deleted = await db.transaction((tx) => deleteSlicesExcept(tx, 'ae', '2024-04', [
      { table: 'stale_a', sourceKey: 'https://x/f1.csv#a' },
      // every other 2024-04 slice of publication ae (attend, split, widen …) goes too
    ]));
    expect(deleted).toBe(1 + 3 + 3 + 2 + 1); // f2#a, f2#b, attend, split (2 rows), widen
    expect(await db.query('SELECT v FROM staging.stale_a ORDER BY v')).toEqual([{ v: 1 }, { v: 2 }]);
    expect(await db.query('SELECT v, _period FROM staging.stale_b ORDER BY v')).toEqual([{ v: 7, _period: '2024-05' }]);
    expect((await readLoads(db, { publication: 'ae' })).map((l) => `${l.table} ${l.period} ${l.sourceKey}`)).toEqual([
      'stale_a 2024-04 https://x/f1.csv#a',
      'stale_b 2024-05 https://x/f2.csv#b',
    ]);
    expect(await db.query(`SELECT period, source_url FROM datawarp.sources WHERE publication = 'ae' ORDER BY period, source_url`)).toEqual([
      { period: '2024-04', source_url: 'https://x/f1.csv' },
      { period: '2024-05', source_url: 'https://x/f2.csv' },
    ]);
    expect(await countSliceRows(db, 'beds', 'ae', '2024-04')).toBe(0);
  });

  it('writes, overwrites and reads period records', async () => {
    expect(await readPeriodRecord(db, 'ae', '2030-01')).toBeUndefined();
    const rec = { publication: 'ae', period: '2024-04', canonicalSha256: 'c1', ruleVersion: 'r1', inputs: { 'https://x/f1.csv': 'sha-a' }, outputDigest: 'o1', rowCount: 2 };
    await db.transaction((tx) => writePeriodRecord(tx, rec));
    const got = await readPeriodRecord(db, 'ae', '2024-04');
    expect(got).toMatchObject(rec);
    expect(got!.loadedAt).toMatch(ISO_UTC);
    await db.transaction((tx) => writePeriodRecord(tx, { ...rec, canonicalSha256: 'c2', inputs: { a: '1', b: '2' }, rowCount: 5_000_000_000 }));
    expect(await readPeriodRecord(db, 'ae', '2024-04')).toMatchObject({ canonicalSha256: 'c2', inputs: { a: '1', b: '2' }, rowCount: 5_000_000_000 });
    expect(await db.query(`SELECT count(*)::int AS n FROM datawarp.periods`)).toEqual([{ n: 1 }]);
  });

  it('filters loads and lists registered and staging tables', async () => {
    expect((await readLoads(db, { period: '2024-05' })).map((l) => l.table)).toEqual(['stale_b']);
    expect(await readLoads(db, { publication: 'nope' })).toEqual([]);
    expect((await readLoads(db)).length).toBe(2);
    expect(await registeredTables(db)).toEqual(['attend', 'beds', 'split', 'stale_a', 'stale_b', 'widen'].map((table) => ({ table, publication: 'ae' })));
    expect(await stagingTables(db)).toEqual(['attend', 'beds', 'handmade', 'split', 'stale_a', 'stale_b', 'widen']);
    expect(await stagingColumns(db, 'no_such_table')).toEqual([]);
  });
});
