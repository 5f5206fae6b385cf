/**
 * Changes made to the database behind the pipeline's back are noticed by the next build, although a build with
 * nothing to do does not even open the embedded database: a dropped staging table, a deleted registry row, rows
 * deleted from a staging table, a database restored from an older dump, a new empty database. Each rebuilds
 * exactly what it must, and the build after that runs nothing.
 */
import { execFileSync } from 'node:child_process';
import { cp, rm, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../lib/db/index.ts';
import { makeTestDb, testBackends, type TestDb } from '../rig/db.ts';
import { csvDataRows, oapsWorkspace, ran, runCli } from './cli-rig.ts';

const OAPS = join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements');

describe.each(testBackends())('changes made to the database behind the pipeline (%s)', (backend) => {
  let ws: string;
  let db: TestDb;
  let env: Record<string, string | undefined>;
  const build = () => runCli(['build', '-C', ws, '--json'], env);
  const withDb = async <T>(fn: (d: Db) => Promise<T>): Promise<T> => {
    const d = await openDb({ workspace: ws, databaseUrl: env.DATABASE_URL });
    try {
      return await fn(d);
    } finally {
      await d.close();
    }
  };
  const rowsOf = (period: string) => withDb(async (d) => Number((await d.query<{ n: number }>(`SELECT count(*)::int AS n FROM staging.oaps_open_data WHERE _period = $1`, [period]))[0].n));

  beforeAll(async () => {
    ws = await oapsWorkspace(`dbchange-${backend}-`);
    db = await makeTestDb(backend, ws);
    env = { DATABASE_URL: db.databaseUrl };
    expect((await build()).code).toBe(0);
    expect(ran(await build())).toEqual([]);
  });
  afterAll(async () => {
    await db?.cleanup();
    if (ws) await rm(ws, { recursive: true, force: true });
  });

  it('a dropped staging table: the periods it held load again', async () => {
    await withDb((d) => d.exec('DROP TABLE staging.oaps_open_data'));
    const res = await build();
    expect(res.code).toBe(0);
    expect(ran(res)).toEqual(['loaded:oaps/2016-10', 'loaded:oaps/2016-12']);
    expect(await rowsOf('2016-10')).toBe((await csvDataRows(join(OAPS, 'oaps-open-data-oct-2016.csv'))).rows);
    expect(ran(await build())).toEqual([]);
  });

  it('a deleted registry row: that period loads again, writing no rows (its slices are unchanged)', async () => {
    await withDb((d) => d.exec(`DELETE FROM datawarp.periods WHERE publication = 'oaps' AND period = '2016-12'`));
    const res = await build();
    expect(ran(res)).toEqual(['loaded:oaps/2016-12']);
    expect(res.events.find((e) => e.event === 'target-end' && e.key === 'loaded:oaps/2016-12')).toMatchObject({ stats: { rowsWritten: 0 } });
    expect(ran(await build())).toEqual([]);
  });

  it('rows deleted from a staging table: the period they belonged to loads again', async () => {
    const before = await rowsOf('2016-10');
    await withDb((d) => d.exec(`DELETE FROM staging.oaps_open_data WHERE _period = '2016-10' AND _source_row < 10`));
    const res = await build();
    expect(ran(res)).toEqual(['loaded:oaps/2016-10']);
    expect(await rowsOf('2016-10')).toBe(before);
    expect(ran(await build())).toEqual([]);
  });

  it('a database restored from an older dump: what was loaded since is loaded again', async () => {
    const dump = await takeDump();
    const config = join(ws, 'config/publications.yaml');
    await writeFile(config, (await readFile(config, 'utf8')) + `      - period: 2017-02\n        url: "${join(OAPS, 'oaps-open-data-feb-2017.csv')}"\n`);
    expect((await build()).code).toBe(0);
    await dump.restore();
    const res = await build();
    expect(res.code).toBe(0);
    // The reload restores the very slices the Parquet file was written from: it stays as it is (early cutoff).
    expect(ran(res)).toEqual(['loaded:oaps/2017-02']);
    expect(await rowsOf('2017-02')).toBe((await csvDataRows(join(OAPS, 'oaps-open-data-feb-2017.csv'))).rows);
    expect(ran(await build())).toEqual([]);
  });

  it('a new empty database: every period loads again', async () => {
    if (backend === 'pglite') await rm(join(ws, '.pglite'), { recursive: true, force: true });
    else await withDb((d) => d.exec('DROP SCHEMA staging CASCADE; DROP SCHEMA datawarp CASCADE'));
    const res = await build();
    expect(res.code).toBe(0);
    expect(ran(res).filter((k) => k.startsWith('loaded:'))).toEqual(['loaded:oaps/2016-10', 'loaded:oaps/2016-12', 'loaded:oaps/2017-02']);
    expect(ran(await build())).toEqual([]);
  });

  /** A copy of the database as it is now, and how to put it back (replacing whatever is there then). */
  async function takeDump(): Promise<{ restore(): Promise<void> }> {
    if (backend === 'pglite') {
      await cp(join(ws, '.pglite'), join(ws, 'pglite-dump'), { recursive: true });
      return {
        async restore() {
          await rm(join(ws, '.pglite'), { recursive: true, force: true });
          await cp(join(ws, 'pglite-dump'), join(ws, '.pglite'), { recursive: true });
        },
      };
    }
    const file = join(ws, 'dump.pgdump');
    execFileSync('pg_dump', ['-Fc', '-f', file, db.databaseUrl!]);
    return {
      async restore() {
        await withDb((d) => d.exec('DROP SCHEMA staging CASCADE; DROP SCHEMA datawarp CASCADE'));
        execFileSync('pg_restore', ['--no-owner', '-d', db.databaseUrl!, file]);
      },
    };
  }
});
