/**
 * PGlite leaves the files a sort spilled to disk when its process is killed mid-sort (PostgreSQL's server would remove
 * them at its next start; single-user mode does not): opening the database removes them.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../lib/db/index.ts';

describe('sort spills of the embedded database', () => {
  let ws: string;
  const spills = () => join(ws, '.pglite', 'base', 'pgsql_tmp');
  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), 'nhs-spills-'));
  });
  afterAll(async () => {
    await rm(ws, { recursive: true, force: true });
  });

  it('are written where the open looks for them', async () => {
    const db = await openDb({ workspace: ws });
    try {
      // A cursor keeps its sort, spilled past a 64 kB work_mem, open on disk until the transaction ends.
      const names = await db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL work_mem = '64kB'; DECLARE c CURSOR FOR SELECT g FROM generate_series(1, 200000) g ORDER BY g DESC`);
        expect(await tx.query<{ g: number }>('FETCH 1 FROM c')).toEqual([{ g: 200000 }]);
        return readdir(spills());
      });
      expect(names.some((n) => n.startsWith('pgsql_tmp'))).toBe(true);
    } finally {
      await db.close();
    }
  });

  it('left by a killed process are removed when the database is opened again', async () => {
    await mkdir(spills(), { recursive: true });
    await writeFile(join(spills(), 'pgsql_tmp42.0'), 'x'.repeat(1024));
    await mkdir(join(spills(), 'pgsql_tmp42.1.fileset'), { recursive: true });
    await writeFile(join(spills(), 'pgsql_tmp42.1.fileset', 'o1of2.p0.0'), 'x');
    const db = await openDb({ workspace: ws });
    try {
      expect(await readdir(spills())).toEqual([]);
      expect(await db.query<{ n: number }>('SELECT 1 AS n')).toEqual([{ n: 1 }]);
    } finally {
      await db.close();
    }
    expect(existsSync(join(spills(), 'pgsql_tmp42.0'))).toBe(false);
  });
});
