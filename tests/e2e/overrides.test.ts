/**
 * The user's overrides from config, applied at the canonical stage and honoured by every store downstream;
 * and what happens when an override asks for a type the data cannot take.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Papa from 'papaparse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { readParquet, runCli } from './cli-rig.ts';

const OCT = join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements/oaps-open-data-oct-2016.csv');

describe.each(testBackends())('overrides (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const config = (overrides = '') =>
    writeFile(join(ws, 'config/publications.yaml'), `publications:\n  oaps:\n    name: OAPs\n    periods:\n      - period: 2016-10\n        url: ../files/oaps-open-data-oct-2016.csv\n${overrides}`);
  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), `ovr-${backend}-`));
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    await mkdir(join(ws, 'config'));
    await mkdir(join(ws, 'files'));
    await cp(OCT, join(ws, 'files/oaps-open-data-oct-2016.csv'));
    await config();
    expect((await runCli(['build', '-C', ws], env)).code).toBe(0);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('renaming a table and a column moves the rows; the catalog lists only the new name', async () => {
    await config(
      '    overrides:\n      tables:\n        oaps_open_data:\n          name: oaps_placements\n          description: Out of area placements, long format.\n' +
        '          columns:\n            breakdown1: { name: breakdown_level, description: Level of the first breakdown. }\n',
    );
    const res = await runCli(['build', '-C', ws], env);
    expect(res.code).toBe(0);
    const rows = (Papa.parse<string[]>((await readFile(OCT, 'utf8')).trim(), {}).data.length) - 1;
    const pq = await readParquet(join(ws, 'output/parquet/oaps_placements.parquet'), ['breakdown_level']);
    expect(pq.numRows).toBe(rows);
    expect(pq.columns).toContain('breakdown_level');
    expect(pq.columns).not.toContain('breakdown1');
    const md = await readFile(join(ws, 'output/metadata/oaps_placements.md'), 'utf8');
    expect(md).toContain('Out of area placements, long format.');
    expect(md).toContain('Level of the first breakdown.');
    const catalog = await readParquet(join(ws, 'output/catalog.parquet'), ['table']);
    expect(catalog.rows.map((r) => r.table)).toEqual(['oaps_placements']);
  });

  it('an override that names no table or column of any period fails at its line, with what it could have meant', async () => {
    await config('    overrides:\n      tables:\n        oaps_open_dta:\n          name: oaps_placements\n');
    const res = await runCli(['build', '-C', ws, '--json'], env);
    expect(res.code).toBe(1);
    const failed = res.events.find((e) => e.event === 'target-end' && e.outcome === 'failed') as { key: string; error: { message: string; hint: string } };
    expect(failed.key).toBe('canonical:oaps/2016-10');
    expect(failed.error.message).toBe(join(ws, 'config/publications.yaml') + ':9:9: the override of table `oaps_open_dta` in publication `oaps` names nothing: no configured period produces it');
    expect(failed.error.hint).toMatch(/^did you mean `oaps_open_data`\?/);
    await config('    overrides:\n      tables:\n        oaps_open_data:\n          columns:\n            valeu: { type: integer }\n');
    const col = await runCli(['build', '-C', ws, '--json'], env);
    expect(col.code).toBe(1);
    const colFailed = col.events.find((e) => e.event === 'target-end' && e.outcome === 'failed') as { error: { message: string; hint: string } };
    expect(colFailed.error.message).toBe(join(ws, 'config/publications.yaml') + ':11:13: the override of column `valeu` of table `oaps_open_data` in publication `oaps` names nothing: no configured period produces it');
    expect(colFailed.error.hint).toMatch(/^did you mean `value`\?/);
    await rm(join(ws, 'manifests/failures'), { recursive: true, force: true });
  });

  it('an override narrower than what the table already holds fails that load with what, where and what to do', async () => {
    await config('    overrides:\n      tables:\n        oaps_open_data:\n          columns:\n            value: { type: integer }\n');
    const res = await runCli(['build', '-C', ws, '--json'], env);
    expect(res.code).toBe(1);
    const failed = res.events.find((e) => e.event === 'target-end' && e.outcome === 'failed') as { key: string; error: { message: string; hint: string } };
    expect(failed.key).toBe('loaded:oaps/2016-10');
    expect(failed.error.message).toBe('override sets oaps_open_data.value to integer, but staging.oaps_open_data.value is numeric because values loaded before needed it; column types never narrow');
    expect(failed.error.hint).toContain('remove the type override');
  });

  it('on a fresh table the same override fails at the first value that is not an integer, naming file, line and field', async () => {
    await rm(join(ws, 'manifests/failures'), { recursive: true, force: true });
    const d = await db.open();
    await d.query('DROP TABLE staging.oaps_open_data');
    await d.query(`DELETE FROM datawarp.tables WHERE table_name = 'oaps_open_data'`);
    await d.close();
    const parsed = Papa.parse<string[]>((await readFile(OCT, 'utf8')).trim(), {}).data;
    const col = parsed[0].indexOf('value');
    const first = parsed.findIndex((r, i) => i > 0 && !/^-?\d+$/.test(r[col]) && r[col] !== '*' && r[col] !== '');
    const res = await runCli(['build', '-C', ws, '--json'], env);
    expect(res.code).toBe(1);
    const failed = res.events.find((e) => e.event === 'target-end' && e.outcome === 'failed') as { error: { message: string } };
    expect(failed.error.message).toContain(`Value ${JSON.stringify(parsed[first][col])} cannot be stored in an integer column`);
    expect(failed.error.message).toContain(`oaps-open-data-oct-2016.csv, line ${first + 1}:${col + 1}`);
  });
});
