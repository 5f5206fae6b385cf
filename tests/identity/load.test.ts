/**
 * Identity in the database: every period of a period group loads into one staging table, with each
 * period's rows under its own `_period`. Expected row counts are read from the files independently:
 * papaparse for the CSVs, SheetJS date-serial rows for the workbooks (see helpers.ts).
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { csvDataRows, runCli } from '../e2e/cli-rig.ts';
import { GROUPS, makeWorkspace, samplePath, serialRows } from './helpers.ts';

type Counts = Record<string, Record<string, number>>;

describe.each(testBackends())('period groups load into one staging table each on %s', (backend) => {
  let ws: string;
  let tdb: TestDb;
  let env: Record<string, string | undefined>;

  /** Builds a publication through Parquet, then reads rows per (staging table, _period) of that publication. */
  async function load(pub: keyof typeof GROUPS): Promise<Counts> {
    const res = await runCli(['build', pub, '-C', ws, '--json'], env);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const db = await tdb.open();
    try {
      const tables = await db.query<{ t: string }>(`SELECT table_name AS t FROM datawarp.tables WHERE publication = $1 ORDER BY table_name`, [pub]);
      const out: Counts = {};
      for (const { t } of tables) {
        const rows = await db.query<{ p: string; n: number }>(`SELECT _period AS p, count(*)::int AS n FROM staging."${t}" GROUP BY 1 ORDER BY 1`);
        out[t] = Object.fromEntries(rows.map((r) => [r.p, Number(r.n)]));
      }
      return out;
    } finally {
      await db.close();
    }
  }

  beforeAll(async () => {
    ws = await makeWorkspace(`load-${backend}`);
    tdb = await makeTestDb(backend, ws);
    env = { DATABASE_URL: tdb.databaseUrl };
  });
  afterAll(async () => {
    await tdb?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('A&E: three periods, three tables, rows per period as in each file', async () => {
    const expected: Counts = { ae_activity: {}, ae_booking: {}, ae_performance: {} };
    for (const [file, period] of Object.entries(GROUPS.ae)) {
      for (const sheet of ['Activity', 'Booking', 'Performance']) {
        expected[`ae_${sheet.toLowerCase()}`][period] = await serialRows(samplePath('ae', file), sheet, 1);
      }
    }
    expect(expected.ae_activity).toEqual({ '2024-01': 162, '2024-03': 164, '2026-03': 188 });
    expect(await load('ae')).toEqual(expected);
  });

  it('RTT overview: Jun22 and Jul23 in one table', async () => {
    const expected: Record<string, number> = {};
    for (const [file, period] of Object.entries(GROUPS.rtt)) expected[period] = await serialRows(samplePath('rtt', file), 'Full Time Series', 2);
    expect(await load('rtt')).toEqual({ rtt_overview_timeseries: expected });
  });

  it('Out of Area Placements: three schemas, one table', async () => {
    const expected: Record<string, number> = {};
    for (const [file, period] of Object.entries(GROUPS.oaps)) expected[period] = (await csvDataRows(samplePath('oaps', file))).rows;
    expect(expected).toEqual({ '2016-10': 8424, '2016-12': 11324, '2017-02': 12236 });
    expect(await load('oaps')).toEqual({ oaps_open_data: expected });
  });

  it('PROMs: two differently named files, one table', async () => {
    const expected: Record<string, number> = {};
    for (const [file, period] of Object.entries(GROUPS.proms)) expected[period] = (await csvDataRows(samplePath('proms', file))).rows;
    expect(await load('proms')).toEqual({ proms_time_series: expected });
  });
});
