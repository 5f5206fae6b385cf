/**
 * Workspaces sharing one PostgreSQL database (a CI server and a developer checkout): `clean` in one never lists or
 * deletes the other's tables and registry rows, `--include-unregistered` does not change that, and two workspaces
 * loading the same table or the same publication period fail loudly instead of overwriting each other.
 * Then, on both databases: the workspace's identity (`manifests/.workspace-id`) is created once, recorded on every
 * registry row, kept by `clean`, and a database from before workspace ids is migrated (claimed by the embedded
 * database's own workspace; on a server, claimed by nobody until a build of the workspace that loaded it).
 * Expected row counts come from the fixture CSVs (papaparse) and from SQL by publication code, not from clean's output.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Db } from '../../lib/db/index.ts';
import { csvDataRows, ran, runCli } from '../e2e/cli-rig.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';

const SAMPLES = join(import.meta.dirname, '../fixtures/nhs-samples');
const OAPS_OCT = join(SAMPLES, 'out-of-area-placements/oaps-open-data-oct-2016.csv');
const OAPS_FEB = join(SAMPLES, 'out-of-area-placements/oaps-open-data-feb-2017.csv');
const GP = join(SAMPLES, 'gp-patients-registered/2021-01/gp-reg-pat-prac-all.csv');
const PCN = join(SAMPLES, 'pcn-workforce/Primary Care Networks – March 2020 Individual Level.csv');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A config of `code: [[period, file], ...]`. */
function config(pubs: Record<string, [string, string][]>): string {
  const lines = ['publications:'];
  for (const [code, periods] of Object.entries(pubs)) {
    lines.push(`  ${code}:`, `    name: ${code}`, '    periods:');
    for (const [period, file] of periods) lines.push(`      - period: ${period}`, `        url: "${file}"`);
  }
  return lines.join('\n') + '\n';
}

async function workspace(prefix: string, pubs: Record<string, [string, string][]>): Promise<string> {
  const ws = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(ws, 'config'));
  await writeFile(join(ws, 'config/publications.yaml'), config(pubs));
  return ws;
}

type Item = { id: string; rows?: number };
type Store = { kinds: Record<string, Item[]>; unknown: Item[] };
type NotOurs = { others: { tables: number; registryRows: number; workspaces: string[] }; unclaimed: { tables: number; registryRows: number } };
const cleanEvent = (run: { events: Record<string, unknown>[] }) => run.events.find((e) => e.event === 'clean') as { stores: Record<string, Store>; notOurs: NotOurs };
const everyId = (stores: Record<string, Store>) => Object.values(stores).flatMap((s) => [...Object.values(s.kinds).flat(), ...s.unknown]).map((i) => i.id);
const idOf = async (ws: string) => (await readFile(join(ws, 'manifests/.workspace-id'), 'utf8')).trim();
/** The table a workspace's canonical manifest defines for a period (read with the yaml library, not the pipeline). */
const tableOf = async (ws: string, pub: string, period: string) =>
  (parse(await readFile(join(ws, `manifests/canonical/${pub}/${period}.yaml`), 'utf8')) as { tables: { table: string }[] }).tables[0]!.table;
const failures = (run: { events: Record<string, unknown>[] }) =>
  run.events.filter((e) => e.event === 'target-end' && e.outcome === 'failed').map((e) => ({ key: e.key, ...(e.error as { message: string; hint?: string }) }));

/** Staging rows per table and registry rows per registry table, for the given publications: what must not change. */
async function snapshot(db: Db, pubs: string[], tables: string[]) {
  const out: Record<string, number> = {};
  for (const t of tables) out[`staging.${t}`] = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM staging."${t}"`))[0]!.n);
  for (const r of ['periods', 'sources', 'loads', 'tables']) {
    out[`datawarp.${r}`] = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM datawarp.${r} WHERE publication = ANY($1::text[])`, [pubs]))[0]!.n);
  }
  return out;
}

describe.skipIf(!process.env.DATABASE_URL)('two workspaces sharing one PostgreSQL database', () => {
  let testDb: TestDb;
  let env: Record<string, string | undefined>;
  let a: string; // oaps 2016-10 + gp_registered_patients 2021-01
  let b: string; // pcn_workforce 2020-03 + gp_copy 2021-01 (gp_copy is later removed from B's config)
  let aTables: string[];
  let bPcn: string;
  let bGp: string;
  let before: Record<string, number>;
  const dirs: string[] = [];
  const withDb = async <T>(fn: (db: Db) => Promise<T>) => {
    const db = await testDb.open();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    a = await workspace('shared-a-', { oaps: [['2016-10', OAPS_OCT]], gp_registered_patients: [['2021-01', GP]] });
    b = await workspace('shared-b-', { pcn_workforce: [['2020-03', PCN]], gp_copy: [['2021-01', GP]] });
    dirs.push(a, b);
    testDb = await makeTestDb('postgres', a);
    env = { DATABASE_URL: testDb.databaseUrl };
    for (const ws of [a, b]) {
      const built = await runCli(['build', '-C', ws, '--json'], env);
      expect(built.stderr).toBe('');
      expect(built.code).toBe(0);
    }
    aTables = [await tableOf(a, 'gp_registered_patients', '2021-01'), await tableOf(a, 'oaps', '2016-10')];
    [bPcn, bGp] = [await tableOf(b, 'pcn_workforce', '2020-03'), await tableOf(b, 'gp_copy', '2021-01')];
    before = await withDb((db) => snapshot(db, ['oaps', 'gp_registered_patients'], aTables));
  });
  afterAll(async () => {
    await testDb?.cleanup();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('records each workspace on its registry rows', async () => {
    const [ia, ib] = [await idOf(a), await idOf(b)];
    expect(ia).toMatch(UUID);
    expect(ib).toMatch(UUID);
    expect(ia).not.toBe(ib);
    const owners = await withDb((db) => db.query('SELECT table_name, workspace_id FROM datawarp.tables ORDER BY 1'));
    expect(owners).toEqual(
      [...aTables.map((t) => ({ table_name: t, workspace_id: ia })), { table_name: bGp, workspace_id: ib }, { table_name: bPcn, workspace_id: ib }]
        .sort((x, y) => (x.table_name < y.table_name ? -1 : 1)),
    );
    expect(await withDb((db) => db.query('SELECT workspace_id, root FROM datawarp.workspaces ORDER BY root'))).toEqual(
      [{ workspace_id: ia, root: a }, { workspace_id: ib, root: b }].sort((x, y) => (x.root < y.root ? -1 : 1)),
    );
    // A's oaps/2016-10 and gp/2021-01 are one period each: one periods, sources and loads row each, two tables.
    expect(before).toEqual({ [`staging.${aTables[0]}`]: (await csvDataRows(GP)).rows, [`staging.${aTables[1]}`]: (await csvDataRows(OAPS_OCT)).rows, 'datawarp.periods': 2, 'datawarp.sources': 2, 'datawarp.loads': 2, 'datawarp.tables': 2 });
  });

  it('clean in B lists only B\'s own leftovers, and says once that A\'s belong to another workspace', async () => {
    await writeFile(join(b, 'config/publications.yaml'), config({ pcn_workforce: [['2020-03', PCN]] }));
    for (const extra of [[], ['--include-unregistered']]) {
      const res = await runCli(['clean', '-C', b, '--json', ...extra], env);
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      const { stores, notOurs } = cleanEvent(res);
      expect(stores.tables.kinds).toEqual({ tables: [{ id: `staging.${bGp}`, rows: (await csvDataRows(GP)).rows, bytes: expect.any(Number) }] });
      expect(stores.tables.unknown).toEqual([]);
      expect(stores.registry.kinds).toEqual({
        periods: [{ id: 'gp_copy/2021-01' }],
        sources: [{ id: `gp_copy/2021-01 ${GP}` }],
        loads: [{ id: `${bGp} gp_copy/2021-01 ${GP}#` }],
        tables: [{ id: `${bGp} (gp_copy)` }],
      });
      for (const id of everyId(stores)) expect(id).not.toMatch(/oaps|gp_registered_patients/);
      expect(notOurs).toEqual({ others: { tables: 2, registryRows: 8, workspaces: [`workspace ${await idOf(a)} (last opened at ${a})`] }, unclaimed: { tables: 0, registryRows: 0 } });
    }
    const text = await runCli(['clean', '-C', b], env);
    expect(text.stdout).toContain('belongs to another workspace (2 tables, 8 registry rows): left alone');
    expect(text.stdout.split('\n').filter((l) => l.includes('belongs to another workspace'))).toHaveLength(1);
  });

  it('clean --execute in B removes B\'s leftovers and leaves every table and row of A intact', async () => {
    const res = await runCli(['clean', '-C', b, '--json', '--execute', '--include-unregistered'], env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(await withDb((db) => snapshot(db, ['oaps', 'gp_registered_patients'], aTables))).toEqual(before);
    const staging = await withDb((db) => db.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'staging' ORDER BY 1`));
    expect(staging.map((r) => r.t)).toEqual([...aTables, bPcn].sort());
    expect(await withDb((db) => db.query(`SELECT count(*)::int AS n FROM datawarp.periods WHERE publication = 'gp_copy'`))).toEqual([{ n: 0 }]);
    expect(ran(await runCli(['build', '-C', a, '--json'], env))).toEqual([]);
    expect(ran(await runCli(['build', '-C', b, '--json'], env))).toEqual([]);
  });

  it('clean in A finds nothing of B\'s that B still configures', async () => {
    const res = await runCli(['clean', '-C', a, '--json', '--include-unregistered'], env);
    expect(res.code).toBe(0);
    const { stores, notOurs } = cleanEvent(res);
    expect(everyId(stores)).toEqual([]);
    // B's pcn_workforce/2020-03: one table, and one periods, sources, loads and tables row.
    expect(notOurs.others).toEqual({ tables: 1, registryRows: 4, workspaces: [`workspace ${await idOf(b)} (last opened at ${b})`] });
  });

  it('a third workspace loading A\'s table, or A\'s period, fails loudly and writes nothing', async () => {
    const c = await workspace('shared-c-', { oaps: [['2017-02', OAPS_FEB]] }); // same table name as A's oaps_open_data
    const d = await workspace('shared-d-', { oaps: [['2016-10', OAPS_OCT]] }); // the very period A loaded
    dirs.push(c, d);
    const ia = await idOf(a);
    const clash = await runCli(['build', '-C', c, '--json'], env);
    expect(clash.code).toBe(1);
    const [f] = failures(clash);
    expect(f!.key).toBe('loaded:oaps/2017-02');
    expect(f!.message).toBe(
      `Table staging."oaps_open_data" belongs to workspace ${ia} (last opened at ${a}) (publication oaps) in this database; this workspace (${await idOf(c)}), publication oaps, also wants to load into it`,
    );
    expect(f!.hint).toContain('rename the table in oaps\'s overrides');

    const period = await runCli(['build', '-C', d, '--json'], env);
    expect(period.code).toBe(1);
    const [g] = failures(period);
    expect(g!.key).toBe('loaded:oaps/2016-10');
    expect(g!.message).toBe(`oaps/2016-10 is already loaded in this database by workspace ${ia} (last opened at ${a}); this workspace (${await idOf(d)}) also configures it`);

    expect(await withDb((db) => snapshot(db, ['oaps', 'gp_registered_patients'], aTables))).toEqual(before);
    expect(await withDb((db) => db.query(`SELECT count(*)::int AS n FROM staging.oaps_open_data WHERE _period = '2017-02'`))).toEqual([{ n: 0 }]);
    // Neither D's build nor its clean took A's period record.
    expect(ran(await runCli(['build', '-C', a, '--json'], env))).toEqual([]);
    const cleanD = cleanEvent(await runCli(['clean', '-C', d, '--json'], env));
    expect(everyId(cleanD.stores).filter((id) => !id.startsWith('manifests/') && !id.startsWith('downloads/'))).toEqual([]);
  });

  it('status counts only its own workspace\'s loads when another workspace uses the same publication code', async () => {
    const e = await workspace('shared-e-', { oaps: [['2021-01', GP]] }); // another period, another file, another table
    dirs.push(e);
    expect((await runCli(['build', '-C', e], env)).code).toBe(0);
    const eTable = await tableOf(e, 'oaps', '2021-01');
    expect(eTable).not.toBe(aTables[1]);
    type Status = { publications: { publication: string; tables: { table: string; period: string; rows: number }[] }[] };
    const tablesOf = async (ws: string) => {
      const res = await runCli(['status', '-C', ws, '--json'], env);
      expect(res.code).toBe(0);
      return (res.events.find((x) => x.event === 'status') as unknown as Status).publications.find((p) => p.publication === 'oaps')!.tables;
    };
    expect(await tablesOf(a)).toEqual([{ table: aTables[1], period: '2016-10', rows: (await csvDataRows(OAPS_OCT)).rows }]);
    expect(await tablesOf(e)).toEqual([{ table: eTable, period: '2021-01', rows: (await csvDataRows(GP)).rows }]);
  });
});

describe.each(testBackends())('the workspace identity on %s', (backend) => {
  let ws: string;
  let testDb: TestDb;
  let env: Record<string, string | undefined>;
  let id: string;
  const withDb = async <T>(fn: (db: Db) => Promise<T>) => {
    const db = await testDb.open();
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  const owners = () =>
    withDb((db) => db.query<{ w: string | null }>(
      `SELECT workspace_id AS w FROM datawarp.tables UNION ALL SELECT workspace_id FROM datawarp.periods
       UNION ALL SELECT workspace_id FROM datawarp.sources UNION ALL SELECT workspace_id FROM datawarp.loads`,
    ));

  beforeAll(async () => {
    ws = await workspace(`identity-${backend}-`, { oaps: [['2016-10', OAPS_OCT]] });
    testDb = await makeTestDb(backend, ws);
    env = { DATABASE_URL: testDb.databaseUrl };
    expect((await runCli(['build', '-C', ws], env)).code).toBe(0);
    id = await idOf(ws);
  });
  afterAll(async () => {
    await testDb?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('is created once, recorded on every registry row, and never listed or removed by clean', async () => {
    expect(id).toMatch(UUID);
    expect(await owners()).toEqual([{ w: id }, { w: id }, { w: id }, { w: id }]);
    const res = await runCli(['clean', '-C', ws, '--json', '--execute', '--include-unregistered'], env);
    expect(res.code).toBe(0);
    expect(everyId(cleanEvent(res).stores)).toEqual([]);
    expect(cleanEvent(res).notOurs).toEqual({ others: { tables: 0, registryRows: 0, workspaces: [] }, unclaimed: { tables: 0, registryRows: 0 } });
    expect(await idOf(ws)).toBe(id);
    expect(ran(await runCli(['build', '-C', ws, '--json'], env))).toEqual([]);
    expect(await idOf(ws)).toBe(id);
  });

  it('migrates a database from before workspace ids: claimed by the embedded database\'s workspace, on a server by its next build', async () => {
    // Registry version 1: no workspace_id columns, no datawarp.workspaces.
    await withDb((db) => db.exec(`
      ALTER TABLE datawarp.tables DROP COLUMN workspace_id; ALTER TABLE datawarp.periods DROP COLUMN workspace_id;
      ALTER TABLE datawarp.sources DROP COLUMN workspace_id; ALTER TABLE datawarp.loads DROP COLUMN workspace_id;
      DROP TABLE datawarp.workspaces; UPDATE datawarp.meta SET value = '1' WHERE key = 'registry_version';`));
    const dry = await runCli(['clean', '-C', ws, '--json'], env);
    expect(dry.code).toBe(0);
    expect(everyId(cleanEvent(dry).stores)).toEqual([]);
    const build = await runCli(['build', '-C', ws, '--json'], env);
    expect(build.code).toBe(0);
    if (backend === 'pglite') {
      expect(cleanEvent(dry).notOurs.unclaimed).toEqual({ tables: 0, registryRows: 0 });
      expect(ran(build)).toEqual([]);
    } else {
      // One periods, sources, loads and tables row, claimed by nobody: left alone until the build claims them.
      expect(cleanEvent(dry).notOurs.unclaimed).toEqual({ tables: 1, registryRows: 4 });
      expect(ran(build)).toEqual(['loaded:oaps/2016-10']);
      const end = build.events.find((e) => e.event === 'target-end' && e.key === 'loaded:oaps/2016-10') as { stats?: Record<string, number> };
      expect(end.stats).toMatchObject({ rowsWritten: 0, slicesUnchanged: 1 });
    }
    expect(await withDb((db) => db.query(`SELECT value FROM datawarp.meta WHERE key = 'registry_version'`))).toEqual([{ value: '4' }]);
    expect(await owners()).toEqual([{ w: id }, { w: id }, { w: id }, { w: id }]);
    expect(ran(await runCli(['build', '-C', ws, '--json'], env))).toEqual([]);
  });
});
