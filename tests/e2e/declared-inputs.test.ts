/**
 * Defects of knowledge spread over many files, each fixed by a stage reading only what it declares: a
 * publication's name is an input of the Parquet documentation and the catalog; a `file:` URL relative to the
 * config is the same file for the rule that tracks it and the code that reads it.
 */
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestDb, type TestDb } from '../rig/db.ts';
import { csvDataRows, oapsWorkspace, ran, readParquet, runCli } from './cli-rig.ts';

const OCT = join(import.meta.dirname, '../fixtures/nhs-samples/out-of-area-placements/oaps-open-data-oct-2016.csv');

describe('declared inputs', () => {
  const made: { ws: string; db: TestDb }[] = [];
  const workspace = async (prefix: string) => {
    const ws = await oapsWorkspace(prefix);
    made.push({ ws, db: await makeTestDb('pglite', ws) });
    return ws;
  };
  afterAll(async () => {
    for (const m of made) {
      await m.db.cleanup();
      await rm(m.ws, { recursive: true, force: true });
    }
  });

  it('renaming a publication rewrites its tables\' documentation and the catalog (the name is an input of both)', async () => {
    const ws = await workspace('rename-pub-');
    expect((await runCli(['build', '-C', ws])).code).toBe(0);
    const config = join(ws, 'config/publications.yaml');
    await writeFile(config, (await readFile(config, 'utf8')).replace('name: OAPs', 'name: Out of Area Placements in Mental Health Services'));
    const plan = await runCli(['build', '-n', '-C', ws, '--json']);
    const planned = plan.events.filter((e) => e.event === 'target-end' && e.outcome === 'would-run').map((e) => e.key).sort();
    expect(planned).toEqual(['catalog:all', 'parquet:oaps/oaps_open_data']);
    const res = await runCli(['build', '-C', ws, '--json']);
    expect(ran(res)).toEqual(['catalog:all', 'parquet:oaps/oaps_open_data']);
    expect(await readFile(join(ws, 'output/metadata/oaps_open_data.md'), 'utf8')).toContain('Out of Area Placements in Mental Health Services');
    const catalog = await readParquet(join(ws, 'output/catalog.parquet'), ['publication_name']);
    expect(catalog.rows).toEqual([{ publication_name: 'Out of Area Placements in Mental Health Services' }]);
  });

  it('a `file:` URL relative to the config names the file beside the config, for tracking and for reading alike', async () => {
    const ws = await workspace('file-url-');
    await mkdir(join(ws, 'config/data'));
    await cp(OCT, join(ws, 'config/data/oaps-open-data-oct-2016.csv'));
    await writeFile(join(ws, 'config/publications.yaml'), 'publications:\n  oaps:\n    name: OAPs\n    periods:\n      - period: 2016-10\n        url: file:data/oaps-open-data-oct-2016.csv\n');
    const res = await runCli(['build', '-C', ws, '--json']);
    expect(res.code, res.stderr + JSON.stringify(res.events.filter((e) => e.outcome === 'failed'))).toBe(0);
    const pq = await readParquet(join(ws, 'output/parquet/oaps_open_data.parquet'));
    expect(pq.numRows).toBe((await csvDataRows(OCT)).rows);
    // Tracked by content: an edit of that same file rebuilds its period.
    await writeFile(join(ws, 'config/data/oaps-open-data-oct-2016.csv'), (await readFile(OCT, 'utf8')).replace('"*"', '"1"'));
    expect(ran(await runCli(['build', '-C', ws, '--json']))).toContain('download:oaps/2016-10');
  });
});
