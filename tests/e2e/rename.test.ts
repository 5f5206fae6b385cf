/**
 * `rename` (issue 11): a table and a column loaded under names older rules gave keep them until the user asks;
 * `--plan` lists old → new, `--execute` renames them in the database in place (no row reloaded or dropped), in
 * the manifests and the Parquet files, and a build afterwards has nothing to do. On both backends.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { oapsWorkspace, queryWorkspace, ran, runCli } from './cli-rig.ts';

describe.each(testBackends())('rename (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const query = <T extends Record<string, unknown>>(sql: string) => queryWorkspace<T>(ws, env.DATABASE_URL, sql);

  beforeAll(async () => {
    ws = await oapsWorkspace(`rename-${backend}-`);
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    expect((await runCli(['build', '-C', ws, 'oaps:enriched'], env)).code).toBe(0);
    // Names an older version of the rules gave: the table and its `value` column were loaded under them.
    for (const period of ['2016-10', '2016-12']) {
      const path = join(ws, 'manifests/enriched/oaps', `${period}.yaml`);
      const text = await readFile(path, 'utf8');
      await writeFile(path, text.replace(/^  - name: oaps_open_data$/m, '  - name: oaps_legacy').replace(/^      - name: value$/m, '      - name: val'));
    }
    const res = await runCli(['build', '-C', ws, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('a build keeps the names the table was loaded under', async () => {
    expect(await query(`SELECT count(*)::int AS n FROM staging.oaps_legacy WHERE val IS NOT NULL`)).toEqual([{ n: expect.any(Number) }]);
    expect(existsSync(join(ws, 'output/parquet/oaps_legacy.parquet'))).toBe(true);
    expect(ran(await runCli(['build', '-C', ws, '--json'], env))).toEqual([]);
  });

  it('--plan lists old → new names and changes nothing', async () => {
    const res = await runCli(['rename', '-C', ws, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    const plan = res.events.find((e) => e.event === 'rename-plan') as { renames: unknown[] };
    expect(plan.renames).toEqual([{ publication: 'oaps', from: 'oaps_legacy', to: 'oaps_open_data', columns: [{ from: 'val', to: 'value' }], periods: ['2016-10', '2016-12'] }]);
    const text = await runCli(['rename', '-C', ws], env);
    expect(text.stdout).toContain('oaps_legacy → oaps_open_data  (2016-10 to 2016-12)');
    expect(text.stdout).toContain('column val → value');
    expect(await query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'staging' AND tablename = 'oaps_legacy'`)).toEqual([{ n: 1 }]);
  });

  it('--execute renames in place: the same rows under the new names, nothing reloaded, old files gone, nothing left to do', async () => {
    const before = await query(`SELECT count(*)::int AS n, sum(val)::text AS total, count(*) FILTER (WHERE _markers IS NOT NULL)::int AS marked FROM staging.oaps_legacy`);
    const res = await runCli(['rename', '-C', ws, '--execute', '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    const loadedRuns = res.events.filter((e) => e.event === 'target-end' && String(e.key).startsWith('loaded:') && e.outcome === 'ran');
    expect(loadedRuns.map((e) => e.key).sort()).toEqual(['loaded:oaps/2016-10', 'loaded:oaps/2016-12']);
    for (const e of loadedRuns) expect(e, String(e.key)).toMatchObject({ stats: { rowsWritten: 0 } });
    expect(await query(`SELECT count(*)::int AS n, sum(value)::text AS total, count(*) FILTER (WHERE _markers IS NOT NULL)::int AS marked FROM staging.oaps_open_data`)).toEqual(before);
    expect(await query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'staging' AND tablename = 'oaps_legacy'`)).toEqual([{ n: 0 }]);
    expect(await query(`SELECT DISTINCT table_name FROM datawarp.loads`)).toEqual([{ table_name: 'oaps_open_data' }]);
    expect(existsSync(join(ws, 'output/parquet/oaps_open_data.parquet'))).toBe(true);
    expect(existsSync(join(ws, 'output/parquet/oaps_legacy.parquet'))).toBe(false);
    expect(existsSync(join(ws, 'output/metadata/oaps_legacy.md'))).toBe(false);
    expect(await readFile(join(ws, 'manifests/canonical/oaps/2016-12.yaml'), 'utf8')).toMatch(/^  - table: oaps_open_data$/m);
    expect(ran(await runCli(['build', '-C', ws, '--json'], env))).toEqual([]);
    const again = await runCli(['rename', '-C', ws], env);
    expect(again.stdout).toContain('Every table and column has the name today\'s rules give it.');
  });
});
