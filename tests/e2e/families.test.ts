/**
 * Table families (issue 10): a release of regional CSVs with one header (GP appointments publishes 42) loads into
 * one table with the region as a column, found by itself with the evidence in the draft; a file of another schema
 * stays its own table; `family:` in config names the key column or turns it off. On both backends.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { queryWorkspace, runCli } from './cli-rig.ts';

const REGIONS = ['Lincolnshire', 'North East', 'Cornwall', 'Kent and Medway', 'Cheshire'];
const HEADER = 'CCG_CODE,CCG_NAME,Appointment_Month,HCP_TYPE,APPT_MODE,COUNT_OF_APPOINTMENTS';

/** A region's file: its own rows and counts, the same header as every other region's. */
function regionCsv(region: string, i: number): string {
  const rows = Array.from({ length: 20 + i }, (_, r) => `${i}${r}X,NHS ${region} CCG,MAR2019,GP,Face-to-Face,${(i + 1) * 1000 + r}`);
  return `${HEADER}\n${rows.join('\n')}\n`;
}

describe.each(testBackends())('table families (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const config = (family = '') =>
    writeFile(join(ws, 'config/publications.yaml'), `publications:\n  gp_appointments:\n    name: GP appointments\n${family}    periods:\n      - period: 2019-03\n        url: ../files/page.html\n`);
  const query = <T extends Record<string, unknown>>(sql: string) => queryWorkspace<T>(ws, env.DATABASE_URL, sql);

  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), `family-${backend}-`));
    await mkdir(join(ws, 'config'));
    await mkdir(join(ws, 'files'));
    const links: string[] = [];
    for (const [i, region] of REGIONS.entries()) {
      await writeFile(join(ws, 'files', `Regional_CSV_${region}.csv`), regionCsv(region, i));
      links.push(`<a href="Regional_CSV_${region}.csv">${region}</a>`);
    }
    await writeFile(join(ws, 'files', 'Practice_Mapping.csv'), 'PRACTICE_CODE,PRACTICE_NAME,CCG_CODE\nA81001,The Densham Surgery,16C\nA81002,Queens Park Medical Centre,16C\n');
    links.push('<a href="Practice_Mapping.csv">Mapping</a>');
    await writeFile(join(ws, 'files', 'page.html'), `<html><head><title>Appointments in General Practice, March 2019</title></head><body>${links.join('\n')}</body></html>`);
    await config();
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    const res = await runCli(['build', '-C', ws], env);
    expect(res.code, res.stderr).toBe(0);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('five regional files are one table with the region as a column; the mapping file stays its own', async () => {
    expect((await query<{ t: string }>(`SELECT table_name AS t FROM datawarp.tables ORDER BY 1`)).map((r) => r.t)).toEqual(['gp_appointments_practice_mapping', 'gp_appointments_regional']);
    const rows = await query<{ source_part: string; n: number; total: string }>(
      `SELECT source_part, count(*)::int AS n, sum(count_of_appointments)::text AS total FROM staging.gp_appointments_regional GROUP BY 1 ORDER BY 1`,
    );
    expect(rows).toEqual([...REGIONS].sort().map((region) => {
      const i = REGIONS.indexOf(region);
      const n = 20 + i;
      return { source_part: region, n, total: String(Array.from({ length: n }, (_, r) => (i + 1) * 1000 + r).reduce((a, b) => a + b, 0)) };
    }));
    const draft = await readFile(join(ws, 'manifests/draft/gp_appointments/2019-03.yaml'), 'utf8');
    expect(draft).toContain('pattern: Regional_CSV_*.csv');
    expect(draft).toContain('evidence: the same 6 columns in 5 files whose names differ only by the key');
  });

  it('family: { column: region } names the key column; family: false keeps one table per file', async () => {
    await config('    family: { column: region }\n');
    expect((await runCli(['build', '-C', ws], env)).code).toBe(0);
    expect(await query(`SELECT count(DISTINCT region)::int AS n FROM staging.gp_appointments_regional`)).toEqual([{ n: 5 }]);
    await config('    family: false\n');
    expect((await runCli(['build', '-C', ws], env)).code).toBe(0);
    const tables = (await query<{ t: string }>(`SELECT DISTINCT table_name AS t FROM datawarp.loads ORDER BY 1`)).map((r) => r.t);
    expect(tables).toHaveLength(6);
    expect(tables).toContain('gp_appointments_regional_lincolnshire');
  });
});
