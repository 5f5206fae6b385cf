/**
 * `clean` end to end through the CLI, on both databases: build two publications from real NHS CSVs, add a table of
 * the user's own to `staging`, remove one publication and one period from the config, then check that the dry run
 * lists exactly their manifests, downloads, Parquet, metadata, tables, rows and registry rows; that `--execute`
 * removes exactly that list and nothing else; that a second clean finds nothing and a build afterwards runs nothing.
 * Expected names, hashes and row counts come from the fixture files and the config, not from clean's own output.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Db } from '../../lib/db/index.ts';
import { csvDataRows, ran, readParquet, runCli } from '../e2e/cli-rig.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';

const SAMPLES = join(import.meta.dirname, '../fixtures/nhs-samples');
const OAPS = {
  '2016-10': join(SAMPLES, 'out-of-area-placements/oaps-open-data-oct-2016.csv'),
  '2016-12': join(SAMPLES, 'out-of-area-placements/oaps-open-data-dec-2016.csv'),
  '2017-02': join(SAMPLES, 'out-of-area-placements/oaps-open-data-feb-2017.csv'),
};
const GP = join(SAMPLES, 'gp-patients-registered/2021-01/gp-reg-pat-prac-all.csv');
const STAGES = ['download', 'draft', 'enriched', 'canonical'];

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');
const exists = (path: string) => stat(path).then(() => true, () => false);

function config(oapsPeriods: (keyof typeof OAPS)[], withGp: boolean): string {
  const lines = ['publications:', '  oaps:', '    name: Out of Area Placements', '    periods:'];
  for (const p of oapsPeriods) lines.push(`      - period: ${p}`, `        url: ${OAPS[p]}`);
  if (withGp) lines.push('  gp_registered_patients:', '    name: Patients Registered at a GP Practice', '    periods:', '      - period: 2021-01', `        url: ${GP}`);
  return lines.join('\n') + '\n';
}

type Item = { id: string; bytes?: number; rows?: number };
type Store = { skipped: boolean; items: number; rows: number; kinds: Record<string, Item[]>; unknown: Item[]; note?: string };
const storesOf = (run: { events: Record<string, unknown>[] }) => (run.events.find((e) => e.event === 'clean') as { stores: Record<string, Store> }).stores;
const ids = (items: Item[] | undefined) => (items ?? []).map((i) => i.id);
/** The lists to compare between a dry run and an execution: table sizes on disk may change (autovacuum), ids and rows may not. */
const lists = (stores: Record<string, Store>) =>
  Object.fromEntries(Object.entries(stores).map(([s, v]) => [s, Object.fromEntries(Object.entries(v.kinds).map(([k, items]) => [k, items.map((i) => (s === 'tables' ? { id: i.id, rows: i.rows } : i))]))]));

describe.each(testBackends())('clean on %s', (backend) => {
  let ws: string;
  let testDb: TestDb;
  let env: Record<string, string | undefined>;
  let gpTable: string;
  let dryRun: Record<string, Store>;
  const clean = (...args: string[]) => runCli(['clean', '-C', ws, '--json', ...args], env);
  /** The database between CLI runs (PGlite allows one open instance of a data folder at a time). */
  const withDb = async <T>(fn: (db: Db) => Promise<T>): Promise<T> => {
    const db = await testDb.open();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), `clean-${backend}-`));
    testDb = await makeTestDb(backend, ws);
    env = { DATABASE_URL: testDb.databaseUrl };
    await mkdir(join(ws, 'config'), { recursive: true });
    await writeFile(join(ws, 'config/publications.yaml'), config(['2016-10', '2016-12', '2017-02'], true));
    const built = await runCli(['build', '-C', ws, '--json'], env);
    expect(built.stderr).toBe('');
    expect(built.code).toBe(0);
    // The table name is whatever the gp canonical manifest defines (read with the yaml library, not the pipeline).
    const canonical = parse(await readFile(join(ws, 'manifests/canonical/gp_registered_patients/2021-01.yaml'), 'utf8')) as { tables: { table: string }[] };
    gpTable = canonical.tables[0]!.table;
    await withDb((db) => db.exec(`CREATE TABLE staging.my_notes (id integer, note text); INSERT INTO staging.my_notes VALUES (1, 'keep me'), (2, 'me too')`));
  });
  afterAll(async () => {
    await testDb?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('finds nothing while the config still produces everything, and reports the user table as unknown', async () => {
    const res = await clean();
    expect(res.code).toBe(0);
    const stores = storesOf(res);
    expect(Object.keys(stores)).toEqual(['manifests', 'parquet', 'metadata', 'downloads', 'tables', 'registry', 'temp']);
    for (const s of Object.values(stores)) expect(s.kinds).toEqual({});
    expect(stores.tables.unknown).toEqual([{ id: 'staging.my_notes', rows: 2, bytes: expect.any(Number) }]);
    expect(res.events.at(-1)).toMatchObject({ event: 'summary', command: 'clean', dryRun: true, items: 0, rows: 0, unknown: 1 });
  });

  it('after removing a publication and a period, the dry run lists exactly their artifacts and removes nothing', async () => {
    await writeFile(join(ws, 'config/publications.yaml'), config(['2016-10', '2016-12'], false));
    const res = await clean();
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const s = storesOf(res);
    const gone = [['gp_registered_patients', '2021-01'], ['oaps', '2017-02']];
    expect(Object.keys(s.manifests.kinds)).toEqual(STAGES);
    for (const stage of STAGES) expect(ids(s.manifests.kinds[stage])).toEqual(gone.map(([p, d]) => `manifests/${stage}/${p}/${d}.yaml`));
    expect(s.manifests.unknown).toEqual([]);
    expect(s.parquet.kinds).toEqual({ parquet: [{ id: `output/parquet/${gpTable}.parquet`, bytes: (await stat(join(ws, `output/parquet/${gpTable}.parquet`))).size }] });
    expect(ids(s.metadata.kinds.metadata)).toEqual([`output/metadata/${gpTable}.md`]);

    const blobs = [[GP, await sha256(GP)], [OAPS['2017-02'], await sha256(OAPS['2017-02'])]].sort((a, b) => (a[1]! < b[1]! ? -1 : 1));
    expect(s.downloads.kinds.blobs).toEqual(await Promise.all(blobs.map(async ([f, h]) => ({ id: `downloads/${h}/${basename(f!)}`, bytes: (await stat(f!)).size }))));
    expect(ids(s.downloads.kinds.index)).toEqual([GP, OAPS['2017-02']].sort());

    const gpRows = (await csvDataRows(GP)).rows;
    const febRows = (await csvDataRows(OAPS['2017-02'])).rows;
    expect(s.tables.kinds.tables).toEqual([{ id: `staging.${gpTable}`, rows: gpRows, bytes: expect.any(Number) }]);
    expect(s.tables.kinds.rows).toEqual([{ id: 'staging.oaps_open_data oaps/2017-02', rows: febRows }]);
    expect(ids(s.tables.unknown)).toEqual(['staging.my_notes']);
    expect(s.tables.rows).toBe(gpRows + febRows);

    expect(ids(s.registry.kinds.periods)).toEqual(['gp_registered_patients/2021-01', 'oaps/2017-02']);
    expect(ids(s.registry.kinds.sources)).toEqual([`gp_registered_patients/2021-01 ${GP}`, `oaps/2017-02 ${OAPS['2017-02']}`]);
    expect(ids(s.registry.kinds.loads)).toEqual([`${gpTable} gp_registered_patients/2021-01 ${GP}#`, `oaps_open_data oaps/2017-02 ${OAPS['2017-02']}#`]);
    expect(ids(s.registry.kinds.tables)).toEqual([`${gpTable} (gp_registered_patients)`]);
    expect(s.temp.kinds).toEqual({});
    expect((res.events[0] as { republish: string[] }).republish).toEqual(['parquet:oaps/oaps_open_data', 'catalog:all']);

    // A dry run: every listed file and row is still there.
    for (const store of ['manifests', 'parquet', 'metadata']) for (const i of Object.values(s[store]!.kinds).flat()) expect(await exists(join(ws, i.id))).toBe(true);
    expect(await withDb((db) => db.query(`SELECT count(*)::int AS n FROM staging.oaps_open_data WHERE _period = '2017-02'`))).toEqual([{ n: febRows }]);
    dryRun = s;
  });

  it('the human report groups by store with counts, sizes and the command to execute', async () => {
    const res = await runCli(['clean', '-C', ws], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('manifests  2 download manifests, 2 draft manifests, 2 enriched manifests, 2 canonical manifests (');
    expect(res.stdout).toContain(`tables     1 table to drop, 1 period of rows in a kept table (${(dryRun.tables.rows).toLocaleString('en-GB')} rows, `);
    expect(res.stdout).toMatch(/downloads {2}2 downloaded files, 2 index\.json entries \(\d+\.\d MiB\)/);
    expect(res.stdout).toContain('unknown, left alone: 1 (not created by nhs-pipeline)\n    staging.my_notes (2 rows, ');
    expect(res.stdout).toContain('registry   2 datawarp.periods rows, 2 datawarp.sources rows, 2 datawarp.loads rows, 1 datawarp.tables row\n');
    expect(res.stdout.trimEnd().split('\n').at(-1)).toBe(`To remove them: npx tsx pipeline.ts clean -C ${ws} --execute`);
  });

  it('--skip leaves stores alone, and a skipped tables store keeps the registry rows that describe its data', async () => {
    const res = await clean('--skip', 'downloads,tables');
    const s = storesOf(res);
    expect(s.downloads).toMatchObject({ skipped: true, kinds: {} });
    expect(s.tables).toMatchObject({ skipped: true, kinds: {}, unknown: [] });
    expect(Object.keys(s.registry.kinds)).toEqual(['periods']);
    expect(lists({ manifests: s.manifests, parquet: s.parquet })).toEqual(lists({ manifests: dryRun.manifests, parquet: dryRun.parquet }));
    const bad = await runCli(['clean', '-C', ws, '--skip', 'downlods'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--skip: unknown store "downlods"');
    expect(bad.stderr).toContain('did you mean "downloads"?');
  });

  it('--execute removes exactly the dry run\'s list, keeps the user table, and rewrites the Parquet of the kept table', async () => {
    const res = await clean('--execute');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const event = res.events[0] as { dryRun: boolean; republished: { key: string; outcome: string }[] };
    expect(event.dryRun).toBe(false);
    expect(lists(storesOf(res))).toEqual(lists(dryRun));
    expect(event.republished).toEqual([{ key: 'parquet:oaps/oaps_open_data', outcome: 'ran' }, { key: 'catalog:all', outcome: 'ran' }]);

    const files = [...Object.values(dryRun.manifests.kinds), dryRun.parquet.kinds.parquet, dryRun.metadata.kinds.metadata, dryRun.downloads.kinds.blobs].flat();
    expect(files).toHaveLength(8 + 1 + 1 + 2);
    for (const f of files) expect(await exists(join(ws, f!.id)), f!.id).toBe(false);
    for (const stage of STAGES) for (const p of ['2016-10', '2016-12']) expect(await exists(join(ws, `manifests/${stage}/oaps/${p}.yaml`))).toBe(true);
    expect(await exists(join(ws, 'manifests/download/gp_registered_patients'))).toBe(false); // emptied folders go too
    const index = JSON.parse(await readFile(join(ws, 'downloads/index.json'), 'utf8')) as { entries: Record<string, unknown> };
    expect(Object.keys(index.entries).sort()).toEqual([OAPS['2016-10'], OAPS['2016-12']].sort());

    const oct = (await csvDataRows(OAPS['2016-10'])).rows;
    const dec = (await csvDataRows(OAPS['2016-12'])).rows;
    await withDb(async (db) => {
      const staging = await db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'staging' ORDER BY 1`);
      expect(staging.map((r) => r.t)).toEqual(['my_notes', 'oaps_open_data']);
      expect(await db.query('SELECT id, note FROM staging.my_notes ORDER BY id')).toEqual([{ id: 1, note: 'keep me' }, { id: 2, note: 'me too' }]);
      expect(await db.query(`SELECT _period AS p, count(*)::int AS n FROM staging.oaps_open_data GROUP BY 1 ORDER BY 1`)).toEqual([{ p: '2016-10', n: oct }, { p: '2016-12', n: dec }]);
      expect(await db.query('SELECT publication, period FROM datawarp.periods ORDER BY 1, 2')).toEqual([{ publication: 'oaps', period: '2016-10' }, { publication: 'oaps', period: '2016-12' }]);
      expect(await db.query('SELECT DISTINCT period FROM datawarp.sources UNION SELECT DISTINCT period FROM datawarp.loads ORDER BY 1')).toEqual([{ period: '2016-10' }, { period: '2016-12' }]);
      expect(await db.query('SELECT table_name FROM datawarp.tables')).toEqual([{ table_name: 'oaps_open_data' }]);
    });

    const pq = await readParquet(join(ws, 'output/parquet/oaps_open_data.parquet'), ['_period']);
    expect(pq.numRows).toBe(oct + dec);
    const catalog = await readParquet(join(ws, 'output/catalog.parquet'), ['table', 'row_count']);
    expect(catalog.rows).toEqual([{ table: 'oaps_open_data', row_count: BigInt(oct + dec) }]);
  });

  it('a second clean finds nothing, and a build afterwards runs nothing', async () => {
    const again = await clean();
    expect(again.events.at(-1)).toMatchObject({ items: 0, unknown: 1 });
    const build = await runCli(['build', '-C', ws, '--json'], env);
    expect(build.code).toBe(0);
    expect(ran(build)).toEqual([]);
  });

  it('--include-unregistered drops the user table only when asked', async () => {
    const dry = await clean('--include-unregistered');
    expect(storesOf(dry).tables.kinds).toEqual({ unregistered: [{ id: 'staging.my_notes', rows: 2, bytes: expect.any(Number) }] });
    expect(storesOf(dry).tables.unknown).toEqual([]);
    const res = await clean('--include-unregistered', '--execute');
    expect(res.code).toBe(0);
    expect(await withDb((db) => db.query(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'staging' ORDER BY 1`))).toEqual([{ t: 'oaps_open_data' }]);
    expect(ran(await runCli(['build', '-C', ws, '--json'], env))).toEqual([]);
  });
});
