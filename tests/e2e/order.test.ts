/**
 * The same inputs give the same outputs whatever the order periods are built in (issue 14, hole 2): a table fed by
 * three OAPs editions whose columns differ (February 2017 adds two) has one column order in the database, the
 * Parquet file, its .md and the catalog, whether the newest period is built first or all at once.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../lib/db/index.ts';
import { PROVENANCE_COLUMNS } from '../../lib/db/registry.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { readParquet, runCli } from './cli-rig.ts';

const OAPS = join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements');

async function workspace(prefix: string): Promise<string> {
  const ws = await mkdtemp(join(tmpdir(), prefix));
  await mkdir(join(ws, 'config'));
  await mkdir(join(ws, 'files'));
  for (const m of ['oct-2016', 'dec-2016', 'feb-2017']) await cp(join(OAPS, `oaps-open-data-${m}.csv`), join(ws, 'files', `oaps-open-data-${m}.csv`));
  await writeFile(join(ws, 'config/publications.yaml'), ['publications:', '  oaps:', '    name: OAPs', '    periods:',
    '      - period: 2016-10\n        url: ../files/oaps-open-data-oct-2016.csv',
    '      - period: 2016-12\n        url: ../files/oaps-open-data-dec-2016.csv',
    '      - period: 2017-02\n        url: ../files/oaps-open-data-feb-2017.csv'].join('\n') + '\n');
  return ws;
}

describe.each(testBackends())('outputs do not depend on build order (%s)', (backend) => {
  const made: { ws: string; db: TestDb }[] = [];
  afterAll(async () => {
    for (const m of made) {
      await m.db.cleanup();
      await rm(m.ws, { recursive: true, force: true });
    }
  });

  async function outcome(steps: string[][]) {
    const ws = await workspace(`order-${backend}-`);
    const db = await makeTestDb(backend, ws);
    made.push({ ws, db });
    for (const args of steps) expect((await runCli(['build', '-C', ws, ...args], { DATABASE_URL: db.databaseUrl })).code).toBe(0);
    const d = await openDb({ workspace: ws, databaseUrl: db.databaseUrl });
    try {
      const columns = (await d.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'staging' AND table_name = 'oaps_open_data' ORDER BY ordinal_position`)).map((r) => r.c);
      const parquet = (await readParquet(join(ws, 'output/parquet/oaps_open_data.parquet'))).columns;
      const md = await readFile(join(ws, 'output/metadata/oaps_open_data.md'), 'utf8');
      return { columns, parquet, md };
    } finally {
      await d.close();
    }
  }

  it('newest period first, then the rest, equals everything at once (-j 1 and the default)', async () => {
    const newestFirst = await outcome([['oaps/2017-02'], []]);
    const atOnce = await outcome([[]]);
    const serial = await outcome([['-j', '1']]);
    // The first data columns, after the provenance columns a staging row carries.
    expect(newestFirst.columns.slice(PROVENANCE_COLUMNS.length, PROVENANCE_COLUMNS.length + 2)).toEqual(['question', 'breakdown1']);
    for (const other of [atOnce, serial]) {
      expect(other.columns).toEqual(newestFirst.columns);
      expect(other.parquet).toEqual(newestFirst.parquet);
      expect(other.md).toBe(newestFirst.md);
    }
  });
});
