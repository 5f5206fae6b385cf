/**
 * The embedded database's template (lib/db/pglite-template.ts): a new workspace's cluster is unpacked from it
 * instead of running initdb, so it must be one for the installed PGlite and give the same cluster initdb gives;
 * a creation cut short is started over, never opened half-made.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../lib/db/index.ts';
import { pgliteVersion, templatePath } from '../../lib/db/pglite-template.ts';

const CLUSTER = `SELECT datname, pg_encoding_to_char(encoding) AS encoding, datcollate, datctype, datlocprovider FROM pg_database ORDER BY datname`;

describe('the embedded database template', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pglite-template-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`exists for the installed PGlite (${pgliteVersion()}); after an upgrade, \`npm run pglite-template\` writes it`, () => {
    expect(existsSync(templatePath()), `no ${templatePath()}: run \`npm run pglite-template\` and commit it`).toBe(true);
  });

  it("gives the cluster PGlite's own initdb gives: databases, encoding, locale (in a folder its first open makes)", async () => {
    const ws = join(dir, 'from-template', 'not-made-yet');
    const db = await openDb({ workspace: ws });
    const ours = await db.query(CLUSTER);
    await db.close();
    expect(existsSync(join(ws, '.pglite', 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(ws, '.pglite.creating'))).toBe(false);
    const initdb = await PGlite.create(join(dir, 'initdb'));
    const theirs = (await initdb.query(CLUSTER)).rows;
    await initdb.close();
    expect(ours).toEqual(theirs);
    expect(ours.map((r) => r.datname)).toEqual(['postgres', 'template0', 'template1']);
  }, 60_000);

  it('a creation cut short (its marker left, half a cluster) is started over, and the database then holds rows', async () => {
    const ws = join(dir, 'cut-short');
    await mkdir(join(ws, '.pglite'), { recursive: true });
    await writeFile(join(ws, '.pglite', 'PG_VERSION'), '17\n'); // what a kill during unpacking leaves: a start, no more
    await writeFile(join(ws, '.pglite.creating'), '12345\n');
    const db = await openDb({ workspace: ws });
    await db.exec('CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)');
    await db.close();
    expect(existsSync(join(ws, '.pglite.creating'))).toBe(false);
    const again = await openDb({ workspace: ws });
    expect(await again.query('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 2 }]);
    await again.close();
  }, 60_000);
});
