// The slim staging layout on every backend: a database of registry version 3 (every row carrying its slice's
// provenance) is converted on open without losing a row of any period, its provenance then read from the registry;
// a user's view on a dropped column stops the upgrade with a message and changes nothing; an unregistered table of
// the old layout is adopted; slice ids are never shared with rows already in a table; rows of a period that no registry
// row names are removed with their period's stale slices, and a table with nothing to remove is not written to.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../lib/db/index.ts';
import { deleteSlicesExcept, ensureSchemas, ensureStagingTable, loadSlice, readLoads, REGISTRY_VERSION, type Slice, type SourceRow } from '../../lib/db/registry.ts';
import { tempTestDb, testBackends, type TempTestDb } from '../rig/db.ts';

const APR = { label: '2024-04', start: '2024-04-01', end: '2024-04-30' };
const MAY = { label: '2024-05', start: '2024-05-01', end: '2024-05-31' };
const COLUMNS = [{ name: 'org', type: 'text' as const, index: 0, sourceColumn: 'A' }, { name: 'n', type: 'integer' as const, index: 1, sourceColumn: 'B' }];

/** The staging DDL of registry version 3. */
const WIDE = (t: string) => `CREATE TABLE staging.${t} (_publication text NOT NULL, _period text NOT NULL, _period_start date NOT NULL, _period_end date NOT NULL,
  _source_key text NOT NULL, _source_file text NOT NULL, _source_sha256 text NOT NULL, _sheet text, _source_row integer NOT NULL, _row_kind text NOT NULL,
  _markers jsonb, org text, n integer); CREATE INDEX ${t}_slice ON staging.${t} (_publication, _period, _source_key)`;

/** Wide rows: `[period, source key, file, sheet, row, org, n]`. */
const wideRows = (t: string, rows: [typeof APR, string, string, string | null, number, string, number][]) =>
  `INSERT INTO staging.${t} VALUES ${rows.map(([p, k, f, sh, r, o, n]) => `('ae', '${p.label}', '${p.start}', '${p.end}', '${k}', '${f}', 'sha-${f}', ${sh ? `'${sh}'` : 'NULL'}, ${r}, 'detail', NULL, '${o}', ${n})`).join(', ')}`;

function slice(table: string, period: typeof APR, sourceKey: string, publication: string): Slice {
  const sourceUrl = sourceKey.replace(/#.*$/, '');
  return { table, publication, period, sourceKey, sourceUrl, sourceFile: path.basename(sourceUrl), sourceSha256: `sha-${path.basename(sourceUrl)}`, sheet: null, canonicalSha256: 'c', ruleVersion: 'r' };
}

async function* one(rows: SourceRow[]): AsyncGenerator<SourceRow[]> {
  yield rows;
}

describe.each(testBackends())('staging layout on %s', (backend) => {
  let t: TempTestDb;
  let db: Db;
  beforeAll(async () => {
    t = await tempTestDb(backend, 'nhs-layout-test-');
    db = t.db;
    await ensureSchemas(db);
  });
  afterAll(() => t?.cleanup());

  const load = (table: string, period: typeof APR, key: string, rows: SourceRow[], publication = 'ae') =>
    db.transaction(async (tx) => {
      await ensureStagingTable(tx, table, publication, COLUMNS);
      return loadSlice(tx, slice(table, period, key, publication), { batches: one(rows), columns: COLUMNS, where: { file: key } });
    });
  const token = async (t: string) => (await db.query<{ token: string }>('SELECT token FROM datawarp.changes WHERE table_name = $1', [t]))[0]?.token;
  const provenance = (t: string) =>
    db.query(
      `SELECT s.publication, t._period, t._period_start, s.source_key, s.source_file, s.source_sha256, s.sheet, t._source_row, t.org, t.n
         FROM staging.${t} t LEFT JOIN datawarp.slices s ON s.slice_id = t._slice ORDER BY t._period, t.org`,
    );

  /** The registry as registry version 3 left it: no slice ids, no view, version 3. */
  async function downgrade() {
    await db.exec(`DROP VIEW datawarp.slices; ALTER TABLE datawarp.loads DROP COLUMN slice_id; UPDATE datawarp.meta SET value = '3' WHERE key = 'registry_version'`);
  }

  /** Registry rows for a wide slice, as version 3 wrote them. */
  async function registerWide(t: string, period: typeof APR, key: string, file: string, rows: number) {
    await db.query(`INSERT INTO datawarp.sources (publication, period, source_url, source_file, source_sha256) VALUES ('ae', $1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [period.label, key.replace(/#.*$/, ''), file, `sha-${file}`]);
    await db.query(
      `INSERT INTO datawarp.loads (table_name, publication, period, source_key, source_url, source_sha256, source_file, sheet, canonical_sha256, rule_version, row_count, marker_count)
       VALUES ($1, 'ae', $2, $3, $4, $5, $6, 'Data', 'c', '2', $7, 0)`,
      [t, period.label, key, key.replace(/#.*$/, ''), `sha-${file}`, file, rows],
    );
  }

  it('converts a version-3 table on open: every row of every period kept, its provenance then in the registry', async () => {
    await downgrade();
    await db.exec(WIDE('old_wide'));
    await db.query(`INSERT INTO datawarp.tables (table_name, publication) VALUES ('old_wide', 'ae')`);
    await db.exec(wideRows('old_wide', [
      [APR, 'https://x/a.xlsx#Data#1', 'a.xlsx', 'Data', 5, 'A', 1], [APR, 'https://x/a.xlsx#Data#1', 'a.xlsx', 'Data', 6, 'B', 2],
      [MAY, 'https://x/m.xlsx#Data#1', 'm.xlsx', 'Data', 5, 'C', 3],
      // rows the registry lost track of (no loads row): kept, under a slice of their own
      [MAY, 'https://x/lost.csv#', 'lost.csv', null, 2, 'D', 4], [MAY, 'https://x/lost.csv#', 'lost.csv', null, 3, 'E', 5],
    ]));
    await registerWide('old_wide', APR, 'https://x/a.xlsx#Data#1', 'a.xlsx', 2);
    await registerWide('old_wide', MAY, 'https://x/m.xlsx#Data#1', 'm.xlsx', 1);

    await ensureSchemas(db);
    expect(await db.query(`SELECT value FROM datawarp.meta WHERE key = 'registry_version'`)).toEqual([{ value: String(REGISTRY_VERSION) }]);
    const cols = await db.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = 'old_wide' ORDER BY ordinal_position`);
    expect(cols.map((r) => r.c)).toEqual(['_period', '_period_start', '_period_end', '_source_row', '_row_kind', '_markers', 'org', 'n', '_slice']);
    const idx = await db.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'staging' AND tablename = 'old_wide'`);
    expect(idx.map((r) => r.def.replace(/^.* USING btree /, ''))).toEqual(['(_slice)']);
    const a = { publication: 'ae', _period: '2024-04', _period_start: '2024-04-01', source_key: 'https://x/a.xlsx#Data#1', source_file: 'a.xlsx', source_sha256: 'sha-a.xlsx', sheet: 'Data' };
    const m = { publication: 'ae', _period: '2024-05', _period_start: '2024-05-01', source_key: 'https://x/m.xlsx#Data#1', source_file: 'm.xlsx', source_sha256: 'sha-m.xlsx', sheet: 'Data' };
    const lost = { publication: null, _period: '2024-05', _period_start: '2024-05-01', source_key: null, source_file: null, source_sha256: null, sheet: null };
    expect(await provenance('old_wide')).toEqual([
      { ...a, _source_row: 5, org: 'A', n: 1 }, { ...a, _source_row: 6, org: 'B', n: 2 },
      { ...m, _source_row: 5, org: 'C', n: 3 }, { ...lost, _source_row: 2, org: 'D', n: 4 }, { ...lost, _source_row: 3, org: 'E', n: 5 },
    ]);
    const ids = await db.query<{ s: number; n: number }>('SELECT _slice AS s, count(*)::int AS n FROM staging.old_wide GROUP BY 1 ORDER BY 1');
    expect(ids.map((r) => r.n)).toEqual([2, 1, 2]); // the lost rows share one slice id of their own

    // Loading May again removes the rows no registry row names; April is not touched.
    await load('old_wide', MAY, 'https://x/m.xlsx#Data#1', [{ row: 5, values: ['C', 30] }]);
    expect(await db.transaction((tx) => deleteSlicesExcept(tx, 'ae', '2024-05', [{ table: 'old_wide', sourceKey: 'https://x/m.xlsx#Data#1' }]))).toBe(2);
    expect((await provenance('old_wide')).map((r) => `${r._period} ${r.org} ${r.n} ${r.source_file}`)).toEqual(['2024-04 A 1 a.xlsx', '2024-04 B 2 a.xlsx', '2024-05 C 30 m.xlsx']);
    await ensureSchemas(db); // converted once: nothing left to do
  });

  it('stops the upgrade, changing nothing, when a view of the user reads a column the registry now holds', async () => {
    await downgrade();
    await db.exec(WIDE('viewed'));
    await db.query(`INSERT INTO datawarp.tables (table_name, publication) VALUES ('viewed', 'ae')`);
    await db.exec(wideRows('viewed', [[APR, 'https://x/v.csv#', 'v.csv', null, 2, 'A', 1]]));
    await db.exec('CREATE VIEW public.my_view AS SELECT _source_file, org FROM staging.viewed');
    const err = await ensureSchemas(db).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^Could not convert staging\."viewed" to the layout of registry version 4 .*: cannot drop column _source_file of table staging\.viewed because other objects depend on it/);
    expect(await db.query(`SELECT value FROM datawarp.meta WHERE key = 'registry_version'`)).toEqual([{ value: '3' }]);
    expect(await db.query('SELECT _source_file, org FROM public.my_view')).toEqual([{ _source_file: 'v.csv', org: 'A' }]);
    await db.exec('DROP VIEW public.my_view');
    await ensureSchemas(db);
    expect(await db.query('SELECT _period, org FROM staging.viewed')).toEqual([{ _period: '2024-04', org: 'A' }]);
  });

  it('adopts an unregistered table of the old layout, converting it', async () => {
    await db.exec(WIDE('orphan_wide'));
    await db.exec(wideRows('orphan_wide', [[APR, 'https://x/o.csv#', 'o.csv', null, 2, 'A', 1]]));
    await load('orphan_wide', MAY, 'https://x/o2.csv#', [{ row: 2, values: ['B', 2] }]);
    expect((await provenance('orphan_wide')).map((r) => `${r._period} ${r.org} ${r.source_file}`)).toEqual(['2024-04 A null', '2024-05 B o2.csv']);
  });

  it('never gives a new slice the id of rows already in its table (a registry recreated beside old rows)', async () => {
    await load('reset', APR, 'https://x/r1.csv#', [{ row: 2, values: ['A', 1] }, { row: 3, values: ['B', 2] }]);
    await load('reset', APR, 'https://x/r2.csv#', [{ row: 2, values: ['C', 3] }]);
    // The registry loses both slices and hands out their numbers again (as a registry recreated from scratch would).
    const [{ first }] = await db.query<{ first: number }>(`SELECT min(slice_id) AS first FROM datawarp.loads WHERE table_name = 'reset'`);
    await db.exec(`DELETE FROM datawarp.loads WHERE table_name = 'reset'; ALTER TABLE datawarp.loads ALTER COLUMN slice_id RESTART WITH ${first}`);
    await load('reset', MAY, 'https://x/r3.csv#', [{ row: 2, values: ['D', 4] }]);
    const ids = await db.query<{ org: string; s: number }>('SELECT org, _slice AS s FROM staging.reset ORDER BY org');
    expect(ids.map((r) => r.org)).toEqual(['A', 'B', 'C', 'D']);
    expect(new Set(ids.map((r) => r.s)).size).toBe(3);
    expect(ids[3]!.s).toBeGreaterThan(ids[2]!.s);
    expect((await readLoads(db, { table: 'reset' })).map((l) => [l.sourceKey, ids.find((r) => r.s === l.sliceId)?.org])).toEqual([['https://x/r3.csv#', 'D']]);
  });

  it('writes nothing to a table that has no rows to remove', async () => {
    await load('quiet', APR, 'https://x/q.csv#', [{ row: 2, values: ['A', 1] }], 'q');
    await load('quiet', MAY, 'https://x/q.csv#', [{ row: 2, values: ['B', 2] }], 'q');
    const was = await token('quiet');
    expect(await db.transaction((tx) => deleteSlicesExcept(tx, 'q', '2024-04', [{ table: 'quiet', sourceKey: 'https://x/q.csv#' }]))).toBe(0);
    expect(await token('quiet')).toBe(was);
    expect(await db.transaction((tx) => deleteSlicesExcept(tx, 'q', '2024-04', []))).toBe(1);
    expect(await token('quiet')).not.toBe(was);
    expect(await db.query('SELECT org FROM staging.quiet')).toEqual([{ org: 'B' }]);
  });
});
