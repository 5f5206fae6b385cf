/**
 * Tables an analyst can trust (issue 10), asserted in the database on both backends, on the real files: every
 * published figure kept and flagged by its role, in the right column, typed as a number where it is one.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { queryWorkspace, runCli } from './cli-rig.ts';

const S = join(import.meta.dirname, '../fixtures/nhs-samples');

describe.each(testBackends())('tables an analyst can trust (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const query = <T extends Record<string, unknown>>(sql: string) => queryWorkspace<T>(ws, env.DATABASE_URL, sql);
  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), `trust-${backend}-`));
    await mkdir(join(ws, 'config'));
    await writeFile(join(ws, 'config/publications.yaml'), [
      'publications:',
      '  gp_earnings:', '    name: GP Earnings and Expenses Estimates', '    periods:',
      `      - period: FY2022-23\n        url: "${join(S, 'gp-earnings-expenses/gpearnextime_202223.xlsx')}"`,
      '  rtt_overview:', '    name: RTT overview time series', '    periods:',
      `      - period: 2022-06\n        url: "${join(S, 'rtt-waiting-times/RTT-Overview-Timeseries-Jun22-XLS-77K-68395.xlsx')}"`,
    ].join('\n') + '\n');
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    const res = await runCli(['build', '-C', ws], env);
    expect(res.code, res.stderr).toBe(0);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('totals are loaded and flagged: a sum over detail rows does not count them twice', async () => {
    const kinds = await query(`SELECT practice_type, _row_kind, count(*)::int AS n FROM staging.gp_earnings_1a_contractor_earn_by_country GROUP BY 1, 2 ORDER BY 1`);
    expect(kinds).toEqual([
      { practice_type: 'All Dispensing', _row_kind: 'detail', n: 32 },
      { practice_type: 'All Non-dispensing', _row_kind: 'detail', n: 32 },
      { practice_type: 'All practices', _row_kind: 'total', n: 32 },
    ]);
  });

  it('derived rows (Change) are kept, flagged, with their unit in _markers', async () => {
    const rows = await query(`SELECT contract_type, year, _row_kind, gross_earnings::text AS g, _markers->>'gross_earnings' AS unit FROM staging.gp_earnings_e1_gpms_contr_gps_avg_earn_and_exp_by_contract_type WHERE _row_kind = 'derived' ORDER BY _source_row`);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({ contract_type: 'GPMS', year: 'Change', _row_kind: 'derived', g: '2.7', unit: '%' });
  });

  it('a year label spanning GDP, RPI and CPI is assigned by span: England\'s 2003/04 GDP figure is under 2003/04', async () => {
    const [row] = await query(`SELECT category, c_2002_03_gdp, c_2003_04_gdp FROM staging.gp_earnings_1b_gpms_contractor_real_terms WHERE country = 'England' AND category = 'Report Population'`);
    expect(row).toEqual({ category: 'Report Population', c_2002_03_gdp: 25950, c_2003_04_gdp: 26150 });
  });

  it('a note published in place of a figure keeps the column numeric; a revised figure keeps its value and its r', async () => {
    const types = await query<{ c: string; t: string }>(`SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = 'gp_earnings_1c_contractor_exp_by_country' AND column_name LIKE 'c_20%'`);
    expect(types.length).toBeGreaterThan(15);
    expect(types.filter((x) => x.t === 'text')).toEqual([]);
    const [moved] = await query(`SELECT c_2007_08, _markers->>'c_2007_08' AS note FROM staging.gp_earnings_1c_contractor_exp_by_country WHERE _markers->>'c_2007_08' = 'now in "Other"' LIMIT 1`);
    expect(moved).toEqual({ c_2007_08: null, note: 'now in "Other"' });
    const [revised] = await query(`SELECT c_2014_15_2::text AS v, _markers->>'c_2014_15_2' AS mark FROM staging.gp_earnings_1a_contractor_earn_by_country WHERE country = 'Scotland' AND category = 'Gross Earnings' AND practice_type = 'All practices'`);
    expect(revised.mark).toBe('r');
    expect(Number(revised.v)).toBeGreaterThan(100_000);
  });

  it('placeholder months (a label and dashes only) are not loaded: RTT Jun22 holds 183 months', async () => {
    expect(await query(`SELECT count(*)::int AS n, max(month)::text AS last FROM staging.rtt_overview_timeseries`)).toEqual([{ n: 183, last: '2022-06-01' }]);
  });
});
