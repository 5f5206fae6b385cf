/**
 * The whole pipeline end to end, through the CLI, on real NHS files served by a local HTTP server:
 * first build, no-op rebuilds, minimal rebuilds after edits, failures, and the same on both databases.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../lib/db/index.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { startTestServer, type TestServer } from '../rig/http-server.ts';
import { csvDataRows, ran, readParquet, runCli, summary } from './cli-rig.ts';

const OAPS = join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements');
const FILES = { '2016-10': 'oaps-open-data-oct-2016.csv', '2016-12': 'oaps-open-data-dec-2016.csv', '2017-02': 'oaps-open-data-feb-2017.csv' } as const;

describe.each(testBackends())('pipeline end to end on %s', (backend) => {
  let server: TestServer;
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const parquet = () => join(ws, 'output/parquet/oaps_open_data.parquet');

  const config = (periods: (keyof typeof FILES)[], extra = '') =>
    [
      'publications:',
      '  oaps:',
      '    name: Out of Area Placements in Mental Health Services',
      '    periods:',
      ...periods.map((p) => `      - period: ${p}\n        url: ${server.url}/${p === '2017-02' ? 'oaps/february-2017' : `files/${FILES[p]}`}`),
      extra,
    ].join('\n');
  const build = (...args: string[]) => runCli(['build', '-C', ws, '--json', ...args], env);

  beforeAll(async () => {
    server = await startTestServer();
    for (const f of Object.values(FILES)) server.serveFile(`/files/${f}`, join(OAPS, f));
    // A publication page linking its CSV relatively, and a PDF that must be ignored.
    server.set('/oaps/february-2017', {
      body: `<html><body><h1>February 2017</h1><a href="../files/${FILES['2017-02']}">Open data CSV</a> <a href="report.pdf">Report</a></body></html>`,
      headers: { 'content-type': 'text/html; charset=utf-8' },
    });
    ws = await mkdtemp(join(tmpdir(), `e2e-${backend}-`));
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    await mkdir(join(ws, 'config'), { recursive: true });
    await writeFile(join(ws, 'config/publications.yaml'), config(['2016-10', '2016-12']));
  });
  afterAll(async () => {
    await db?.cleanup();
    await server?.close();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('builds every stage; the Parquet holds every source row, read back by another reader', async () => {
    const res = await build();
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(ran(res)).toEqual([
      'canonical:oaps/2016-10', 'canonical:oaps/2016-12', 'catalog:all',
      'download:oaps/2016-10', 'download:oaps/2016-12', 'draft:oaps/2016-10', 'draft:oaps/2016-12',
      'enriched:oaps/2016-10', 'enriched:oaps/2016-12', 'loaded:oaps/2016-10', 'loaded:oaps/2016-12',
      'parquet:oaps/oaps_open_data',
    ]);
    const oct = await csvDataRows(join(OAPS, FILES['2016-10']));
    const dec = await csvDataRows(join(OAPS, FILES['2016-12']));
    const pq = await readParquet(parquet(), ['_period', 'question', 'breakdown1', 'value']);
    expect(pq.numRows).toBe(oct.rows + dec.rows);
    expect(pq.rows.filter((r) => r._period === '2016-10')).toHaveLength(oct.rows);
    // Dec 2016 added two columns: both periods land in one table whose columns are the union.
    for (const h of [...oct.header, ...dec.header]) expect(pq.columns).toContain(h.toLowerCase());
    expect(pq.rows[0]).toMatchObject({ _period: '2016-10', question: expect.any(String) });
    const catalog = await readParquet(join(ws, 'output/catalog.parquet'), ['table', 'row_count']);
    expect(catalog.rows).toEqual([{ table: 'oaps_open_data', row_count: BigInt(oct.rows + dec.rows) }]);
    const md = await readFile(join(ws, 'output/metadata/oaps_open_data.md'), 'utf8');
    expect(md).toContain('2016-12');
    // The table was made by its first load, which gave it the slice index once its rows were in; the second used it.
    const d = await openDb({ workspace: ws, databaseUrl: env.DATABASE_URL });
    try {
      const idx = await d.query<{ def: string }>(`SELECT indexdef AS def FROM pg_indexes WHERE schemaname = 'staging' AND tablename = 'oaps_open_data'`);
      expect(idx.map((r) => r.def.replace(/^.* USING btree /, ''))).toEqual(['(_slice)']);
      const [{ n }] = await d.query<{ n: number }>(`SELECT count(DISTINCT _slice)::int AS n FROM staging.oaps_open_data`);
      expect(n).toBe(2);
    } finally {
      await d.close();
    }
  });

  it('a second build runs nothing and leaves output bytes unchanged; build -n says there is nothing to do', async () => {
    const before = await readFile(parquet());
    const res = await build();
    expect(ran(res)).toEqual([]);
    expect(summary(res)).toMatchObject({ ran: 0, failed: 0 });
    expect((await readFile(parquet())).equals(before)).toBe(true);
    const plan = await runCli(['build', '-n', '-C', ws], env);
    expect(plan.stdout).toContain('Nothing to do');
    expect(plan.code).toBe(0);
  });

  it('deleting .cache changes no decision; --refresh of unchanged files rebuilds nothing downstream', async () => {
    await rm(join(ws, '.cache'), { recursive: true, force: true });
    expect(ran(await build())).toEqual([]);
    const refreshed = await build('--refresh');
    expect(ran(refreshed)).toEqual(['download:oaps/2016-10', 'download:oaps/2016-12']);
    const conditional = server.requests.filter((r) => r.headers['if-none-match'] || r.headers['if-modified-since']);
    expect(conditional.length).toBeGreaterThanOrEqual(2);
  });

  it('adding a period runs only that period\'s chain, plus the Parquet it feeds', async () => {
    await writeFile(join(ws, 'config/publications.yaml'), config(['2016-10', '2016-12', '2017-02']));
    const plan = await runCli(['build', '-n', '-C', ws, '--json'], env);
    const plannedAs = (conditional: boolean) =>
      plan.events
        .filter((e) => e.event === 'target-end' && e.outcome === 'would-run' && ((e.reason as { kind: string }).kind === 'input-will-rebuild') === conditional)
        .map((e) => String(e.key))
        .sort();
    const res = await build();
    expect(res.code).toBe(0);
    expect(ran(res)).toEqual([
      'canonical:oaps/2017-02', 'catalog:all', 'download:oaps/2017-02', 'draft:oaps/2017-02', 'enriched:oaps/2017-02',
      'loaded:oaps/2017-02', 'parquet:oaps/oaps_open_data',
    ]);
    // The plan: the new period's chain for certain, and the Parquet and catalog it may change (decided once its rows load).
    expect(plannedAs(false)).toEqual(['canonical:oaps/2017-02', 'download:oaps/2017-02', 'draft:oaps/2017-02', 'enriched:oaps/2017-02', 'loaded:oaps/2017-02']);
    expect(plannedAs(true)).toEqual(['catalog:all', 'parquet:oaps/oaps_open_data']);
    expect([...plannedAs(false), ...plannedAs(true)].sort()).toEqual(ran(res));
    expect(plan.stdout).toContain('"mayRun":2');
    const feb = await csvDataRows(join(OAPS, FILES['2017-02']));
    const pq = await readParquet(parquet(), ['_period']);
    expect(pq.rows.filter((r) => r._period === '2017-02')).toHaveLength(feb.rows);
  });

  it('changing one byte of one source file rebuilds exactly that period\'s chain (with --refresh for remote files)', async () => {
    const original = await readFile(join(OAPS, FILES['2016-12']), 'utf8');
    const changed = join(ws, 'dec-changed.csv');
    // One byte of a text value in the last row: the draft manifest stays identical (same columns, types, samples).
    const i = original.lastIndexOf('Unknown Region');
    await writeFile(changed, original.slice(0, i) + 'Unknown Regiom' + original.slice(i + 14));
    server.serveFile(`/files/${FILES['2016-12']}`, changed);
    const res = await build('--refresh');
    expect(res.code).toBe(0);
    expect(ran(res)).toEqual(['catalog:all', 'download:oaps/2016-10', 'download:oaps/2016-12', 'download:oaps/2017-02', 'draft:oaps/2016-12', 'loaded:oaps/2016-12', 'parquet:oaps/oaps_open_data'].sort());
    const draft = res.events.find((e) => e.event === 'target-end' && e.key === 'draft:oaps/2016-12');
    expect(draft).toMatchObject({ changed: false }); // early cutoff: enriched and canonical did not run
  });

  it('touching every input changes nothing; a deleted output file is rebuilt alone', async () => {
    const later = new Date(Date.now() + 120_000);
    for (const dir of ['manifests/download/oaps', 'manifests/draft/oaps', 'manifests/canonical/oaps']) {
      for (const f of await readdir(join(ws, dir))) await utimes(join(ws, dir, f), later, later);
    }
    expect(ran(await build())).toEqual([]);
    await rm(join(ws, 'manifests/enriched/oaps/2016-10.yaml'));
    const why = await runCli(['explain', 'oaps/2016-10:enriched', '-C', ws], env);
    expect(why.stdout).toContain('enriched oaps/2016-10: would run — output missing (never built)');
    expect(why.stdout).toMatch(/draft oaps\/2016-10: up to date — rule version \d+, output [0-9a-f]{12} present and unmodified\n {4}input download:oaps\/2016-10 = [0-9a-f]{12} \(unchanged\)/);
    const res = await build();
    expect(ran(res)).toEqual(['enriched:oaps/2016-10']);
    await rm(parquet());
    expect(ran(await build())).toEqual(['parquet:oaps/oaps_open_data']);
  });

  it('deleting downloads/ and .cache rebuilds nothing and downloads nothing', async () => {
    const before = server.requests.length;
    await rm(join(ws, 'downloads'), { recursive: true, force: true });
    await rm(join(ws, '.cache'), { recursive: true, force: true });
    const res = await build();
    expect(ran(res)).toEqual([]);
    expect(server.requests.length).toBe(before);
  });

  it('with downloads/ gone, a stale rule fetches just the bytes it needs, and they must match the record', async () => {
    await rm(join(ws, 'downloads'), { recursive: true, force: true });
    await rm(join(ws, 'manifests/draft/oaps/2016-10.yaml'));
    const before = server.requests.length;
    const res = await build();
    expect(ran(res)).toEqual(['draft:oaps/2016-10']); // identical draft: nothing downstream
    expect(server.requests.slice(before).map((r) => r.path)).toEqual([`/files/${FILES['2016-10']}`]);
  });

  it('re-running the load of an unchanged period writes 0 rows', async () => {
    const d = await db.open();
    await d.query(`DELETE FROM datawarp.periods WHERE publication = 'oaps' AND period = '2016-10'`);
    await d.close();
    const res = await build();
    expect(ran(res)).toEqual(['loaded:oaps/2016-10']);
    const end = res.events.find((e) => e.event === 'target-end' && e.key === 'loaded:oaps/2016-10') as { stats: Record<string, number> };
    expect(end.stats).toMatchObject({ rowsWritten: 0, slicesUnchanged: 1 });
  });

  it('a lost database: the plan loads every period and only may run Parquet and catalog; the build reloads, nothing more', async () => {
    const d = await db.open();
    await d.exec('DROP SCHEMA staging CASCADE; DROP SCHEMA datawarp CASCADE;');
    await d.close();
    const before = await readFile(parquet());
    const plan = await build('-n');
    const planned = plan.events
      .filter((e) => e.event === 'target-end' && e.outcome === 'would-run')
      .map((e) => `${String(e.key)} ${(e.reason as { kind: string }).kind}`)
      .sort();
    // The load records lived in the lost database. The Parquet and catalog depend on what the loads will
    // write, which a dry run cannot know: "may run", not "will run".
    expect(planned).toEqual([
      'catalog:all input-will-rebuild', 'loaded:oaps/2016-10 never-built', 'loaded:oaps/2016-12 never-built', 'loaded:oaps/2017-02 never-built',
      'parquet:oaps/oaps_open_data input-will-rebuild',
    ]);
    const text = await runCli(['build', '-n', '-C', ws], env);
    expect(text.stdout).toContain('loaded oaps/2016-10 — no record in the database (never built, or the database is new)');
    const res = await build();
    expect(res.code).toBe(0);
    expect(ran(res)).toEqual(['loaded:oaps/2016-10', 'loaded:oaps/2016-12', 'loaded:oaps/2017-02']);
    expect(await readFile(parquet())).toEqual(before);
    const rows = await db.open();
    const n = await rows.query<{ n: number }>(`SELECT count(*)::int AS n FROM staging.oaps_open_data`);
    await rows.close();
    let expected = 0;
    for (const f of Object.values(FILES)) expected += (await csvDataRows(join(OAPS, f))).rows;
    expect(n).toEqual([{ n: expected }]);
  });

  it('a 404 fails that period only, names the URL, exits 1; not retried until --retry-failed', async () => {
    server.set('/files/missing.csv', { status: 404, body: 'Not Found' });
    await writeFile(
      join(ws, 'config/publications.yaml'),
      config(['2016-10', '2016-12', '2017-02']) + `\n      - period: 2017-03\n        url: ${server.url}/files/missing.csv`,
    );
    const res = await build();
    expect(res.code).toBe(1);
    const failed = res.events.filter((e) => e.event === 'target-end' && e.outcome === 'failed');
    expect(failed.map((e) => e.key)).toEqual(['download:oaps/2017-03']);
    expect(JSON.stringify(failed[0].error)).toContain(`${server.url}/files/missing.csv`);
    expect(ran(res)).toEqual([]);
    const hits = () => server.requests.filter((r) => r.path === '/files/missing.csv').length;
    const seen = hits();
    const again = await build();
    expect(again.code).toBe(1);
    expect(hits()).toBe(seen);
    expect(again.events.find((e) => e.event === 'target-end' && e.key === 'download:oaps/2017-03')).toMatchObject({ outcome: 'skipped', reason: { kind: 'previous-failure' } });
    const retried = await build('--retry-failed');
    expect(hits()).toBeGreaterThan(seen);
    expect(retried.code).toBe(1);
  });

  it('removing the first period rebuilds what referred to it, and never tries to build the removed period', async () => {
    await writeFile(join(ws, 'config/publications.yaml'), config(['2016-12', '2017-02']));
    const res = await build();
    expect(res.code).toBe(0);
    const failed = res.events.filter((e) => e.event === 'target-end' && (e.outcome === 'failed' || e.outcome === 'skipped'));
    expect(failed).toEqual([]);
    // 2016-12 used 2016-10 as its naming reference: that period is gone, so it is named again without it.
    const start = res.events.find((e) => e.event === 'target-start' && e.key === 'enriched:oaps/2016-12');
    expect(start).toMatchObject({ reason: { kind: 'input-changed', input: 'config:oaps/2016-12#previous' } });
    expect(ran(res).filter((k) => k.includes('2016-10'))).toEqual([]);
  });
});
