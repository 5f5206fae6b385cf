/**
 * `unpivot:` (issue 10): PROMs publishes one column per year (`Modelled_Records_2011` … `_2017`, one more every
 * edition); an analyst wants a long table. Opt-in per table in config; the wide form stays the default. On both
 * backends, the long table holds exactly the wide cells: one row per source row and year, same sums.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { queryWorkspace, runCli } from './cli-rig.ts';

const PROMS = join(import.meta.dirname, '../fixtures/nhs-samples/proms/Time Series 1718.csv');

describe.each(testBackends())('unpivot (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const config = (overrides = '') =>
    writeFile(join(ws, 'config/publications.yaml'), `publications:\n  proms:\n    name: PROMs\n    periods:\n      - period: FY2017-18\n        url: ../files/proms.csv\n${overrides}`);
  const query = <T extends Record<string, unknown>>(sql: string) => queryWorkspace<T>(ws, env.DATABASE_URL, sql);
  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), `unpivot-${backend}-`));
    await mkdir(join(ws, 'config'));
    await mkdir(join(ws, 'files'));
    await cp(PROMS, join(ws, 'files/proms.csv'));
    await config();
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    expect((await runCli(['build', '-C', ws], env)).code).toBe(0);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('the wide form is the default; unpivot gives one row per source row and year with the same cells', async () => {
    expect(await query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'proms' AND column_name LIKE 'modelled_records_%'`)).toEqual([{ n: 7 }]);
    await config('    overrides:\n      tables:\n        proms:\n          name: proms_long\n          unpivot: { columns: "modelled_records_*", name: year, value: modelled_records }\n');
    const res = await runCli(['build', '-C', ws], env);
    expect(res.code, res.stderr).toBe(0);
    const rows = Papa.parse<Record<string, string>>((await readFile(PROMS, 'utf8')).trim(), { header: true }).data;
    const years = ['2011', '2012', '2013', '2014', '2015', '2016', '2017'];
    const perYear = years.map((y) => ({ year: y, n: rows.length, total: String(rows.reduce((s, r) => s + (/^\d+$/.test(r[`Modelled_Records_${y}`]) ? Number(r[`Modelled_Records_${y}`]) : 0), 0)) }));
    expect(await query(`SELECT year, count(*)::int AS n, coalesce(sum(modelled_records), 0)::text AS total FROM staging.proms_long GROUP BY 1 ORDER BY 1`)).toEqual(perYear);
    // The other year families stay wide; the unpivoted columns are gone.
    const cols = (await query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = 'proms_long' ORDER BY ordinal_position`)).map((r) => r.c);
    expect(cols).toContain('adjusted_health_gain_2011');
    expect(cols.filter((c) => c.startsWith('modelled_records'))).toEqual(['modelled_records']);
    const md = await readFile(join(ws, 'output/metadata/proms_long.md'), 'utf8');
    expect(md).toContain('| `year` | text |');
  });

  it('a pattern that matches no column fails at its line', async () => {
    await config('    overrides:\n      tables:\n        proms:\n          unpivot: { columns: "modeled_*", name: year, value: v }\n');
    const res = await runCli(['build', '-C', ws, '--json'], env);
    expect(res.code).toBe(1);
    const failed = res.events.find((e) => e.event === 'target-end' && e.outcome === 'failed') as { key: string; error: { message: string } };
    expect(failed.key).toBe('canonical:proms/FY2017-18');
    expect(failed.error.message).toBe(join(ws, 'config/publications.yaml') + ':9:9: unpivot columns "modeled_*" of table `proms` match none of its columns');
  });
});
