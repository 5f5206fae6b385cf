/**
 * `history:` (issue 10, defect 9): A&E files republish the whole time series every month, so each month is in every
 * edition's rows. By default the Parquet keeps every edition (nothing published is left out); with
 * `history: { keep: latest, by: period }` it keeps, per month, the newest edition's row, and says so. PostgreSQL
 * keeps every edition either way. Real files: the January and March 2024 editions.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { queryWorkspace, readParquet, runCli } from './cli-rig.ts';

const AE = join(import.meta.dirname, '../fixtures/nhs-samples/ae-attendances-emergency-admissions');
const TABLE = 'ae_attendances_activity';

describe.each(testBackends())('history of republished time series (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const config = (overrides = '') =>
    writeFile(
      join(ws, 'config/publications.yaml'),
      'publications:\n  ae_attendances:\n    name: A&E\n    periods:\n' +
        '      - period: 2024-01\n        url: ../files/Monthly-AE-Time-Series-January-2024.xls\n' +
        '      - period: 2024-03\n        url: ../files/Monthly-AE-Time-Series-March-2024.xls\n' +
        overrides,
    );
  const query = <T extends Record<string, unknown>>(sql: string) => queryWorkspace<T>(ws, env.DATABASE_URL, sql);
  const parquet = () => readParquet(join(ws, `output/parquet/${TABLE}.parquet`), ['_period', 'period', 'type_1_departments_major_ae']);
  const key = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v));

  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), `history-${backend}-`));
    await mkdir(join(ws, 'config'));
    await mkdir(join(ws, 'files'));
    for (const m of ['January', 'March']) await cp(join(AE, `Monthly-AE-Time-Series-${m}-2024.xls`), join(ws, `files/Monthly-AE-Time-Series-${m}-2024.xls`));
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

  it('keeps every edition by default; `keep: latest` keeps the newest edition of each month, in Parquet only, and says so', async () => {
    const perEdition = await query<{ p: string; n: number }>(`SELECT _period AS p, count(*)::int AS n FROM staging.${TABLE} GROUP BY 1 ORDER BY 1`);
    const total = perEdition.reduce((s, r) => s + r.n, 0);
    expect((await parquet()).numRows).toBe(total);

    await config(`    overrides:\n      tables:\n        ${TABLE}:\n          history: { keep: latest, by: period }\n`);
    const res = await runCli(['build', '-C', ws, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    // Only the Parquet (and what documents it) is rewritten: no row is loaded again.
    const loads = res.events.filter((e) => e.event === 'target-end' && e.outcome === 'ran' && String(e.key).startsWith('loaded:'));
    expect(loads.map((e) => (e.stats as { rowsWritten: number }).rowsWritten)).toEqual(loads.map(() => 0));

    // The expected rows, computed from the database independently: per month, the row of the newest edition.
    const newest = await query<{ period: string; v: string | null; edition: string }>(
      `SELECT DISTINCT ON (period) period::text AS period, type_1_departments_major_ae::text AS v, _period AS edition
         FROM staging.${TABLE} ORDER BY period, _period_start DESC`,
    );
    const pq = await parquet();
    expect(pq.numRows).toBe(newest.length);
    expect(pq.numRows).toBeLessThan(total);
    const got = pq.rows.map((r) => ({ period: key(r.period), v: r.type_1_departments_major_ae === null ? null : String(r.type_1_departments_major_ae), edition: r._period }));
    expect(got.sort((a, b) => a.period.localeCompare(b.period))).toEqual(newest.map((r) => ({ ...r, v: r.v === null ? null : String(Number(r.v)) })));
    // The month both editions publish comes from March's.
    expect(got.find((r) => r.period === '2024-01-01')?.edition).toBe('2024-03');
    // PostgreSQL keeps every edition.
    expect(await query(`SELECT count(*)::int AS n FROM staging.${TABLE}`)).toEqual([{ n: total }]);
    const md = await readFile(join(ws, `output/metadata/${TABLE}.md`), 'utf8');
    expect(md).toContain(`History: the newest edition of each \`period\` (\`history: { keep: latest, by: period }\`): ${total - newest.length} rows of older editions`);
  });

  it('`by` naming no column fails at its line, with the column it probably meant', async () => {
    await config(`    overrides:\n      tables:\n        ${TABLE}:\n          history: { keep: latest, by: perod }\n`);
    const res = await runCli(['build', '-C', ws, '--json'], env);
    expect(res.code).toBe(1);
    const failed = res.events.find((e) => e.event === 'target-end' && e.outcome === 'failed') as { key: string; error: { message: string; hint: string } };
    expect(failed.error.message).toBe(`${join(ws, 'config/publications.yaml')}:11:9: \`history.by\` of table \`${TABLE}\` names \`perod\`, which is not one of its columns`);
    expect(failed.error.hint).toMatch(/^did you mean `period`\?/);
  });
});
