/**
 * The embedded database's signature (rules/stores/pglite-state.ts) is one file's stat: it must still change whenever
 * the database could have: opened by any process (even only to read), written, or replaced by another copy of the
 * folder that kept every file's mtime.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../lib/db/index.ts';
import { pgliteState } from '../../rules/stores/pglite-state.ts';

describe('the embedded database signature', () => {
  let ws: string;
  const dir = () => join(ws, '.pglite');
  const session = async (sql: string) => {
    const db = await openDb({ workspace: ws });
    try {
      await db.exec(sql);
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    ws = await mkdtemp(join(tmpdir(), 'pglite-state-'));
  });
  afterAll(async () => {
    await rm(ws, { recursive: true, force: true });
  });

  it('is absent before the database exists, and changes with every session, a read-only one too', async () => {
    expect(pgliteState(dir()).fingerprint).toBe('absent');
    await session('CREATE TABLE t (x int)');
    const created = pgliteState(dir());
    expect(created.fingerprint).not.toBe('absent');
    expect(pgliteState(dir())).toEqual(created); // nothing ran: the same
    await session('SELECT 1');
    const read = pgliteState(dir());
    expect(read.fingerprint).not.toBe(created.fingerprint);
    expect(read.newestMs).toBeGreaterThanOrEqual(created.newestMs);
    await session('INSERT INTO t VALUES (1)');
    expect(pgliteState(dir()).fingerprint).not.toBe(read.fingerprint);
  });

  it('changes when the folder is replaced by a copy that kept every mtime (a restored backup)', async () => {
    const backup = join(ws, 'backup');
    execFileSync('cp', ['-a', dir(), backup]);
    await session('INSERT INTO t VALUES (2)');
    const after = pgliteState(dir()).fingerprint;
    await rm(dir(), { recursive: true });
    execFileSync('cp', ['-a', backup, dir()]);
    expect(pgliteState(dir()).fingerprint).not.toBe(after);
    // …and a copy of the very same folder is not taken for it either (another inode, another ctime).
    const restored = pgliteState(dir()).fingerprint;
    execFileSync('cp', ['-a', dir(), join(ws, 'again')]);
    await rm(dir(), { recursive: true });
    execFileSync('mv', [join(ws, 'again'), dir()]);
    expect(pgliteState(dir()).fingerprint).not.toBe(restored);
  });
});
